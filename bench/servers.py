"""Processes the benchmarks start: `python -m bench.servers backends|bot|bare PORTS...`.

Each prints one line, `READY <url>...`, once it listens on loopback, and runs until killed.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.offline.fakeslack import FakeSlack
from bot.offline.loopback import serve_on_loopback
from bot.server import build_server
from bot.services import build_services
from bot.slack.app import build_bolt_app
from motive.simulator import SimConfig, Simulator, build_app

SECRET = "bench-signing-secret"


async def backends() -> None:
    sim = Simulator(
        SimConfig(
            time_factor=600.0,
            rate_limit=(100_000, 1.0),
            quota_minutes={"regular": 10**9, "timelapse": 10**9},
        )
    )
    slack = FakeSlack()
    async with (
        serve_on_loopback(build_app(sim)) as sim_url,
        serve_on_loopback(slack.app()) as slack_url,
    ):
        print(f"READY {sim_url} {slack_url}", flush=True)
        await asyncio.Event().wait()


async def bot(sim_url: str, slack_url: str) -> None:
    db = tempfile.mkdtemp(prefix="bench-ack-")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token="xoxb-bench",
        slack_signing_secret=SECRET,
        slack_api_url=f"{slack_url}/api/",
        motive_api_url=sim_url,
        database_url=f"sqlite:///{db}/bot.db",
    )
    svc = build_services(settings, role="all")
    svc.motive.limiter = None  # the simulator's limit is lifted for this benchmark
    async with serve_on_loopback(build_server(svc, build_bolt_app(svc))) as url:
        print(f"READY {url}", flush=True)
        await asyncio.Event().wait()


async def bare(slack_url: str) -> None:
    """The same stack (Starlette, Bolt's async handler, uvicorn) with a listener that only acks."""
    from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    app = AsyncApp(
        client=AsyncWebClient(token="xoxb-bench", base_url=f"{slack_url}/api/"),
        signing_secret=SECRET,
    )

    @app.command("/recall")
    async def only_ack(ack: Any) -> None:
        await ack()

    handler = AsyncSlackRequestHandler(app)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    async with serve_on_loopback(
        Starlette(routes=[Route("/slack/events", events, methods=["POST"])])
    ) as url:
        print(f"READY {url}", flush=True)
        await asyncio.Event().wait()


def main() -> None:
    kind, *args = sys.argv[1:]
    runner = {"backends": backends, "bot": bot, "bare": bare}[kind]
    asyncio.run(runner(*args))  # type: ignore[operator]


if __name__ == "__main__":
    main()
