"""From a valid request to Motive: pre-flight checks, the anchor message, the create, the hand-over.

Runs after the Slack request has been acknowledged; never on the ack path.
"""

from __future__ import annotations

import asyncio
import logging
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.access.audit import Subject
from bot.access.privacy import decision_word, narrow, narrowed_note, refusal
from bot.metrics import REQUESTS
from bot.render import blocks as bk
from bot.render.timefmt import slack_window
from bot.requests.follow import can_open, follow
from bot.slack_api.web import (
    SLACK_FAILURES,
    Place,
    Reply,
    permalink,
    post_anchor,
    slack_error,
    update,
)
from bot.store.database import DATABASE_FAILURES
from bot.store.models import FAILED, PENDING, TRACKING, UNKNOWN, Answer, TrackedRequest, answer_dump
from bot.store.opening import DailyLimitReached
from bot.tracking import whereabouts
from bot.tracking.delivery import anchor_of
from bot.tracking.schedule import next_delay
from bot.tracking.worker import CREATE_LEASE, MADE_MARKER
from motive.errors import (
    InternalServerError,
    MotiveError,
    OutcomeUnknownError,
    QuotaExhaustedError,
    UnexpectedResponseError,
)
from motive.rules import RecallRequest, SnapshotRequest

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Asker:
    user: str
    channel: str
    reply: Reply
    note: str | None = None
    thread_ts: str | None = None  # post into this thread of `channel`, not the channel root
    # The user said `again`: ask even though the same request is open (they were pointed to it).
    insist: bool = False


async def submit(
    svc: Services, request: RecallRequest | SnapshotRequest, asker: Asker
) -> int | None:
    """Check, post the anchor, create at Motive, hand over. Returns the tracked row id, if any."""
    try:
        return await _submit(svc, request, asker)
    except MotiveError as e:
        # A pre-flight call failed (Motive down, key refused...): nothing was created.
        REQUESTS.labels(kind=_kind(request), outcome="preflight_error").inc()
        await asker.reply(*bk.problem(f"I could not check this with Motive: {e.message}"))
    except SLACK_FAILURES as e:
        log.warning("Slack refused while submitting: %s", slack_error(e))
        await asker.reply(*bk.problem(f"Slack refused to post the request ({slack_error(e)})."))
    return None


def _kind(request: RecallRequest | SnapshotRequest) -> str:
    return "recall" if isinstance(request, RecallRequest) else "snapshot"


def ambiguous(e: MotiveError) -> bool:
    """Whether a failed create may have been carried out all the same: no answer after the body
    went out, a 5xx other than 503 (a proxy's 502/504 can follow a create that happened), or a
    2xx whose body we cannot read. Those are never retried: the user is told to check."""
    if isinstance(e, OutcomeUnknownError | UnexpectedResponseError):
        return True
    return isinstance(e, InternalServerError) and e.status_code != 503


