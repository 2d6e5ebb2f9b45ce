"""One request, one create, nothing stuck: identical requests at the same instant (one app, two
web replicas on one PostgreSQL), ambiguous creates, orphans found by the sweep, relative times
said seconds apart, a delivery outliving a poll's lease, a failing views.open."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.offline.fakeslack import FakeSlack
from bot.store.models import DONE, FAILED, TRACKING, UNKNOWN, TrackedRequest
from bot.tracking.worker import DELIVERY_LEASE, LEASE
from motive.clock import ManualClock
from motive.simulator import SimConfig, Simulator
from motive.simulator.state import Fault
from motive.webhooks import sign
from tests.support.stack import OPENAPI, WEBHOOK_SECRET, Stack, eventually, running_stack, wait_for

RECALL = "TRK-101 30m ago 2m"


def pointed(stack: Stack) -> list[str]:
    """The private answers that point to a request already asked for."""
    return [
        json.dumps(r.get("blocks"))
        for r in stack.slack.responses
        if "already in flight" in r.get("text", "")
    ]


def anchor_text(stack: Stack, row: TrackedRequest) -> str:
    return stack.anchor_text(row.channel, row.anchor_ts)


@pytest.mark.parametrize("n", [2, 10])
async def test_identical_recalls_at_the_same_instant_make_one_create(stack: Stack, n: int) -> None:
    users = [f"U0DISP{i:02d}" for i in range(n)]
    answers = await asyncio.gather(*(stack.command("/recall", RECALL, user=u) for u in users))
    assert [a.status_code for a in answers] == [200] * n
    await stack.settle(30)
    assert stack.sim.stats.recalls_created == 1
    assert len(stack.anchors()) == 1
    [row] = await stack.svc.store.all_requests()
    links = pointed(stack)
    assert len(links) == n - 1
    permalink = f"/archives/C0DISPATCH/p{stack.anchors()[0].ts.replace('.', '')}"
    # Each of the others is told who asked first, with a link to that thread.
    assert all(permalink in link and f"<@{row.requester}>" in link for link in links)


async def test_two_web_replicas_on_postgres_make_one_create(pg_url: str) -> None:
    clock = ManualClock()
    sim = Simulator(SimConfig(), clock=clock)
    slack = FakeSlack(openapi=OPENAPI)
    async with (
        running_stack(pg_url, clock=clock, sim=sim, slack=slack) as a,
        running_stack(pg_url, clock=clock, sim=sim, slack=slack) as b,
    ):
        sends = [(a if i % 2 else b).command("/recall", RECALL, user=f"U0D{i}") for i in range(10)]
        answers = await asyncio.gather(*sends)
        assert [r.status_code for r in answers] == [200] * 10
        await asyncio.gather(a.settle(30), b.settle(30))
        assert sim.stats.recalls_created == 1
        assert len([m for m in slack.messages if m.thread_ts is None]) == 1
        assert len(await a.svc.store.all_requests()) == 1
        assert len(pointed(a)) == 9  # one fake Slack: both replicas' answers land there
    assert not slack.violations, slack.violations


async def test_a_504_after_the_create_is_outcome_unknown_and_a_retry_is_pointed_to_it(
    stack: Stack,
) -> None:
    stack.sim.faults.append(
        Fault(status=504, method="POST", path_prefix="/v1/video_recall_requests", act_first=True)
    )
    await stack.command("/recall", RECALL)
    await stack.settle()
    [row] = await stack.svc.store.all_requests()
    assert row.state == UNKNOWN and row.finished_at is None  # still in the duplicate set
    text = anchor_text(stack, row)
    assert "Outcome unknown" in text and "Motive dashboard" in text
    assert "refused" not in text.lower()
    assert stack.sim.stats.recalls_created == 1
    assert stack.sim.stats.requests["recalls.create"] == 1  # never re-sent

    await stack.command("/recall", RECALL, user="U0OTHER")
    await stack.settle()
    assert stack.sim.stats.recalls_created == 1 and len(stack.anchors()) == 1
    [link] = pointed(stack)
    assert "Motive dashboard" in link and "again" in link


@pytest.mark.parametrize(
    ("status", "ambiguous"), [(502, True), (500, True), (503, False), (400, False)]
)
async def test_which_create_failures_are_ambiguous(
    stack: Stack, status: int, ambiguous: bool
) -> None:
    # 503 is Motive turning the request away (retried, then refused); 400 a plain refusal.
    count = 10 if status == 503 else 1
    stack.sim.faults.append(
        Fault(status=status, method="POST", path_prefix="/v1/video_recall_requests", count=count)
    )
    await stack.command("/recall", RECALL)
    await stack.settle()
    [row] = await stack.svc.store.all_requests()
    assert row.state == (UNKNOWN if ambiguous else FAILED)
    text = anchor_text(stack, row)
    assert ("Motive dashboard" in text) == ambiguous
    calls = stack.sim.stats.requests["recalls.create"]
    assert calls == (1 if ambiguous or status == 400 else stack.svc.motive.max_retries + 1)


async def test_a_body_that_does_not_parse_after_a_create_is_outcome_unknown(
    stack: Stack,
) -> None:
    # A 200 whose body is not a recall: Motive may have created it.
    stack.sim.faults.append(
        Fault(status=200, method="POST", path_prefix="/v1/video_recall_requests", act_first=True)
    )
    await stack.command("/recall", RECALL)
    await stack.settle()
    [row] = await stack.svc.store.all_requests()
    assert row.state == UNKNOWN and "Motive dashboard" in anchor_text(stack, row)
    assert stack.sim.stats.recalls_created == 1


async def test_the_same_relative_recall_8_seconds_apart_is_one_create(stack: Stack) -> None:
    await stack.command("/recall", "TRK-101 20m ago 2m")
    await stack.settle()
    stack.clock.advance(8)
    await stack.command("/recall", "TRK-101 20m ago 2m")
    await stack.settle()
    assert stack.sim.stats.recalls_created == 1 and len(pointed(stack)) == 1


async def test_a_relative_recall_across_a_minute_boundary_overlaps_and_is_one_create(
    sqlite_url: str,
) -> None:
    clock = ManualClock(datetime(2026, 11, 21, 15, 0, 55, tzinfo=UTC))
    async with running_stack(sqlite_url, clock=clock) as stack:
        await stack.command("/recall", "TRK-101 20m ago 2m")
        await stack.settle()
        clock.advance(8)  # 15:01:03: the window moves by a minute and still overlaps
        await stack.command("/recall", "TRK-101 20m ago 2m")
        await stack.settle()
        assert stack.sim.stats.recalls_created == 1 and len(pointed(stack)) == 1
        # `again` asks anyway: a new anchor (Motive decides about its own duplicates).
        await stack.command("/recall", "TRK-101 20m ago 2m again")
        await stack.settle()
        assert len(stack.anchors()) == 2 and len(pointed(stack)) == 1


async def test_a_request_that_fails_its_preflight_releases_its_claim(stack: Stack) -> None:
    stack.sim.config.quota_minutes["regular"] = 1  # a 2-minute recall does not fit
    await stack.command("/recall", RECALL)
    await stack.settle()
    assert "No quota was spent" in stack.responses()[-1]
    assert await stack.svc.store.all_requests() == []
    stack.sim.config.quota_minutes["regular"] = 300
    await stack.command("/recall", RECALL)
    await stack.settle()
    assert stack.sim.stats.recalls_created == 1 and not pointed(stack)


async def test_restart_within_5_minutes_of_a_create_the_sweep_resolves_the_orphan(
    pg_url: str,
) -> None:
    clock = ManualClock()
    sim = Simulator(SimConfig(), clock=clock)
    slack = FakeSlack(openapi=OPENAPI)
    async with running_stack(pg_url, clock=clock, sim=sim, slack=slack) as first:
        await first.command("/recall", RECALL)
        await first.settle()
        [row] = await first.svc.store.all_requests()
        # What a process killed right after sending the create leaves: "creating", held.
        await first.svc.store.set(
            row.id,
            state="creating",
            motive_id=None,
            claimed_by="dead-worker",
            claimed_until=clock.now() + timedelta(minutes=5),
        )
    clock.advance(60)  # back within a minute: the dead process's hold has not lapsed
    async with running_stack(pg_url, role="all", clock=clock, sim=sim, slack=slack) as again:
        assert (await again.svc.store.get(row.id)).state == "creating"  # type: ignore[union-attr]
        clock.advance(5 * 60)  # the hold lapses; no restart needed for the sweep to see it

        async def resolved() -> bool:
            found = await again.svc.store.get(row.id)
            # The state is written first, then the anchor: wait for both.
            return (
                found is not None
                and found.state == UNKNOWN
                and "Motive dashboard" in anchor_text(again, found)
            )

        await eventually(resolved)
        found = await again.svc.store.get(row.id)
        assert found is not None and "Motive dashboard" in anchor_text(again, found)
        assert sim.stats.recalls_created == 1
        # It stays in the duplicate set: the same window is pointed to it, not re-created.
        await again.command("/recall", "TRK-101 36m ago 2m")
        await again.settle()
        assert sim.stats.recalls_created == 1 and len(pointed(again)) == 1


async def test_an_orphan_that_never_sent_its_create_says_nothing_was_requested(
    sqlite_url: str,
) -> None:
    async with running_stack(sqlite_url) as stack:
        await stack.command("/recall", RECALL)
        await stack.settle()
        [row] = await stack.svc.store.all_requests()
        await stack.svc.store.set(
            row.id, state="creating", motive_id=None, create_sent_at=None, finished_at=None
        )
        await stack.svc.tracker.resolve_orphans()
        assert (await stack.svc.store.get(row.id)).state == "creating"  # type: ignore[union-attr]
        stack.clock.advance(5 * 60 + 1)  # unclaimed and untouched for the create's lease
        await stack.svc.tracker.resolve_orphans()
        found = await stack.svc.store.get(row.id)
        assert found is not None and found.state == FAILED
        assert "nothing was requested" in anchor_text(stack, found)
        assert found.finished_at is not None  # the key is free again


async def test_a_lapsed_unknown_leaves_the_duplicate_set_at_its_deadline(stack: Stack) -> None:
    stack.sim.faults.append(
        Fault(status=504, method="POST", path_prefix="/v1/video_recall_requests", act_first=True)
    )
    await stack.command("/recall", RECALL)
    await stack.settle()
    [row] = await stack.svc.store.all_requests()
    assert row.deadline is not None
    stack.clock.advance((row.deadline - stack.clock.now()).total_seconds() + 1)
    await stack.svc.tracker.resolve_orphans()
    found = await stack.svc.store.get(row.id)
    assert found is not None and found.state == UNKNOWN and found.finished_at is not None


async def test_a_delivery_holds_its_claim_past_the_poll_lease(stack: Stack) -> None:
    await stack.command("/snapshot", "TRK-101 front")
    await stack.settle()
    [row] = await stack.svc.store.all_requests()
    assert row.state == TRACKING
    stack.clock.advance(120)  # the capture is ready
    held: list[bool] = []
    deliverer = stack.svc.tracker.delivery
    original = deliverer.snapshot

    async def slow_snapshot(r: TrackedRequest, url: str, expires: datetime | None) -> bool:
        # The delivery takes longer than a poll's lease; another worker tries to take the row.
        stack.clock.advance(LEASE.total_seconds() * 2)
        held.append(not await stack.svc.store.claim(r.id, "other", stack.clock.now(), LEASE))
        return await original(r, url, expires)

    deliverer.snapshot = slow_snapshot  # type: ignore[method-assign]
    await stack.poll_all()
    assert held == [True]
    assert LEASE * 2 < DELIVERY_LEASE
    found = await stack.svc.store.get(row.id)
    assert found is not None and found.state == DONE
    assert len([m for m in stack.slack.thread(row.channel, row.anchor_ts or "") if m.files]) == 1


@pytest.mark.parametrize("command", ["/recall", "/snapshot"])
async def test_a_failing_views_open_is_told_to_the_user(stack: Stack, command: str) -> None:
    stack.slack.fail_next("views.open", 500, count=4)  # past the client's retries
    answer = await stack.command(command, "")
    assert answer.status_code == 200
    # Bolt runs the listener after the ack; Slack's client retries the 500s first.
    await wait_for(lambda: stack.responses(), timeout=30)
    [said] = stack.responses()
    assert f"could not open the {command} form" in said and "internal_error" in said


@pytest.mark.parametrize(("drain", "state"), [(10.0, TRACKING), (0.05, UNKNOWN)])
async def test_a_graceful_stop_lets_a_started_create_finish_or_records_it_unknown(
    stack: Stack, drain: float, state: str
) -> None:
    # Motive takes a while to answer this create.
    stack.sim.faults.append(
        Fault(method="POST", path_prefix="/v1/video_recall_requests", delay=0.5)
    )
    await stack.command("/recall", RECALL)
    await wait_for(lambda: stack.sim.stats.requests["recalls.create"] == 1)
    await stack.svc.tracker.stop(drain_seconds=drain)
    [row] = await stack.svc.store.all_requests()
    assert row.state == state and row.finished_at is None
    if state == UNKNOWN:
        assert "Motive dashboard" in anchor_text(stack, row)


async def test_a_webhook_for_the_recall_an_ambiguous_create_made_resolves_it(
    stack: Stack,
) -> None:
    stack.sim.faults.append(
        Fault(status=504, method="POST", path_prefix="/v1/video_recall_requests", act_first=True)
    )
    await stack.command("/recall", "TRK-101 40m ago 1m")
    await stack.settle()
    [row] = await stack.svc.store.all_requests()
    assert row.state == UNKNOWN
    [made] = stack.sim.recalls.values()
    stack.clock.advance(20 * 60)
    body = json.dumps({"action": "video_recall_request_completed", "id": made.id}).encode()
    r = await stack.http.post(
        f"{stack.url}/motive/webhooks",
        content=body,
        headers={"X-KT-Webhook-Signature": sign(body, WEBHOOK_SECRET)},
    )
    assert r.status_code == 200
    await stack.settle()
    found = await stack.svc.store.get(row.id)
    assert found is not None and found.motive_id == made.id and found.state == DONE
    assert "Footage is ready" in stack.slack.thread(row.channel, row.anchor_ts or "")[-1].text
    assert stack.sim.stats.recalls_created == 1
