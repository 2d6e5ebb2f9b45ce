"""/recall: inline text, `help`, or no text for the modal."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.grammar.corrections import adopt_unit, corrected_example, explain
from bot.grammar.recall import parse_recall
from bot.grammar.tokens import ParseError, is_help, is_listing
from bot.render import blocks as bk
from bot.render.modals import Origin
from bot.requests.submit import Asker, submit
from bot.slack.listeners.forms import open_recall_form
from bot.slack.listeners.replies import after_ack, reply_after_ack, via_respond
from motive.rules import RuleViolation

if TYPE_CHECKING:
    from bot.services import Services
    from bot.slack_api.web import Reply


def handler(svc: Services) -> Callable[..., Awaitable[None]]:
    return partial(recall_command, svc)


async def recall_command(
    svc: Services,
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
        open_recall_form(svc, client, command["trigger_id"], origin, reply)
        return
    if is_help(text):
        reply_after_ack(svc, reply, *bk.help_message("/recall"))
        return
    if is_listing(text):
        # `mine`, `list`, `status`…: the person's own requests, as the Home tab shows them.
        after_ack(svc, reply, partial(mine, svc, user, reply))
        return
    after_ack(svc, reply, partial(ask, svc, text, user, channel, reply))


async def ask(svc: Services, text: str, user: str, channel: str, reply: Reply) -> None:
    """The typed request: parsed in the person's zone, checked, then handed to `submit`."""
    zone = await svc.zones.zone(user)
    now = svc.clock.now()
    try:
        fields = parse_recall(
            text,
            now=now,
            tz=zone.tz,
            month_first=zone.month_first,
            zone_unknown=zone.why_unknown,
        )
        match = await svc.fleet.find(*fields.target) if fields.target else None
        unit = adopt_unit("/recall", fields, match)
    except ParseError as e:
        await reply(*bk.problem(e.message, e.example))
        return
    try:
        request = fields.request(now, unit)
    except RuleViolation as e:
        example = corrected_example("/recall", fields, e, unit, now=now)
        await reply(*bk.problem(explain(fields.words, e), example))
        return
    await submit(
        svc, request, Asker(user, channel, reply, fields.anchor_note, insist=fields.insist)
    )


async def mine(svc: Services, user: str, reply: Reply) -> None:
    await reply(*await svc.home.message(user))
