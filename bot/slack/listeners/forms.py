"""Opening the recall and snapshot forms from anywhere: the Home tab's buttons, the shortcuts.

The form opens right after the ack (a trigger lives 3 s); what needs Motive or the fleet list is
filled in afterwards with `views.update`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from slack_sdk.web.async_client import AsyncWebClient

from bot.access.privacy import restrict_view
from bot.render.modals import RECALL_CALLBACK, Origin, loading_view, recall_modal, snapshot_modal
from bot.slack.listeners.replies import after_ack, via_origin
from motive.errors import MotiveError

if TYPE_CHECKING:
    from bot.services import Services
    from bot.slack_api.web import Reply


@dataclass(frozen=True)
class Prefill:
    target: str | None = None
    start: datetime | None = None
    duration: int | None = None  # minutes; None: the shortest the type allows


def open_recall_form(
    svc: Services,
    client: AsyncWebClient,
    trigger_id: str,
    origin: Origin,
    reply: Reply,
    prefill: Callable[[], Awaitable[Prefill]] | None = None,
) -> None:
    """Open right after the ack (the trigger lives 3 s), then fill in what needs Motive, the
    fleet list or the user's zone."""

    async def open_loading() -> None:
        opened = await client.views_open(
            trigger_id=trigger_id, view=loading_view(RECALL_CALLBACK, "Video recall")
        )
        view_id = opened["view"]["id"]

        async def fill() -> None:
            found = await prefill() if prefill is not None else Prefill()
            try:
                quota = (await svc.motive.recalls.quota()).quota_info
            except MotiveError:
                quota = None  # the form works without it; the pre-flight check still runs
            start = found.start or svc.clock.now() - timedelta(minutes=15)
            unit = svc.fleet.known("vehicle", found.target)
            view = recall_modal(
                origin,
                start=start,
                quota=quota,
                target=found.target,
                duration=found.duration,
                installed=unit.cameras if unit is not None else None,
            )
            # Narrowed for this person as the /recall form is: the in-cab camera marked.
            may_in_cab = await svc.privacy.may_in_cab(origin.user, origin.channel)
            await client.views_update(view_id=view_id, view=restrict_view(view, may_in_cab))

        after_ack(svc, reply, fill)

    after_ack(svc, reply, open_loading, quick=True)


def open_snapshot_form(
    svc: Services, client: AsyncWebClient, trigger_id: str, origin: Origin, reply: Reply
) -> None:
    async def open_form() -> None:
        opened = await client.views_open(trigger_id=trigger_id, view=snapshot_modal(origin))

        async def restrict() -> None:
            # As the /snapshot form: no in-cab camera offered to someone who may not have it
            # (the user's groups need Slack: after the modal is open, never before).
            if not await svc.privacy.may_in_cab(origin.user, origin.channel):
                view = restrict_view(snapshot_modal(origin), False)
                await client.views_update(view_id=opened["view"]["id"], view=view)

        after_ack(svc, reply, restrict)

    after_ack(svc, reply, open_form, quick=True)


def open_form_for_dm(
    svc: Services, client: AsyncWebClient, body: dict[str, Any], form: Literal["recall", "snapshot"]
) -> None:
    """A form opened from no channel (the Home tab, the global shortcut): the request and its
    result go to the person's DM with the bot."""
    user = str(body["user"]["id"])
    origin = Origin(channel="", user=user)
    reply = via_origin(svc, "", user, None)
    opener = open_recall_form if form == "recall" else open_snapshot_form
    opener(svc, client, str(body["trigger_id"]), origin, reply)
