"""Snapshots of every camera at once: one capture per camera, followed as one request.

Each capture is its own row, polled like any snapshot; the first row (the leader, which owns the
anchor) waits for the others once its own capture has ended, then delivers every image in one
thread reply naming any camera that failed, and finishes the group. The leader stays "tracking"
until that reply is in Slack, so a crash before it is retried like any delivery (exactly once,
through the leader's delivery row); the other rows end without posting anything.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.access.policy import Route
from bot.render import blocks as bk
from bot.render.timefmt import escape
from bot.slack_api import uploads
from bot.slack_api.web import open_dm, post
from bot.store.models import DONE, FAILED, FINAL_STATES, IN_FLIGHT_STATES, Delivery, TrackedRequest
from bot.store.queue import Progress
from bot.tracking.decision import DeliverSnapshot, Failed, GaveUp, Outcome, Wait, decide
from bot.tracking.delivery import Deliverer, problem_words, withheld_line
from motive.errors import MotiveError
from motive.models import ImageCapture

if TYPE_CHECKING:
    from bot.tracking.worker import Tracker

log = logging.getLogger(__name__)

# How often a leader whose own capture has ended looks whether the others have (each of them
# also wakes it when it ends, unless it is being polled at that moment).
GROUP_WAIT = timedelta(seconds=15)
OWN_FAILED = "failed"  # the leader's own capture ended without an image


@dataclass(frozen=True)
class CameraResult:
    position: str
    url: str | None = None
    expires: datetime | None = None
    problem: str | None = None


def capture_result(row: TrackedRequest) -> CameraResult | None:
    """What one capture of a group came to; None while it may still produce an image."""
    position = row.position or "camera"
    answer = row.answer
    if isinstance(answer, ImageCapture):
        image = answer.image
        if image is not None and image.url:
            return CameraResult(position, url=image.url, expires=image.expires_at)
    ended = row.state in FINAL_STATES or row.motive_status == OWN_FAILED or row.motive_id is None
    if not ended:
        return None
    reason = row.last_error or (answer.failure_reason if isinstance(answer, ImageCapture) else None)
    return CameraResult(position, problem=reason or "Motive did not return an image.")


def is_leader(row: TrackedRequest) -> bool:
    return row.group_id is not None and row.group_id == row.id


async def poll(tracker: Tracker, row: TrackedRequest) -> Progress | None:
    """One poll of a grouped capture (the claim is held by the caller)."""
    leader = is_leader(row)
    if not (leader and capture_result(row) is not None):
        fetched = await tracker.fetch(row)
        answered = tracker.clock.now()
        outcome = decide(row, fetched, answered, await tracker.poll_schedule())
        if isinstance(outcome, Wait):
            return await tracker.act_on(row, outcome, answered)
        if not leader:
            await _member_ended(tracker, row, outcome, answered)
            return None
        await _own_ended(tracker, row, outcome, answered)
    return await _leader_step(tracker, row)


async def _member_ended(
    tracker: Tracker, row: TrackedRequest, outcome: Outcome, now: datetime
) -> None:
    if isinstance(outcome, DeliverSnapshot):
        await tracker.store.record_answer(row.id, outcome.capture, motive_done_at=now)
        await tracker.finish(row, DONE, "success", None)
    elif isinstance(outcome, Failed | GaveUp):
        if outcome.answer is not None:
            await tracker.store.record_answer(row.id, outcome.answer)
        await tracker.finish(row, FAILED, "failed", problem_words(outcome))
    assert row.group_id is not None
    # The leader may be waiting on this one: poll it now (skipped if it is being polled, in
    # which case its own next poll comes GROUP_WAIT later).
    tracker.background.spawn(tracker.poll(row.group_id))


async def _own_ended(
    tracker: Tracker, row: TrackedRequest, outcome: Outcome, now: datetime
) -> None:
    """The leader's own capture ended: record it; the leader goes on for the group."""
    if isinstance(outcome, DeliverSnapshot):
        await tracker.store.record_answer(row.id, outcome.capture, motive_done_at=now)
        row.answer_data = outcome.capture.model_dump(mode="json")
        row.motive_status = outcome.capture.status
    elif isinstance(outcome, Failed | GaveUp):
        if outcome.answer is not None:
            await tracker.store.record_answer(row.id, outcome.answer)
        reason = problem_words(outcome)
        await tracker.store.set(row.id, motive_status=OWN_FAILED, last_error=reason)
        row.motive_status, row.last_error = OWN_FAILED, reason


async def _leader_step(tracker: Tracker, leader: TrackedRequest) -> Progress | None:
    now = tracker.clock.now()
    rows = [leader, *(m for m in await tracker.store.group(leader.id) if m.id != leader.id)]
    if any(m.state in IN_FLIGHT_STATES for m in rows[1:]):
        return Progress(next_poll_at=now + GROUP_WAIT, last_error=leader.last_error)
    results = [r for m in rows if (r := capture_result(m)) is not None]
    if not await deliver(tracker.delivery, leader, results):
        retry = await tracker.retry_delivery(leader, now)
        return Progress(next_poll_at=retry.next_poll_at, last_error=leader.last_error)
    good = sum(r.url is not None for r in results)
    status = "success" if good == len(results) else "partially_completed" if good else "failed"
    # The group's word, not the leader's own capture's: the Home tab and `mine` read it from
    # the row, and must say what the anchor says ("Partly done", not "Done").
    await tracker.store.set(leader.id, motive_status=status)
    leader.motive_status = status
    await tracker.finish(leader, DONE if good else FAILED, status, None)
    return None


