"""The simulator's HTTP face: a Starlette app that answers like api.gomotive.com."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from motive import contract
from motive.simulator import variants
from motive.simulator.clip import clip_stream
from motive.simulator.jpeg import SNAPSHOT_JPEG
from motive.simulator.state import Fault, SimError, Simulator
from motive.tls import tls_context

log = logging.getLogger("motive.simulator")

Handler = Callable[[Request], Awaitable[Response]]

# A fake MP4: an ftyp box and a few bytes, enough for a download to look like a video file.
FAKE_MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64


def _error(err: SimError) -> JSONResponse:
    # Motive's error bodies vary; answer in each shape Part A names so the client meets them all.
    if err.status == 400:
        body: dict[str, Any] = {"errors": [err.message]}
    elif err.status == 404:
        body = {"message": err.message}
    else:
        body = {"error_message": err.message}
    return JSONResponse(body, status_code=err.status, headers=err.headers)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def build_app(sim: Simulator, *, tick_seconds: float = 0.1) -> Starlette:
    def api(name: str, handler: Handler) -> Handler:
        async def wrapped(request: Request) -> Response:
            sim.stats.requests[name] += 1
            sim.base_url = _base(request)
            if sim.config.latency_seconds:
                await asyncio.sleep(sim.config.latency_seconds)
            if sim.hold is not None:
                await sim.hold.wait()
            try:
                sim.authorize({k.lower(): v for k, v in request.headers.items()})
                fault = sim.take_fault(request.method, request.url.path)
                if fault is not None and not fault.act_first:
                    if fault.delay:
                        await asyncio.sleep(fault.delay)
                    if fault.status is not None:
                        return _fault_response(fault)
                sim.check_rate()
                response = await handler(request)
                if fault is not None and fault.act_first:
                    if fault.delay:
                        await asyncio.sleep(fault.delay)
                    if fault.status is not None:
                        return _fault_response(fault)
                return response
            except SimError as e:
                return _error(e)

        return wrapped

    async def body_of(request: Request) -> Any:
        try:
            return await request.json()
        except ValueError:
            raise SimError(400, "The request body is not valid JSON.") from None

    def shaped(obj: dict[str, Any], wrapper: str) -> dict[str, Any]:
        if not sim.config.variant_shapes:
            return obj
        return {wrapper: obj}

    async def list_units(request: Request, kind: str) -> Response:
        try:
            per_page = min(100, max(1, int(request.query_params.get("per_page", "25"))))
            page = max(1, int(request.query_params.get("page_no", "1")))
        except ValueError:
            raise SimError(400, "per_page and page_no must be whole numbers.") from None
        units = [u for u in sim.units if u.kind == kind]
        items: list[dict[str, Any]] = [{kind: u.list_item()} for u in units]
        if kind == "vehicle":
            items += variants.extra_vehicles(sim.config.variants)
        chunk = items[(page - 1) * per_page : page * per_page]
        return JSONResponse(
            {
                f"{kind}s": chunk,
                "pagination": {"per_page": per_page, "page_no": page, "total": len(items)},
            }
        )

    async def vehicles(request: Request) -> Response:
        return await list_units(request, "vehicle")

    async def assets(request: Request) -> Response:
        return await list_units(request, "asset")

    async def create_recall(request: Request) -> Response:
        recall = sim.create_recall(await body_of(request))
        body = sim.recall_body(recall, _base(request))
        if sim.config.variant_shapes:
            body["id"] = int(body["id"])
        if sim.config.variants:
            body = variants.recall(body, sim.config.variants)
        return JSONResponse(shaped(body, "video_recall_request"), status_code=201)

    async def get_recall(request: Request) -> Response:
        recall = sim.get_recall(request.path_params["id"])
        body = sim.recall_body(recall, _base(request))
        if sim.config.variant_shapes:
            for cam in body["cameras"]:
                cam["url"] = cam.pop("download_url")
                cam.pop("expires_at", None)
        if sim.config.variants:
            body = variants.recall(body, sim.config.variants)
        return JSONResponse(body)

    async def quota(request: Request) -> Response:
        body = sim.quota()
        if sim.config.variant_shapes:
            body["api_rate_limits"] = body.pop("rate_limit")
        return JSONResponse(variants.quota(body, sim.config.variants))

    def timelines_of(request: Request, kind: str) -> Response:
        on = sim.config.variants
        if "timelines-404" in on:
            raise SimError(404, "Not Found")
        if "timelines-query" in on:
            param = f"{kind}_id"
            wanted = request.query_params.get(param, "")
            unit = next((u for u in sim.units if u.kind == kind and str(u.id) == wanted), None)
            if unit is None:
                raise SimError(400, f"{param} is required.")
            label: str | None = unit.label
        else:
            query = (
                contract.VEHICLE_TIMELINES_QUERY
                if kind == "vehicle"
                else contract.ASSET_TIMELINES_QUERY
            )
            label = request.query_params.get(query)
        return JSONResponse(variants.timelines(sim.timelines_for(kind, label), on))

    async def vehicle_timelines(request: Request) -> Response:
        return timelines_of(request, "vehicle")

    async def asset_timelines(request: Request) -> Response:
        return timelines_of(request, "asset")

    async def create_capture(request: Request) -> Response:
        capture = sim.create_capture(await body_of(request))
        body = shaped(sim.capture_body(capture, _base(request)), "image_capture")
        return JSONResponse(variants.capture(body, sim.config.variants), 201)

    async def get_capture(request: Request) -> Response:
        capture = sim.get_capture(request.path_params["camera_type"], request.path_params["id"])
        body = variants.capture(sim.capture_body(capture, _base(request)), sim.config.variants)
        return JSONResponse(body)

    async def safety_events(request: Request) -> Response:
        q = request.query_params
        try:
            per_page = min(100, max(1, int(q.get("per_page", "25"))))
            page = max(1, int(q.get("page_no", "1")))
            start = date.fromisoformat(q.get("start_date", ""))
            end = date.fromisoformat(q.get("end_date", ""))
        except ValueError:
            raise SimError(
                400, "start_date and end_date (YYYY-MM-DD), per_page and page_no are required."
            ) from None
        vehicles = set(q.getlist(contract.EVENTS_VEHICLES_PARAM))
        body = sim.events.list_body(
            start, end, page=page, per_page=per_page, base_url=_base(request), vehicles=vehicles
        )
        return JSONResponse(body)

    async def vehicle_locations(request: Request) -> Response:
        wanted = request.path_params["vehicle_id"]
        unit = next((u for u in sim.units if u.kind == "vehicle" and str(u.id) == wanted), None)
        if unit is None:
            raise SimError(404, f"Vehicle {wanted} was not found in this company.")
        try:
            start = date.fromisoformat(request.query_params.get("start_date", ""))
            end = date.fromisoformat(request.query_params.get("end_date", ""))
        except ValueError:
            raise SimError(400, "start_date and end_date (YYYY-MM-DD) are required.") from None
        crumbs = sim.events.breadcrumbs(unit, start, end)
        return JSONResponse({"vehicle_locations": [{"vehicle_location": c} for c in crumbs]})

    async def raise_event(request: Request) -> Response:
        data = await request.json()
        try:
            event = sim.events.raise_event(**data)
        except (TypeError, SimError) as e:
            return JSONResponse({"ok": False, "error": str(e)}, status_code=400)
        return JSONResponse({"ok": True, "id": event.id})

    async def webhooks(request: Request) -> Response:
        items = []
        if sim.config.webhook_url:
            hook = {
                "id": 27,
                "url": sim.config.webhook_url,
                "secret": sim.config.webhook_secret or "",
                "format": "json",
                "actions": ["video_recall_request_completed", *contract.WEBHOOK_EVENT_ACTIONS],
                "enabled": True,
            }
            items.append({"company_webhook": hook})
        return JSONResponse(
            {
                "company_webhooks": items,
                "pagination": {"per_page": 25, "page_no": 1, "total": len(items)},
            }
        )

    async def media(request: Request) -> Response:
        path = request.path_params["path"]
        try:
            sim.check_media(
                path, request.query_params.get("expires"), request.query_params.get("sig")
            )
        except SimError as e:
            return Response(
                f"<Error><Code>{e.message}</Code></Error>", 403, media_type="application/xml"
            )
        if path.endswith(".jpg"):
            return Response(SNAPSHOT_JPEG, media_type="image/jpeg")
        if sim.config.video_bytes:
            size = sim.config.video_bytes
            return StreamingResponse(
                clip_stream(path, size),
                media_type="video/mp4",
                headers={"Content-Length": str(size)},
            )
        return Response(FAKE_MP4, media_type="video/mp4")

    async def stats(request: Request) -> Response:
        s = sim.stats
        return JSONResponse(
            {
                "requests": dict(s.requests),
                "rate_limited": s.rate_limited,
                "recalls_created": s.recalls_created,
                "captures_created": s.captures_created,
                "webhooks_sent": s.webhooks_sent,
            }
        )

    async def add_fault(request: Request) -> Response:
        data = await request.json()
        sim.faults.append(Fault(**data))
        return JSONResponse({"ok": True})

    async def set_variants(request: Request) -> Response:
        data = await request.json()
        try:
            sim.config.variants = variants.check(set(data.get("variants") or []))
        except ValueError as e:
            return JSONResponse({"ok": False, "error": str(e)}, status_code=400)
        return JSONResponse({"ok": True, "variants": sorted(sim.config.variants)})

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(webhook_loop(sim, tick_seconds))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    routes = [
        Route("/v1/vehicles", api("vehicles.list", vehicles)),
        Route("/v1/assets", api("assets.list", assets)),
        Route("/v1/video_recall_requests", api("recalls.create", create_recall), methods=["POST"]),
        Route("/v1/video_recall_requests/quota", api("recalls.quota", quota)),
        Route(
            "/v1/video_recall_requests/vehicles/available_timelines",
            api("recalls.timelines", vehicle_timelines),
        ),
        Route(
            "/v1/video_recall_requests/assets/available_timelines",
            api("recalls.timelines", asset_timelines),
        ),
        Route("/v1/video_recall_requests/{id}", api("recalls.retrieve", get_recall)),
        Route("/v1/image_captures", api("captures.create", create_capture), methods=["POST"]),
        Route("/v1/image_captures/{camera_type}/{id}", api("captures.retrieve", get_capture)),
        Route("/v1/company_webhooks", api("webhooks.list", webhooks)),
        Route(contract.EVENTS_PATH, api("events.list", safety_events)),
        Route("/v3/vehicle_locations/{vehicle_id}", api("vehicles.locations", vehicle_locations)),
        Route("/_sim/events", raise_event, methods=["POST"]),
        Route("/media/{path:path}", media),
        Route("/_sim/stats", stats),
        Route("/_sim/faults", add_fault, methods=["POST"]),
        Route("/_sim/variants", set_variants, methods=["POST"]),
        Route("/healthz", healthz),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def _fault_response(fault: Fault) -> Response:
    assert fault.status is not None
    headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
    messages = {
        429: "Rate limit exceeded.",
        500: "Internal server error.",
        502: "Bad gateway.",
        503: "Service temporarily unavailable.",
        504: "Gateway timeout.",
    }
    return _error(SimError(fault.status, messages.get(fault.status, "Injected failure."), headers))


async def send_due_webhooks(sim: Simulator, client: httpx.AsyncClient) -> int:
    """Deliver completion webhooks for recalls that have finished; returns how many were accepted."""
    url = sim.config.webhook_url
    if not url:
        return 0
    sent = 0
    for recall, body, signature in sim.due_webhooks(sim.base_url):
        try:
            response = await client.post(
                url,
                content=body,
                headers={"Content-Type": "application/json", "X-KT-Webhook-Signature": signature},
            )
        except httpx.HTTPError as e:
            sim.stats.webhook_failures += 1
            log.info("webhook for recall %s failed: %s", recall.id, type(e).__name__)
            continue
        if response.status_code in (200, 201):
            recall.notified = True
            sim.stats.webhooks_sent += 1
            sent += 1
        elif response.status_code == 403:
            recall.notified = True  # signature rejected: Motive does not retry these
            sim.stats.webhook_failures += 1
        else:
            sim.stats.webhook_failures += 1
    return sent


async def send_event_webhooks(sim: Simulator, client: httpx.AsyncClient) -> int:
    """Announce safety events raised, updated or retyped since the last call; returns how many
    the bot accepted. A delivery that fails is not repeated (the bot's catch-up read finds it)."""
    url = sim.config.webhook_url
    if not (url and sim.config.webhook_secret):
        return 0
    sent = 0
    for body, signature in sim.events.due_webhooks():
        try:
            response = await client.post(
                url,
                content=body,
                headers={"Content-Type": "application/json", contract.SIGNATURE_HEADER: signature},
            )
        except httpx.HTTPError as e:
            sim.stats.webhook_failures += 1
            log.info("safety event webhook failed: %s", type(e).__name__)
            continue
        if response.status_code in (200, 201):
            sim.stats.webhooks_sent += 1
            sent += 1
        else:
            sim.stats.webhook_failures += 1
    return sent


async def webhook_loop(sim: Simulator, tick_seconds: float) -> None:
    async with httpx.AsyncClient(timeout=3.0, verify=tls_context()) as client:
        while True:
            await asyncio.sleep(tick_seconds)
            try:
                await send_due_webhooks(sim, client)
                await send_event_webhooks(sim, client)
            except Exception:  # keep the loop alive whatever one delivery did
                log.exception("webhook delivery loop error")
