"""The running bot for tests: `running_stack` (bot.offline.stack with test defaults: a manual
clock, the bot and the simulator in-process, each test's fake Slack on the run's shared loopback
server), the databases, and waiting helpers."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import sqlite3
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
from bot.offline.stack import PATIENCE, SIGNING_SECRET, WEBHOOK_SECRET, Stack, build_stack
from bot.store.requests import Store
from motive.clock import ManualClock
from motive.simulator import SimConfig, Simulator
from tests.conftest import shared_server

__all__ = ["SIGNING_SECRET", "WEBHOOK_SECRET", "Stack", "eventually", "running_stack", "wait_for"]

OPENAPI = find_openapi()
assert OPENAPI is not None, "Slack's OpenAPI file is missing from bot/offline/slack_spec"
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
SKIP_POSTGRES = "MOTIVE_BOT_SKIP_POSTGRES"


class SlackTenants:
    """Every test's fake Slack on the run's shared loopback server (tests/conftest.py), each
    under a path of its own: the bot's Slack client (aiohttp) needs a real socket."""

    def __init__(self) -> None:
        self._tenants: dict[str, Starlette] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        tenant = self._tenants.get(scope["path_params"]["tenant"])
        app = tenant or PlainTextResponse("no such fake Slack", 404)
        await app(scope, receive, send)

    @contextlib.contextmanager
    def hosting(self, slack: FakeSlack) -> Iterator[str]:
        """Serve `slack` while the block runs; its base URL (the same for the same fake)."""
        server = shared_server("slack", Starlette(routes=[Mount("/{tenant}", app=self)]))
        key = f"slack-{id(slack):x}"
        self._tenants[key] = slack.app()
        try:
            yield f"{server.url}/{key}"
        finally:
            self._tenants.pop(key, None)


_slack_tenants = SlackTenants()


async def wait_for(predicate: Callable[[], Any], timeout: float = PATIENCE) -> None:
    """Wait until `predicate()` is true; `timeout` only says when to call it a failure."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


async def eventually(check: Callable[[], Any], timeout: float = PATIENCE) -> None:
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
    with _slack_tenants.hosting(slack) as slack_url:
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
            tick_seconds=0.1,
            slack_retry_seconds=0.01,
        ) as stack:
            yield stack


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite database brought to the newest schema by the bot's own migrations, once per
    session (each pytest run, each xdist worker, each mutant): migrating anew took a tenth of a
    second per test. From empty to head is tested on fresh databases in test_migrations.py."""
    path = tmp_path_factory.mktemp("migrated") / "bot.db"

    async def migrate() -> None:
        store = Store(f"sqlite:///{path}")
        try:
            await store.create_schema()
        finally:
            await store.close()

    # In a thread of its own: this may be set up while a test's event loop is running.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, migrate()).result()
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path, migrated_sqlite: Path) -> str:
    """A fresh SQLite database of this test's own, already at the newest schema."""
    path = tmp_path / "bot.db"
    with (
        contextlib.closing(sqlite3.connect(migrated_sqlite)) as source,
        contextlib.closing(sqlite3.connect(path)) as copy,
    ):
        source.backup(copy)
    return f"sqlite:///{path}"


async def postgres_admin(url: str) -> Any:
    """A connection to the PostgreSQL server at `url`; without one the test fails, saying why
    and how to opt out."""
    import asyncpg

    try:
        return await asyncpg.connect(url)
    except (OSError, asyncpg.PostgresError) as e:
        problem = f"{type(e).__name__}: {e}"
    pytest.fail(
        f"PostgreSQL at {url} (TEST_POSTGRES_URL) refused or is unreachable: {problem}. "
        f"Start it, or set {SKIP_POSTGRES}=1 to skip these tests.",
        pytrace=False,
    )


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh database on the local PostgreSQL server, dropped afterwards. PostgreSQL must be
    there unless MOTIVE_BOT_SKIP_POSTGRES=1 skips the tests that need it (the run's summary then
    says how many it skipped)."""
    if os.environ.get(SKIP_POSTGRES) == "1":
        pytest.skip(f"{SKIP_POSTGRES}=1: PostgreSQL test skipped")
    admin = await postgres_admin(PG_URL)
    name = f"motive_bot_{uuid.uuid4().hex[:10]}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield PG_URL.rsplit("/", 1)[0] + "/" + name
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
