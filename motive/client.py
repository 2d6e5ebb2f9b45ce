"""The typed async Motive client: resource groups, pydantic models, bounded jittered retries."""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import date
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from motive import contract as c
from motive.clock import Clock, SystemClock
from motive.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    InternalServerError,
    MotiveError,
    OutcomeUnknownError,
    RateLimitError,
    UnexpectedResponseError,
    error_from_response,
)
from motive.models import (
    Asset,
    Breadcrumb,
    ImageCapture,
    Pagination,
    Quota,
    Recall,
    SafetyEvent,
    Timelines,
    Vehicle,
    breadcrumbs,
)
from motive.ratelimit import RateLimiter, TokenBucket
from motive.rules import RecallRequest, SnapshotRequest, Target
from motive.tls import tls_context

DEFAULT_BASE_URL = "https://api.gomotive.com"
M = TypeVar("M", bound=BaseModel)
log = logging.getLogger(__name__)

# Called after every attempt with (endpoint name, outcome): the HTTP status, or an error kind.
Observer = Callable[[str, str], None]


class MotiveClient:
    def __init__(
        self,
        *,
        api_key: str | None = None,
        oauth_token: str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 15.0,
        max_retries: int = 3,
        retry_base_seconds: float = 0.5,
        retry_cap_seconds: float = 60.0,
        rate_limit: tuple[int, float] | None = (120, 60.0),
        limiter: RateLimiter | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        observer: Observer | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        headers = {"Accept": "application/json", "User-Agent": "motive-bot/0.1"}
        if oauth_token:
            headers["Authorization"] = f"Bearer {oauth_token}"
        elif api_key:
            headers["X-Api-Key"] = api_key
        tls = tls_context()  # each context costs 20 ms or more to load (motive/tls.py)
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers=headers,
            timeout=timeout,
            transport=transport,
            verify=tls,
        )
        # Presigned media URLs must never see our key.
        self._media = httpx.AsyncClient(
            timeout=timeout, follow_redirects=True, transport=transport, verify=tls
        )
        self._clock = clock or SystemClock()
        self._rng = rng or random.Random()
        self.max_retries = max_retries
        self.retry_base_seconds = retry_base_seconds
        self.retry_cap_seconds = retry_cap_seconds
        # `limiter`: a bucket shared with the other processes that call Motive with this key
        # (its limit is per company); else this process's own, fitted to `rate_limit`.
        self.limiter: RateLimiter | None = limiter or (
            TokenBucket.for_limit(rate_limit[0], rate_limit[1], clock=self._clock)
            if rate_limit
            else None
        )
        self.observer = observer
        self.recalls = Recalls(self)
        self.image_captures = ImageCaptures(self)
        self.vehicles = Vehicles(self)
        self.assets = Assets(self)
        self.safety_events = SafetyEvents(self)

    async def aclose(self) -> None:
        await self._http.aclose()
        await self._media.aclose()

    async def __aenter__(self) -> MotiveClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _observe(self, endpoint: str, outcome: str) -> None:
        if self.observer is not None:
            self.observer(endpoint, outcome)

    def _backoff(self, attempt: int) -> float:
        # "Equal jitter": a random wait between half and all of the capped exponential step, so
        # that clients refused together do not come back together. openai-python jitters less
        # (it waits 75-100% of its step, `1 - 0.25 * random()`; from its _base_client as we
        # remember it, not checked here): the wider spread suits a fleet of workers.
        step = min(self.retry_cap_seconds, self.retry_base_seconds * (2.0**attempt))
        return step * (0.5 + 0.5 * self._rng.random())

    async def request(
        self,
        method: str,
        path: str,
        *,
        endpoint: str,
        params: dict[str, Any] | None = None,
        json: Any = None,
        create: bool = False,
        urgent: bool = False,
    ) -> Any:
        """Send one call with retries. A create is retried only when Motive surely did not act.
        `urgent` calls (someone is waiting on them) go first through the rate limiter."""
        attempt = 0
        while True:
            if self.limiter is not None:
                await self.limiter.acquire(urgent=urgent or create)
            error: MotiveError
            retry_after: float | None = None
            try:
                response = await self._http.request(method, path, params=params, json=json)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as e:
                self._observe(endpoint, "connect_error")
                error = APIConnectionError(f"Could not reach Motive ({type(e).__name__}).")
                retryable = True
            except httpx.TimeoutException:
                self._observe(endpoint, "timeout")
                if create:
                    raise OutcomeUnknownError(
                        "Motive did not answer in time after the request was sent; it may or "
                        "may not have been created."
                    ) from None
                error = APITimeoutError()
                retryable = True
            except httpx.TransportError as e:
                self._observe(endpoint, "transport_error")
                if create:
                    raise OutcomeUnknownError(
                        "The connection to Motive broke after the request was sent; it may or "
                        "may not have been created."
                    ) from None
                error = APIConnectionError(
                    f"The connection to Motive broke ({type(e).__name__}).", sent=True
                )
                retryable = True
            else:
                self._observe(endpoint, str(response.status_code))
                if response.is_success:
                    try:
                        return response.json()
                    except ValueError:
                        raise UnexpectedResponseError(
                            f"Motive answered {response.status_code} with a body that is not JSON."
                        ) from None
                status_error = error_from_response(response)
                error = status_error
                retryable = _retryable_status(status_error, create=create)
                if isinstance(status_error, RateLimitError):
                    retry_after = status_error.retry_after
            if not retryable or attempt >= self.max_retries:
                raise error
            if retry_after is not None:
                if retry_after > self.retry_cap_seconds:
                    raise error  # the caller reschedules rather than hammering early
                delay = retry_after + self._rng.random() * min(1.0, 0.1 * retry_after + 0.05)
            else:
                delay = self._backoff(attempt)
            attempt += 1
            await self._clock.sleep(delay)

    async def fetch_media(self, url: str) -> bytes:
        """Download a presigned media URL (without our credentials)."""
        try:
            response = await self._media.get(url)
        except httpx.TimeoutException:
            raise APITimeoutError("The media download timed out.") from None
        except httpx.TransportError as e:
            raise APIConnectionError(f"The media download failed ({type(e).__name__}).") from None
        if not response.is_success:
            raise error_from_response(response)
        return response.content

    @contextlib.asynccontextmanager
    async def stream_media(self, url: str) -> AsyncIterator[httpx.Response]:
        """A presigned media URL opened for reading a chunk at a time (a clip can be larger than
        memory should hold); the body is read by the caller, within the block."""
        try:
            async with self._media.stream("GET", url) as response:
                if not response.is_success:
                    await response.aread()  # an error body is small
                    raise error_from_response(response)
                yield response
        except httpx.TimeoutException:
            raise APITimeoutError("The media download timed out.") from None
        except httpx.TransportError as e:
            raise APIConnectionError(f"The media download failed ({type(e).__name__}).") from None


