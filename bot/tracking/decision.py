"""What one poll means: a pure function from a stored request and Motive's answer to an outcome.

No HTTP, no database, no clock of its own, and no Slack: the poller fetches, calls `decide`, and
acts on what comes back (waits, delivers, or finishes the request); what is said in Slack is
worded by bot.tracking.delivery and bot.render. Tested as a table in
tests/tracking/test_decision.py.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.store.models import Answer, TrackedRequest
from bot.tracking.schedule import next_delay, safety_net_delay
from motive.errors import MotiveError, NotFoundError, RateLimitError
from motive.models import (
    KNOWN_RECALL_STATUSES,
    TERMINAL_CAPTURE_STATUSES,
    TERMINAL_RECALL_STATUSES,
    CapturedImage,
    ImageCapture,
    Recall,
    RecallCamera,
)

KNOWN_CAPTURE_STATUSES = TERMINAL_CAPTURE_STATUSES | {"pending", "processing"}
# Words under which Motive is still working: links seen now may be joined by more.
RECALL_IN_PROGRESS = KNOWN_RECALL_STATUSES - TERMINAL_RECALL_STATUSES


@dataclass(frozen=True)
class Schedule:
    """The poll schedule's settings (None: the fitted default), this poll's jitter draw, in
    [-1, 1], and whether Motive's completion webhook is trusted (then recalls are polled only as
    a safety net); the poller reads and draws them, so the decision itself stays pure."""

    first: float | None = None
    longest: float | None = None
    jitter: float = 0.0
    webhook_trusted: bool = False

    def delay(self, kind: str, attempts: int, age: float = 0.0, status: str | None = None) -> float:
        if self.webhook_trusted and kind == "recall":
            return safety_net_delay(age, draw=self.jitter)
        return next_delay(
            kind,
            attempts,
            first=self.first,
            longest=self.longest,
            draw=self.jitter,
            status=status,
        )


@dataclass(frozen=True)
class Wait:
    """Keep waiting: poll again at `until`."""

    until: datetime
    answer: Answer | None = None  # to record: Motive's answer, when its status word changed
    error: str | None = None  # why this poll learnt nothing (None: it did)
    attempts: int | None = None  # the new count of answered polls (None: unchanged)
    unknown_status: str | None = None  # a status word the bot does not know, first seen now


@dataclass(frozen=True)
class DeliverRecall:
    """Motive has footage: post these cameras' links."""

    recall: Recall
    status: str  # the anchor's word: completed | partially_completed
    unannounced: bool = False  # found by a poll while the webhook was trusted to announce it

    @property
    def cameras(self) -> list[RecallCamera]:
        return self.recall.cameras


@dataclass(frozen=True)
class DeliverSnapshot:
    """Motive has the image: upload it."""

    capture: ImageCapture
    image: CapturedImage
    url: str


@dataclass(frozen=True)
class CameraFailure:
    """Why one camera of a recall has no footage, in Motive's words (`position`: Motive's word
    for the camera)."""

    position: str | None
    message: str


@dataclass(frozen=True)
class Failed:
    """Motive will not produce the media; `reason` says why, for the thread. Where Motive gave
    its reasons camera by camera, `reason` leads up to them and `cameras` holds them; the
    thread's sentence names each camera (`delivery.problem_words`)."""

    reason: str
    answer: Answer | None = None
    unannounced: bool = False  # found by a poll while the webhook was trusted to announce it
    cameras: tuple[CameraFailure, ...] = ()


@dataclass(frozen=True)
class GaveUp:
    """The request outlived its deadline; `reason` says so, for the thread."""

    reason: str
    answer: Answer | None = None


Outcome = Wait | DeliverRecall | DeliverSnapshot | Failed | GaveUp
Fetched = Answer | MotiveError


