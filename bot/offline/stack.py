"""The offline stack: the bot, the Motive simulator and the fake Slack Web API on one clock.

`build_stack()` is the one place they are put together, for the console, the tests and the
benchmarks. The bot and the simulator are either served on loopback by uvicorn (`served=True`:
what a deployment does, and what the console and the benchmarks use) or dispatched in-process
through httpx's `ASGITransport` (no sockets, nothing to start or stop: what most tests use). The
fake Slack is always on a real socket, served here or handed in by URL: the Slack SDK speaks
aiohttp, which has no in-process transport.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette

from bot.config import Settings
from bot.metrics import observe_motive
from bot.offline import blockkit_check
from bot.offline.fakeslack import Call, FakeSlack, Message
from bot.offline.loopback import serve_on_loopback
from bot.offline.retries import quick_slack_retries
from bot.offline.signing import (
    DISPATCH_CHANNEL,
    DISPATCHER,
    FORM,
    JSON,
    Signer,
    command_body,
    event_body,
    interaction_body,
)
from bot.server import build_server
from bot.services import Services, build_services
from bot.slack.app import build_bolt_app
from motive.client import MotiveClient
from motive.clock import Clock, SystemClock
from motive.simulator import SimConfig, Simulator, build_app
from motive.tls import tls_context

SIGNING_SECRET = "offline-signing-secret"
WEBHOOK_SECRET = "8cbd43f98ba1e33c28c9"  # 20 characters, as Motive's secrets are
# Addresses of apps dispatched in-process. The `.invalid` names never resolve, so a client that
# was not given the in-process transport fails at once instead of reaching something else.
IN_PROCESS_BOT = "http://bot.invalid"
# How long a wait for the bot's work (settle) may take before it is called a failure. Not a
# figure of speed: on a busy machine (CI beside other jobs, both cores kept busy) work that takes
# milliseconds when quiet can take seconds, and a passing wait ends as soon as the work is done.
PATIENCE = 120.0
IN_PROCESS_MOTIVE = "http://motive.invalid"


@contextlib.asynccontextmanager
async def in_process(app: Starlette) -> AsyncIterator[httpx.ASGITransport]:
    """A transport into `app` with its lifespan running, which ASGITransport alone leaves out."""
    async with app.router.lifespan_context(app):
        yield httpx.ASGITransport(app=app)


@dataclass
class Backends:
    """What the bot talks to: Motive (the simulator, or a Motive elsewhere) and the fake Slack."""

    sim: Simulator | None
    sim_url: str
    slack: FakeSlack
    slack_url: str
    motive_transport: httpx.AsyncBaseTransport | None = None  # set when Motive is in-process

    def serve_env(self, database_url: str, *, port: int, **extra: str) -> dict[str, str]:
        """The environment of a `motive-bot serve` process pointed at these backends."""
        env = {
            "PORT": str(port),
            "SLACK_BOT_TOKEN": "xoxb-offline",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": f"{self.slack_url}/api/",
            "MOTIVE_API_URL": self.sim_url,
            "DATABASE_URL": database_url,
        }
        env.update(extra)
        return env


@contextlib.asynccontextmanager
async def serve_backends(
    *,
    sim: Simulator | None = None,
    motive_url: str | None = None,
    slack: FakeSlack | None = None,
    slack_url: str | None = None,
    served: bool = True,
    webhook_tick_seconds: float = 3600.0,
) -> AsyncIterator[Backends]:
    """The simulator (unless `motive_url` names a Motive elsewhere) and the fake Slack (served on
    loopback here unless `slack_url` says where it already is)."""
    slack = slack or FakeSlack()
    if sim is None and motive_url is None:
        sim = Simulator(SimConfig())
    async with contextlib.AsyncExitStack() as exits:
        if slack_url is None:
            slack_url = await exits.enter_async_context(serve_on_loopback(slack.app()))
        transport: httpx.AsyncBaseTransport | None = None
        if sim is not None:
            sim_app = build_app(sim, tick_seconds=webhook_tick_seconds)
            if served:
                motive_url = await exits.enter_async_context(serve_on_loopback(sim_app))
            else:
                # Without its lifespan: that only runs the webhook sender, whose real HTTP client
                # could not reach an in-process bot anyway.
                transport = httpx.ASGITransport(app=sim_app)
                motive_url = IN_PROCESS_MOTIVE
        assert motive_url is not None
        yield Backends(sim, motive_url, slack, slack_url, transport)


def offline_settings(
    database_url: str,
    *,
    slack_url: str,
    motive_url: str,
    simulator: bool = True,
    base: Settings | None = None,
    overrides: Mapping[str, Any] | None = None,
    signing_secret: str = SIGNING_SECRET,
) -> Settings:
    """`base` (default: the environment) pointed at a fake Slack and at Motive (a simulator,
    which signs its webhooks with WEBHOOK_SECRET, unless `simulator` is False), with
    `overrides` on top."""
    values: dict[str, Any] = base.model_dump() if base is not None else {}
    values.update(
        slack_bot_token="xoxb-offline",
        slack_signing_secret=signing_secret,
        slack_api_url=f"{slack_url}/api/",
        motive_api_url=motive_url,
        database_url=database_url,
    )
    if simulator:
        values["motive_webhook_secret"] = WEBHOOK_SECRET
    values.update(overrides or {})
    return Settings(_env_file=None, **values)


@dataclass
class Bot:
    svc: Services
    url: str
    http: httpx.AsyncClient  # reaches the bot: over loopback, or in-process


@contextlib.asynccontextmanager
async def run_bot(
    settings: Settings,
    *,
    clock: Clock,
    role: str = "all",
    served: bool = False,
    motive_transport: httpx.AsyncBaseTransport | None = None,
    motive_options: Mapping[str, Any] | None = None,
    sweep_seconds: float = 5.0,
    tick_seconds: float = 1.0,
    http_limits: httpx.Limits | None = None,
    slack_retry_seconds: float | None = None,
) -> AsyncIterator[Bot]:
    """The bot's services and its HTTP face, started (and stopped) through the app's lifespan.

    `slack_retry_seconds`: a fixed wait between the Slack SDK's retries instead of its backoff
    (after a 429, its Retry-After and this, without the SDK's random extra). The retries still
    happen; only their real-time waits, which the SDK cannot take from an injected clock,
    shrink."""
    key = settings.motive_api_key.get_secret_value() if settings.motive_api_key else None
    motive = MotiveClient(
        api_key=key,
        base_url=settings.motive_api_url,
        clock=clock,
        observer=observe_motive,
        transport=motive_transport,
        **(motive_options or {}),
    )
    svc = build_services(
        settings,
        role=role,
        clock=clock,
        motive=motive,
        sweep_seconds=sweep_seconds,
        tick_seconds=tick_seconds,
    )
    if slack_retry_seconds is not None:
        quick_slack_retries(svc.slack, slack_retry_seconds)
    server = build_server(svc, build_bolt_app(svc), role=role)
    limits = http_limits or httpx.Limits()
    async with contextlib.AsyncExitStack() as exits:
        if served:
            url = await exits.enter_async_context(serve_on_loopback(server))
            http = httpx.AsyncClient(timeout=30, limits=limits, verify=tls_context())
        else:
            url = IN_PROCESS_BOT
            # Only the bot's in-process address is dispatched in-process; any other URL (a
            # server a test puts in front of the app, say) is reached over the network.
            transport = await exits.enter_async_context(in_process(server))
            http = httpx.AsyncClient(
                mounts={IN_PROCESS_BOT: transport}, timeout=30, limits=limits, verify=tls_context()
            )
        await exits.enter_async_context(http)
        yield Bot(svc, url, http)


@dataclass
class Stack:
    """A running bot and what it talks to, with Slack's side of the conversation: signed
    commands and interactions posted to /slack/events as Slack posts them."""

    sim: Simulator | None  # None when the bot talks to a Motive elsewhere
    slack: FakeSlack
    svc: Services
    url: str
    slack_url: str
    sim_url: str  # Motive's base URL: the simulator's unless a Motive elsewhere is used
    clock: Clock
    http: httpx.AsyncClient
    signer: Signer = field(default_factory=lambda: Signer(SIGNING_SECRET))
    motive_transport: httpx.AsyncBaseTransport | None = None
    _n: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _started: set[asyncio.Task[Any]] = field(default_factory=set)

    def signed(
        self, body: str, *, timestamp: int | None = None, secret: str | None = None
    ) -> dict[str, str]:
        signer = self.signer if secret is None else Signer(secret)
        return signer.headers(body, timestamp=timestamp)

    async def post(self, body: str, *, content_type: str = FORM) -> httpx.Response:
        """Post a signed body to /slack/events, as Slack does, and note the tasks it set going."""
        before = asyncio.all_tasks()
        headers = self.signer.headers(body, content_type=content_type)
        try:
            return await self.http.post(f"{self.url}/slack/events", content=body, headers=headers)
        finally:
            # Bolt may run a listener in a task of its own that outlives the response (its
            # default mode); until it hands its work to the background group, only this sees it.
            self._started |= asyncio.all_tasks() - before

    def response_url(self, key: str) -> str:
        return f"{self.slack_url}/respond/{key}"

    async def command(
        self, command: str, text: str, *, user: str = DISPATCHER, channel: str = DISPATCH_CHANNEL
    ) -> httpx.Response:
        n = next(self._n)
        return await self.post(
            command_body(
                command,
                text,
                user=user,
                channel=channel,
                response_url=self.response_url(str(n)),
                trigger_id=f"trig-{n}",
            )
        )

    async def interact(self, payload: dict[str, Any], *, user: str = DISPATCHER) -> httpx.Response:
        answer = await self.post(interaction_body(payload, user=user))
        # The ack body goes to Slack too: judge it like the Web API calls the fake receives.
        if answer.headers.get("content-type", "").startswith("application/json"):
            self.slack.violations += blockkit_check.ack_problems(payload, answer.json())
        return answer

    async def event(self, event: dict[str, Any]) -> httpx.Response:
        """An Events API delivery of `event`, with a fresh event id."""
        n = next(self._n)
        body = event_body(
            event, event_id=f"Ev{n:08d}", event_time=int(self.clock.now().timestamp())
        )
        return await self.post(body, content_type=JSON)

    async def wait_started(self, timeout: float) -> bool:
        """Wait for the tasks the requests posted so far set going (not for what they handed to
        the background group). False if some still run after `timeout` seconds."""
        running = {task for task in self._started if not task.done()}
        self._started.clear()
        if running:
            _, late = await asyncio.wait(running, timeout=timeout)
            self._started |= late
        return not self._started

    async def settle(self, timeout: float = PATIENCE) -> None:
        """Wait until the work started by requests and after acks (and the work it started in
        turn) has finished."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        if not await self.wait_started(timeout) or not await self.svc.background.wait_idle(
            max(0.0, deadline - loop.time())
        ):
            raise TimeoutError(f"work after the acks did not finish within {timeout:g} s")

    async def poll_all(self) -> None:
        """Poll every request in flight now, whether due or not, then wait for what it started."""
        for row in await self.svc.store.in_flight():
            await self.svc.tracker.poll(row.id)
        await self.settle()

    def motive_client(self, **options: Any) -> MotiveClient:
        """Another client of the same Motive (a second worker's), however the stack reaches it."""
        return MotiveClient(
            base_url=self.sim_url, clock=self.clock, transport=self.motive_transport, **options
        )

    def responses(self) -> list[str]:
        """The texts posted to response URLs (private answers to commands), oldest first."""
        return [str(r.get("text", "")) for r in self.slack.responses]

    def anchors(self) -> list[Message]:
        """Top-level messages the bot posted (each request's anchor)."""
        return [m for m in self.slack.messages if m.thread_ts is None]

    def motive_calls(self) -> dict[str, int]:
        """Motive calls made for requests, by name (the fleet list for typeahead, which loads at
        start-up, and the where-and-who lookup that follows an anchor, left out)."""
        assert self.sim is not None, "no simulator behind this stack"
        calls = self.sim.stats.requests
        return {
            k: v
            for k, v in calls.items()
            if v and not k.endswith(".list") and k != "vehicles.locations"
        }

    def slack_calls(self) -> list[Call]:
        """Web API calls made for requests (the auth.test asked at start-up left out)."""
        return [c for c in self.slack.calls if c.method != "auth.test"]

    def thread(self, channel: str, anchor_ts: str | None) -> list[Message]:
        """The replies under a request's anchor."""
        assert anchor_ts is not None, "the request has no anchor"
        return self.slack.thread(channel, anchor_ts)

    def anchor_text(self, channel: str, anchor_ts: str | None) -> str:
        """A request's anchor message, its blocks as JSON text."""
        assert anchor_ts is not None, "the request has no anchor"
        message = self.slack.message(channel, anchor_ts)
        assert message is not None, "the anchor message is gone"
        return json.dumps(message.blocks)


