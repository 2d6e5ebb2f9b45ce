"""The "Refresh links" button under delivered recalls: fresh URLs once the old ones expired."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.render import blocks as bk
from bot.slack.listeners.replies import (
    after_ack,
    reply_after_ack,
    submitter,
    via_origin,
    via_respond,
)
from bot.slack_api.web import Place, Reply

if TYPE_CHECKING:
    from bot.services import Services


def handler(svc: Services) -> Callable[..., Awaitable[None]]:
    return partial(refresh, svc)


async def refresh(
    svc: Services,
    ack: AsyncAck,
    action: dict[str, Any],
    body: dict[str, Any],
    respond: AsyncRespond,
) -> None:
    await ack()
    if body.get("response_url"):
        reply = via_respond(respond)
    else:  # a button outside a message (App Home, a modal): answer by ephemeral or DM
        channel = (body.get("channel") or {}).get("id") or ""
        reply = via_origin(svc, channel, submitter(body), None)
    try:
        request_id = int(action.get("value", ""))
    except ValueError:
        reply_after_ack(svc, reply, *bk.problem("That button does not name a request I know."))
        return
    after_ack(svc, reply, partial(fresh_links, svc, request_id, body, reply))


async def fresh_links(svc: Services, request_id: int, body: dict[str, Any], reply: Reply) -> None:
    # Who pressed, and on which message: the policy decides on what that message shows.
    # A payload that names nobody is refused by the policy check (never the requester).
    presser = submitter(body)
    container = body.get("container") or {}
    channel, ts = container.get("channel_id"), container.get("message_ts")
    where = Place(str(channel), str(ts)) if channel and ts else None
    problem = await svc.delivery.refresh_links(request_id, presser or None, where)
    if problem:
        await reply(*bk.problem(problem))
