"""Shared by every test: the clock, the Motive simulator on loopback, servers that outlive a
test, and the warning for skipped PostgreSQL tests."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.offline.loopback import serve_on_loopback
from motive.client import MotiveClient
from motive.clock import ManualClock
from motive.simulator import SimConfig, Simulator, build_app


class ThreadedServer:
    """One loopback server (uvicorn) for the whole run, in a thread with its own event loop.

    Stopping a uvicorn server takes about 0.2 s, a fifth of the suite when every test started
    and stopped its own. Each test still gets fresh apps: they are swapped in and out of the
    server (`serving`, or tenants of `routes`). Their handlers run on the server's thread; a test
    reads what they recorded only after its own call to them has returned.
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


class Swap:
    """An ASGI app that passes each request to whichever app is current (one test's)."""

    def __init__(self) -> None:
        self.current: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self.current or PlainTextResponse("no app is being served", 404)
        await app(scope, receive, send)

    @contextlib.contextmanager
    def serving(self, app: ASGIApp) -> Iterator[None]:
        self.current = app
        try:
            yield
        finally:
            self.current = None


_servers: dict[str, Any] = {}


def shared_server(name: str, app: Any) -> ThreadedServer:
    """The run's server called `name`, started (with `app`) on first use."""
    if name not in _servers:
        _servers[name] = ThreadedServer(Starlette(routes=[Mount("", app=app)]))
    server: ThreadedServer = _servers[name]
    return server


@pytest.fixture(scope="session", autouse=True)
def _close_shared_servers() -> Iterator[None]:
    yield
    for server in _servers.values():
        server.close()


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


_sim_swap = Swap()


@pytest.fixture
def sim_env(clock: ManualClock, sim_config: SimConfig) -> Iterator[SimEnv]:
    """This test's simulator on the run's shared loopback server (real HTTP: timeouts and
    refused connections behave as they do against Motive). Its webhook sender is not running:
    tests send due webhooks themselves."""
    sim = Simulator(sim_config, clock=clock)
    server = shared_server("simulator", _sim_swap)
    with _sim_swap.serving(build_app(sim, tick_seconds=3600)):
        yield SimEnv(sim, clock, server.url)


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