@contextlib.asynccontextmanager
async def build_stack(
    database_url: str,
    *,
    clock: Clock | None = None,
    role: str = "all",
    served: bool = False,
    sim: Simulator | None = None,
    sim_config: SimConfig | None = None,
    motive_url: str | None = None,
    slack: FakeSlack | None = None,
    slack_url: str | None = None,
    settings: Settings | None = None,
    settings_overrides: Mapping[str, Any] | None = None,
    motive_options: Mapping[str, Any] | None = None,
    sim_webhooks: bool = False,
    webhook_tick_seconds: float = 3600.0,
    sweep_seconds: float = 5.0,
    tick_seconds: float = 1.0,
    http_limits: httpx.Limits | None = None,
    slack_retry_seconds: float | None = None,
) -> AsyncIterator[Stack]:
    """The bot against the simulator (or `motive_url`) and a fake Slack, on one clock.

    Pass `sim`, `clock` and `slack` from a stack that has ended to keep them over a restart.
    `served`: the bot and the simulator on loopback (uvicorn); else in-process. `sim_webhooks`:
    the simulator posts completion webhooks to the bot (served only: its sender is a real client).
    `settings`: the base settings (default: the environment); `settings_overrides` go on top.
    """
    clock = clock or SystemClock()
    if sim is None and motive_url is None:
        sim = Simulator(sim_config or SimConfig(), clock=clock)
    if sim_webhooks and not served:
        raise ValueError("the simulator's webhooks need a served bot (served=True)")
    async with (
        serve_backends(
            sim=sim,
            motive_url=motive_url,
            slack=slack or FakeSlack(),
            slack_url=slack_url,
            served=served,
            webhook_tick_seconds=webhook_tick_seconds,
        ) as backends,
        run_bot(
            offline_settings(
                database_url,
                slack_url=backends.slack_url,
                motive_url=backends.sim_url,
                simulator=backends.sim is not None,
                base=settings,
                overrides=settings_overrides,
            ),
            clock=clock,
            role=role,
            served=served,
            motive_transport=backends.motive_transport,
            motive_options=motive_options,
            sweep_seconds=sweep_seconds,
            tick_seconds=tick_seconds,
            http_limits=http_limits,
            slack_retry_seconds=slack_retry_seconds,
        ) as bot,
    ):
        if sim_webhooks and backends.sim is not None:
            backends.sim.config.webhook_url = f"{bot.url}/motive/webhooks"
            backends.sim.config.webhook_secret = WEBHOOK_SECRET
        yield Stack(
            backends.sim,
            backends.slack,
            bot.svc,
            bot.url,
            backends.slack_url,
            backends.sim_url,
            clock,
            bot.http,
            motive_transport=backends.motive_transport,
        )
