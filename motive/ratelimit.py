"""A client-side token bucket, so that a burst of our own requests never earns a 429.

Motive's limit is per company, not per process: where several processes call Motive with one
key, they must share one bucket. `RateLimiter` is what the client needs of a bucket; this
module's `TokenBucket` is one process's own, and a deployment of several processes hands the
client a shared one (the bot keeps one in its database: bot/store/rate_bucket.py).
"""

from __future__ import annotations

import asyncio
import math
from typing import Protocol

from motive.clock import Clock, SystemClock

# Motive's window algorithm is not documented. A bucket of capacity C refilled at r per second
# lets through at most C + r*P requests in any period P; keeping that under the published limit
# L (with headroom for requests that bunch up in flight) is safe against a sliding window too.
BURST_SHARE = 0.5
REFILL_SHARE = 0.4
MIN_WAIT = 1e-6  # seconds; far above a monotonic clock's float resolution for ~30 years of uptime


class RateLimiter(Protocol):
    async def acquire(self, *, urgent: bool = False) -> None:
        """Wait for a token, then take it (urgent callers first)."""

    def configure(self, limit: int, period_seconds: float) -> None:
        """Fit the bucket to the limit Motive reports: `limit` requests per `period_seconds`."""

    async def reserve(self, wanted: int) -> int:
        """Take up to `wanted` tokens now, without waiting, for calls about to be made; the
        next acquires use them. Returns how many were taken (0: the budget is spent for now)."""


def fitted(limit: int, period_seconds: float) -> tuple[float, float]:
    """(capacity, refill per second) of a bucket kept safely under `limit` per `period`."""
    capacity = max(1.0, float(int(limit * BURST_SHARE)))
    rate = max(1e-6, limit * REFILL_SHARE / max(period_seconds, 1e-3))
    return capacity, rate


class TokenBucket:
    def __init__(
        self, capacity: float, refill_per_second: float, *, clock: Clock | None = None
    ) -> None:
        self._clock = clock or SystemClock()
        self._lock = asyncio.Lock()
        self.capacity = max(1.0, capacity)
        self.rate = max(1e-6, refill_per_second)
        self._tokens = self.capacity
        self._stamp = self._clock.monotonic()
        self.waits = 0
        self._urgent = 0
        self._calm = asyncio.Event()
        self._calm.set()
        self._reserved = 0  # tokens taken by `reserve` and not used yet

    @classmethod
    def for_limit(
        cls, limit: int, period_seconds: float, *, clock: Clock | None = None
    ) -> TokenBucket:
        bucket = cls(1, 1, clock=clock)
        bucket.configure(limit, period_seconds)
        bucket._tokens = bucket.capacity
        return bucket

    def configure(self, limit: int, period_seconds: float) -> None:
        """Fit the bucket to a server limit of `limit` requests per `period_seconds`."""
        capacity, rate = fitted(limit, period_seconds)
        self._refill()
        self.capacity = capacity
        self.rate = rate
        self._tokens = min(self._tokens, capacity)

    def _refill(self) -> None:
        now = self._clock.monotonic()
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    async def reserve(self, wanted: int) -> int:
        async with self._lock:
            self._refill()
            got = max(0, min(wanted, math.floor(self._tokens + 1e-9)))
            self._tokens -= got
            self._reserved += got
            return got

    async def acquire(self, *, urgent: bool = False) -> None:
        """Take a token, waiting for one if needed. Urgent callers (a dispatcher waiting on a
        create) go before background ones (status polls) whenever both are waiting."""
        if self._reserved > 0:
            self._reserved -= 1
            return
        if urgent:
            self._urgent += 1
            self._calm.clear()
        try:
            while True:
                if not urgent:
                    await self._calm.wait()
                async with self._lock:
                    if not urgent and self._urgent:
                        continue  # an urgent caller arrived while this one queued
                    self._refill()
                    # The tolerance keeps float rounding from spinning on a sliver of a token;
                    # the floor on the wait, from spinning on a wait shorter than the clock's
                    # float resolution (a huge limit), which never shows as time passed.
                    while self._tokens < 1.0 - 1e-9:
                        self.waits += 1
                        await self._clock.sleep(max(MIN_WAIT, (1.0 - self._tokens) / self.rate))
                        self._refill()
                    self._tokens = max(0.0, self._tokens - 1.0)
                    return
        finally:
            if urgent:
                self._urgent -= 1
                if not self._urgent:
                    self._calm.set()
