"""Webhook-aware polling: while Motive's completion webhook is trusted, recalls are polled only as
a safety net; a poll that finds a finish no webhook announced ends the trust, once.

First the decision as a table (pure: rows in memory, Motive's models, a fixed jitter draw), then
the switch both ways through the running bot: signed webhooks into the real route (from the
simulator, or built by hand), polls against the simulator, /healthz and /metrics read over HTTP.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.store.models import DONE, TRACKING, TrackedRequest
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
from bot.tracking.schedule import (
    PENDING_LONGEST,
    PROFILES,
    SAFETY_NET,
    next_delay,
    safety_net_delay,
)
from bot.tracking.trust import HOLD, RECENT, TrustState, WebhookTrust
from motive.simulator import send_due_webhooks
from tests.support.stack import Stack, running_stack, wait_for
from tests.tracking.test_decision import capture, rate_limited, recall, tracked
from tests.tracking.test_worker import ask, post_webhook, replies

CREATED = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
TRUSTED = Schedule(webhook_trusted=True)
FITTED = Schedule()
MIN = 60.0


def at(minutes: float) -> datetime:
    return CREATED + timedelta(minutes=minutes)


def net(age_minutes: float) -> timedelta:
    return timedelta(seconds=safety_net_delay(age_minutes * MIN))


PROCESSING = recall("processing", {"position": "front_facing", "status": "processing"})
DONE_ANSWER = recall(
    "completed", {"position": "front_facing", "status": "completed", "download_url": "https://m/f"}
)
FAILED_ANSWER = recall("failed", failure_reason="The vehicle was offline.")


@dataclass(frozen=True)
class Case:
    name: str
    fetched: Fetched
    schedule: Schedule
    expected: Outcome
    minutes: float = 30.0  # the request's age at this poll
    kind: str = "recall"
    announced: bool = False


def _cases() -> list[Case]:
    fitted = timedelta(seconds=next_delay("recall", 3, draw=0.0))
    snap = timedelta(seconds=next_delay("snapshot", 3, draw=0.0))
    pending = capture("pending")
    not_started = recall("pending", {"position": "front_facing", "status": "pending"})
    slower = timedelta(seconds=next_delay("recall", 3, draw=0.0, status="pending"))
    assert slower > fitted
    return [
        Case(
            "not trusted, Motive still says pending: the slower pace for an upload not started",
            not_started,
            FITTED,
            Wait(at(30) + slower, attempts=3),
        ),
        Case(
            "trusted, young recall: the safety net's first wait",
            PROCESSING,
            TRUSTED,
            Wait(at(5) + net(5), answer=PROCESSING, attempts=3),
            minutes=5,
        ),
        Case(
            "trusted, older recall: waits about its own age",
            PROCESSING,
            TRUSTED,
            Wait(at(50) + net(50), answer=PROCESSING, attempts=3),
            minutes=50,
        ),
        Case(
            "trusted, a recall hours old: at most the longest safety-net wait",
            PROCESSING,
            TRUSTED,
            Wait(at(600) + net(600), answer=PROCESSING, attempts=3),
            minutes=600,
        ),
        Case(
            "not trusted: the fitted cadence",
            PROCESSING,
            FITTED,
            Wait(at(30) + fitted, answer=PROCESSING, attempts=3),
        ),
        Case(
            "trusted, but a snapshot: the fitted cadence (the webhook is for recalls)",
            pending,
            TRUSTED,
            Wait(at(30) + snap, attempts=3),
            kind="snapshot",
        ),
        Case(
            "trusted, Motive rate limits: exactly when it says, not the safety net",
            rate_limited(42),
            TRUSTED,
            Wait(at(30) + timedelta(seconds=42), error="Motive is rate limiting us."),
        ),
        Case(
            "trusted, Motive errs: the safety net",
            rate_limited(None),
            TRUSTED,
            Wait(at(30) + net(30), error="Motive is rate limiting us."),
        ),
        Case(
            "trusted, a poll finds it done unannounced: deliver, and the webhook missed it",
            DONE_ANSWER,
            TRUSTED,
            DeliverRecall(DONE_ANSWER, "completed", unannounced=True),
        ),
        Case(
            "trusted, the webhook's own fetch finds it done: deliver, nothing missed",
            DONE_ANSWER,
            TRUSTED,
            DeliverRecall(DONE_ANSWER, "completed"),
            announced=True,
        ),
        Case(
            "not trusted, a poll finds it done: deliver, nothing to judge",
            DONE_ANSWER,
            FITTED,
            DeliverRecall(DONE_ANSWER, "completed"),
        ),
        Case(
            "trusted, a poll finds it failed unannounced: the webhook missed that too",
            FAILED_ANSWER,
            TRUSTED,
            Failed(
                "Motive could not produce the footage: The vehicle was offline.",
                FAILED_ANSWER,
                unannounced=True,
            ),
        ),
        Case(
            "trusted, failed and announced: nothing missed",
            FAILED_ANSWER,
            TRUSTED,
            Failed("Motive could not produce the footage: The vehicle was offline.", FAILED_ANSWER),
            announced=True,
        ),
        Case(
            "trusted, past the deadline: gave up, which no webhook announces",
            PROCESSING,
            TRUSTED,
            GaveUp("", PROCESSING),
            minutes=37 * 60,
        ),
    ]


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c.name)
def test_decision_under_trust(case: Case) -> None:
    row = tracked(case.kind, attempts=2)
    row.created_at = CREATED
    row.deadline = CREATED + timedelta(hours=36)
    got = decide(row, case.fetched, at(case.minutes), case.schedule, announced=case.announced)
    if isinstance(case.expected, GaveUp):  # its wording is test_decision's business
        assert isinstance(got, GaveUp) and got.answer == case.expected.answer
        return
    assert got == case.expected


def test_safety_net_grows_with_age_and_is_capped() -> None:
    first, _, longest = SAFETY_NET
    waits = [safety_net_delay(age * MIN) for age in (0, 10, 20, 40, 80, 160, 1000)]
    assert waits[0] == waits[1] == first
    assert waits == sorted(waits) and waits[-1] == longest
    assert safety_net_delay(40 * MIN, draw=1.0) == pytest.approx(40 * MIN * 1.1)
    # Much longer than the fitted cadence: that is the point.
    assert first > 10 * PROFILES["recall"][2]


def test_trust_state_needs_a_recent_webhook() -> None:
    seen = CREATED
    state = TrustState(trusted=True, last_verified_at=seen, changed_at=seen)
    assert state.effective(seen + RECENT)
    assert not state.effective(seen + RECENT + timedelta(seconds=1))
    assert state.describe(seen + RECENT + timedelta(seconds=1))["mode"] == "quiet"
    assert not TrustState().effective(seen) and TrustState().describe(seen)["mode"] == "unknown"
    gone = TrustState(False, seen, seen, "a poll found recall 7 finished")
    assert gone.describe(seen) == {
        "mode": "distrusted",
        "recalls_polled": "at the fitted cadence",
        "last_verified_at": seen.isoformat(),
        "changed_at": seen.isoformat(),
        "reason": "a poll found recall 7 finished",
    }


# --- the running bot --------------------------------------------------------------------------


async def healthz(stack: Stack) -> dict[str, Any]:
    r = await stack.http.get(f"{stack.url}/healthz")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    assert body["ok"] is True
    return body


async def metric(stack: Stack, name: str, labels: dict[str, str] | None = None) -> float:
    r = await stack.http.get(f"{stack.url}/metrics")
    for family in text_string_to_metric_families(r.text):
        for sample in family.samples:
            if sample.name == name and (labels or {}).items() <= sample.labels.items():
                return float(sample.value)
    return 0.0


def waits(row: TrackedRequest | None, now: datetime) -> float:
    assert row is not None and row.state == TRACKING and row.next_poll_at is not None
    return (row.next_poll_at - now).total_seconds()


async def poll_when_due(stack: Stack, row_id: int) -> TrackedRequest | None:
    row = await stack.svc.store.get(row_id)
    assert row is not None and row.next_poll_at is not None
    stack.clock.set(max(stack.clock.now(), row.next_poll_at))
    await stack.svc.tracker.poll(row_id)
    await stack.settle()
    return await stack.svc.store.get(row_id)


def simulator_webhooks(stack: Stack) -> None:
    stack.sim.config.webhook_url = f"{stack.url}/motive/webhooks"
    from tests.support.stack import WEBHOOK_SECRET

    stack.sim.config.webhook_secret = WEBHOOK_SECRET


async def test_a_verified_webhook_moves_recalls_to_the_safety_net(stack: Stack) -> None:
    simulator_webhooks(stack)
    first = await ask(stack, "/recall", "TRK-101 40m ago 1m")
    assert (await healthz(stack))["webhooks"]["mode"] == "unknown"
    assert await metric(stack, "motive_bot_webhook_trusted") == 0
    fitted_first = waits(first, stack.clock.now())
    assert fitted_first <= 1.1 * PROFILES["recall"][0]

    # The simulator finishes the upload and posts its signed webhook: the bot fetches, delivers.
    stack.clock.advance(20 * MIN)
    assert await send_due_webhooks(stack.sim, stack.http) == 1
    await stack.settle()
    assert "Footage is ready" in replies(stack, first)[0].text
    hooks = (await healthz(stack))["webhooks"]
    assert hooks["mode"] == "trusted" and hooks["recalls_polled"] == "as a safety net"
    assert await metric(stack, "motive_bot_webhook_trusted") == 1
    assert await metric(stack, "motive_bot_webhook_last_verified_timestamp_seconds") == (
        stack.clock.now().timestamp()
    )

    # A recall asked now waits on the webhook: its polls are a safety net, and they grow.
    stack.sim.config.processing_minutes = (65.0, 65.0)
    second = await ask(stack, "/recall", "TRK-102 40m ago 1m")
    first_wait = waits(second, stack.clock.now())
    assert 0.9 * SAFETY_NET[0] <= first_wait <= 1.1 * SAFETY_NET[0]
    polled = await poll_when_due(stack, second.id)
    next_wait = waits(polled, stack.clock.now())
    assert next_wait >= 0.9 * SAFETY_NET[0]
    polled = await poll_when_due(stack, second.id)
    assert waits(polled, stack.clock.now()) > 1.3 * next_wait  # about the recall's age: growing

    # The webhook announces it: delivered by the webhook's fetch, and the trust holds.
    motive = stack.sim.recalls[second.motive_id or ""]
    stack.clock.set(motive.ready_at)
    assert await send_due_webhooks(stack.sim, stack.http) == 1
    await stack.settle()
    assert "Footage is ready" in replies(stack, second)[0].text
    assert (await healthz(stack))["webhooks"]["mode"] == "trusted"
    assert motive.gets == 3  # two safety-net polls and the webhook's fetch


async def test_an_unannounced_finish_ends_the_trust_once(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    # A signed webhook naming a recall (one from before, not tracked here): known to work.
    assert await post_webhook(stack, {"action": "video_recall_request_completed", "id": "1"}) == 200
    await stack.settle()
    assert (await healthz(stack))["webhooks"]["mode"] == "trusted"
    before = await metric(stack, "motive_bot_webhook_trust_changes_total", {"to": "distrusted"})

    stack.sim.config.processing_minutes = (30.0, 30.0)
    quick = await ask(stack, "/recall", "TRK-101 40m ago 1m")
    stack.sim.config.processing_minutes = (240.0, 240.0)
    slow = await ask(stack, "/recall", "TRK-102 40m ago 1m")
    assert waits(slow, stack.clock.now()) >= 0.9 * SAFETY_NET[0]
    steady = PROFILES["recall"][2]

    # The webhook goes silent (nothing is posted); the safety net finds the quick one finished.
    stack.clock.advance(10 * MIN)  # the trust stays recent: another webhook came meanwhile
    assert await post_webhook(stack, {"action": "video_recall_request_completed", "id": "2"}) == 200
    await stack.settle()
    with caplog.at_level("INFO", logger="bot.tracking.trust"):
        polled = await poll_when_due(stack, quick.id)  # at about 20 min: still uploading
        assert polled is not None and polled.state == TRACKING
        await poll_when_due(stack, slow.id)  # at about 20 min
        polled = await poll_when_due(stack, slow.id)  # at about 40 min: next at about 80
        assert waits(polled, stack.clock.now()) > 10 * steady
        done = await poll_when_due(stack, quick.id)  # at about 40 min: done, unannounced
        assert done is not None and done.state == DONE
        assert "Footage is ready" in replies(stack, quick)[0].text

        hooks = (await healthz(stack))["webhooks"]
        assert hooks["mode"] == "distrusted" and hooks["recalls_polled"] == "at the fitted cadence"
        assert f"recall {quick.motive_id} finished that no webhook announced" in hooks["reason"]
        assert await metric(stack, "motive_bot_webhook_trusted") == 0
        assert (
            await metric(stack, "motive_bot_webhook_trust_changes_total", {"to": "distrusted"})
            == before + 1
        )
        # Every recall in flight is back within one fitted interval, then polled at that cadence.
        assert waits(await stack.svc.store.get(slow.id), stack.clock.now()) <= steady
        polled = await poll_when_due(stack, slow.id)
        # Motive still says "pending" for it: the fitted pace for that, not the safety net.
        assert polled is not None and polled.motive_status == "pending"
        assert waits(polled, stack.clock.now()) <= PENDING_LONGEST["recall"]

        # Another replica, finding another unannounced finish, switches nothing and logs nothing.
        other = WebhookTrust(stack.svc.store, stack.clock)
        assert not await other.distrust("81234", random.Random(1))
    missed = [r for r in caplog.records if "missed a recall" in r.getMessage()]
    assert len(missed) == 1 and missed[0].levelname == "WARNING"

    # Webhooks arriving soon after do not restore it; one after the hold does.
    stack.clock.advance(HOLD.total_seconds() / 2)
    assert await post_webhook(stack, {"action": "video_recall_request_completed", "id": "3"}) == 200
    await stack.settle()
    assert (await healthz(stack))["webhooks"]["mode"] == "distrusted"
    stack.clock.advance(HOLD.total_seconds() / 2)
    assert await post_webhook(stack, {"action": "video_recall_request_completed", "id": "4"}) == 200
    await stack.settle()
    assert (await healthz(stack))["webhooks"]["mode"] == "trusted"
    assert await metric(stack, "motive_bot_webhook_trusted") == 1


async def test_a_test_webhook_or_a_forged_one_does_not_make_it_trusted(stack: Stack) -> None:
    assert await post_webhook(stack, {"action": "test"}) == 200
    forged = {"action": "video_recall_request_completed", "id": "1"}
    assert await post_webhook(stack, forged, secret="wrong-secret-00000000") == 403
    await stack.settle()
    assert (await healthz(stack))["webhooks"]["mode"] == "unknown"
    assert not await stack.svc.tracker.trust.trusted()


async def test_a_switch_made_elsewhere_brings_this_workers_polls_forward(sqlite_url: str) -> None:
    # A worker with its tick running: the recall's next poll is set for the safety net, then
    # another replica ends the trust; this worker polls it at the fitted cadence, not 20 minutes
    # out (the tick reads the queue, so nothing of the old time is kept in this process).
    async with running_stack(sqlite_url, role="all") as stack:
        assert (
            await post_webhook(stack, {"action": "video_recall_request_completed", "id": "1"})
            == 200
        )
        await stack.settle()
        row = await ask(stack, "/recall", "TRK-101 40m ago 1m")
        assert stack.svc.tracker.running
        assert waits(await stack.svc.store.get(row.id), stack.clock.now()) > 0.8 * SAFETY_NET[0]

        other = WebhookTrust(stack.svc.store, stack.clock)  # another replica's view of the row
        assert await other.distrust("81234", random.Random(1))
        pulled = await stack.svc.store.get(row.id)
        assert waits(pulled, stack.clock.now()) <= PROFILES["recall"][2]
        polls = stack.svc.tracker.polls
        stack.clock.advance(PROFILES["recall"][2])  # the pulled-in poll falls due
        await wait_for(lambda: stack.svc.tracker.polls > polls)
    assert not stack.slack.violations
