"""The running bot on loopback: the Motive simulator, the fake Slack Web API, signed requests."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier

from bot.config import Settings
from bot.metrics import observe_motive
from bot.offline.fakeslack import FakeSlack, find_openapi
from bot.offline.loopback import serve_on_loopback
from bot.server import build_server
from bot.services import Services, build_services
from bot.slack.app import build_bolt_app
from motive.client import MotiveClient
from motive.clock import ManualClock
from motive.simulator import SimConfig, Simulator, build_app

SIGNING_SECRET = "test-signing-secret"
WEBHOOK_SECRET = "8cbd43f98ba1e33c28c9"
OPENAPI = find_openapi()
assert OPENAPI is not None, "Slack's OpenAPI file is missing from bot/offline/slack_spec"
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@dataclass
class Stack:
    sim: Simulator
    slack: FakeSlack
    svc: Services
    url: str
    slack_url: str
    sim_url: str
    clock: ManualClock
    http: httpx.AsyncClient
    _n: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def signed(
        self, body: str, *, timestamp: int | None = None, secret: str = SIGNING_SECRET
    ) -> dict[str, str]:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        sig = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
        return {
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": sig,
            "Content-Type": "application/x-www-form-urlencoded",
        }

    async def command(
        self, command: str, text: str, *, user: str = "U0DISPATCH", channel: str = "C0DISPATCH"
    ) -> httpx.Response:
        n = next(self._n)
        body = urlencode(
            {
                "token": "legacy",
                "team_id": "T0FLEET",
                "team_domain": "fleet",
                "channel_id": channel,
                "channel_name": "dispatch",
                "user_id": user,
                "user_name": "dispatcher",
                "command": command,
                "text": text,
                "response_url": f"{self.slack_url}/respond/{n}",
                "trigger_id": f"trig-{n}",
                "api_app_id": "A0MOTIVE",
            }
        )
        return await self.http.post(
            f"{self.url}/slack/events", content=body, headers=self.signed(body)
        )

    async def interact(self, payload: dict[str, Any]) -> httpx.Response:
        payload.setdefault("team", {"id": "T0FLEET"})
        payload.setdefault("user", {"id": "U0DISPATCH"})
        payload.setdefault("api_app_id", "A0MOTIVE")
        payload.setdefault("token", "legacy")
        body = urlencode({"payload": json.dumps(payload)})
        return await self.http.post(
            f"{self.url}/slack/events", content=body, headers=self.signed(body)
        )

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait until the work started after acks has finished."""
        if not await self.svc.background.wait_idle(timeout):
            raise AssertionError("background work did not finish")

    async def poll_all(self) -> None:
        for row in await self.svc.store.in_flight():
            await self.svc.tracker.poll(row.id)
        await self.settle()

    def responses(self) -> list[str]:
        return [r.get("text", "") for r in self.slack.responses]

    def anchors(self) -> list[Any]:
        return [m for m in self.slack.messages if m.thread_ts is None]


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
) -> AsyncIterator[Stack]:
    """The bot against a simulator and a fake Slack; pass those in to keep them over a restart."""
    clock = clock or ManualClock()
    sim = sim or Simulator(sim_config or SimConfig(), clock=clock)
    slack = slack or FakeSlack(openapi=OPENAPI)
    async with (
        serve_on_loopback(build_app(sim, tick_seconds=3600)) as sim_url,
        serve_on_loopback(slack.app()) as slack_url,
    ):
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            slack_bot_token="xoxb-test",
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=f"{slack_url}/api/",
            motive_api_url=sim_url,
            motive_webhook_secret=WEBHOOK_SECRET,
            database_url=database_url,
            **(settings_overrides or {}),
        )
        motive = MotiveClient(
            base_url=sim_url, clock=clock, retry_base_seconds=0.01, observer=observe_motive
        )
        svc = build_services(settings, role=role, clock=clock, motive=motive, sweep_seconds=0.2)
        server = build_server(svc, build_bolt_app(svc), role=role)
        async with serve_on_loopback(server) as url, httpx.AsyncClient(timeout=10) as http:
            yield Stack(sim, slack, svc, url, slack_url, sim_url, clock, http)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh database on the local PostgreSQL server, dropped afterwards. In CI it must run."""
    import uuid

    import asyncpg

    admin_url = PG_URL
    name = f"motive_bot_{uuid.uuid4().hex[:10]}"
    try:
        admin = await asyncpg.connect(admin_url)
    except (OSError, asyncpg.PostgresError) as e:
        if os.environ.get("CI"):
            raise AssertionError(
                f"PostgreSQL is required in CI and unreachable at {admin_url}: {e}"
            ) from e
        pytest.skip(f"no PostgreSQL at {admin_url}")
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
