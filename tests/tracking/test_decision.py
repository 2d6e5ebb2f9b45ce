"""The poller's decision as a table: a stored request and Motive's answer in, an outcome out.

No HTTP and no database: the rows are built in memory, the answers are Motive's models, and the
schedule's jitter draw is fixed, so every delay is exact. An outcome that ends a request is also
checked in the words the thread gets (`delivery.problem_words`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.store.models import TRACKING, TrackedRequest
from bot.tracking.decision import (
    CameraFailure,
    DeliverRecall,
    DeliverSnapshot,
    Failed,
    Fetched,
    GaveUp,
    Outcome,
    Schedule,
    Wait,
    decide,
)
from bot.tracking.delivery import problem_words
from bot.tracking.schedule import next_delay
from motive.errors import APIConnectionError, NotFoundError, RateLimitError
from motive.models import ImageCapture, Recall
from motive.rules import validate_recall, validate_snapshot

CREATED = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
NOW = CREATED + timedelta(minutes=30)
DEADLINE = CREATED + timedelta(hours=36)
SCHEDULE = Schedule()  # fitted defaults, no jitter
# The third poll: two were answered before this one.
BACKOFF = timedelta(seconds=next_delay("recall", 3, draw=0.0))
# While Motive still says "pending" (the upload has not started) the pace is slower.
PENDING_BACKOFF = timedelta(seconds=next_delay("recall", 3, draw=0.0, status="pending"))
SNAP_BACKOFF = timedelta(seconds=next_delay("snapshot", 3, draw=0.0))


def tracked(kind: str = "recall", *, status: str = "pending", attempts: int = 2) -> TrackedRequest:
    request = (
        validate_recall(
            vehicle_number="TRK-101",
            start_time=CREATED - timedelta(minutes=40),
            duration=1,
            now=CREATED,
        )
        if kind == "recall"
        else validate_snapshot(vehicle_number="TRK-101", position="front_facing")
    )
    row = TrackedRequest.new(
        request, requester="U1", channel="C1", now=CREATED, deadline=DEADLINE, state=TRACKING
    )
    row.motive_id, row.motive_status, row.attempts = "81234", status, attempts
    return row


def cam(position: str, url: bool, **kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"position": position, "status": kw.pop("status", "completed"), **kw}
    if url:
        out["download_url"] = f"https://media.example/{position}.mp4"
    return out


def recall(status: str, *cameras: dict[str, Any], **kw: Any) -> Recall:
    return Recall.model_validate({"id": "81234", "status": status, "cameras": list(cameras), **kw})


def capture(status: str, image: bool = False, **kw: Any) -> ImageCapture:
    images = {"front_facing": {"url": "https://media.example/snap.jpg"}} if image else {}
    return ImageCapture.model_validate(
        {"request_id": "c1", "camera_type": "dashcam", "status": status, "images": images, **kw}
    )


def rate_limited(retry_after: float | None) -> RateLimitError:
    return RateLimitError(
        "Motive is rate limiting us.",
        response=httpx.Response(429),
        body=None,
        retry_after=retry_after,
    )


def not_found() -> NotFoundError:
    return NotFoundError("Not found.", response=httpx.Response(404), body=None)


FRONT, REAR = cam("front_facing", True), cam("rear", True)
REAR_BROKEN = cam("rear", False, status="failed", error_message="The rear camera was disconnected.")
WAITING = cam("front_facing", False, status="processing")


@dataclass(frozen=True)
class Case:
    name: str
    fetched: Fetched
    expected: Outcome
    kind: str = "recall"
    stored_status: str = "pending"
    now: datetime = NOW
    said: str | None = None  # the thread's words, where they are not the outcome's reason alone


def _recall_cases() -> list[Case]:
    processing = recall("processing", WAITING)
    done = recall("completed", FRONT, REAR)
    partly = recall("partially_completed", FRONT, REAR_BROKEN)
    uploaded = recall("uploaded", FRONT, REAR)
    uploaded_part = recall("uploaded", FRONT, REAR_BROKEN)
    early_links = recall("processing", FRONT, WAITING)
    all_links_early = recall("processing", FRONT, REAR)
    unknown = recall("uploading_to_cloud", WAITING)
    failed = recall("failed", WAITING, failure_reason="The vehicle was offline.")
    cancelled = recall("cancelled")
    empty_done = recall("completed", REAR_BROKEN)
    still_pending = recall("pending", WAITING)
    late = DEADLINE + timedelta(seconds=1)
    return [
        Case("same status: wait, nothing new to record",
             still_pending, Wait(NOW + PENDING_BACKOFF, attempts=3)),
        Case("new known status: wait, record the answer",
             processing, Wait(NOW + BACKOFF, answer=processing, attempts=3)),
        Case("completed with links: deliver",
             done, DeliverRecall(done, "completed")),
        Case("partially completed: deliver what is there",
             partly, DeliverRecall(partly, "partially_completed")),
        Case("unknown word, every camera has a link: deliver",
             uploaded, DeliverRecall(uploaded, "completed")),
        Case("unknown word, some cameras have links: deliver them",
             uploaded_part, DeliverRecall(uploaded_part, "partially_completed")),
        Case("still processing, some links: wait for the rest",
             early_links, Wait(NOW + BACKOFF, answer=early_links, attempts=3)),
        Case("still processing but every camera has a link: deliver",
             all_links_early, DeliverRecall(all_links_early, "completed")),
        Case("unknown word without links: wait, and say it is unknown",
             unknown, Wait(NOW + BACKOFF, answer=unknown, attempts=3,
                           unknown_status="uploading_to_cloud")),
        Case("the same unknown word again: not reported twice",
             unknown, Wait(NOW + BACKOFF, attempts=3), stored_status="uploading_to_cloud"),
        Case("failed: Motive's reason",
             failed, Failed("Motive could not produce the footage: The vehicle was offline.",
                            failed)),
        Case("cancelled without a reason: the status word",
             cancelled, Failed("Motive could not produce the footage: Motive reported cancelled.",
                               cancelled)),
        Case("completed but no camera has a link: each camera's reason",
             empty_done, Failed("Motive could not produce the footage:", empty_done,
                                cameras=(CameraFailure("rear", "The rear camera was "
                                                                "disconnected."),)),
             said="Motive could not produce the footage: Rear: The rear camera was "
                  "disconnected."),
        Case("429 with Retry-After: exactly that long, not the backoff",
             rate_limited(42.0), Wait(NOW + timedelta(seconds=42),
                                      error="Motive is rate limiting us.")),
        Case("429 without Retry-After: the backoff, the poll not counted",
             rate_limited(None), Wait(NOW + PENDING_BACKOFF, error="Motive is rate limiting us.")),
        Case("Motive unreachable: the backoff, the poll not counted",
             APIConnectionError(), Wait(NOW + PENDING_BACKOFF, error="Could not reach Motive.")),
        Case("404: Motive forgot the request",
             not_found(), Failed("Motive no longer knows this request (it answered 404).")),
        Case("past the deadline and still pending: give up",
             still_pending, GaveUp(_gave_up("pending"), still_pending), now=late),
        Case("past the deadline with an error: give up, naming the last status seen",
             APIConnectionError(), GaveUp(_gave_up("processing")),
             stored_status="processing", now=late),
        Case("past the deadline but the links are there: deliver",
             done, DeliverRecall(done, "completed"), now=late),
    ]  # fmt: skip


def _snapshot_cases() -> list[Case]:
    pending = capture("pending")
    ready = capture("success", image=True)
    ready_early = capture("processing", image=True)
    failed = capture("failed", failure_reason="The camera is offline.")
    empty = capture("success")
    queued = capture("queued")
    assert ready.image is not None and ready_early.image is not None
    url = "https://media.example/snap.jpg"
    return [
        Case("pending: wait", pending,
             Wait(NOW + SNAP_BACKOFF, attempts=3), kind="snapshot"),
        Case("success with an image: upload it", ready,
             DeliverSnapshot(ready, ready.image, url), kind="snapshot"),
        Case("an image under any status word: upload it", ready_early,
             DeliverSnapshot(ready_early, ready_early.image, url), kind="snapshot"),
        Case("failed: Motive's reason", failed,
             Failed("The snapshot failed: The camera is offline.", failed), kind="snapshot"),
        Case("success without an image: say so", empty,
             Failed("The snapshot failed: Motive did not return an image.", empty),
             kind="snapshot"),
        Case("unknown word: wait, and say it is unknown", queued,
             Wait(NOW + SNAP_BACKOFF, answer=queued, attempts=3, unknown_status="queued"),
             kind="snapshot"),
    ]  # fmt: skip


def _gave_up(status: str) -> str:
    return (
        f"Motive had not finished after 36 hours (last status: {status}). The truck has probably "
        "been off or out of coverage; ask again once it is back on the road."
    )


CASES = _recall_cases() + _snapshot_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_decision_table(case: Case) -> None:
    row = tracked(case.kind, status=case.stored_status)
    outcome = decide(row, case.fetched, case.now, SCHEDULE)
    assert outcome == case.expected
    if isinstance(outcome, Failed | GaveUp):
        assert problem_words(outcome) == (case.said or outcome.reason)


def test_the_decision_changes_nothing_it_is_given() -> None:
    row = tracked()
    before = (row.motive_status, row.attempts, row.next_poll_at, dict(row.request_data))
    decide(row, recall("completed", FRONT), NOW, SCHEDULE)
    assert (row.motive_status, row.attempts, row.next_poll_at, dict(row.request_data)) == before


def test_the_schedule_settings_and_jitter_draw_set_the_wait() -> None:
    row = tracked(attempts=0)
    fixed = Schedule(first=10.0, longest=10.0, jitter=0.0)
    outcome = decide(row, recall("pending"), NOW, fixed)
    # The second poll waits half the first wait, grown once: 10 * 0.5 * 1.35.
    assert isinstance(outcome, Wait) and outcome.until == NOW + timedelta(seconds=6.75)
    high = decide(row, recall("pending"), NOW, Schedule(first=10.0, longest=100.0, jitter=1.0))
    assert isinstance(high, Wait) and high.until == NOW + timedelta(seconds=6.75 * 1.1)
