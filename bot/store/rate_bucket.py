"""Motive's rate limit, shared by every process that calls Motive with the bot's key.

Motive's limit is per company (reference: 120 requests a minute unless the quota reply says
otherwise); a token bucket per process would let N workers and web replicas ask N times as fast.
This bucket is one row in the store. A process takes tokens from it in one short transaction
(the row locked `FOR UPDATE` on PostgreSQL) and spends them locally: the poller takes a batch's
worth at once (`reserve`) before it claims that many due requests, so when the polls due exceed
the budget, the most overdue are claimed and the rest wait in the queue (`motive_bot_polls_due`
on /metrics). A few tokens are kept back from polls for urgent calls (someone waiting on a
create, the quota, a form's timelines). The limit Motive reports (`configure`) is written to the
row with the next take, so every process follows it.
"""

from __future__ import annotations

import math
from typing import cast

from sqlalchemy import Table, select, update

from bot.store.database import Database, insert_for
from bot.store.models import RateBucketRow
from motive.clock import Clock
from motive.ratelimit import fitted

ROW_ID = 1
KEEP_FOR_URGENT = 2.0  # tokens polls leave in the bucket for calls someone is waiting on
LONGEST_WAIT = 5.0  # seconds between looks at the bucket while waiting for a token


class StoreBucket:
    """A `motive.ratelimit.RateLimiter` kept in the store, shared by every process."""

    def __init__(
        self, store: Database, clock: Clock, *, limit: int = 120, period_seconds: float = 60.0
    ) -> None:
        self.store = store
        self.clock = clock
        self.capacity, self.rate = fitted(limit, period_seconds)
        self._configured = False  # set by `configure`: written with the next take
        self._reserved = 0
        self.waits = 0

    def configure(self, limit: int, period_seconds: float) -> None:
        self.capacity, self.rate = fitted(limit, period_seconds)
        self._configured = True

    async def reserve(self, wanted: int) -> int:
        got, _ = await self.take(wanted, keep=KEEP_FOR_URGENT)
        self._reserved += got
        return got

    async def acquire(self, *, urgent: bool = False) -> None:
        if self._reserved > 0:
            self._reserved -= 1
            return
        while True:
            got, wait = await self.take(1, keep=0.0 if urgent else KEEP_FOR_URGENT)
            if got:
                return
            self.waits += 1
            await self.clock.sleep(min(LONGEST_WAIT, wait))

    async def take(self, wanted: int, *, keep: float = 0.0) -> tuple[int, float]:
        """Take up to `wanted` whole tokens, leaving `keep` in the bucket: (how many were taken,
        seconds until one more would be there)."""
        now = self.clock.now()
        table = cast(Table, RateBucketRow.__table__)
        async with self.store.engine.begin() as conn:
            found = (
                await conn.execute(select(table).where(table.c.id == ROW_ID).with_for_update())
            ).one_or_none()
            if found is None:
                # The first call ever: a full bucket. Processes starting together may all try;
                # one insert stands and every one of them reads it.
                await conn.execute(
                    insert_for(self.store.is_sqlite)(table)
                    .values(
                        id=ROW_ID,
                        tokens=self.capacity,
                        capacity=self.capacity,
                        refill_per_second=self.rate,
                        stamp=now,
                    )
                    .on_conflict_do_nothing()
                )
                found = (
                    await conn.execute(select(table).where(table.c.id == ROW_ID).with_for_update())
                ).one()
            capacity, rate = found.capacity, found.refill_per_second
            if self._configured:
                capacity, rate = self.capacity, self.rate
            # Another process's clock may run a little ahead: time never runs backwards.
            stamp = max(found.stamp, now)
            elapsed = (stamp - found.stamp).total_seconds()
            tokens = min(capacity, found.tokens + elapsed * rate)
            got = max(0, min(wanted, math.floor(tokens - keep + 1e-9)))
            await conn.execute(
                update(table)
                .where(table.c.id == ROW_ID)
                .values(
                    tokens=tokens - got,
                    capacity=capacity,
                    refill_per_second=rate,
                    stamp=stamp,
                )
            )
        self._configured = False
        self.capacity, self.rate = capacity, rate
        missing = keep + 1.0 - (tokens - got)
        return got, max(0.001, missing / rate)