async def _submit(
    svc: Services, request: RecallRequest | SnapshotRequest, asker: Asker
) -> int | None:
    kind = _kind(request)
    # The policy first: before the anchor, before any Motive call (a refusal is audited there).
    decision = await svc.privacy.decide_request(request, asker.user, asker.channel)
    if not decision.allowed:
        REQUESTS.labels(kind=kind, outcome="policy_refused").inc()
        await asker.reply(*refusal(decision))
        return None
    request = narrow(request, decision)
    if (narrowed := narrowed_note(decision)) is not None:
        asker = replace(asker, note=_join(asker.note, narrowed))

    async def audit(outcome: str, row: TrackedRequest | None = None) -> None:
        await svc.privacy.audit.record(
            "request",
            user=asker.user,
            channel=asker.channel,
            subject=Subject.of(request),
            decision=decision_word(decision),
            rule=decision.rule,
            request_id=row.id if row else None,
            motive_id=row.motive_id if row else None,
            outcome=outcome,
        )

    async def duplicate(existing: TrackedRequest) -> None:
        REQUESTS.labels(kind=kind, outcome="duplicate_local").inc()
        await audit(f"not sent: the same request #{existing.id} is still in flight")
        await point_to(svc, existing, asker, request)

    now = svc.clock.now()
    if isinstance(request, RecallRequest):
        deadline = now + timedelta(hours=svc.settings.recall_deadline_hours)
    else:
        deadline = now + timedelta(minutes=svc.settings.snapshot_deadline_minutes)
    row = TrackedRequest.new(
        request,
        requester=asker.user,
        channel=asker.channel,
        note=asker.note,
        now=now,
        deadline=deadline,
    )
    if asker.insist:
        # Its own key, so it stands beside the open one; two `again`s in one second are one.
        row.dedupe_key = f"{row.dedupe_key}#again:{now:%Y%m%dT%H%M%S}"
    # The claim, before any network call: of requests for the same thing arriving together
    # (here or on another replica) the database lets the first through; the others are pointed
    # to it. One person's daily minutes are counted in the same transaction.
    held = await _claim(svc, row, asker)
    if held is None:
        return None
    if held is not row:
        await duplicate(held)
        return None
    lookup = whereabouts.start_lookup(svc, request)
    try:
        checked = Preflight(go=True)
        if isinstance(request, RecallRequest):
            checked = await _recall_preflight(svc, request, asker)
        if not checked.go:
            await svc.store.release(row.id)
            await audit("not sent: the pre-flight check stopped it (no footage or quota)")
            return None
        text, blocks = bk.anchor(anchor_of(row, "creating", checked.note))
        place = await post_creating_anchor(svc, row, asker, text, blocks)
    except BaseException:
        # Nothing went to Motive: free the key (shielded, so a shutdown cannot skip it).
        await asyncio.shield(svc.store.release(row.id))
        raise
    row.create_sent_at = svc.clock.now()
    # From here a crash leaves "creating" with the create possibly sent: reported, never repeated.
    await svc.store.set(
        row.id,
        channel=place.channel,
        anchor_ts=place.ts,
        thread_ts=row.thread_ts,
        create_sent_at=row.create_sent_at,
    )

    answer: Answer
    ASKED_MOTIVE.set(True)
    try:
        if isinstance(request, RecallRequest):
            answer = await svc.motive.recalls.create(request)
            motive_id = answer.id
        else:
            answer = await svc.motive.image_captures.create(request)
            motive_id = answer.request_id
    except asyncio.CancelledError:
        # A shutdown that would not wait for the create: say what we know, which is little.
        await asyncio.shield(_unknown(svc, row, place, SHUTDOWN_UNKNOWN))
        await asyncio.shield(audit(f"unknown: {SHUTDOWN_UNKNOWN}", row))
        raise
    except MotiveError as e:
        if ambiguous(e):
            await _unknown(
                svc,
                row,
                place,
                f"{e.message} It may or may not have been created: check the Motive dashboard "
                "before asking again.",
            )
            await audit(f"unknown: {e.message}", row)
        else:
            await _end(svc, row, place, FAILED, "refused", motive_refusal(e))
            await audit(motive_refusal(e), row)
        return row.id

    first = next_delay(
        kind, 0, first=svc.settings.poll_first_seconds, longest=svc.settings.poll_max_seconds
    )
    row.motive_id, row.state = motive_id, TRACKING
    row.motive_status, row.answer_data = PENDING, answer_dump(answer)
    row.next_poll_at = svc.clock.now() + timedelta(seconds=first)
    try:
        await keep(svc, row, answer)
    except asyncio.CancelledError:
        await asyncio.shield(_left_unstored(svc, row, place))
        raise
    # Where and who at the minute, if Motive's locations answered in time (asked beside the
    # pre-flight checks: by now it has had their time and the create's).
    row.whereabouts = await whereabouts.outcome(lookup)
    if row.whereabouts is not None:
        try:
            await svc.store.set(row.id, whereabouts=row.whereabouts)
        except DATABASE_FAILURES as e:  # context only: shown now, not kept
            log.warning("request %s: where and who not kept: %r", row.id, e)
    text, blocks = bk.anchor(anchor_of(row, "pending", checked.note))
    await update(svc.slack, place, text, blocks)
    REQUESTS.labels(kind=kind, outcome="requested").inc()
    try:
        await audit("requested", row)
        await svc.tracker.track(row)
    except DATABASE_FAILURES as e:
        # Stored and being followed (the sweep schedules what it finds due): only logged.
        log.warning("request %s: after its hand-over the database failed: %r", row.id, e)
    return row.id


