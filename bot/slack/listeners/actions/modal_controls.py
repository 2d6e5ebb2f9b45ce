"""Choices inside the modals that change what else the modal offers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.access.privacy import restrict_view
from bot.render.modals import (
    RECALL_CALLBACK,
    Origin,
    quota_text,
    read_view,
    recall_modal,
    snapshot_modal,
)
from bot.slack.listeners.replies import after_ack, submitter, via_origin
from bot.slack_api.web import SLACK_FAILURES, slack_error
from motive.rules import RecallType

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)


async def ack_only(ack: AsyncAck) -> None:
    await ack()


def _rebuild(svc: Services, view: dict[str, Any]) -> dict[str, Any]:
    fields = read_view(view, svc.fleet.label_for)
    origin = Origin.load(view.get("private_metadata", ""))
    # The cameras the chosen unit has, where the fleet list says: only those are offered.
    unit = svc.fleet.known(fields.kind, fields.target)
    installed = unit.cameras if unit is not None else None
    if view.get("callback_id") != RECALL_CALLBACK:
        return snapshot_modal(
            origin,
            kind=fields.kind,
            target=fields.target,
            installed=installed,
            position=fields.position,
        )
    start = fields.start or svc.clock.now().astimezone(UTC) - timedelta(minutes=15)
    rtype = RecallType.TIMELAPSE if fields.recall_type == "timelapse" else RecallType.REGULAR
    # Keep what was chosen or prefilled (the message shortcut's vehicle) across the rebuild,
    # and the quota line, without asking Motive again.
    return recall_modal(
        origin,
        kind=fields.kind,
        recall_type=rtype,
        start=start,
        target=fields.target,
        quota_text=quota_text(view),
        duration=fields.duration,  # kept where the type allows it (a safety event's 2 minutes)
        installed=installed,
        cameras=fields.cameras,  # the person's choice, not every box ticked again
    )


def modal_changed(svc: Services) -> Callable[..., Awaitable[None]]:
    """Target kind, unit or recall type changed: offer the matching targets, cameras or
    durations."""
    return partial(changed, svc)


async def changed(
    svc: Services, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
) -> None:
    await ack()
    view = body["view"]
    origin = Origin.load(view.get("private_metadata", ""))
    reply = via_origin(svc, origin.channel, origin.user, origin.response_url)
    after_ack(svc, reply, partial(update, svc, client, view, origin, submitter(body)), quick=True)


async def update(
    svc: Services, client: AsyncWebClient, view: dict[str, Any], origin: Origin, changed_by: str
) -> None:
    # Who is changing the form is who Slack says, not who the metadata names.
    may_in_cab = await svc.privacy.may_in_cab(changed_by, origin.channel)
    rebuilt = restrict_view(_rebuild(svc, view), may_in_cab)
    try:
        await client.views_update(view_id=view["id"], hash=view.get("hash"), view=rebuilt)
    except SLACK_FAILURES as e:
        # Closed meanwhile, or changed again (hash_conflict): nothing left to update.
        log.info("modal %s not updated: %s", view.get("id"), slack_error(e))
