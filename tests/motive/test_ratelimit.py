from __future__ import annotations

import asyncio

from motive.clock import ManualClock
from motive.ratelimit import TokenBucket


async def test_bucket_never_exceeds_limit_in_any_window() -> None:
    clock = ManualClock()
    bucket = TokenBucket.for_limit(20, 10.0, clock=clock)
    stamps: list[float] = []

    async def one() -> None:
        await bucket.acquire()
        stamps.append(clock.monotonic())

    await asyncio.gather(*(one() for _ in range(200)))
    assert len(stamps) == 200
    for i, t in enumerate(stamps):
        in_window = sum(1 for s in stamps[i:] if s < t + 10.0)
        assert in_window <= 20
    assert stamps[9] == stamps[0]  # the first half of the limit goes through at once


async def test_reconfigure_shrinks_the_burst() -> None:
    clock = ManualClock()
    bucket = TokenBucket.for_limit(100, 1.0, clock=clock)
    bucket.configure(4, 1.0)
    start = clock.monotonic()
    for _ in range(3):
        await bucket.acquire()
    assert clock.monotonic() - start > 0


async def test_urgent_callers_go_before_background_ones() -> None:
    clock = ManualClock()
    bucket = TokenBucket.for_limit(4, 4.0, clock=clock)  # 2 at once, then 0.4 a second
    order: list[str] = []

    async def take(name: str, urgent: bool) -> None:
        await bucket.acquire(urgent=urgent)
        order.append(name)

    background = [asyncio.create_task(take(f"poll{i}", False)) for i in range(10)]
    await asyncio.sleep(0)  # the polls are queued, two served, one waiting for a token
    await take("create", True)
    await asyncio.gather(*background)
    assert len(order) == 11
    assert order.index("create") <= 3  # the polls already served, at most one in hand, then it


async def test_a_tiny_wait_on_a_still_clock_still_ends() -> None:
    # At a huge refill rate the wait for a token is below the float resolution of the clock's
    # reading; the bucket used to sleep it, see no time pass, and sleep again for ever.
    clock = ManualClock()
    clock.advance(10**7)  # a clock far from zero: coarser floats
    bucket = TokenBucket(1, 1e15, clock=clock)
    await asyncio.wait_for(bucket.acquire(), 5)
    await asyncio.wait_for(bucket.acquire(), 5)
    assert bucket.waits >= 1 and clock.monotonic() > 1000.0 + 10**7
