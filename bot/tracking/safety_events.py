"""Safety events from Motive to Slack: intake, reconciling, posting, editing, clips.

Two ways in, one way through. A signed `driver_performance_event_*` webhook says "look at event
N": the event is read from Motive's list (its vehicle, a day either side of its start), never
taken from the webhook. The catch-up read (at start and every few minutes, on workers) reads the
whole last day, page by page, so a missed webhook, a restart or a day of downtime loses nothing,
and it is what notices an event that has left the list (withdrawn by Motive's review). Both hand
what they read to `observe`, which keeps it in the store and works on each event whose post is
missing, out of date, or waiting for a clip, holding the event's row (a claim) while it does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.access import policy as pol
from bot.access.audit import Audit, Subject
from bot.access.safety import clip_decision
from bot.access.safety_routing import route
from bot.background import Background
from bot.metrics import SAFETY_EVENTS
from bot.render import safety as sb
from bot.slack_api.uploads import Unsure, UploadFailed, stream_clip
from bot.slack_api.web import SLACK_FAILURES, at_most_once, post, slack_error
from bot.store.models import (
    LEFT_OUT,
    LINKED,
    NEW,
    POSTED,
    POSTING,
    UPLOADED,
    WITHDRAWN,
    WITHHELD,
    SafetyClip,
    SafetyEventRow,
)
from bot.store.requests import Store
from bot.store.safety_events import EventStore
from motive import contract as c
from motive.client import MotiveClient
from motive.clock import Clock
from motive.errors import MotiveError
from motive.models import SafetyEvent
from motive.webhooks import EventNotice

log = logging.getLogger(__name__)

WINDOW = timedelta(days=1)  # the catch-up read's sliding window
CATCH_UP_SECONDS = 180.0
JOB_ID = "safety-catch-up"
HISTORY_PAGES = 20  # pages of 200 channel messages read, at most, for a post whose answer was lost
LEASE = timedelta(minutes=10)  # a post and two clip uploads fit well inside
# An event missing from a read is withdrawn only when it is well inside the window read: at the
# old edge it has merely slid out, and a very new one may not be listed yet.
EDGE = timedelta(minutes=10)
BUSY = 8  # events worked on at once after a read (a day of downtime is thousands)
AUDIT_USER = "safety-events"  # who an audit row about an event's clip names: nobody asked


@dataclass(frozen=True)
class Plan:
    """What the post should say about the event now."""

    confirmed: bool
    withdrawn_why: str | None


def plan(row: SafetyEventRow, event: SafetyEvent, now: datetime, *, updated: bool) -> Plan:
    """Pure: a crash is confirmed by an update that keeps it a crash, or by still being listed
    as one once Motive's review has had its time; an event posted as one type and now another
    was withdrawn as that type (so was one gone from the list: `withdrawn_why` already set)."""
    why = row.withdrawn_why
    if why is None and row.posted_type is not None and event.type != row.posted_type:
        why = f"Motive now reports it as {sb.event_words(event.type)}"
    reviewed = event.start_time is not None and now - event.start_time >= timedelta(
        hours=c.CRASH_REVIEW_HOURS
    )
    confirmed = row.confirmed or (event.is_crash and (updated or reviewed))
    return Plan(confirmed, why)


def post_of(row: SafetyEventRow, event: SafetyEvent, p: Plan) -> tuple[str, list[sb.Block]]:
    return sb.event_post(
        sb.EventPost(event, p.confirmed, p.withdrawn_why, posted_type=row.posted_type)
    )


@dataclass(frozen=True)
class ReadResult:
    read: int  # events in the window
    worked: int  # events posted, edited or given a clip
    withdrawn: int  # events found gone from the list


class SafetyEvents:
    def __init__(
        self,
        *,
        channel: str | None,
        store: Store,
        motive: MotiveClient,
        slack: AsyncWebClient,
        clock: Clock,
        audit: Audit,
        policy: pol.PolicyFile | None,
        background: Background,
        worker_id: str,
        scheduler: AsyncIOScheduler | None = None,
        catch_up_seconds: float = CATCH_UP_SECONDS,
    ) -> None:
        self.channel = channel
        self.events = EventStore(store)
        self.motive = motive
        self.slack = slack
        self.clock = clock
        self.audit = audit
        self.policy_file = policy
        self.background = background
        self.worker_id = worker_id
        self.catch_up_seconds = catch_up_seconds
        # The worker's one scheduler (the tracker's): the catch-up read is a second job on it.
        self.scheduler = scheduler if channel else None
        self._slots = asyncio.Semaphore(BUSY)

    @property
    def enabled(self) -> bool:
        return self.channel is not None

    @property
    def policy(self) -> pol.Policy:
        return self.policy_file.policy if self.policy_file is not None else pol.OPEN

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """After the tracker's start (its scheduler is running then)."""
        if self.scheduler is None:
            return
        # At start (APScheduler's wall clock: "now"), then every few minutes; one at a time.
        self.scheduler.add_job(
            self._scheduled_catch_up,
            "interval",
            seconds=self.catch_up_seconds,
            id=JOB_ID,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
            replace_existing=True,
        )

    async def stop(self) -> None:
        if self.scheduler is not None and self.scheduler.get_job(JOB_ID) is not None:
            self.scheduler.remove_job(JOB_ID)

    async def _scheduled_catch_up(self) -> None:
        # In the background group, so that a stop drains it rather than cancelling it mid-call.
        await asyncio.shield(self.background.spawn(self._catch_up_logged()))

    async def _catch_up_logged(self) -> None:
        try:
            result = await self.catch_up()
        except MotiveError as e:
            log.warning("safety events: the catch-up read failed: %s", e.message)
            return
        if result.worked or result.withdrawn:
            log.info(
                "safety events: read %d, worked on %d, %d withdrawn",
                result.read,
                result.worked,
                result.withdrawn,
            )

    # --- intake ---------------------------------------------------------------------------

    def notice(self, notice: EventNotice) -> None:
        """A verified webhook named an event: read it from Motive after the 200 has gone."""
        if not self.enabled:
            return
        SAFETY_EVENTS.labels(what="received").inc()
        self.background.spawn(self.on_notice(notice))

    async def on_notice(self, notice: EventNotice) -> None:
        day = (notice.start_time or self.clock.now()).date()
        try:
            events = await self.motive.safety_events.list(
                day - timedelta(days=1),
                day + timedelta(days=1),
                vehicle_ids=[notice.vehicle_id] if notice.vehicle_id else (),
            )
        except MotiveError as e:
            log.warning("safety event %s: could not read it (%s); the catch-up will", notice.id, e)
            return
        found = [e for e in events if e.id == notice.id]
        if found:
            await self.observe(found, updated=notice.action == c.WEBHOOK_EVENT_ACTIONS[1])
        # Not found: not listed yet, or withdrawn, or the vehicle filter is not what Motive
        # takes. Only the catch-up's whole read, which misses nothing, decides a withdrawal.

    async def catch_up(self) -> ReadResult:
        """Read the last day of events, every page; post what is missing, edit what changed,
        fetch clips that were not ready, and mark withdrawn what left the list."""
        if not self.enabled:
            return ReadResult(0, 0, 0)
        now = self.clock.now()
        start = now - WINDOW
        events = await self.motive.safety_events.list(start.date(), now.date())
        events = [e for e in events if e.start_time is None or e.start_time >= start]
        worked = await self.observe(events)
        listed = {e.id for e in events}
        gone = [
            row
            for row in await self.events.shown_between(start + EDGE, now - EDGE)
            if row.motive_id not in listed
        ]
        for row in gone:
            await self._withdraw_missing(row)
        return ReadResult(len(events), worked, len(gone))

    async def observe(self, events: Sequence[SafetyEvent], *, updated: bool = False) -> int:
        """Keep what Motive said, then work on each event whose post needs it. Returns how many
        were worked on."""
        if not events:
            return 0
        now = self.clock.now()
        await self.events.record(events, now)
        rows = await self.events.by_motive_ids(e.id for e in events)
        clips = await self.events.clips(r.id for r in rows.values())
        due = [
            e.id
            for e in events
            if (row := rows.get(e.id)) is not None
            and _needs_work(row, e, clips.get(row.id, {}), now, updated=updated)
        ]

        async def one(motive_id: str) -> None:
            async with self._slots:
                await self.process(motive_id, updated=updated)

        await asyncio.gather(*(one(m) for m in due))
        return len(due)

    # --- one event, held ------------------------------------------------------------------

    async def process(self, motive_id: str, *, updated: bool = False) -> None:
        """Post, edit and deliver clips for one event, holding its row. Someone else holding it
        is already on it (and reads the row afresh when it starts)."""
        now = self.clock.now()
        row = await self.events.claim(motive_id, self.worker_id, now, LEASE)
        if row is None:
            return
        try:
            await self._process(row, updated=updated)
        except SLACK_FAILURES as e:
            log.warning(
                "safety event %s: Slack refused (%s); tried again later", motive_id, slack_error(e)
            )
        finally:
            await asyncio.shield(self.events.release(row.id, self.worker_id))

    async def _process(self, row: SafetyEventRow, *, updated: bool) -> None:
        now = self.clock.now()
        event = row.event
        p = plan(row, event, now, updated=updated)
        if row.state == NEW:
            routed = route(self.policy.safety_events, event, self.channel or "")
            if routed.channel is None:
                log.info("safety event %s not posted: %s", event.id, routed.why)
                await self.events.set(row.id, now, state=LEFT_OUT)
                return
            text, blocks = post_of(row, event, p)
            found = None
            if row.shown == POSTING:
                # An earlier post went out and its answer was lost: is it in the channel?
                found = await self._find_post(routed.channel, row)
            else:
                await self.events.set(row.id, now, shown=POSTING)
            channel, ts = found or await self._post(routed.channel, text, blocks)
            row.state, row.channel, row.post_ts = POSTED, channel, ts
            row.posted_type, row.confirmed = event.type, p.confirmed
            row.shown = sb.digest(text, blocks)
            await self.events.set(
                row.id,
                now,
                state=POSTED,
                channel=channel,
                post_ts=ts,
                posted_type=event.type,
                confirmed=p.confirmed,
                shown=row.shown,
            )
            SAFETY_EVENTS.labels(what="posted").inc()
        elif row.state in (POSTED, WITHDRAWN) and row.channel and row.post_ts:
            text, blocks = post_of(row, event, p)
            shown = sb.digest(text, blocks)
            if shown != row.shown:
                await self.slack.chat_update(
                    channel=row.channel, ts=row.post_ts, text=text, blocks=blocks
                )
                state = WITHDRAWN if p.withdrawn_why else row.state
                if state == WITHDRAWN and row.state != WITHDRAWN:
                    SAFETY_EVENTS.labels(what="withdrawn").inc()
                row.state = state
                await self.events.set(
                    row.id,
                    now,
                    state=state,
                    shown=shown,
                    confirmed=p.confirmed,
                    withdrawn_why=p.withdrawn_why,
                )
        if row.state == POSTED:
            await self._clips(row, event)

    async def _withdraw_missing(self, row: SafetyEventRow) -> None:
        """Gone from Motive's list: withdrawn by its review. The post says so."""
        now = self.clock.now()
        held = await self.events.claim(row.motive_id, self.worker_id, now, LEASE)
        if held is None:
            return
        try:
            if held.state == POSTED:
                held.withdrawn_why = "Motive's review removed it"
                await self.events.set(held.id, now, withdrawn_why=held.withdrawn_why)
                await self._process(held, updated=False)
        except SLACK_FAILURES as e:
            log.warning(
                "safety event %s: Slack refused the edit (%s)", row.motive_id, slack_error(e)
            )
        finally:
            await asyncio.shield(self.events.release(held.id, self.worker_id))

    async def _find_post(self, channel: str, row: SafetyEventRow) -> tuple[str, str] | None:
        """The event's post, looked for by its marker among the channel's latest messages
        (newest first: the lost try went out within the claim's lease, minutes ago)."""
        marker = sb.marker(row.motive_id)
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            page = await self.slack.conversations_history(channel=channel, limit=200, cursor=cursor)
            for message in page.get("messages") or []:
                if any(b.get("block_id") == marker for b in message.get("blocks") or []):
                    return channel, str(message.get("ts"))
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None:
                return None
        return None  # rather a post seen twice than a channel read forever

    async def _post(self, channel: str, text: str, blocks: list[sb.Block]) -> tuple[str, str]:
        """The event's post; a public channel the bot is not in is joined first."""
        once = at_most_once(self.slack)
        try:
            return channel, await post(once, channel, text, blocks)
        except SlackApiError as e:
            if slack_error(e) != "not_in_channel":
                raise
        await self.slack.conversations_join(channel=channel)
        return channel, await post(once, channel, text, blocks)

    # --- clips ----------------------------------------------------------------------------

    async def _clips(self, row: SafetyEventRow, event: SafetyEvent) -> None:
        """Each clip Motive has ready, once: road-facing into the thread; in-cab as the policy's
        in-cab rule says (withheld from the channel under "requester"), each an audit row. A
        clip that is not ready is picked up by a later read."""
        assert row.channel is not None and row.post_ts is not None
        policy = self.policy
        for position, url in sorted(event.clips.items(), key=_road_first):
            clip, fresh = await self.events.begin_clip(row.id, position, self.clock.now())
            if clip is None:
                continue
            decision = clip_decision(policy, position)
            if not decision.to_thread:
                assert decision.rule is not None
                text, blocks = sb.clip_withheld(position, decision.rule)
                ts = await post(at_most_once(self.slack), row.channel, text, blocks, row.post_ts)
                await self.events.finish_clip(clip.id, WITHHELD, ts, self.clock.now())
                await self._audit(
                    row,
                    event,
                    position,
                    f"{'in-cab' if decision.in_cab else 'road'} clip withheld from the channel "
                    f"({decision.rule})",
                    decision="refused",
                    rule=decision.rule,
                )
                continue
            if not fresh and clip.file_id and await self._in_thread(row, clip.file_id):
                await self.events.finish_clip(
                    clip.id, UPLOADED, f"file:{clip.file_id}", self.clock.now()
                )
                continue
            await self._upload(row, event, clip, position, url, in_cab=decision.in_cab)

    async def _upload(
        self,
        row: SafetyEventRow,
        event: SafetyEvent,
        clip: SafetyClip,
        position: str,
        url: str,
        *,
        in_cab: bool,
    ) -> None:
        assert row.channel is not None and row.post_ts is not None
        vehicle = event.vehicle_number or "vehicle"
        label = sb.camera_label(position)

        async def keep(file_id: str) -> None:
            await self.events.note_clip_file(clip.id, file_id)

        try:
            ref, size = await stream_clip(
                slack=self.slack,
                motive=self.motive,
                url=url,
                filename=f"event-{event.id}-{position}.mp4",
                title=f"{vehicle}, {label}",
                comment=sb.clip_comment(position, vehicle),
                channel=row.channel,
                thread_ts=row.post_ts,
                ceiling_mb=self.policy.video_upload.max_megabytes,
                keep_file_id=keep,
            )
        except UploadFailed as e:
            text, blocks = sb.clip_linked(position, url, str(e))
            ts = await post(at_most_once(self.slack), row.channel, text, blocks, row.post_ts)
            await self.events.finish_clip(clip.id, LINKED, ts, self.clock.now())
            if in_cab:
                await self._audit(row, event, position, f"in-cab clip linked in the thread ({e})")
            return
        except MotiveError as e:
            log.info(
                "safety event %s: %s clip not fetched (%s); a later read tries again",
                event.id,
                position,
                e.message,
            )
            return
        except Unsure as e:
            log.warning("safety event %s: %s clip share uncertain (%s)", event.id, position, e)
            return
        await self.events.finish_clip(clip.id, UPLOADED, ref, self.clock.now())
        SAFETY_EVENTS.labels(what="clips_uploaded").inc()
        if in_cab:
            await self._audit(
                row, event, position, f"in-cab clip uploaded into the thread ({size} bytes)"
            )

    async def _in_thread(self, row: SafetyEventRow, file_id: str) -> bool:
        """After a crash between an upload and its share being recorded: is the file there?"""
        assert row.channel is not None and row.post_ts is not None
        cursor: str | None = None
        for _ in range(50):
            page = await self.slack.conversations_replies(
                channel=row.channel, ts=row.post_ts, limit=200, cursor=cursor
            )
            for message in page.get("messages") or []:
                if any(f.get("id") == file_id for f in message.get("files") or []):
                    return True
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None:
                return False
        return False

    async def _audit(
        self,
        row: SafetyEventRow,
        event: SafetyEvent,
        position: str,
        outcome: str,
        *,
        decision: str = "allowed",
        rule: str | None = None,
    ) -> None:
        end = event.end_time or event.start_time
        await self.audit.record(
            "delivery",
            user=AUDIT_USER,
            channel=row.channel or "",
            subject=Subject(
                "safety_event",
                event.vehicle_number or "(vehicle not given)",
                position,
                event.start_time,
                end,
            ),
            decision=decision,
            rule=rule,
            motive_id=event.id,
            outcome=outcome,
        )


def _needs_work(
    row: SafetyEventRow,
    event: SafetyEvent,
    clips: dict[str, SafetyClip],
    now: datetime,
    *,
    updated: bool,
) -> bool:
    if row.state == NEW:
        return True
    if row.state not in (POSTED, WITHDRAWN):
        return False
    text, blocks = post_of(row, event, plan(row, event, now, updated=updated))
    if sb.digest(text, blocks) != row.shown:
        return True
    done = {p for p, clip in clips.items() if clip.status in (UPLOADED, LINKED, WITHHELD)}
    return row.state == POSTED and bool(set(event.clips) - done)


def _road_first(item: tuple[str, str]) -> tuple[bool, str]:
    return (item[0] != "front_facing", item[0])
