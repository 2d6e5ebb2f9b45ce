"""Clocks: the real one, and a manual one that tests advance by hand instead of sleeping."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards."""

    async def sleep(self, seconds: float) -> None:
        """Wait, on this clock."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class ManualClock:
    """A clock for tests: it starts at a chosen instant and moves when told to.

    Still (the default), it only moves when told to, and `sleep` advances it instead of waiting.
    Ticking, it also runs at real speed from its start, and `sleep` really waits: for tests that
    drive real timers (APScheduler) while still jumping ahead by hand. Either way every component
    of a test reads this one clock, so a test passes on any date.
    """

    def __init__(self, start: datetime | None = None, *, ticking: bool = False) -> None:
        self._now = start or datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
        self._mono = 1000.0
        self.ticking = ticking
        self._t0 = time.monotonic()
        self.slept: list[float] = []

    def _elapsed(self) -> float:
        return time.monotonic() - self._t0 if self.ticking else 0.0

    def now(self) -> datetime:
        return self._now + timedelta(seconds=self._elapsed())

    def monotonic(self) -> float:
        return self._mono + self._elapsed()

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._mono += seconds

    def set(self, when: datetime) -> None:
        self.advance((when - self.now()).total_seconds())

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        if self.ticking:
            await asyncio.sleep(max(0.0, seconds))
            return
        self.advance(max(0.0, seconds))
        await asyncio.sleep(0)
