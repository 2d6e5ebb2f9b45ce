"""Cached lookups: the fleet list for typeahead, and each Slack user's time zone."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from motive.client import MotiveClient
from motive.clock import Clock
from motive.errors import MotiveError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FleetUnit:
    kind: str  # vehicle | asset
    label: str


class Fleet:
    """Motive has no server-side search: keep the lists and filter locally, refreshing in the
    background so that a typeahead answers within Slack's 3 seconds."""

    def __init__(self, motive: MotiveClient, clock: Clock, ttl_seconds: float = 600.0) -> None:
        self._motive = motive
        self._clock = clock
        self._ttl = ttl_seconds
        self._units: list[FleetUnit] = []
        self._loaded_at: float | None = None
        self._lock = asyncio.Lock()
        self._refreshing: asyncio.Task[None] | None = None

    async def refresh(self) -> None:
        async with self._lock:
            vehicles, assets = await asyncio.gather(
                self._motive.vehicles.list_all(), self._motive.assets.list_all()
            )
            self._units = [
                FleetUnit("vehicle", v.number) for v in vehicles if v.status != "deactivated"
            ] + [FleetUnit("asset", a.name) for a in assets if a.status != "deactivated"]
            self._loaded_at = self._clock.monotonic()

    def _stale(self) -> bool:
        return self._loaded_at is None or self._clock.monotonic() - self._loaded_at > self._ttl

    def refresh_soon(self) -> None:
        if self._stale() and (self._refreshing is None or self._refreshing.done()):
            self._refreshing = asyncio.create_task(self._safe_refresh())

    async def _safe_refresh(self) -> None:
        try:
            await self.refresh()
        except MotiveError as e:
            log.warning("fleet list refresh failed: %s", e.message)

    async def search(self, kind: str, query: str, limit: int = 100, wait: float = 2.0) -> list[str]:
        if self._loaded_at is None:
            self.refresh_soon()
            if self._refreshing is not None:
                # The very first search waits for the list, within Slack's options deadline.
                await asyncio.wait({self._refreshing}, timeout=wait)
        else:
            self.refresh_soon()
        q = query.strip().casefold()
        hits = [u.label for u in self._units if u.kind == kind and q in u.label.casefold()]
        hits.sort(key=lambda label: (not label.casefold().startswith(q), label.casefold()))
        return hits[:limit]


class UserZones:
    """Each user's IANA zone from users.info, cached: a time of day means the user's own day."""

    def __init__(self, slack: AsyncWebClient, clock: Clock, ttl_seconds: float = 3600.0) -> None:
        self._slack = slack
        self._clock = clock
        self._ttl = ttl_seconds
        self._cache: dict[str, tuple[float, ZoneInfo]] = {}

    async def zone(self, user_id: str) -> ZoneInfo:
        hit = self._cache.get(user_id)
        if hit and self._clock.monotonic() - hit[0] < self._ttl:
            return hit[1]
        zone = ZoneInfo("UTC")
        try:
            info = await self._slack.users_info(user=user_id)
            name = (info.get("user") or {}).get("tz")
            if name:
                zone = ZoneInfo(str(name))
        except (SlackApiError, ZoneInfoNotFoundError, ValueError) as e:
            log.warning("time zone of %s unknown, using UTC: %s", user_id, type(e).__name__)
        self._cache[user_id] = (self._clock.monotonic(), zone)
        return zone
