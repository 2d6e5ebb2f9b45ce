"""Processes the ack benchmark starts: `python -m bench.servers backends|bot|bare-default|bare-pbr`.

Each prints one line, `READY <url>...`, once it listens on loopback, and runs until killed.

Every Slack-facing server is wrapped to time itself: from the moment the request reaches the app
to the moment the response starts (`GET /_bench/timings` returns and clears those times), and
`GET /_bench/idle` answers once the process has no post-ack work left (`GET /_bench/ping` at
once: the load generator checks a connection it has reopened).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.offline.fakeslack import FakeSlack
from bot.offline.loopback import serve_on_loopback
from bot.offline.stack import serve_backends
from bot.server import build_server
from bot.services import build_services
from bot.slack.app import build_bolt_app
from motive.simulator import SimConfig, Simulator

SECRET = "bench-signing-secret"
ASGI = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def timed(app: ASGI, idle: Callable[[], Awaitable[object]]) -> ASGI:
    timings: list[float] = []

    async def answer(send: Any, payload: object) -> None:
        body = json.dumps(payload).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def wrapper(scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path")
        if scope["type"] == "http" and path == "/_bench/timings":
            await answer(send, timings[:])
            timings.clear()
            return
        if scope["type"] == "http" and path == "/_bench/ping":
            await answer(send, True)
            return
        if scope["type"] == "http" and path == "/_bench/idle":
            await idle()
            await answer(send, True)
            return
        if scope["type"] != "http" or path != "/slack/events":
            await app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timing_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                timings.append(time.perf_counter() - started)
            await send(message)

        await app(scope, receive, timing_send)

    return wrapper


async def backends() -> None:
    sim = Simulator(
        SimConfig(
            time_factor=600.0,
            rate_limit=(100_000, 1.0),
            quota_minutes={"regular": 10**9, "timelapse": 10**9},
        )
    )
    async with serve_backends(sim=sim, slack=FakeSlack(), webhook_tick_seconds=0.1) as served:
        print(f"READY {served.sim_url} {served.slack_url}", flush=True)
        await asyncio.Event().wait()


async def bot(sim_url: str, slack_url: str, role: str = "all") -> None:
    db = tempfile.mkdtemp(prefix="bench-ack-")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token="xoxb-bench",
        slack_signing_secret=SECRET,
        slack_api_url=f"{slack_url}/api/",
        motive_api_url=sim_url,
        database_url=f"sqlite:///{db}/bot.db",
    )
    svc = build_services(settings, role=role)
    svc.motive.limiter = None  # the simulator's limit is lifted for this benchmark
    app = timed(build_server(svc, build_bolt_app(svc)), svc.background.wait_idle)
    async with serve_on_loopback(app) as url:
        gc.freeze()  # as `motive-bot serve` does once started
        print(f"READY {url}", flush=True)
        await asyncio.Event().wait()


async def bare(slack_url: str, process_before_response: bool) -> None:
    """The same stack (Starlette, Bolt's async handler, uvicorn) with a listener that only acks."""
    from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    app = AsyncApp(
        client=AsyncWebClient(token="xoxb-bench", base_url=f"{slack_url}/api/"),
        signing_secret=SECRET,
        process_before_response=process_before_response,
    )

    @app.command("/recall")
    async def only_ack(ack: Any) -> None:
        await ack()

    handler = AsyncSlackRequestHandler(app)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    starlette = Starlette(routes=[Route("/slack/events", events, methods=["POST"])])
    async with serve_on_loopback(timed(starlette, lambda: asyncio.sleep(0))) as url:
        print(f"READY {url}", flush=True)
        await asyncio.Event().wait()


def main() -> None:
    kind, *args = sys.argv[1:]
    # The event loop `motive-bot serve` gets from uvicorn (uvloop where it is installed), for the
    # bot and the bare apps alike.
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    if kind == "backends":
        asyncio.run(backends())
    elif kind == "bot":
        asyncio.run(bot(*args))
    elif kind in ("bare-default", "bare-pbr"):
        asyncio.run(bare(args[0], process_before_response=kind == "bare-pbr"))
    else:
        raise SystemExit(f"unknown server kind {kind!r}")


if __name__ == "__main__":
    main()
