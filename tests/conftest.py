from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from bot.offline.loopback import serve_on_loopback
from motive.client import MotiveClient
from motive.clock import ManualClock
from motive.simulator import SimConfig, Simulator, build_app


@dataclass
class SimEnv:
    sim: Simulator
    clock: ManualClock
    url: str

    def client(self, **kwargs: object) -> MotiveClient:
        kwargs.setdefault("clock", self.clock)
        kwargs.setdefault("retry_base_seconds", 0.5)
        return MotiveClient(base_url=self.url, api_key="test-key", **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 21, 15, 0, tzinfo=UTC))


@pytest.fixture
def sim_config() -> SimConfig:
    return SimConfig(api_key="test-key")


@pytest.fixture
async def sim_env(clock: ManualClock, sim_config: SimConfig) -> AsyncIterator[SimEnv]:
    sim = Simulator(sim_config, clock=clock)
    async with serve_on_loopback(build_app(sim, tick_seconds=3600)) as url:
        yield SimEnv(sim, clock, url)


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say loudly, last, how many PostgreSQL tests MOTIVE_BOT_SKIP_POSTGRES=1 skipped."""
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if "MOTIVE_BOT_SKIP_POSTGRES" in str(getattr(report, "longrepr", ""))
    ]
    if skipped:
        terminalreporter.write_line(
            f"WARNING: MOTIVE_BOT_SKIP_POSTGRES=1 skipped {len(skipped)} PostgreSQL test(s); "
            "storage on PostgreSQL was not tested.",
            yellow=True,
            bold=True,
        )
