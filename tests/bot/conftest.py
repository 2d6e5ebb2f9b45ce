"""The running bot for tests: `running_stack` (bot.offline.stack with test defaults: a manual
clock, the bot and the simulator in-process, each test's fake Slack on one shared loopback
server), the databases, and waiting helpers."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Mount
from starlette.types import Receive, Scope, Send

from bot.offline.fakeslack import FakeSlack, find_openapi
from bot.offline.loopback import serve_on_loopback
from bot.offline.stack import SIGNING_SECRET, WEBHOOK_SECRET, Stack, build_stack
from motive.clock import ManualClock
from motive.simulator import SimConfig, Simulator

__all__ = ["SIGNING_SECRET", "WEBHOOK_SECRET", "Stack", "eventually", "running_stack", "wait_for"]

OPENAPI = find_openapi()
assert OPENAPI is not None, "Slack's OpenAPI file is missing from bot/offline/slack_spec"
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
SKIP_POSTGRES = "MOTIVE_BOT_SKIP_POSTGRES"


class SlackHost:
    """Every test's fake Slack behind one loopback server, each under its own path prefix.

    Starting and stopping a uvicorn server costs about 0.2 s, and the bot's Slack client (aiohttp)
    needs a real socket, so the server is started once for the run, in a thread of its own with
    its own event loop (each test has a fresh loop). The fakes' handlers run on that thread; a
    test reads a fake's records only after the bot's call to it has returned.
    """

    def __init__(self) -> None:
        self.url = ""
        self._tenants: dict[str, Starlette] = {}
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=asyncio.run, args=(self._serve(),), daemon=True)
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("the fake Slack host did not start")

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        tenant = self._tenants.get(scope["path_params"]["tenant"])
        if tenant is None:
            await PlainTextResponse("no such fake Slack", 404)(scope, receive, send)
            return
        await tenant(scope, receive, send)

    async def _serve(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        async with serve_on_loopback(
            Starlette(routes=[Mount("/{tenant}", app=self._dispatch)])
        ) as url:
            self.url = url
            self._ready.set()
            await self._stop.wait()

    @contextlib.contextmanager
    def hosting(self, slack: FakeSlack) -> Iterator[str]:
        """Serve `slack` while the block runs; its base URL (the same for the same fake)."""
        key = f"slack-{id(slack):x}"
        self._tenants[key] = slack.app()
        try:
            yield f"{self.url}/{key}"
        finally:
            self._tenants.pop(key, None)

    def close(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


_host: SlackHost | None = None


def slack_host() -> SlackHost:
    global _host
    if _host is None:
        _host = SlackHost()
    return _host


@pytest.fixture(scope="session", autouse=True)
def _close_slack_host() -> Iterator[None]:
    yield
    if _host is not None:
        _host.close()


async def wait_for(predicate: Callable[[], Any], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


async def eventually(check: Callable[[], Any], timeout: float = 10.0) -> None:
    """Wait until the coroutine function `check` returns something true."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def running_stack(
    database_url: str,
    *,
    sim_config: SimConfig | None = None,
    role: str = "web",
    clock: ManualClock | None = None,
    settings_overrides: dict[str, Any] | None = None,
    sim: Simulator | None = None,
    slack: FakeSlack | None = None,
    served: bool = False,
) -> AsyncIterator[Stack]:
    """The bot against a simulator and a fake Slack; pass those in to keep them over a restart.
    `served`: the bot and the simulator on loopback through uvicorn instead of in-process."""
    slack = slack or FakeSlack(openapi=OPENAPI)
    with slack_host().hosting(slack) as slack_url:
        async with build_stack(
            database_url,
            clock=clock or ManualClock(),
            role=role,
            served=served,
            sim=sim,
            sim_config=sim_config,
            slack=slack,
            slack_url=slack_url,
            settings_overrides=settings_overrides,
            motive_options={"retry_base_seconds": 0.01},
            sweep_seconds=0.2,
            slack_retry_seconds=0.01,
        ) as stack:
            yield stack


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh database on the local PostgreSQL server, dropped afterwards. PostgreSQL must be
    there: a test that needs it fails without it, unless MOTIVE_BOT_SKIP_POSTGRES=1 skips it
    (and the run's summary says how many were skipped)."""
    import asyncpg

    if os.environ.get(SKIP_POSTGRES) == "1":
        pytest.skip(f"{SKIP_POSTGRES}=1: PostgreSQL test skipped")
    admin_url = PG_URL
    name = f"motive_bot_{uuid.uuid4().hex[:10]}"
    try:
        admin = await asyncpg.connect(admin_url)
    except (OSError, asyncpg.PostgresError) as e:
        problem = f"{type(e).__name__}: {e}"
    else:
        problem = None
    if problem is not None:
        pytest.fail(
            f"PostgreSQL at {admin_url} (TEST_POSTGRES_URL) refused or is unreachable: "
            f"{problem}. Start it, or set {SKIP_POSTGRES}=1 to skip these tests.",
            pytrace=False,
        )
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bot.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
async def stack(sqlite_url: str) -> AsyncIterator[Stack]:
    async with running_stack(sqlite_url) as s:
        yield s
    assert not s.slack.violations, s.slack.violations