def _retryable_status(error: APIStatusError, *, create: bool) -> bool:
    if isinstance(error, RateLimitError):
        return True
    if isinstance(error, InternalServerError):
        # A 503 means the request was turned away; other 5xx on a create are ambiguous.
        return not create or error.status_code == 503
    return False


def shape_errors(e: ValidationError) -> str:
    """Where and why a reply did not parse, without the values in it (they may be customer data)."""
    parts = []
    for err in e.errors(include_url=False, include_input=False)[:5]:
        where = ".".join(str(x) for x in err["loc"]) or "reply"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def _parse(model: type[M], data: Any, what: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise UnexpectedResponseError(
            f"Motive's {what} answer has an unexpected shape ({shape_errors(e)})."
        ) from None


class _Resource:
    def __init__(self, client: MotiveClient) -> None:
        self._client = client


class Recalls(_Resource):
    async def create(self, request: RecallRequest) -> Recall:
        data = await self._client.request(
            "POST",
            c.RECALLS_PATH,
            endpoint="recalls.create",
            json=request.as_body(),
            create=True,
        )
        return _parse(Recall, data, "create recall")

    async def retrieve(self, recall_id: str) -> Recall:
        data = await self._client.request(
            "GET", c.RECALL_PATH.format(id=recall_id), endpoint="recalls.retrieve"
        )
        return _parse(Recall, data, "recall")

    async def quota(self) -> Quota:
        data = await self._client.request(
            "GET", c.QUOTA_PATH, endpoint="recalls.quota", urgent=True
        )
        quota = _parse(Quota, data, "quota")
        if quota.rate_limit is not None and self._client.limiter is not None:
            self._client.limiter.configure(quota.rate_limit.limit, quota.rate_limit.period_seconds)
        return quota

    async def timelines(self, target: Target) -> Timelines:
        if target.kind == "vehicle":
            path, params = c.VEHICLE_TIMELINES_PATH, {c.VEHICLE_TIMELINES_QUERY: target.name}
        else:
            path, params = c.ASSET_TIMELINES_PATH, {c.ASSET_TIMELINES_QUERY: target.name}
        data = await self._client.request(
            "GET",
            path,
            endpoint="recalls.timelines",
            params=params,
            urgent=True,
        )
        return _parse(Timelines, data, "available timelines")


class ImageCaptures(_Resource):
    async def create(self, request: SnapshotRequest) -> ImageCapture:
        data = await self._client.request(
            "POST",
            c.CAPTURES_PATH,
            endpoint="captures.create",
            json=request.as_body(),
            create=True,
        )
        return _parse(ImageCapture, data, "image capture")

    async def retrieve(self, camera_type: str, request_id: str) -> ImageCapture:
        data = await self._client.request(
            "GET",
            c.CAPTURE_PATH.format(camera_type=camera_type, request_id=request_id),
            endpoint="captures.retrieve",
        )
        return _parse(ImageCapture, data, "image capture")


async def _all_pages(
    client: MotiveClient,
    path: str,
    key: str,
    endpoint: str,
    params: dict[str, Any] | None = None,
) -> list[Any]:
    items: list[Any] = []
    page = 1
    previous: Any = None
    while True:
        data = await client.request(
            "GET",
            path,
            endpoint=endpoint,
            params={**(params or {}), c.PAGE_SIZE_PARAM: c.PAGE_SIZE, c.PAGE_PARAM: page},
        )
        batch = data.get(key) if isinstance(data, dict) else None
        if not isinstance(batch, list):
            raise UnexpectedResponseError(f"Motive's {key} list has no {key!r} array.")
        if batch and batch[0] == previous:
            return items  # the page number was ignored: the same page came back
        items.extend(batch)
        pagination = _parse(Pagination, data.get(c.PAGINATION_KEY) or {}, "pagination")
        size = pagination.per_page or c.PAGE_SIZE
        if (
            not batch
            or (pagination.total is not None and len(items) >= pagination.total)
            or len(batch) < size
        ):
            return items
        previous = batch[0]
        page += 1


def _each(model: type[M], raw: list[Any], what: str) -> list[M]:
    """Every item that parses; one odd item (a vehicle without a number) is skipped and logged,
    never allowed to empty the whole list."""
    out: list[M] = []
    for n, item in enumerate(raw):
        try:
            out.append(model.model_validate(item))
        except ValidationError as e:
            log.warning("skipped %s #%d of Motive's list: %s", what, n + 1, shape_errors(e))
    return out


class Vehicles(_Resource):
    async def list_all(self) -> list[Vehicle]:
        raw = await _all_pages(self._client, c.VEHICLES_PATH, c.VEHICLES_KEY, "vehicles.list")
        return _each(Vehicle, raw, "vehicle")

    async def locations(self, vehicle_id: str, start: date, end: date) -> list[Breadcrumb]:
        """The vehicle's breadcrumbs over whole days (Motive's ids, not its number)."""
        data = await self._client.request(
            "GET",
            c.LOCATIONS_PATH.format(vehicle_id=vehicle_id),
            endpoint="vehicles.locations",
            params={"start_date": start.isoformat(), "end_date": end.isoformat()},
            urgent=True,
        )
        return breadcrumbs(data)


class Assets(_Resource):
    async def list_all(self) -> list[Asset]:
        raw = await _all_pages(self._client, c.ASSETS_PATH, c.ASSETS_KEY, "assets.list")
        return _each(Asset, raw, "asset")


class SafetyEvents(_Resource):
    async def list(
        self,
        start: date,
        end: date,
        *,
        media_required: bool = False,
        vehicle_ids: Sequence[str] = (),
    ) -> list[SafetyEvent]:
        """Every event from `start` to `end` (whole days, as Motive filters), all pages. An item
        without an id is skipped and logged; a reply without the list is an error, never read as
        "no events" (that would read as every posted event withdrawn)."""
        params: dict[str, Any] = {
            c.EVENTS_START_PARAM: start.isoformat(),
            c.EVENTS_END_PARAM: end.isoformat(),
        }
        if media_required:
            params[c.EVENTS_MEDIA_PARAM] = "true"
        if vehicle_ids:
            params[c.EVENTS_VEHICLES_PARAM] = list(vehicle_ids)
        raw = await _all_pages(self._client, c.EVENTS_PATH, c.EVENTS_KEY, "events.list", params)
        return _each(SafetyEvent, raw, "safety event")
