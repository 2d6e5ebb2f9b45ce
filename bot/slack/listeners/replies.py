"""How a listener answers the person who asked, privately, once its ack has gone out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.render import blocks as bk
from bot.requests.submit import ASKED_MOTIVE, Asker
from bot.slack.ingress.post_ack import start_after_ack
from bot.slack_api.web import SLACK_FAILURES, Reply, open_dm, slack_error

if TYPE_CHECKING:
    from bot.render.modals import Origin
    from bot.services import Services

log = logging.getLogger(__name__)


def via_respond(respond: AsyncRespond) -> Reply:
    async def reply(text: str, blocks: list[bk.Block]) -> None:
        await respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)

    return reply


def via_origin(svc: Services, channel: str, user: str, response_url: str | None) -> Reply:
    """From a modal: the command's response_url if we kept it, else an ephemeral, else a DM."""

    async def reply(text: str, blocks: list[bk.Block]) -> None:
        if response_url:
            sent = await AsyncWebhookClient(response_url).send(
                text=text, blocks=blocks, response_type="ephemeral", replace_original=False
            )
            if sent.status_code == 200:
                return
        try:
            await svc.slack.chat_postEphemeral(channel=channel, user=user, text=text, blocks=blocks)
        except SLACK_FAILURES as e:
            log.info("ephemeral to %s failed (%s); sending a DM", user, slack_error(e))
            await svc.slack.chat_postMessage(
                channel=await open_dm(svc.slack, user), text=text, blocks=blocks
            )

    return reply


def after_ack(
    svc: Services, reply: Reply, work: Callable[[], Awaitable[Any]], *, quick: bool = False
) -> None:
    """Run the rest of a request in the background, started once its ack has been sent (the
    listener returns right after handing it over); never a silent drop. `quick` work (one
    Slack call a person is waiting on: a modal to open, help to show) skips the queue."""

    async def guarded() -> None:
        try:
            if quick:
                await work()
            else:
                # A bounded number of requests are worked on at once, so that a burst of
                # commands does not crowd out the acks of the ones still arriving.
                async with svc.work_slots:
                    await work()
        except asyncio.CancelledError:
            # A stop caught it before it asked Motive (in its pre-flight, or waiting for a
            # turn): say so, rather than leave the person who asked with nothing.
            if not quick and not ASKED_MOTIVE.get():
                await _tell(reply, RESTARTED)
            raise
        except Exception:
            log.exception("request handling failed")
            # "Nothing was requested" only when nothing was sent.
            said = (
                "Something went wrong on my side after I asked Motive; the request's message "
                "says where it stands. Please do not ask again yet."
                if ASKED_MOTIVE.get()
                else "Something went wrong on my side; nothing was requested from Motive. "
                "Please try again."
            )
            try:
                await reply(*bk.problem(said))
            except Exception:
                log.exception("could not tell the user about the failure")

    start_after_ack(lambda: svc.background.spawn(guarded()))


RESTARTED = (
    "Sorry, the bot restarted before it could ask Motive: nothing was requested, please ask again."
)


async def _tell(reply: Reply, text: str) -> None:
    """A last word to the person who asked, on the way out (bounded: the process is stopping)."""
    try:
        await asyncio.wait_for(reply(*bk.problem(text)), timeout=5)
    except Exception:
        log.exception("could not tell the user the bot restarted")


def reply_after_ack(svc: Services, reply: Reply, text: str, blocks: list[bk.Block]) -> None:
    """Send a private answer (help, a mistake in the input) once the ack has gone out."""

    async def send() -> None:
        await reply(text, blocks)

    after_ack(svc, reply, send, quick=True)


def submitter(body: dict[str, Any]) -> str:
    """Who submitted or pressed, as Slack's payload says (`user.id`): the only identity the
    policy trusts. A form's private_metadata says where to answer, never who is asking."""
    user = body.get("user")
    return str(user.get("id") or "") if isinstance(user, dict) else ""


async def accept_form(
    svc: Services,
    ack: AsyncAck,
    origin: Origin,
    send: Callable[[Asker], Awaitable[Any]],
    note: str | None = None,
    *,
    user: str,
) -> None:
    """A valid form: close it (the ack), then hand the request over as asked by `user` (the
    payload's) from where the form was opened: that channel and thread, or the user's DM when
    it came from the Home tab."""
    await ack()
    if not user:
        log.warning("a form submission named no user; nothing was requested")
        return
    response_url = origin.response_url if origin.user == user else None
    reply = via_origin(svc, origin.channel, user, response_url)

    async def work() -> None:
        channel = origin.channel or await open_dm(svc.slack, user)
        await send(Asker(user, channel, reply, note, origin.thread_ts))

    after_ack(svc, reply, work)
