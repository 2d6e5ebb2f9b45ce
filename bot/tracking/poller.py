"""Following a request until Motive has the media, and delivering it into the thread exactly once.

One APScheduler job per request in flight (id `poll-<row id>`), at its next poll time. The job's
state is in the store, so the jobs are rebuilt from it on start-up, and a sweep picks up requests
that another process (a web replica) created. Before polling, a worker claims the row; before
posting, it reserves the delivery; a half-done delivery is looked for in the thread before it is
posted again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_sdk.web.async_client import AsyncWebClient

from bot.background import Background
from bot.config import Settings
from bot.metrics import DELIVERY_LAG, REQUESTS
from bot.slack import blocks as bk
from bot.slack.web import SLACK_FAILURES, Place, post, slack_error, update
from bot.tracking.schedule import next_delay
from bot.tracking.store import CREATING, DONE, FAILED, TRACKING, UNKNOWN, Store, TrackedRequest
from motive.client import MotiveClient
from motive.clock import Clock
from motive.errors import MotiveError, NotFoundError, RateLimitError
from motive.models import ImageCapture, Recall

log = logging.getLogger(__name__)

# How long a claim holds: longer than a poll with all its retries can take.
LEASE = timedelta(minutes=2)
BATCH = 200  # requests claimed and released per store statement
ORPHAN_AFTER = timedelta(minutes=5)


@dataclass
class Outcome:
    status: str
    model: Recall | ImageCapture
    terminal: bool
    reason: str | None

    @property
    def data(self) -> dict[str, Any]:
        return self.model.model_dump(mode="json")


def anchor_info(row: TrackedRequest, status: str, detail: str | None = None) -> bk.AnchorInfo:
    label = row.target_name if row.target_kind == "vehicle" else f'asset "{row.target_name}"'
    end = (
        row.start_time + timedelta(minutes=row.duration)
        if row.start_time is not None and row.duration is not None
        else None
    )
    return bk.AnchorInfo(
        kind=row.kind,
        requester=row.requester,
        target_label=label,
        status=status,
        start=row.start_time,
        end=end,
        recall_type=row.recall_type,
        cameras=row.camera_list,
        position=row.position,
        note=row.note,
        motive_id=row.motive_id,
        detail=detail,
    )


class Tracker:
    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        motive: MotiveClient,
        slack: AsyncWebClient,
        clock: Clock,
        worker_id: str,
        run_scheduler: bool = True,
        sweep_seconds: float = 5.0,
        rng: random.Random | None = None,
        background: Background | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.motive = motive
        self.slack = slack
        self.clock = clock
        self.worker_id = worker_id
        self.sweep_seconds = sweep_seconds
        self.rng = rng or random.Random()
        self.scheduler: AsyncIOScheduler | None = AsyncIOScheduler() if run_scheduler else None
        self.polls = 0
        self.background = background or Background()
        # After an outage thousands of jobs are overdue at once; poll a few at a time rather
        # than exhaust the database pool and Motive's rate limit together.
        self._poll_slots = asyncio.Semaphore(8)
        self._batch: dict[int, asyncio.Future[None]] | None = None

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        if self.scheduler is None:
            return
        if self.store.is_sqlite:
            cleared = await self.store.clear_claims()
            if cleared:
                log.info("cleared %d claim(s) left by a previous run", cleared)
        # With PostgreSQL a claim left by a crashed worker holds for the rest of its lease.
        await self.resolve_orphans()
        for row in await self.store.in_flight():
            if row.state == TRACKING:
                self.schedule(row.id, row.next_poll_at or self.clock.now())
        self.scheduler.add_job(
            self.sweep, "interval", seconds=self.sweep_seconds, id="sweep", max_instances=1
        )
        self.scheduler.start()

    async def stop(self, drain_seconds: float = 10.0) -> None:
        """Stop polling, let work already started finish (briefly), then cancel the rest.
        Nothing is lost either way: what did not finish is still in the store."""
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self.background.stop(drain_seconds)

    @property
    def running(self) -> bool:
        return self.scheduler is not None and bool(self.scheduler.running)

    def schedule(self, request_id: int, when: datetime) -> None:
        if self.scheduler is None:
            return
        # APScheduler keeps time by the wall clock, not ours: hand it the same delay from now.
        delay = max(0.0, (when - self.clock.now()).total_seconds())
        self.scheduler.add_job(
            self.poll,
            "date",
            run_date=datetime.now(UTC) + timedelta(seconds=delay),
            args=[request_id],
            id=f"poll-{request_id}",
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )

    async def sweep(self) -> None:
        """Schedule requests that are due soon and that this process has no job for."""
        assert self.scheduler is not None
        now = self.clock.now()
        for row in await self.store.due(now, timedelta(seconds=self.sweep_seconds * 2)):
            if self.scheduler.get_job(f"poll-{row.id}") is None:
                self.schedule(row.id, row.next_poll_at or now)

    async def resolve_orphans(self) -> None:
        """A request left in "creating" by a crash: Motive may or may not have it. Say so."""
        now = self.clock.now()
        for row in await self.store.in_flight():
            if row.state == CREATING and now - row.updated_at > ORPHAN_AFTER:
                if not await self.store.claim(row.id, self.worker_id, now, LEASE):
                    continue
                await self._finish(
                    row,
                    UNKNOWN,
                    "unknown",
                    "The bot restarted while asking Motive for this request, so it may or may "
                    "not exist there. Check the Motive dashboard before asking again.",
                )

    # --- polling --------------------------------------------------------------------------

    async def track(self, row: TrackedRequest) -> None:
        """Hand-over from the Slack side: Motive has accepted the request."""
        when = row.next_poll_at or self.clock.now()
        self.schedule(row.id, when)

    async def poll_motive_id(self, kind: str, motive_id: str) -> bool:
        """A webhook named this request: fetch it now (its payload's status is not trusted)."""
        row = await self.store.by_motive_id(kind, motive_id)
        if row is None or row.state != TRACKING:
            return False
        await self.poll(row.id)
        return True

    async def poll(self, request_id: int) -> None:
        """Poll one request. Polls that fall due together share their store statements: the
        request joins the current batch, and this returns when that batch is done."""
        loop = asyncio.get_running_loop()
        if self._batch is None:
            self._batch = {}
            loop.call_soon(lambda: self.background.spawn(self._flush()))
        waiter = self._batch.get(request_id)
        if waiter is None:
            waiter = self._batch[request_id] = loop.create_future()
        await asyncio.shield(waiter)

    async def _flush(self) -> None:
        batch, self._batch = self._batch or {}, None
        try:
            await self._poll_batch(list(batch))
        finally:
            for waiter in batch.values():
                if not waiter.done():
                    waiter.set_result(None)

    async def _poll_batch(self, request_ids: list[int]) -> None:
        now = self.clock.now()
        for start in range(0, len(request_ids), BATCH):
            rows = await self.store.claim_rows(
                request_ids[start : start + BATCH], self.worker_id, now, LEASE
            )
            results = await asyncio.gather(*(self._poll_one(row, now) for row in rows))
            await self.store.release_many(
                self.worker_id,
                [(row.id, values) for row, values in zip(rows, results, strict=True)],
            )
            # Scheduled only now, with the claims released and these jobs about to end: a job
            # that re-added itself while still running could be skipped by the scheduler.
            for row, values in zip(rows, results, strict=True):
                if values.get("next_poll_at") is not None:
                    self.schedule(row.id, values["next_poll_at"])

    async def _poll_one(self, row: TrackedRequest, now: datetime) -> dict[str, Any]:
        async with self._poll_slots:
            try:
                return await self._poll_claimed(row, now)
            except Exception:
                log.exception("poll of request %s failed; retrying later", row.id)
                return self._later(60.0, "internal error")

    def _later(self, seconds: float, error: str | None) -> dict[str, Any]:
        return {"next_poll_at": self.clock.now() + timedelta(seconds=seconds), "last_error": error}

    async def _fetch(self, row: TrackedRequest) -> Outcome:
        assert row.motive_id is not None
        self.polls += 1
        if row.kind == "recall":
            recall: Recall = await self.motive.recalls.retrieve(row.motive_id)
            if not recall.is_known_status and recall.status != row.motive_status:
                log.info(
                    "request %s: unknown Motive status %r, still waiting", row.id, recall.status
                )
            return Outcome(recall.status, recall, recall.is_terminal, recall.failure_reason)
        capture: ImageCapture = await self.motive.image_captures.retrieve(
            row.camera_type or "dashcam", row.motive_id
        )
        return Outcome(capture.status, capture, capture.is_terminal, capture.failure_reason)

    async def _poll_claimed(self, row: TrackedRequest, now: datetime) -> dict[str, Any]:
        """Poll once; returns what to record with the release ({} when the request ended)."""
        if row.deadline is not None and now >= row.deadline:
            hours = (row.deadline - row.created_at).total_seconds() / 3600
            done = await self._finish(
                row,
                FAILED,
                "gave_up",
                f"Motive had not finished after {hours:g} hours (last status: "
                f"{row.motive_status or 'unknown'}). The truck has probably been off or out of "
                "coverage; ask again once it is back on the road.",
            )
            return {} if done else self._later(30.0, "Slack delivery failed")
        try:
            outcome = await self._fetch(row)
        except RateLimitError as e:
            return self._later(max(e.retry_after or 30.0, 1.0), e.message)
        except NotFoundError:
            done = await self._finish(
                row, FAILED, "failed", "Motive no longer knows this request (it answered 404)."
            )
            return {} if done else self._later(30.0, "Slack delivery failed")
        except MotiveError as e:
            delay = next_delay(row.kind, row.attempts + 1, **self._overrides(), rng=self.rng)
            return self._later(delay, e.message)
        values: dict[str, Any] = {}
        if outcome.status != row.motive_status:
            row.motive_status = outcome.status
            row.result = json.dumps(outcome.data)
            values.update(motive_status=row.motive_status, result=row.result)
            if not outcome.terminal:
                await self._update_anchor(row, outcome.status)
        if outcome.terminal:
            if row.motive_done_at is None:
                row.motive_done_at = now
                values["motive_done_at"] = now
            if values:
                await self.store.set(row.id, **values)
            if await self._deliver(row, outcome):
                return {}
            # Slack would not take it now; come back, fetch fresh links, and try again.
            return self._later(30.0, "Slack delivery failed")
        delay = next_delay(row.kind, row.attempts + 1, **self._overrides(), rng=self.rng)
        values.update(attempts=row.attempts + 1, last_error=None)
        values["next_poll_at"] = now + timedelta(seconds=delay)
        return values

    def _overrides(self) -> dict[str, float | None]:
        return {
            "first": self.settings.poll_first_seconds,
            "longest": self.settings.poll_max_seconds,
        }

    # --- delivery -------------------------------------------------------------------------

    def _place(self, row: TrackedRequest) -> Place:
        assert row.anchor_ts is not None
        return Place(row.channel, row.anchor_ts)

    async def _update_anchor(
        self, row: TrackedRequest, status: str, detail: str | None = None
    ) -> None:
        if row.anchor_ts:
            text, blocks = bk.anchor(anchor_info(row, status, detail))
            await update(self.slack, self._place(row), text, blocks)

    async def _already_in_thread(self, row: TrackedRequest, marker: str) -> str | None:
        """After a crash mid-delivery: did the post land? Look for our marker in the thread."""
        try:
            replies = await self.slack.conversations_replies(
                channel=row.channel, ts=row.anchor_ts or "", limit=200
            )
        except SLACK_FAILURES as e:
            log.warning("could not read thread of request %s: %s", row.id, slack_error(e))
            raise
        for message in replies.get("messages") or []:
            if any(b.get("block_id") == marker for b in message.get("blocks") or []):
                return str(message.get("ts"))
            if any(marker in str(f.get("title", "")) for f in message.get("files") or []):
                return str(message.get("ts"))
        return None

    async def _deliver_once(self, row: TrackedRequest, key: str, send: Any) -> bool:
        """Post one delivery unless it was posted already. True when it is (now) in Slack."""
        now = self.clock.now()
        delivery, fresh = await self.store.begin_delivery(row.id, key, now)
        if delivery is None:
            return True
        marker = f"delivery-{row.id}-{key}"
        try:
            ts = None if fresh else await self._already_in_thread(row, marker)
            if ts is None:
                ts = await send(marker)
        except SLACK_FAILURES as e:
            log.warning("delivery %s of request %s failed: %s", key, row.id, slack_error(e))
            return False
        await self.store.finish_delivery(delivery.id, ts, self.clock.now())
        return True

    async def _deliver(self, row: TrackedRequest, outcome: Outcome) -> bool:
        if row.kind == "recall":
            return await self._deliver_recall(row, outcome)
        return await self._deliver_snapshot(row, outcome)

    async def _deliver_recall(self, row: TrackedRequest, outcome: Outcome) -> bool:
        cameras = list(outcome.data.get("cameras") or [])
        if outcome.status in ("completed", "partially_completed") and any(
            c.get("download_url") for c in cameras
        ):
            text, blocks = bk.recall_results(row.id, cameras)

            async def send(marker: str) -> str:
                return await post(
                    self.slack, row.channel, text, bk.marked(blocks, marker), row.anchor_ts
                )

            if not await self._deliver_once(row, "links", send):
                return False
            await self._finish(row, DONE, outcome.status, None)
            return True
        reason = outcome.reason or _camera_reasons(cameras) or f"Motive reported {outcome.status}."
        return await self._finish(
            row, FAILED, "failed", f"Motive could not produce the footage: {reason}"
        )

    async def _deliver_snapshot(self, row: TrackedRequest, outcome: Outcome) -> bool:
        capture = outcome.model
        assert isinstance(capture, ImageCapture)
        image = capture.image
        if outcome.status != "success" or image is None or not image.url:
            reason = outcome.reason or "Motive did not return an image."
            return await self._finish(row, FAILED, "failed", f"The snapshot failed: {reason}")
        url = image.url
        expires = image.expires_at.isoformat() if image.expires_at else None

        async def send(marker: str) -> str:
            try:
                data = await self.motive.fetch_media(url)
                response = await self.slack.files_upload_v2(
                    channel=row.channel,
                    thread_ts=row.anchor_ts,
                    content=data,
                    filename=f"snapshot-{row.target_name}-{row.position}.jpg".replace(" ", "_"),
                    title=f"Snapshot {row.target_name} {row.position} ({marker})",
                    initial_comment=f"Snapshot from {row.target_name}, {bk.camera_label(row.position)}.",
                )
                file_id = (response.get("file") or {}).get("id") or ""
                return f"file:{file_id}"
            except (MotiveError, *SLACK_FAILURES) as e:
                why = e.message if isinstance(e, MotiveError) else slack_error(e)
                text, blocks = bk.snapshot_link(url, expires, why)
                return await post(
                    self.slack, row.channel, text, bk.marked(blocks, marker), row.anchor_ts
                )

        if not await self._deliver_once(row, "image", send):
            return False
        await self._finish(row, DONE, "success", None)
        return True

    async def _finish(
        self, row: TrackedRequest, state: str, status: str, problem: str | None
    ) -> bool:
        """The last word on a request: the thread reply (if a problem), anchor, and state."""
        if problem is not None and row.anchor_ts:
            text, blocks = bk.final_problem(problem)

            async def send(marker: str) -> str:
                return await post(
                    self.slack, row.channel, text, bk.marked(blocks, marker), row.anchor_ts
                )

            if not await self._deliver_once(row, "final", send):
                return False
        now = self.clock.now()
        await self.store.set(
            row.id, state=state, finished_at=now, next_poll_at=None, last_error=problem
        )
        await self._update_anchor(row, status)
        if row.motive_done_at is not None and state == DONE:
            DELIVERY_LAG.observe(max(0.0, (now - row.motive_done_at).total_seconds()))
        REQUESTS.labels(kind=row.kind, outcome=status).inc()
        if self.scheduler is not None and self.scheduler.get_job(f"poll-{row.id}"):
            self.scheduler.remove_job(f"poll-{row.id}")
        return True

    # --- refresh ----------------------------------------------------------------------------

    async def refresh_links(self, request_id: int) -> str | None:
        """Fresh download URLs for a delivered recall, written over the old links message.
        Returns a problem to tell the user, or None."""
        row = await self.store.get(request_id)
        if row is None or row.kind != "recall" or row.motive_id is None:
            return "That request is not one I know."
        try:
            recall = await self.motive.recalls.retrieve(row.motive_id)
        except MotiveError as e:
            return f"Motive did not give fresh links: {e.message}"
        cameras = recall.model_dump(mode="json")["cameras"]
        if not any(c.get("download_url") for c in cameras):
            return "Motive has no downloadable video for this request any more."
        text, blocks = bk.recall_results(row.id, cameras, refreshed=True)
        delivery = await self.store.delivery(row.id, "links")
        try:
            if delivery is not None and delivery.ts:
                marker = f"delivery-{row.id}-links"
                await self.slack.chat_update(
                    channel=row.channel, ts=delivery.ts, text=text, blocks=bk.marked(blocks, marker)
                )
            else:
                await post(self.slack, row.channel, text, blocks, row.anchor_ts)
        except SLACK_FAILURES as e:
            return f"Slack would not take the fresh links ({slack_error(e)})."
        return None


def _camera_reasons(cameras: list[dict[str, Any]]) -> str:
    reasons = [
        f"{bk.camera_label(c.get('position'))}: {c.get('error_message')}"
        for c in cameras
        if c.get("error_message")
    ]
    return "; ".join(reasons)