# Once a create has gone to Motive in this task, nobody is told "nothing was requested".
ASKED_MOTIVE: ContextVar[bool] = ContextVar("asked_motive", default=False)
# Between tries to store what Motive made while the database is away: the first wait, the longest.
STORE_RETRY_FIRST, STORE_RETRY_LONGEST = 0.5, 10.0


def made_but_unstored(motive_id: str) -> str:
    return f"Motive made request {motive_id}; I will follow it when my database is back."


async def keep(svc: Services, row: TrackedRequest, answer: Answer) -> None:
    """Store Motive's id for `row`, however long the database is away: what Motive made is
    never lost while the process runs (a stop meanwhile: see `_left_unstored`)."""
    assert row.motive_id is not None and row.next_poll_at is not None
    delay = STORE_RETRY_FIRST
    while True:
        try:
            await svc.store.start_tracking(row.id, row.motive_id, answer, row.next_poll_at)
            return
        except DATABASE_FAILURES as e:
            log.warning(
                "request %s: Motive made %s %s, but I could not store it (%s); trying again "
                "in %.1f s",
                row.id,
                row.kind,
                row.motive_id,
                type(e).__name__,
                delay,
            )
        await asyncio.sleep(delay)
        delay = min(delay * 2, STORE_RETRY_LONGEST)


async def _left_unstored(svc: Services, row: TrackedRequest, place: Place) -> None:
    """The process stops with Motive's id still not stored: it goes on the anchor (marked, so
    the sweep that finds this request orphaned follows it) and in the log, for a human."""
    assert row.motive_id is not None
    log.warning(
        "request %s: Motive made %s %s and the bot stopped before its database took it; the "
        "anchor %s/%s carries the id and the bot follows it once the database is back (check "
        "it by hand if it does not)",
        row.id,
        row.kind,
        row.motive_id,
        place.channel,
        place.ts,
    )
    text, blocks = bk.anchor(anchor_of(row, "pending", made_but_unstored(row.motive_id)))
    await update(svc.slack, place, text, bk.marked(blocks, f"{MADE_MARKER}{row.motive_id}"))


async def _claim(svc: Services, row: TrackedRequest, asker: Asker) -> TrackedRequest | None:
    """`row` opened, or the open request for the same thing; None when the daily limit said
    no (the asker has been told, and the refusal audited)."""
    request = row.request
    for _ in range(3):
        limit = None
        if isinstance(request, RecallRequest):
            limit = await svc.privacy.daily_limit(asker.user)
        try:
            return await svc.store.open_request(
                row,
                worker=svc.tracker.worker_id,
                lease=CREATE_LEASE,
                overlap=not asker.insist,
                limit=limit,
            )
        except DailyLimitReached:
            # Another recall of theirs was claimed since the policy's check: ask the policy
            # again, now that it counts (its words, its audit row).
            decision = await svc.privacy.check(request, asker.user, asker.channel)
            if not decision.allowed:
                REQUESTS.labels(kind=row.kind, outcome="policy_refused").inc()
                await asker.reply(*refusal(decision))
                return None
            # That recall was dropped meanwhile (its pre-flight said no): claim again.
    raise RuntimeError("the daily limit and the policy disagree")  # pragma: no cover


def _join(*notes: str | None) -> str | None:
    return " ".join(n for n in notes if n) or None


SHUTDOWN_UNKNOWN = (
    "The bot was stopped while Motive was creating this request, so it may or may not exist "
    "there. Check the Motive dashboard before asking again."
)
# How long a duplicate waits for the first request's anchor, to link to it.
ANCHOR_WAIT_SECONDS = 3.0


