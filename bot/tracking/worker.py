"""Following a request until Motive has the media: fetch, decide, act.

The store is the queue. Each worker runs one APScheduler job, the tick (every `tick_seconds`),
and is woken early when a webhook or a new request makes something due now. A tick claims the
rows whose next poll time has come, a batch at a time and the most overdue first, in one
statement (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so workers never wait on each other's rows; a
single writer on SQLite); polls them a few at a time; and records each one's next poll time with
the release of its claim, in one statement per batch. A claim needs the row to be due and free,
so however many workers run, a request is polled once per due time, by one of them. Nothing is
kept per request in memory and nothing is rebuilt at start-up; the orphan and lease sweeps are
queries on the same table, run by the tick every `sweep_seconds`.

A poll fetches the request from Motive, hands the answer to `decision.decide`, and acts on the
outcome: record and wait, deliver through `delivery.Deliverer` (exactly once), or finish with a
reason.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_sdk.web.async_client import AsyncWebClient

from bot.access.policy import known_position
from bot.background import Background
from bot.config import Settings
from bot.metrics import DELIVERY_LAG, REQUESTS, UNKNOWN_STATUS
from bot.store.models import DONE, FAILED, PENDING, TRACKING, UNKNOWN, TrackedRequest
from bot.store.queue import Progress
from bot.store.requests import Store
from bot.tracking import snapshot_group
from bot.tracking.decision import (
    DeliverRecall,
    Failed,
    Fetched,
    GaveUp,
    Outcome,
    Schedule,
    Wait,
    decide,
)
from bot.tracking.delivery import Deliverer, Refused, problem_words
from bot.tracking.schedule import safety_net_delay
from bot.tracking.trust import WebhookTrust
from motive.client import MotiveClient
from motive.clock import Clock
from motive.errors import MotiveError
from motive.models import Recall
from motive.rules import RecallRequest, SnapshotRequest

log = logging.getLogger(__name__)

# The block id prefix of an anchor carrying a Motive id its database did not take (a process
# stopped with the database away; bot.requests.submit puts it there).
MADE_MARKER = "motive-made-"
# How long a claim holds: longer than a poll with all its retries can take.
LEASE = timedelta(minutes=2)
BATCH = 200  # requests claimed and released per store statement
POLLS_AT_ONCE = 8  # polls of one worker in flight together
# A delivery can outlast a poll's lease: Slack's retries (up to 4 x 15 s and Retry-After), the
# media download (15 s), the upload (60 s), the share. Before one starts its claim is stretched to
# this, so the sweep cannot hand the row to another worker halfway and post it twice.
DELIVERY_LEASE = timedelta(minutes=10)
# How long a create may hold its "creating" row (the create's own retries fit well inside);
# past it, with nobody holding the row, the sweep calls it an orphan.
CREATE_LEASE = timedelta(minutes=5)
ORPHAN_UNKNOWN = (
    "The bot stopped while asking Motive for this request, so it may or may not exist there. "
    "Check the Motive dashboard before asking again."
)
ORPHAN_NOTHING = (
    "The bot stopped before asking Motive, so nothing was requested and no quota was spent. "
    "Ask again when you are ready."
)
# Slack would not take a delivery for now: try again after as long as it has been failing (this
# at least, that at most), and stop trying once it has failed for a day.
RETRY_DELIVERY = timedelta(seconds=30)
RETRY_DELIVERY_LONGEST = timedelta(minutes=15)
DELIVERY_GIVE_UP = timedelta(hours=24)
RETRY_INTERNAL = timedelta(seconds=60)  # a poll failed in the bot itself


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
        tick_seconds: float = 1.0,
        rng: random.Random | None = None,
        background: Background | None = None,
        delivery: Deliverer | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.motive = motive
        self.slack = slack
        self.clock = clock
        self.worker_id = worker_id
        self.sweep_seconds = sweep_seconds
        self.tick_seconds = tick_seconds
        self.rng = rng or random.Random()
        self.scheduler: AsyncIOScheduler | None = AsyncIOScheduler() if run_scheduler else None
        self.polls = 0
        self.background = background or Background()
        self.delivery = delivery or Deliverer(store=store, slack=slack, motive=motive, clock=clock)
        # After an outage thousands of requests are overdue at once; poll a few at a time rather
        # than exhaust the database pool and Motive's rate limit together.
        self._poll_slots = asyncio.Semaphore(POLLS_AT_ONCE)
        self._batch: dict[int, asyncio.Future[None]] | None = None
        self._ticking: asyncio.Task[None] | None = None
        self._again = False  # woken while a tick ran: it goes round once more
        self._stopping = False
        self._short = False  # Motive's rate limit was spent at the last claim
        self._last_sweep = float("-inf")  # on the event loop's clock (scheduling, not domain time)
        # Told when a request starts, changes Motive status or ends (the Home tab refreshes).
        self.on_change: Callable[[TrackedRequest], None] | None = None
        self.trust = WebhookTrust(store, clock)
        self._announced: set[int] = set()  # requests whose poll is a webhook's fetch

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        if self.scheduler is None:
            return
        if self.store.is_sqlite:
            cleared = await self.store.clear_claims()
            if cleared:
                log.info("cleared %d claim(s) left by a previous run", cleared)
        # With PostgreSQL a claim left by a crashed worker holds for the rest of its lease.
        self._stopping = False
        self.scheduler.add_job(
            self.tick,
            "interval",
            seconds=self.tick_seconds,
            id="tick",
            next_run_time=datetime.now(UTC),  # the first at once: what fell due while stopped
            max_instances=1,
            coalesce=True,
        )
        self.scheduler.start()

    async def stop(self, drain_seconds: float = 10.0) -> None:
        """Stop polling, let work already started finish (briefly), then cancel the rest.
        Nothing is lost either way: what did not finish is still in the store, claimed by
        nobody once its lease runs out (at once on SQLite, at the next start)."""
        self._stopping = True
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self.background.stop(drain_seconds)

    @property
    def running(self) -> bool:
        return self.scheduler is not None and bool(self.scheduler.running)

    async def tick(self) -> None:
        """The scheduler's one job, and the wake-up: start a round of claiming and polling due
        requests, unless one is under way (then that round goes once more). Returns at once:
        the round runs in the background group, as every poll does, so a stop drains it rather
        than cancelling it in the middle of a store call. (Cancelled inside an aiosqlite call,
        SQLAlchemy closes the connection under a shield that never returns: the event loop
        could not close.)"""
        if self._stopping:
            return
        if self._ticking is not None and not self._ticking.done():
            self._again = True
            return
        self._ticking = self.background.spawn(self._rounds())

    def wake(self) -> None:
        """Something is due now (a new request, a webhook): tick without waiting for the next
        interval. Only a worker ticks; a web replica leaves it to the workers' next tick."""
        if self.running:
            self.background.spawn(self.tick())

    async def _rounds(self) -> None:
        while not self._stopping:
            self._again = False
            loop = asyncio.get_running_loop()
            if loop.time() - self._last_sweep >= self.sweep_seconds:
                self._last_sweep = loop.time()
                try:
                    await self.resolve_orphans()
                except Exception:
                    log.exception("resolving orphaned requests failed; trying again next sweep")
            try:
                await self.poll_due()
            except Exception:
                log.exception("claiming due requests failed; trying again next tick")
            if not self._again:
                return

    async def poll_due(self) -> int:
        """Claim and poll the requests due now, a batch at a time and the most overdue first,
        until none is left, Motive's rate limit is spent for now, or the worker stops. Returns
        how many were polled."""
        polled = 0
        limiter = self.motive.limiter
        while not self._stopping:
            limit = BATCH
            if limiter is not None and self._short:
                # The budget ran out last time: take it first, and claim no more than it allows.
                limit = await limiter.reserve(BATCH)
                if limit == 0:
                    break
            rows = await self.store.claim_due(self.worker_id, self.clock.now(), LEASE, limit)
            if limiter is not None and not self._short and rows:
                granted = await limiter.reserve(len(rows))
                if granted < len(rows):
                    # More is due than Motive's limit allows now: the most overdue go first,
                    # the rest go back to the queue, due as they were.
                    rows.sort(key=lambda r: (r.next_poll_at or self.clock.now(), r.id))
                    rows, over = rows[:granted], rows[granted:]
                    await self.store.release_many(self.worker_id, [(r.id, None) for r in over])
                    self._short = True
            elif len(rows) < limit or limit == BATCH:
                self._short = False  # the queue is drained, or the budget covered a batch
            if rows:
                await self._poll_claimed_rows(rows)
                polled += len(rows)
            if self._short or len(rows) < limit:
                break
        return polled

    async def resolve_orphans(self) -> None:
        """Requests left "creating" by a process that stopped (its hold lapsed, or was cleared
        at start-up): if the create never went out, nothing was requested, and the key is free;
        otherwise Motive may or may not have it, and the anchor says so. That row stays in the
        duplicate set (nobody re-asks blindly) until its deadline. Found by every sweep, not
        only at start-up."""
        now = self.clock.now()
        for row in await self.store.orphans(now, CREATE_LEASE):
            if not await self.store.claim(row.id, self.worker_id, now, LEASE):
                continue  # another worker got to it, or the creator came back
            made = None
            if row.create_sent_at is not None:
                made = await self.delivery.made_on_anchor(row, MADE_MARKER)
            if made is not None:
                # A process stopped with Motive's answer in hand and its database away: it left
                # the id on the anchor. Followed from here like any request.
                await self.store.set(
                    row.id,
                    motive_id=made,
                    state=TRACKING,
                    motive_status=PENDING,
                    next_poll_at=now,
                    last_error=None,
                    claimed_by=None,
                    claimed_until=None,
                )
                log.warning(
                    "request %s: following Motive's %s %s, found on its anchor",
                    row.id,
                    row.kind,
                    made,
                )
                # Due now: the tick's claim takes it next (this sweep runs in the tick).
            elif row.create_sent_at is None:
                await self.store.finish(row.id, FAILED, now, ORPHAN_NOTHING)
                await self.delivery.update_anchor(row, "failed", ORPHAN_NOTHING)
                REQUESTS.labels(kind=row.kind, outcome="orphan_not_sent").inc()
            else:
                await self.store.set(
                    row.id,
                    state=UNKNOWN,
                    last_error=ORPHAN_UNKNOWN,
                    claimed_by=None,
                    claimed_until=None,
                )
                await self.delivery.update_anchor(row, "unknown", ORPHAN_UNKNOWN)
                await self.delivery.final_problem(row, ORPHAN_UNKNOWN)
                REQUESTS.labels(kind=row.kind, outcome="orphan_unknown").inc()
        for row in await self.store.lapsed_unknowns(now):
            # Whatever Motive did with it has ended by now: let the same request be asked again.
            await self.store.set(row.id, finished_at=now)

    # --- polling --------------------------------------------------------------------------

    async def track(self, row: TrackedRequest) -> None:
        """Hand-over from the Slack side: Motive has accepted the request."""
        now = self.clock.now()
        when = row.next_poll_at or now
        if row.kind == "recall" and await self.trust.trusted():
            # The webhook will say when it is done; the first poll is already the safety net.
            net = now + timedelta(seconds=safety_net_delay(0.0, draw=self.rng.uniform(-1.0, 1.0)))
            if net > when:
                when = row.next_poll_at = net
                await self.store.set(row.id, next_poll_at=net)
        if when <= now:
            self.wake()
        self.changed(row)

    def changed(self, row: TrackedRequest) -> None:
        if self.on_change is not None:
            self.on_change(row)

    async def poll_motive_id(self, kind: str, motive_id: str) -> bool:
        """A webhook named this request: fetch it now (its payload's status is not trusted)."""
        row = await self.store.by_motive_id(kind, motive_id)
        if row is None and kind == "recall":
            row = await self._adopt(motive_id)
        if row is None:
            return False
        # The request, and any that follow the same Motive request for other askers.
        rows = await self.store.tracking_by_motive_id(kind, motive_id)
        if not rows:
            return False
        ids = [r.id for r in rows]
        self._announced.update(ids)
        try:
            await asyncio.gather(*(self.poll(i) for i in ids))
        finally:
            self._announced.difference_update(ids)
        return True

    async def _adopt(self, motive_id: str) -> TrackedRequest | None:
        """A webhook about a recall we hold no id for: perhaps the one an ambiguous create made.
        Motive can tell: if the recall is for the same unit, window and type as an open
        "outcome unknown" request, and its cameras are the ones asked for (or fewer: a unit
        without one of them), that request is followed from now on. A recall of other cameras
        is someone else's (made in the Motive dashboard, say) and is never handed over; what is
        adopted is delivered through the policy like any result (`Deliverer.routes`)."""
        waiting = await self.store.open_unknowns("recall")
        if not waiting:
            return None
        try:
            recall = await self.motive.recalls.retrieve(motive_id)
        except MotiveError:
            return None
        for row in waiting:
            if made_by(row.request, recall) and cameras_fit(row.request, recall):
                await self.store.start_tracking(row.id, recall.id, recall, self.clock.now())
                await self.store.set(row.id, last_error=None)
                adopted = await self.store.get(row.id)
                if adopted is not None:
                    await self.delivery.update_anchor(adopted, recall.status)
                log.info("request %s: Motive's recall %s is the one asked for", row.id, recall.id)
                return adopted
        return None

    async def poll(self, request_id: int) -> None:
        """Poll one request now, due or not (a webhook named it, a group's leader is waited on,
        a test): it is made due now and claimed as the tick claims, so if any worker holds it
        this does nothing. Polls asked for together share their store statements: the request
        joins the current batch, and this returns when that batch is done."""
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
                request_ids[start : start + BATCH], self.worker_id, now, LEASE, due_now=True
            )
            await self._poll_claimed_rows(rows)

    async def _poll_claimed_rows(self, rows: list[TrackedRequest]) -> None:
        """Poll rows this worker has claimed, a few at a time, then release them all with what
        each poll learnt, in one statement per batch."""
        results = await asyncio.gather(*(self._poll_one(row) for row in rows))
        await self.store.release_many(
            self.worker_id, [(row.id, got) for row, got in zip(rows, results, strict=True)]
        )

    async def _poll_one(self, row: TrackedRequest) -> Progress | None:
        async with self._poll_slots:
            try:
                return await self._poll_claimed(row)
            except Refused as e:
                await self._refused(row, e.code)
                return None
            except Exception:
                log.exception("poll of request %s failed; retrying later", row.id)
                return Progress(
                    next_poll_at=self.clock.now() + RETRY_INTERNAL, last_error="internal error"
                )

    async def fetch(self, row: TrackedRequest) -> Fetched:
        """Ask Motive about a claimed request (counted in `polls`); an error is an answer too
        (the decision weighs it)."""
        assert row.motive_id is not None
        self.polls += 1
        try:
            if row.kind == "recall":
                return await self.motive.recalls.retrieve(row.motive_id)
            return await self.motive.image_captures.retrieve(
                row.camera_type or "dashcam", row.motive_id
            )
        except MotiveError as e:
            return e

    async def poll_schedule(self) -> Schedule:
        """This poll's schedule for `decision.decide`: the settings' poll times, a fresh jitter
        draw, and whether Motive's webhook is trusted now."""
        return Schedule(
            first=self.settings.poll_first_seconds,
            longest=self.settings.poll_max_seconds,
            jitter=self.rng.uniform(-1.0, 1.0),
            webhook_trusted=await self.trust.trusted(),
        )

    async def _poll_claimed(self, row: TrackedRequest) -> Progress | None:
        """Fetch, decide, act. Returns what to record with the release (None: it ended)."""
        if row.group_id is not None:
            return await snapshot_group.poll(self, row)
        fetched = await self.fetch(row)
        # Timed from the answer: the client may have waited out Retry-After on its retries.
        answered = self.clock.now()
        schedule = await self.poll_schedule()
        outcome = decide(row, fetched, answered, schedule, announced=row.id in self._announced)
        return await self.act_on(row, outcome, answered)

    async def act_on(self, row: TrackedRequest, outcome: Outcome, now: datetime) -> Progress | None:
        """Carry out a claimed request's poll outcome (`now`: when Motive answered): record it
        and wait, deliver it (exactly once), or finish the request with its reason. Returns what
        to record with the release of the claim (None: the request ended)."""
        if isinstance(outcome, Wait):
            if outcome.unknown_status is not None:
                UNKNOWN_STATUS.labels(kind=row.kind, status=outcome.unknown_status[:64]).inc()
                log.warning(
                    "request %s: Motive answered status %r, which the bot does not know; "
                    "still waiting",
                    row.id,
                    outcome.unknown_status,
                )
            if outcome.answer is not None:
                moved = row.motive_status != outcome.answer.status
                row.motive_status = outcome.answer.status
                if moved and self.on_change is not None:
                    # Written now rather than with the release, so the refresh reads it.
                    await self.store.record_answer(row.id, outcome.answer)
                    self.changed(row)
                await self.delivery.update_anchor(
                    row, outcome.answer.status, motive_word=outcome.unknown_status is not None
                )
            return Progress(
                next_poll_at=outcome.until,
                last_error=outcome.error,
                attempts=outcome.attempts,
                answer=outcome.answer,
            )
        if isinstance(outcome, DeliverRecall | Failed) and outcome.unannounced:
            await self.trust.distrust(row.motive_id or str(row.id), self.rng)
        if isinstance(outcome, Failed | GaveUp):
            if outcome.answer is not None:
                await self.store.record_answer(row.id, outcome.answer)
            status = "gave_up" if isinstance(outcome, GaveUp) else "failed"
            done = await self.finish(row, FAILED, status, problem_words(outcome))
            return None if done else await self.retry_delivery(row, now)
        answer = outcome.recall if isinstance(outcome, DeliverRecall) else outcome.capture
        if not await self.store.extend_claim(row.id, self.worker_id, now + DELIVERY_LEASE):
            log.warning("request %s: lost its claim before delivering; leaving it", row.id)
            return None
        if row.motive_done_at is None:
            row.motive_done_at = now
        await self.store.record_answer(row.id, answer, motive_done_at=row.motive_done_at)
        if isinstance(outcome, DeliverRecall):
            delivered = await self.delivery.recall_links(row, outcome.recall)
            status = outcome.status
        else:
            delivered = await self.delivery.snapshot(row, outcome.url, outcome.image.expires_at)
            status = "success"
        if not delivered:
            # Slack would not take it now; come back, fetch fresh links, and try again.
            return await self.retry_delivery(row, now)
        await self.finish(row, DONE, status, None)
        return None

    async def retry_delivery(self, row: TrackedRequest, now: datetime) -> Progress:
        """When to try a delivery Slack failed again: a wait as long as it has been failing
        (30 s to 15 min). After a day of failures: Refused, as a refusal for good is."""
        since = await self.store.delivery_pending_since(row.id) or now
        failing = now - since
        if failing > DELIVERY_GIVE_UP:
            hours = int(DELIVERY_GIVE_UP.total_seconds() // 3600)
            raise Refused(f"still failing after {hours} hours")
        wait = min(max(RETRY_DELIVERY, failing), RETRY_DELIVERY_LONGEST)
        return Progress(next_poll_at=now + wait, last_error="Slack delivery failed")

    async def _refused(self, row: TrackedRequest, code: str) -> None:
        """Slack refused the delivery for good: the request ends (no retry loop), the anchor
        says why, the requester is told by DM, the audit trail records it."""
        why = f"Slack refused the delivery ({code}); nothing more will be tried."
        log.warning("request %s: %s", row.id, why)
        await self.store.finish(row.id, FAILED, self.clock.now(), why)
        await self.delivery.update_anchor(row, "failed", why)
        await self.delivery.refused(row, code)
        REQUESTS.labels(kind=row.kind, outcome="slack_refused").inc()
        self.changed(row)

    async def finish(
        self, row: TrackedRequest, state: str, status: str, problem: str | None
    ) -> bool:
        """The last word on a request: the thread reply saying `problem` (if any), the anchor's
        `status`, and its final `state` (DONE or FAILED) in the store; the Home tab is told.
        False if Slack would not take the reply (nothing is recorded then)."""
        if problem is not None and not await self.delivery.final_problem(row, problem):
            return False
        now = self.clock.now()
        await self.store.finish(row.id, state, now, problem)
        await self.delivery.update_anchor(row, status)
        if row.motive_done_at is not None and state == DONE:
            DELIVERY_LAG.observe(max(0.0, (now - row.motive_done_at).total_seconds()))
        REQUESTS.labels(kind=row.kind, outcome=status).inc()
        self.changed(row)
        return True


def cameras_fit(request: RecallRequest | SnapshotRequest, recall: Recall) -> bool:
    """Whether Motive's recall holds only cameras the request asked for (all of them, or fewer:
    Motive records only what the unit has). A camera the bot does not recognise is not one
    that was asked for."""
    if not isinstance(request, RecallRequest):
        return False
    got = [known_position(c.position) for c in recall.cameras]
    if any(p is None for p in got):
        return False
    if request.camera_positions is None:
        return True  # every camera was asked for (the policy let this requester)
    return set(got) <= set(request.camera_positions)


def made_by(request: RecallRequest | SnapshotRequest, recall: Recall) -> bool:
    """Whether Motive's recall is the one this request asked for (unit, window and type)."""
    if not isinstance(request, RecallRequest):
        return False
    unit = recall.vehicle.number if request.target.kind == "vehicle" and recall.vehicle else None
    if request.target.kind == "asset" and recall.asset:
        unit = recall.asset.name
    return (
        unit is not None
        and unit.casefold() == request.target.name.casefold()
        and recall.start_time == request.start_time
        and recall.end_time == request.end_time
        and (recall.recall_type or "regular") == request.recall_type.value
    )
