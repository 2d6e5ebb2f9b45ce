"""Shared by every test: the clock, the Motive simulator on loopback, a server that outlives a
test, and the warning for skipped PostgreSQL tests."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, settings
from starlette.types import ASGIApp

from bot.offline.loopback import serve_on_loopback
from motive.client import MotiveClient
from motive.clock import ManualClock
from motive.simulator import SimConfig, Simulator, build_app

# The running stack, its databases and its fixtures, for every room's tests.
pytest_plugins = ["tests.support.stack"]

# Hypothesis times each example (`deadline`) and the drawing of its inputs (`too_slow`): on a
# machine whose cores are busy both fail tests that are correct. A property test here asserts
# what holds, never how fast; speed is measured in bench/.
settings.register_profile("suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")


class ThreadedServer:
    """One loopback server (uvicorn) for the whole run, in a thread with its own event loop.

    Stopping a uvicorn server takes about 0.2 s, a fifth of the suite when every test started
    and stopped its own. Each test still gets fresh apps, mounted on the server as tenants for as
    long as the test runs. Their handlers run on the server's thread; a test reads what they
    recorded only after its own call to them has returned.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.url = ""
        self._app = app
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=asyncio.run, args=(self._serve(),), daemon=True)
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("the test server did not start")

    async def _serve(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        async with serve_on_loopback(self._app) as url:
            self.url = url
            self._ready.set()
            await self._stop.wait()

    def close(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


# Keyed by process too: mutmut forks a worker per mutant after the servers have started, and a
# forked child has the parent's dict but not its threads (nothing would answer on those ports).
_servers: dict[tuple[int, str], ThreadedServer] = {}


def shared_server(name: str, app: ASGIApp) -> ThreadedServer:
    """This process's server called `name`, started (with `app`) on first use."""
    key = (os.getpid(), name)
    if key not in _servers:
        _servers[key] = ThreadedServer(app)
    return _servers[key]


@pytest.fixture(scope="session", autouse=True)
def _close_shared_servers() -> Iterator[None]:
    yield
    # Forgotten once closed: mutmut runs pytest more than once in one process.
    for key, server in list(_servers.items()):
        if key[0] == os.getpid():
            server.close()
            del _servers[key]


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
    """This test's simulator on a loopback server of its own, in the test's event loop: the
    client tests race the simulator's rate-limit window against the client's clock, so requests
    must be handled in the order the loop sends them."""
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
