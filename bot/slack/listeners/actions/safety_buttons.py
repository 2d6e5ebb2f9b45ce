"""A safety event's buttons. "All cameras, 1 minute either side" opens the recall form filled in
with the event's vehicle, a window from a minute before to a minute after it and every camera
(the quota left shown, the in-cab camera marked for people the policy does not allow it);
"Snapshot every camera now" asks for a still from each camera the unit has. Either way the
request is made as any other (the policy's decision, the audit row, the duplicate claim, the
delivery) and its result goes into the event's thread."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.grammar.snapshot import snapshot_all
from bot.render import blocks as bk
from bot.render.modals import Origin
from bot.render.safety import SAFETY_RECALL, SAFETY_SNAPSHOT
from bot.requests.snapshot_all import submit_all
from bot.requests.submit import Asker
from bot.slack.listeners.forms import Prefill, open_recall_form
from bot.slack.listeners.replies import after_ack, via_origin
from motive.rules import RuleViolation

if TYPE_CHECKING:
    from bot.services import Services
    from motive.models import SafetyEvent

EITHER_SIDE = timedelta(minutes=1)
WINDOW_MINUTES = 2


def register(app: AsyncApp, svc: Services) -> None:
    app.action(SAFETY_RECALL)(recall_around(svc))
    app.action(SAFETY_SNAPSHOT)(snapshot_now(svc))


def _where(body: dict[str, Any]) -> tuple[str, str, str | None, str | None]:
    """(user, channel, the event post's ts, the action's value: the Motive event id)."""
    user = str(body["user"]["id"])
    channel = str((body.get("channel") or {}).get("id") or "")
    message = body.get("message") or {}
    ts = message.get("ts") or (body.get("container") or {}).get("message_ts")
    actions = body.get("actions") or [{}]
    value = actions[0].get("value")
    return user, channel, str(ts) if ts else None, str(value) if value else None


async def _event(svc: Services, event_id: str | None) -> SafetyEvent | None:
    row = await svc.safety.events.get(event_id) if event_id else None
    return row.event if row is not None else None


def recall_around(svc: Services) -> Callable[..., Awaitable[None]]:
    return partial(recall_clicked, svc)


def snapshot_now(svc: Services) -> Callable[..., Awaitable[None]]:
    return partial(snapshot_clicked, svc)


async def recall_clicked(
    svc: Services, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
) -> None:
    await ack()
    user, channel, ts, event_id = _where(body)
    origin = Origin(channel, user, body.get("response_url"), thread_ts=ts)
    reply = via_origin(svc, channel, user, body.get("response_url"))
    prefill = partial(around_event, svc, event_id)
    open_recall_form(svc, client, str(body["trigger_id"]), origin, reply, prefill)


async def around_event(svc: Services, event_id: str | None) -> Prefill:
    event = await _event(svc, event_id)
    if event is None or event.start_time is None:
        return Prefill(target=event.vehicle_number if event else None)
    # Recalls start on a whole minute: the one before the event's, for two minutes.
    start = event.start_time.replace(second=0, microsecond=0) - EITHER_SIDE
    return Prefill(target=event.vehicle_number, start=start, duration=WINDOW_MINUTES)


async def snapshot_clicked(svc: Services, ack: AsyncAck, body: dict[str, Any]) -> None:
    await ack()
    user, channel, ts, event_id = _where(body)
    reply = via_origin(svc, channel, user, body.get("response_url"))
    asker = Asker(user, channel, reply, f"From safety event {event_id}.", thread_ts=ts)
    after_ack(svc, reply, partial(snapshot_every_camera, svc, event_id, asker))


async def snapshot_every_camera(svc: Services, event_id: str | None, asker: Asker) -> None:
    event = await _event(svc, event_id)
    vehicle = event.vehicle_number if event is not None else None
    if vehicle is None:
        await asker.reply(*bk.problem("I no longer know which vehicle this event was on."))
        return
    try:
        every = snapshot_all(vehicle, None, svc.fleet.known("vehicle", vehicle))
    except RuleViolation as e:
        await asker.reply(*bk.problem(e.message))
        return
    # The group goes through the policy's one decision in submit_all, as /snapshot all
    # does: refused (audited, no Motive call), or narrowed to the cameras this person
    # may have (the anchor says so).
    await submit_all(svc, every, asker)
