"""What /recall and /snapshot do alike with a command: ack it, then open the form (no text), show
the help, list the person's requests, or hand the typed request to the command's own `ask`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.grammar.tokens import is_help, is_listing
from bot.render import blocks as bk
from bot.render.modals import Origin
from bot.slack.listeners.replies import after_ack, reply_after_ack, via_respond

if TYPE_CHECKING:
    from bot.services import Services
    from bot.slack_api.web import Reply


@dataclass(frozen=True)
class Command:
    name: str  # as in manifest.yml: "/recall"
    # Opens the command's form after the ack: (svc, client, trigger_id, origin, reply).
    open_form: Callable[[Services, AsyncWebClient, str, Origin, Reply], None]
    # Reads the typed request and submits it: (svc, text, user, channel, reply).
    ask: Callable[[Services, str, str, str, Reply], Awaitable[None]]


async def command_received(
    svc: Services,
    what: Command,
    ack: AsyncAck,
    command: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
) -> None:
    await ack()
    text = (command.get("text") or "").strip()
    user, channel = command["user_id"], command["channel_id"]
    reply = via_respond(respond)
    if not text:
        origin = Origin(channel, user, command.get("response_url"))
        what.open_form(svc, client, command["trigger_id"], origin, reply)
        return
    if is_help(text):
        reply_after_ack(svc, reply, *bk.help_message(what.name))
        return
    if is_listing(text):
        # `mine`, `list`, `status`…: the person's own requests, as the Home tab shows them.
        after_ack(svc, reply, partial(mine, svc, user, reply))
        return
    after_ack(svc, reply, partial(what.ask, svc, text, user, channel, reply))


async def mine(svc: Services, user: str, reply: Reply) -> None:
    await reply(*await svc.home.message(user))
