"""The poller's decision (bot/tracking/decision.py), written against the survivors of a mutation
run (TESTING.md, run J): the safety-net pace while Motive's webhook is trusted, which finished
recalls a poll marks as missed by the webhook, Motive's own status word on the anchor, and the
wording of a request given up with no status ever seen and of several cameras' reasons (the
decision gives them camera by camera; `delivery.problem_words` names each camera)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.tracking.decision import (
    CameraFailure,
    DeliverRecall,
    DeliverSnapshot,
    Failed,
    GaveUp,
    Schedule,
    Wait,
    decide,
)
from bot.tracking.delivery import problem_words
from bot.tracking.schedule import next_delay
from motive.errors import APIConnectionError
from tests.tracking.test_decision import (
    CREATED,
    DEADLINE,
    FRONT,
    NOW,
    REAR,
    REAR_BROKEN,
    WAITING,
    cam,
    capture,
    recall,
    tracked,
)

TRUSTED = Schedule(webhook_trusted=True)


# --- the safety net while the webhook is trusted ----------------------------------------------


def test_a_trusted_webhook_paces_recall_polls_by_their_age() -> None:
    """First after 20 minutes, then at about the recall's own age, at most every two hours;
    the jitter draw applies to it as to any wait."""
    assert TRUSTED.delay("recall", 1) == 20 * 60
    assert TRUSTED.delay("recall", 5, 3000.0) == 3000.0
    assert Schedule(webhook_trusted=True, jitter=0.5).delay("recall", 5, 3000.0) == 3150.0
    assert TRUSTED.delay("recall", 9, 10 * 3600.0) == 2 * 3600
    # Not for snapshots (no webhook announces them), nor while the webhook is not trusted.
    assert (
        TRUSTED.delay("snapshot", 3)
        == next_delay("snapshot", 3, draw=0.0)
        == Schedule().delay("snapshot", 3)
    )
    assert Schedule().delay("recall", 3, 3000.0) == next_delay("recall", 3, draw=0.0)


def test_a_failed_poll_of_a_recall_waits_by_the_recalls_age_while_trusted() -> None:
    row = tracked("recall", status="processing")
    now = CREATED + timedelta(hours=1)  # an hour old: the next safety-net poll in an hour
    outcome = decide(row, APIConnectionError(), now, TRUSTED)
    assert outcome == Wait(now + timedelta(hours=1), error="Could not reach Motive.")
    answered = decide(row, recall("processing", WAITING), now, TRUSTED)
    assert isinstance(answered, Wait) and answered.until == now + timedelta(hours=1)


# --- finished recalls the webhook did not announce ------------------------------------------------


@pytest.mark.parametrize(
    ("schedule", "announced", "marked"),
    [(TRUSTED, False, True), (TRUSTED, True, False), (Schedule(), False, False)],
)
def test_a_finished_recall_found_by_a_poll_while_trusted_is_marked_missed(
    schedule: Schedule, announced: bool, marked: bool
) -> None:
    done = recall("completed", FRONT, REAR)
    failed = recall("failed", WAITING, failure_reason="The vehicle was offline.")
    row = tracked("recall")
    delivered = decide(row, done, NOW, schedule, announced=announced)
    assert delivered == DeliverRecall(done, "completed", unannounced=marked)
    refused = decide(row, failed, NOW, schedule, announced=announced)
    assert isinstance(refused, Failed) and refused.unannounced is marked


def test_a_poll_is_taken_as_unannounced_unless_said_otherwise() -> None:
    done = recall("completed", FRONT, REAR)
    assert decide(tracked("recall"), done, NOW, TRUSTED) == DeliverRecall(
        done, "completed", unannounced=True
    )


def test_snapshots_are_never_marked_missed() -> None:
    """The webhook is trusted for recalls only."""
    failed = capture("failed", failure_reason="The camera is offline.")
    outcome = decide(tracked("snapshot"), failed, NOW, TRUSTED)
    assert outcome == Failed("The snapshot failed: The camera is offline.", failed)
    ready = capture("success", image=True)
    assert isinstance(decide(tracked("snapshot"), ready, NOW, TRUSTED), DeliverSnapshot)


# --- words ------------------------------------------------------------------------------------------


def test_motives_own_finished_word_is_kept_on_the_anchor() -> None:
    """Motive's "completed" and "partially_completed" are shown as Motive said them, whatever
    the links suggest; only other words are replaced by what the links show."""
    done_but_one_missing = recall("completed", FRONT, REAR_BROKEN)
    assert decide(tracked(), done_but_one_missing, NOW, Schedule()) == DeliverRecall(
        done_but_one_missing, "completed"
    )
    partly_but_all_there = recall("partially_completed", FRONT, REAR)
    assert decide(tracked(), partly_but_all_there, NOW, Schedule()) == DeliverRecall(
        partly_but_all_there, "partially_completed"
    )


def test_a_request_given_up_with_no_status_ever_seen_says_unknown() -> None:
    row = tracked("recall")
    row.motive_status = None
    late = DEADLINE + timedelta(seconds=1)
    outcome = decide(row, APIConnectionError(), late, Schedule())
    assert isinstance(outcome, GaveUp)
    assert "Motive had not finished after 36 hours (last status: unknown). " in outcome.reason


def test_each_cameras_reason_is_given_in_turn() -> None:
    front = cam("front_facing", False, status="failed", error_message="The lens was covered.")
    nothing = recall("failed", front, REAR_BROKEN)
    outcome = decide(tracked(), nothing, NOW, Schedule())
    assert outcome == Failed(
        "Motive could not produce the footage:",
        nothing,
        cameras=(
            CameraFailure("front_facing", "The lens was covered."),
            CameraFailure("rear", "The rear camera was disconnected."),
        ),
    )
    assert problem_words(outcome) == (
        "Motive could not produce the footage: Road-facing: The lens was covered.; "
        "Rear: The rear camera was disconnected."
    )


def test_a_status_word_is_known_or_not_by_the_kind_of_request() -> None:
    """A capture's "success" is no recall word, and a recall's "completed" no capture word:
    each is reported as unknown on the other kind (without the links or image that would end
    the wait)."""
    odd_recall = recall("success", WAITING)
    outcome = decide(tracked("recall"), odd_recall, NOW, Schedule())
    assert isinstance(outcome, Wait) and outcome.unknown_status == "success"
    odd_capture = capture("completed")
    outcome = decide(tracked("snapshot"), odd_capture, NOW, Schedule())
    assert isinstance(outcome, Wait) and outcome.unknown_status == "completed"
    for kind, known in (
        ("recall", recall("processing", WAITING)),
        ("snapshot", capture("pending")),
    ):
        outcome = decide(tracked(kind, status="queued"), known, NOW, Schedule())
        assert isinstance(outcome, Wait) and outcome.unknown_status is None
        assert outcome.answer == known  # a new word, recorded, but a known one