async def post_creating_anchor(
    svc: Services, row: TrackedRequest, asker: Asker, text: str, blocks: list[bk.Block]
) -> Place:
    """The anchor of `row` (a request, or a snapshot group's leader) where the asker is, posted
    at most once (marked with the row's id, looked for before a second try), and noted on the
    row: its channel and ts, and the asker's thread when it went there."""
    place = await post_anchor(
        svc.slack,
        asker.channel,
        asker.user,
        text,
        blocks,
        asker.reply,
        asker.thread_ts,
        marker=f"anchor-{row.id}",
    )
    row.channel, row.anchor_ts = place.channel, place.ts
    if asker.thread_ts and place.channel == asker.channel:
        row.thread_ts = asker.thread_ts
    return place


async def point_to(
    svc: Services,
    existing: TrackedRequest,
    asker: Asker,
    request: RecallRequest | SnapshotRequest | None = None,
) -> None:
    """Privately: who asked for it already, and a link to its thread, when the asker can open
    that thread (the same channel, or their own DM). Otherwise nothing of it is revealed: the
    asker gets an anchor of their own that follows the same Motive request (`follow`).
    `request`: what this asker asked for, when it may only overlap the one in flight."""
    row: TrackedRequest | None = existing
    waited = 0.0
    # The first asker may be a moment behind (checking with Motive before posting its anchor).
    while row is not None and row.anchor_ts is None and waited < ANCHOR_WAIT_SECONDS:
        await asyncio.sleep(0.1)
        waited += 0.1
        row = await svc.store.get(existing.id)
    if row is None:
        # It was dropped meanwhile (a pre-flight check said no): that answer was sent to its
        # asker; this one gets its own by asking again.
        await asker.reply(
            *bk.problem(
                "The same request was just asked for and turned down before reaching Motive; "
                "ask again to see why."
            )
        )
        return
    if not can_open(row, asker.user, asker.channel):
        await follow(
            svc,
            row,
            user=asker.user,
            channel=asker.channel,
            reply=asker.reply,
            note=asker.note,
            thread_ts=asker.thread_ts,
        )
        return
    link = await permalink(svc.slack, row.channel, row.anchor_ts)
    await asker.reply(*already_asked(row, link, asker.user, request))


def already_asked(
    row: TrackedRequest,
    link: str | None,
    user: str,
    request: RecallRequest | SnapshotRequest | None = None,
) -> tuple[str, list[bk.Block]]:
    who = "you" if row.requester == user else f"<@{row.requester}>"
    existing = row.request
    overlap = (
        isinstance(request, RecallRequest)
        and isinstance(existing, RecallRequest)
        and (request.start_time, request.end_time) != (existing.start_time, existing.end_time)
    )
    # A recall can be asked for anyway with `again` (a snapshot's duplicate lasts seconds).
    again = " Add `again` to the command to ask anyway." if row.kind == "recall" else ""
    if row.state == UNKNOWN:
        again = ""
        status = (
            "Motive may or may not have created it (check the Motive dashboard); "
            "if it did not, add `again` to ask anyway"
        )
    else:
        status = "the result will be posted in its thread"
    if link:
        where = f"follow it here: <{link}|the thread>"
    elif row.anchor_ts:
        where = f"follow it in <#{row.channel}>"
    else:
        where = "its thread will appear in the channel"
    if overlap and isinstance(existing, RecallRequest):
        head = (
            "Your recall overlaps a recall already in flight for the same cameras "
            f"({slack_window(existing.start_time, existing.end_time)}), asked for by {who}"
        )
        plain = "Already asked for: your recall overlaps one already in flight."
    else:
        head = f"The same request is already in flight, asked for by {who}"
        plain = "Already asked for: the same request is already in flight."
    text = (
        f":repeat: {head}: {where}. {status[:1].upper()}{status[1:]}. "
        f"No quota was spent on this one.{again}"
    )
    return plain, [bk.section(text)]


