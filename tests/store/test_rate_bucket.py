"""Motive's rate limit shared by every process (bot/store/rate_bucket.py), and the poller's
tick within it: when more is due than the budget allows, the most overdue go first and the rest
wait in the queue."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.store.models import TRACKING
from bot.store.rate_bucket import KEEP_FOR_URGENT, StoreBucket
from bot.store.requests import Store
from bot.tracking.worker import Tracker
from motive.clock import ManualClock
from tests.support.stack import Stack
from tests.tracking.test_replicas import submit_many


@pytest.fixture
async def stores(any_db_url: str) -> AsyncIterator[tuple[Store, Store, ManualClock]]:
    """Two processes' stores on one database, on one clock."""
    clock = ManualClock()
    one, two = Store(any_db_url, clock=clock), Store(any_db_url, clock=clock)
    await one.create_schema()
    yield one, two, clock
    await one.close()
    await two.close()


async def test_two_processes_share_one_budget(stores: tuple[Store, Store, ManualClock]) -> None:
    one, two, clock = stores
    a, b = StoreBucket(one, clock), StoreBucket(two, clock)  # 120 a minute: 60 at once, 0.8/s
    assert (await a.take(50))[0] == 50
    got, _ = await b.take(50)
    assert got == 10  # what the first left, not a bucket of its own
    assert (await a.take(5))[0] == 0
    clock.advance(10)  # 8 tokens come back, whoever asks
    assert (await b.take(20))[0] == 8
    assert (await a.take(20))[0] == 0


async def test_polls_leave_tokens_for_urgent_calls(
    stores: tuple[Store, Store, ManualClock],
) -> None:
    one, two, clock = stores
    poller, web = StoreBucket(one, clock), StoreBucket(two, clock)
    assert await poller.reserve(100) == 60 - KEEP_FOR_URGENT
    assert await poller.reserve(1) == 0
    await web.acquire(urgent=True)
    await web.acquire(urgent=True)  # the two kept back; no wait for either
    assert clock.slept == []
    await web.acquire(urgent=True)  # the bucket is empty: it waits for the refill
    assert clock.slept and sum(clock.slept) == pytest.approx(1.25)
    for _ in range(int(60 - KEEP_FOR_URGENT)):
        await poller.acquire()  # what it reserved: no store, no wait
    assert sum(clock.slept) == pytest.approx(1.25)


async def test_the_limit_motive_reports_reaches_every_process(
    stores: tuple[Store, Store, ManualClock],
) -> None:
    one, two, clock = stores
    a, b = StoreBucket(one, clock), StoreBucket(two, clock)
    assert (await a.take(60))[0] == 60
    a.configure(600, 60.0)  # the quota reply: 600 a minute (300 at once, 4 a second)
    assert (await a.take(1))[0] == 0  # written with this take
    clock.advance(10)
    assert (await b.take(100))[0] == 40  # the other process refills at the new rate
    assert (b.capacity, b.rate) == (300.0, 4.0)


async def test_when_more_is_due_than_the_budget_the_most_overdue_go_first(stack: Stack) -> None:
    rows = await submit_many(stack, 8)
    now = stack.clock.now()
    for n, row in enumerate(rows):  # row 0 is the least overdue, row 7 the most
        await stack.svc.store.set(row.id, next_poll_at=now - timedelta(seconds=10 * (n + 1)))
    # A worker whose budget is 5 polls now: 10 a minute is a bucket of 5.
    motive = stack.motive_client(rate_limit=(10, 60.0))
    worker = Tracker(
        settings=stack.svc.settings,
        store=stack.svc.store,
        motive=motive,
        slack=stack.svc.slack,
        clock=stack.clock,
        worker_id="budgeted",
        run_scheduler=False,
    )
    try:
        assert await worker.poll_due() == 5
        assert await worker.poll_due() == 0  # spent: the tick claims nothing until it refills
    finally:
        await motive.aclose()
    polled = {r.id for r in await stack.svc.store.all_requests() if r.attempts == 1}
    assert polled == {r.id for r in rows[3:]}
    waiting = [r for r in await stack.svc.store.all_requests() if r.id not in polled]
    # The rest are due as they were, and nobody holds them.
    assert all(r.state == TRACKING and r.claimed_by is None for r in waiting)
    assert await stack.svc.store.count_due(stack.clock.now()) == 3
    r = await stack.http.get(f"{stack.url}/metrics")
    assert "motive_bot_polls_due 3.0" in r.text
