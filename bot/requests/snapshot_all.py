"""`/snapshot TRK-101 all` (and "All cameras" in the form): one anchor, one capture per camera,
followed as one request (see `bot.tracking.snapshot_group`). Runs after the ack."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.access.privacy import decision_word, narrow, narrowed_note, refusal, subject_of
from bot.metrics import REQUESTS
from bot.render import blocks as bk
from bot.requests.submit import (
    ASKED_MOTIVE,
    Asker,
    keep,
    motive_refusal,
    point_to,
    post_creating_anchor,
)
from bot.slack_api.web import SLACK_FAILURES, slack_error, update
from bot.store.models import FAILED, TRACKING, TrackedRequest
from bot.tracking.delivery import anchor_of
from bot.tracking.schedule import next_delay
from bot.tracking.snapshot_group import OWN_FAILED
from bot.tracking.worker import CREATE_LEASE
from motive.errors import MotiveError, OutcomeUnknownError
from motive.rules import SnapshotRequest

if TYPE_CHECKING:
    from bot.services import Services
    from motive.models import ImageCapture

log = logging.getLogger(__name__)


async def submit_all(svc: Services, requests: list[SnapshotRequest], asker: Asker) -> int | None:
    """Post the anchor, ask Motive for every capture, hand the group over. Returns the
    leader's row id (None when nothing was asked)."""
    try:
        return await _submit_all(svc, requests, asker)
    except SLACK_FAILURES as e:
        log.warning("Slack refused while submitting snapshots: %s", slack_error(e))
        await asker.reply(*bk.problem(f"Slack refused to post the request ({slack_error(e)})."))
    return None


async def _submit_all(svc: Services, requests: list[SnapshotRequest], asker: Asker) -> int | None:
    # The policy first, as for one camera: before the anchor, before any Motive call. "All
    # cameras" by someone who may not see in-cab images is narrowed to the other cameras.
    decision = await svc.privacy.decide_request(requests, asker.user, asker.channel)
    if not decision.allowed:
        REQUESTS.labels(kind="snapshot", outcome="policy_refused").inc()
        await asker.reply(*refusal(decision))
        return None
    requests = narrow(requests, decision)
    if (narrowed := narrowed_note(decision)) is not None:
        asker = replace(asker, note=" ".join(n for n in (asker.note, narrowed) if n))

    async def audit(outcome: str, leader: TrackedRequest | None = None) -> None:
        await svc.privacy.audit.record(
            "request",
            user=asker.user,
            channel=asker.channel,
            subject=subject_of(requests),
            decision=decision_word(decision),
            rule=decision.rule,
            request_id=leader.id if leader else None,
            outcome=outcome,
        )

    now = svc.clock.now()
    deadline = now + timedelta(minutes=svc.settings.snapshot_deadline_minutes)
    rows = [
        TrackedRequest.new(
            r,
            requester=asker.user,
            channel=asker.channel,
            note=asker.note,
            now=now,
            deadline=deadline,
        )
        for r in requests
    ]
    leader = rows[0]
    # The claim of every capture at once, before any network call: of identical groups sent
    # together the first is opened, the others are pointed to it.
    held = await svc.store.open_group(rows, worker=svc.tracker.worker_id, lease=CREATE_LEASE)
    if held is not leader:
        REQUESTS.labels(kind="snapshot", outcome="duplicate_local").inc()
        await audit(f"not sent: the same request #{held.id} is still in flight")
        await point_to(svc, held, asker)
        return None
    try:
        text, blocks = bk.anchor(anchor_of(leader, "creating"))
        place = await post_creating_anchor(svc, leader, asker, text, blocks)
    except BaseException:
        # Nothing went to Motive: free the keys (shielded, so a shutdown cannot skip it).
        await asyncio.shield(svc.store.release(leader.id))
        raise
    for row in rows:  # the captures go out right after: an orphan of these may have asked
        row.channel, row.create_sent_at = place.channel, now
        await svc.store.set(row.id, channel=place.channel, create_sent_at=now)
    await svc.store.set(leader.id, anchor_ts=leader.anchor_ts, thread_ts=leader.thread_ts)

    ASKED_MOTIVE.set(True)
    await asyncio.gather(*(_create(svc, row) for row in rows))
    text, blocks = bk.anchor(anchor_of(leader, "pending"))
    await update(svc.slack, place, text, blocks)
    REQUESTS.labels(kind="snapshot", outcome="requested").inc()
    made = sum(r.motive_id is not None for r in rows)
    await audit(f"requested: {made} of {len(rows)} captures accepted by Motive", leader)
    return leader.id


async def _create(svc: Services, row: TrackedRequest) -> None:
    """Ask Motive for one capture. A refusal ends that camera (the group's reply names it);
    the leader is always handed to the poller, which delivers for the group."""
    request = row.request
    assert isinstance(request, SnapshotRequest)
    answer: ImageCapture | None = None
    problem: str | None = None
    try:
        answer = await svc.motive.image_captures.create(request)
    except OutcomeUnknownError as e:
        problem = f"{e.message} Check the Motive dashboard before asking again."
    except MotiveError as e:
        problem = motive_refusal(e)
    now = svc.clock.now()
    if answer is not None:
        first = next_delay(
            "snapshot",
            0,
            first=svc.settings.poll_first_seconds,
            longest=svc.settings.poll_max_seconds,
        )
        row.motive_id, row.state = answer.request_id, TRACKING
        row.next_poll_at = now + timedelta(seconds=first)
        try:
            await keep(svc, row, answer)
        except asyncio.CancelledError:
            log.warning(
                "request %s: Motive made snapshot %s and the bot stopped before its database "
                "took it; check it by hand",
                row.id,
                row.motive_id,
            )
            raise
        await svc.tracker.track(row)
        return
    if row.group_id != row.id:
        await svc.store.set(
            row.id,
            state=FAILED,
            finished_at=now,
            last_error=problem,
            claimed_by=None,
            claimed_until=None,
        )
        return
    # The leader's own capture was refused: it still gathers the others' images.
    row.state, row.motive_status, row.last_error, row.next_poll_at = (
        TRACKING,
        OWN_FAILED,
        problem,
        now,
    )
    await svc.store.set(
        row.id,
        state=TRACKING,
        motive_status=OWN_FAILED,
        last_error=problem,
        next_poll_at=now,
        claimed_by=None,  # the creator's hold ends: the poller takes it from here
        claimed_until=None,
    )
    await svc.tracker.track(row)
