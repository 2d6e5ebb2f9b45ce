"""Opening the recall and snapshot forms from anywhere: the commands with no text, the Home tab's
buttons, the shortcuts, a safety event's button.

The form opens right after the ack (a trigger lives 3 s); what needs Motive, the fleet list or
the person's groups is filled in afterwards with `views.update`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

from slack_sdk.web.async_client import AsyncWebClient

from bot.access.privacy import restrict_view
from bot.render.modals import RECALL_CALLBACK, Origin, loading_view, recall_modal, snapshot_modal
from bot.requests.submit import form_failed
from bot.slack.listeners.replies import after_ack, via_origin
from bot.slack_api.web import SLACK_FAILURES
from motive.errors import MotiveError

if TYPE_CHECKING:
    from bot.services import Services
    from bot.slack_api.web import Reply


@dataclass(frozen=True)
class Prefill:
    target: str | None = None
    start: datetime | None = None
    duration: int | None = None  # minutes; None: the shortest the type allows


@dataclass(frozen=True)
class FormOpening:
    """One form being opened: the trigger Slack gave, where its result goes and who is told if
    it cannot open. Each step is a method, run after the ack by `after_ack`."""

    svc: Services
    client: AsyncWebClient
    trigger_id: str
    origin: Origin
    reply: Reply

    def recall(self, prefill: Callable[[], Awaitable[Prefill]] | None = None) -> None:
        after_ack(self.svc, self.reply, partial(self._open_recall, prefill), quick=True)

    def snapshot(self) -> None:
        after_ack(self.svc, self.reply, self._open_snapshot, quick=True)

    async def _open(self, view: dict[str, Any], command: str) -> str | None:
        """The opened view's id; None (and the person told how to ask without it) if Slack
        refused (an expired trigger, Slack down)."""
        try:
            opened = await self.client.views_open(trigger_id=self.trigger_id, view=view)
        except SLACK_FAILURES as e:
            await self.reply(*form_failed(command, e))
            return None
        return str(opened["view"]["id"])

    async def _open_recall(self, prefill: Callable[[], Awaitable[Prefill]] | None) -> None:
        view_id = await self._open(loading_view(RECALL_CALLBACK, "Video recall"), "/recall")
        if view_id is not None:
            after_ack(self.svc, self.reply, partial(self._fill_recall, view_id, prefill))

    async def _fill_recall(
        self, view_id: str, prefill: Callable[[], Awaitable[Prefill]] | None
    ) -> None:
        svc = self.svc
        found = await prefill() if prefill is not None else Prefill()
        try:
            quota = (await svc.motive.recalls.quota()).quota_info
        except MotiveError:
            quota = None  # the form works without it; the pre-flight check still runs
        start = found.start or svc.clock.now() - timedelta(minutes=15)
        unit = svc.fleet.known("vehicle", found.target)
        view = recall_modal(
            self.origin,
            start=start,
            quota=quota,
            target=found.target,
            duration=found.duration,
            installed=unit.cameras if unit is not None else None,
        )
        # Narrowed for this person: the in-cab camera marked where the policy does not allow it.
        may_in_cab = await svc.privacy.may_in_cab(self.origin.user, self.origin.channel)
        await self.client.views_update(view_id=view_id, view=restrict_view(view, may_in_cab))

    async def _open_snapshot(self) -> None:
        view_id = await self._open(snapshot_modal(self.origin), "/snapshot")
        if view_id is not None:
            after_ack(self.svc, self.reply, partial(self._restrict_snapshot, view_id))

    async def _restrict_snapshot(self, view_id: str) -> None:
        # No in-cab camera offered to someone who may not have it (the user's groups need
        # Slack: after the modal is open, never before).
        if not await self.svc.privacy.may_in_cab(self.origin.user, self.origin.channel):
            view = restrict_view(snapshot_modal(self.origin), False)
            await self.client.views_update(view_id=view_id, view=view)


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
    FormOpening(svc, client, trigger_id, origin, reply).recall(prefill)


def open_snapshot_form(
    svc: Services, client: AsyncWebClient, trigger_id: str, origin: Origin, reply: Reply
) -> None:
    FormOpening(svc, client, trigger_id, origin, reply).snapshot()


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