def form_failed(command: str, e: BaseException) -> tuple[str, list[bk.Block]]:
    """`views.open` failed (an expired trigger, Slack down): say so, and how to ask without it."""
    example = "/recall TRK-101 14:05 2m" if command == "/recall" else "/snapshot TRK-101 front"
    log.warning("views.open for %s failed: %s", command, slack_error(e))
    return bk.problem(
        f"I could not open the {command} form (Slack answered {slack_error(e)}). Try {command} "
        "again, or type the request in one line.",
        example,
    )


async def _unknown(svc: Services, row: TrackedRequest, place: Place, why: str) -> None:
    """An ambiguous create: stays open (in the duplicate set, never re-sent blindly)."""
    await svc.store.set(row.id, state=UNKNOWN, last_error=why, claimed_by=None, claimed_until=None)
    text, blocks = bk.anchor(anchor_of(row, "unknown", why))
    await update(svc.slack, place, text, blocks)
    REQUESTS.labels(kind=row.kind, outcome="unknown").inc()


def motive_refusal(e: MotiveError) -> str:
    if isinstance(e, QuotaExhaustedError):
        return f"Motive refused: the monthly quota is spent ({e.message})"
    return f"Motive refused the request: {e.message}"


async def _end(
    svc: Services, row: TrackedRequest, place: Place, state: str, status: str, why: str
) -> None:
    await svc.store.set(
        row.id,
        state=state,
        finished_at=svc.clock.now(),
        last_error=why,
        claimed_by=None,
        claimed_until=None,
    )
    text, blocks = bk.anchor(anchor_of(row, status, why))
    await update(svc.slack, place, text, blocks)
    REQUESTS.labels(kind=row.kind, outcome=status).inc()
    svc.tracker.changed(row)


@dataclass(frozen=True)
class Preflight:
    go: bool
    note: str | None = None  # for the anchor: a check that could not be made


async def _recall_preflight(svc: Services, request: RecallRequest, asker: Asker) -> Preflight:
    """Footage for the window, and quota for its length, before a single minute is spent.

    A check that fails or does not parse (Motive down, or one of our guesses about its API
    wrong) does not block: the recall goes ahead with a note on the anchor, and Motive's own
    answer to the create decides. Only a clear "no" stops it here.
    """
    # Both answers are needed before deciding; ask for them at once.
    timelines, quota = await asyncio.gather(
        svc.motive.recalls.timelines(request.target),
        svc.motive.recalls.quota(),
        return_exceptions=True,
    )
    unchecked: list[tuple[str, str]] = []
    if isinstance(timelines, MotiveError):
        unchecked.append(("footage", timelines.message))
    elif isinstance(timelines, BaseException):
        raise timelines
    elif not timelines.covers(request.start_time, request.end_time):
        nearest = [
            (w.start_time, w.end_time)
            for w in timelines.nearest(request.start_time, request.end_time)
        ]
        REQUESTS.labels(kind="recall", outcome="no_footage").inc()
        await asker.reply(
            *bk.no_footage(request.target.label, request.start_time, request.end_time, nearest)
        )
        return Preflight(go=False)
    if isinstance(quota, MotiveError):
        unchecked.append(("quota", quota.message))
    elif isinstance(quota, BaseException):
        raise quota
    elif (remaining := quota.quota_info.remaining(request.recall_type.value)) is None:
        unchecked.append(("quota", "Motive's reply did not say how many minutes are left"))
    elif remaining < request.duration:
        REQUESTS.labels(kind="recall", outcome="no_quota").inc()
        await asker.reply(
            *bk.problem(
                f"Only {remaining} {request.recall_type.value} minutes are left in this month's "
                f"Motive quota; this recall needs {request.duration}. Ask for a shorter window, or "
                "ask your Motive admin for more quota. No quota was spent."
            )
        )
        return Preflight(go=False)
    if not unchecked:
        return Preflight(go=True)
    note = "; ".join(f"could not check {what} first: {why.rstrip('.')}" for what, why in unchecked)
    log.warning("pre-flight check skipped for a recall: %s", note)
    return Preflight(go=True, note=f"{note[:1].upper()}{note[1:]}. Motive's answer decides.")
