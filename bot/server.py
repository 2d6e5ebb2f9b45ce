"""The HTTP face of the bot: Slack, Motive's webhooks, health and metrics, in one Starlette app."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from slack_bolt.adapter.starlette.async_handler import to_starlette_response
from slack_bolt.async_app import AsyncApp
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.metrics import IN_FLIGHT, POLL_BACKLOG
from bot.services import Services
from bot.slack.ingress.bolt_request import bolt_request
from bot.slack.ingress.bounded_bodies import BoundedBodies
from bot.slack.ingress.post_ack import holding
from bot.tracking import webhook_receiver
from bot.tracking.trust import export_trust

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Health:
    """What /healthz reports on; the socket client is set when Socket Mode is used."""

    svc: Services
    role: str
    socket: Any = None

    async def problems(self) -> list[str]:
        found = []
        try:
            await self.svc.store.ping()
        except Exception as e:  # any driver error means "not reachable"
            found.append(f"store unreachable: {type(e).__name__}")
        if self.role in ("all", "worker") and not self.svc.tracker.running:
            found.append("scheduler not running")
        if self.socket is not None and not await self.socket.client.is_connected():
            found.append("socket mode connection down")
        return found


def build_server(
    svc: Services,
    bolt: AsyncApp | None,
    *,
    role: str = "all",
    health: Health | None = None,
    on_start: Any = None,
    on_stop: Any = None,
) -> Starlette:
    health = health or Health(svc, role)

    async def slack_events(request: Request) -> Response:
        assert bolt is not None
        with holding() as held:
            try:
                body = (await request.body()).decode("utf-8")
                got = bolt_request(body, request.url.query, dict(request.headers))
                response = to_starlette_response(await bolt.async_dispatch(got))
            except BaseException:
                held.release()  # no response to wait for; what was handed over still runs
                raise
        if response.status_code == 401:
            # Bolt's signature check (its own log line, with the body, is kept quiet) or the
            # replay guard: a line that says which, and never the body.
            log.info(
                "refused a Slack request: %s (timestamp %s)",
                bytes(response.body).decode("utf-8", "replace")[:60],
                request.headers.get("x-slack-request-timestamp", "")[:20],
            )

        async def release() -> None:  # async: Starlette would run a plain function in a thread
            held.release()

        # Starlette runs this once the response has been sent: work handed over after the ack
        # starts only then.
        response.background = BackgroundTask(release)
        return response

    async def healthz(request: Request) -> Response:
        problems = await health.problems()
        if problems:
            return JSONResponse({"ok": False, "problems": problems}, status_code=503)
        # Information, not a failure: whether recalls wait on Motive's webhook or on polls.
        hooks = (await svc.tracker.trust.state()).describe(svc.clock.now())
        return JSONResponse({"ok": True, "role": role, "webhooks": hooks})

    async def metrics(request: Request) -> Response:
        # Read from the store at scrape time: right whichever replica created or finished what.
        IN_FLIGHT.set(await svc.store.count_in_flight())
        POLL_BACKLOG.set(await svc.store.count_due(svc.clock.now()))
        export_trust(await svc.tracker.trust.state(), svc.clock.now())
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await svc.start()
        if on_start is not None:
            await on_start()
        try:
            yield
        finally:
            if on_stop is not None:
                await on_stop()
            in_flight = await svc.store.count_in_flight()
            await svc.stop()
            log.info("stopped cleanly; %d request(s) in flight stay in the store", in_flight)

    routes = [
        Route("/motive/webhooks", webhook_receiver.handler(svc), methods=["POST"]),
        Route("/healthz", healthz),
        Route("/metrics", metrics),
    ]
    if bolt is not None:
        routes.insert(0, Route("/slack/events", slack_events, methods=["POST"]))
    # Every body is bounded before anything reads it: Slack's and Motive's signatures are checked
    # on the whole body, and no one should make the bot hold more than the limit to get there.
    return Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(BoundedBodies)])