# --- the one thread reply ------------------------------------------------------------------------


def comment(label: str, uploaded: list[str], failed: list[tuple[str, str]]) -> str:
    """The reply's words: which cameras are shown, and why each missing one is missing."""
    lines = []
    if uploaded:
        cams = ", ".join(bk.camera_label(p) for p in uploaded)
        lines.append(f"Snapshots from {escape(label)}: {cams}.")
    else:
        lines.append(f"No camera of {escape(label)} produced a snapshot.")
    lines += [
        f":x: {bk.camera_label(p)} failed: {escape(why.removeprefix('The snapshot failed: '))}"
        for p, why in failed
    ]
    return "\n".join(lines)


async def deliver(
    deliverer: Deliverer, leader: TrackedRequest, results: list[CameraResult]
) -> bool:
    """Every image in one thread reply (one upload of many files), exactly once. Each camera's
    image is routed by the policy as any delivery is (`Deliverer.routes`, asked now): in-cab
    images go to the requester's DM when the policy says so (with a line in the thread), and
    an image the requester may not see is withheld (the reply says so, the audit records it)."""
    routes = await deliverer.routes(leader, [r.position for r in results], snapshot=True)
    private = [r for r in results if routes[r.position] is Route.REQUESTER]
    public = [r for r in results if routes[r.position] is Route.THREAD]
    withheld = [r.position for r in results if routes[r.position] is Route.WITHHELD]
    if private and not await _send_images(deliverer, leader, private, dm=True):
        return False
    notes = []
    if private:
        notes.append(f":lock: In-cab images were sent privately to <@{leader.requester}>.")
    if withheld:
        notes.append(withheld_line(leader, withheld))
    return await _send_images(deliverer, leader, public, dm=False, notes=notes, withheld=withheld)


async def _send_images(
    deliverer: Deliverer,
    leader: TrackedRequest,
    results: list[CameraResult],
    *,
    dm: bool,
    notes: Sequence[str] = (),
    withheld: Sequence[str] = (),
) -> bool:
    """One reply holding these images (in the thread, or in the requester's DM), exactly once."""
    label = leader.request.target.label
    name = leader.request.target.name

    async def send(delivery: Delivery, marker: str) -> str:
        channel = await open_dm(deliverer.slack, leader.requester) if dm else leader.channel
        thread = None if dm else leader.thread
        if withheld:
            await deliverer.audit_withheld(leader, withheld, "image")
        failed = [(r.position, r.problem or "no image") for r in results if r.url is None]
        images: list[tuple[CameraResult, bytes]] = []
        for r in results:
            if r.url is None:
                continue
            try:
                images.append((r, await deliverer.motive.fetch_media(r.url)))
            except MotiveError as e:
                failed.append((r.position, f"the image could not be downloaded ({e.message})"))
        files: list[uploads.Uploaded] = []
        shown: list[str] = []  # the cameras of `files`, in turn

        async def keep(file_id: str) -> None:
            # Kept before anything is shared: after a crash the thread is searched for it.
            await deliverer.store.note_delivery_file(delivery.id, file_id)

        for r, data in images:
            filename = f"snapshot-{name}-{r.position}.jpg".replace(" ", "_")
            title = f"Snapshot {name}, {bk.camera_label(r.position)}"
            try:
                uploaded = await uploads.upload(
                    deliverer.slack,
                    uploads.File(filename, title, data, len(data)),
                    keep_file_id=None if files else keep,
                )
            except uploads.UploadFailed as e:
                failed.append((r.position, str(e)))
                continue
            files.append(uploaded)
            shown.append(r.position)
        order = [r.position for r in results]
        failed.sort(key=lambda f: order.index(f[0]) if f[0] in order else len(order))
        text = "\n".join([comment(label, shown, failed), *notes]) if results else "\n".join(notes)
        where = f"by DM to {leader.requester}" if dm else "into the thread"
        if not files:
            blocks = [bk.section(text if not results else f":x: {text}")]
            ts = await post(deliverer.writes, channel, text, bk.marked(blocks, marker), thread)
            if results:
                await deliverer.audit_delivery(
                    leader,
                    None,
                    f"no image to post {where}",
                    channel=channel,
                    cameras_text=",".join(order),
                )
            return ts
        await uploads.share(deliverer.slack, files, channel=channel, thread_ts=thread, comment=text)
        await deliverer.audit_delivery(
            leader, None, f"images uploaded {where}", channel=channel, cameras_text=",".join(shown)
        )
        return files[0].ref

    if not results and not notes:
        return True
    return await deliverer.deliver_once(leader, "images_private" if dm else "images", send, dm=dm)