def decide(
    row: TrackedRequest,
    fetched: Fetched,
    now: datetime,
    schedule: Schedule,
    *,
    announced: bool = False,
) -> Outcome:
    """The outcome of one poll of `row`, given what Motive answered (or the error it raised).
    `announced`: a webhook named the request and this poll is its fetch. A recall that a poll
    finds finished while the webhook is trusted, unannounced, is marked so: the webhook missed it.
    """
    age = max(0.0, (now - row.created_at).total_seconds())
    if isinstance(fetched, NotFoundError):
        return Failed("Motive no longer knows this request (it answered 404).")
    if isinstance(fetched, MotiveError):
        if _past_deadline(row, now):
            return GaveUp(_gave_up(row, row.motive_status))
        if isinstance(fetched, RateLimitError) and fetched.retry_after:
            # Motive said when to come back: exactly then, not on the usual backoff.
            return Wait(now + timedelta(seconds=fetched.retry_after), error=fetched.message)
        delay = schedule.delay(row.kind, row.attempts + 1, age, row.motive_status)
        return Wait(now + timedelta(seconds=delay), error=fetched.message)
    outcome = _recall(fetched) if isinstance(fetched, Recall) else _capture(fetched)
    if outcome is not None:
        missed = schedule.webhook_trusted and not announced and row.kind == "recall"
        if missed and isinstance(outcome, DeliverRecall | Failed):
            return replace(outcome, unannounced=True)
        return outcome
    if _past_deadline(row, now):
        return GaveUp(_gave_up(row, fetched.status), fetched)
    changed = fetched.status != row.motive_status
    known = KNOWN_RECALL_STATUSES if isinstance(fetched, Recall) else KNOWN_CAPTURE_STATUSES
    delay = schedule.delay(row.kind, row.attempts + 1, age, fetched.status)
    return Wait(
        now + timedelta(seconds=delay),
        answer=fetched if changed else None,
        attempts=row.attempts + 1,
        unknown_status=fetched.status if changed and fetched.status not in known else None,
    )


def _recall(recall: Recall) -> Outcome | None:
    """Deliver or fail, if the answer settles it; None to keep waiting."""
    cameras = recall.cameras
    with_links = [c for c in cameras if c.download_url]
    if with_links:
        # Links are delivered whatever the status word says, unless Motive says it is still
        # working and some cameras have none yet (they may come; a delivery happens once).
        complete = len(with_links) == len(cameras)
        if recall.status not in RECALL_IN_PROGRESS or complete:
            if recall.status in ("completed", "partially_completed"):
                status = recall.status
            else:
                status = "completed" if complete else "partially_completed"
            return DeliverRecall(recall, status)
        return None
    if recall.status in TERMINAL_RECALL_STATUSES:
        failed = "Motive could not produce the footage:"
        if recall.failure_reason:
            return Failed(f"{failed} {recall.failure_reason}", recall)
        each = tuple(CameraFailure(c.position, c.error_message) for c in cameras if c.error_message)
        if each:
            return Failed(failed, recall, cameras=each)
        return Failed(f"{failed} Motive reported {recall.status}.", recall)
    return None


def _capture(capture: ImageCapture) -> Outcome | None:
    image = capture.image
    if image is not None and image.url:
        return DeliverSnapshot(capture, image, image.url)
    if capture.status in TERMINAL_CAPTURE_STATUSES:
        reason = capture.failure_reason or "Motive did not return an image."
        return Failed(f"The snapshot failed: {reason}", capture)
    return None


def _past_deadline(row: TrackedRequest, now: datetime) -> bool:
    return row.deadline is not None and now >= row.deadline


def _gave_up(row: TrackedRequest, status: str | None) -> str:
    assert row.deadline is not None
    hours = (row.deadline - row.created_at).total_seconds() / 3600
    return (
        f"Motive had not finished after {hours:g} hours (last status: {status or 'unknown'}). "
        "The truck has probably been off or out of coverage; ask again once it is back on the "
        "road."
    )
