"""Cached lookups: the fleet list (typeahead, and what each unit carries), and each Slack
user's time zone and locale."""

from __future__ import annotations

import asyncio
import difflib
import logging
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from motive.client import MotiveClient
from motive.clock import Clock
from motive.errors import MotiveError
from motive.models import Asset, Vehicle
from motive.rules import CameraPosition

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FleetUnit:
    kind: str  # the target kind: vehicle | asset
    label: str
    # What the fleet list says the unit carries; None where it does not say.
    cameras: frozenset[CameraPosition] | None = None
    smart_dashcam: bool | None = None
    motive_id: str | None = None

    @property
    def key(self) -> str:
        """A short key for the unit, unique in the fleet (a typeahead value for a long name)."""
        return f"{self.kind[:1]}{self.motive_id}"


def _unit(kind: str, label: str, item: Vehicle | Asset) -> FleetUnit:
    cameras: frozenset[CameraPosition] | None = None
    if item.camera_positions is not None:
        known = {p.value: p for p in CameraPosition}
        cameras = frozenset(known[n] for n in item.camera_positions if n in known)
    return FleetUnit(kind, label, cameras, item.smart_dashcam, str(item.id))


@dataclass(frozen=True)
class Match:
    """A typed target name against the fleet: the unit it names, or the names it is close to."""

    unit: FleetUnit | None
    suggestions: tuple[FleetUnit, ...] = ()


def _squash(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.casefold())


def match_unit(units: list[FleetUnit], kind: str, name: str) -> Match:
    """Exact names match case-insensitively; near misses (`102`, `TRK101`, `trk-12`) are offered,
    the closest first, never chosen for the user."""
    folded = name.strip().casefold()
    for u in units:
        if u.kind == kind and u.label.casefold() == folded:
            return Match(u)
    squashed = _squash(name)
    same = [u for u in units if u.label.casefold() == folded or _squash(u.label) == squashed]
    if not same and squashed.isdigit():
        same = [u for u in units if re.sub(r"\D", "", u.label).endswith(squashed)]
        same.sort(key=lambda u: (len(re.sub(r"\D", "", u.label)), u.label))
    if not same and squashed:
        labels = {_squash(u.label): u for u in units if u.kind == kind}
        close = difflib.get_close_matches(squashed, list(labels), n=3, cutoff=0.75)
        same = [labels[c] for c in close]
    same.sort(key=lambda u: u.kind != kind)  # the kind the user named first
    return Match(None, tuple(same[:3]))


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
                _unit("vehicle", v.number, v) for v in vehicles if v.status != "deactivated"
            ] + [_unit("asset", a.name, a) for a in assets if a.status != "deactivated"]
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

    async def find(
        self, kind: str, name: str, wait: float = 10.0, recheck_after: float = 60.0
    ) -> Match | None:
        """The unit a typed name means; None when the fleet list cannot be had (then Motive,
        which knows, will answer for the name as typed)."""
        if self._stale():
            await self._refresh_within(wait)
        if self._loaded_at is None:
            return None
        match = match_unit(self._units, kind, name)
        if match.unit is None and self._clock.monotonic() - self._loaded_at > recheck_after:
            # A unit added since the list was read is not a typo: read the list again once.
            await self._refresh_within(wait)
            match = match_unit(self._units, kind, name)
        return match

    def known(self, kind: str, name: str | None) -> FleetUnit | None:
        """The unit by its exact name from the list already read, without waiting (for a
        modal's ack, whose typeahead offered fleet names)."""
        return match_unit(self._units, kind, name).unit if name else None

    async def _refresh_within(self, wait: float) -> None:
        try:
            await asyncio.wait_for(self.refresh(), timeout=wait)
        except (MotiveError, TimeoutError) as e:
            log.warning("fleet list unavailable: %s", type(e).__name__)

    def label_for(self, key: str) -> str | None:
        """The name behind a typeahead key, from the list already read; None if not there (a
        replica that has not read it yet: picking again, through the typeahead, reads it)."""
        return next((u.label for u in self._units if u.motive_id and u.key == key), None)

    async def search(
        self, kind: str, query: str, limit: int = 100, wait: float = 2.0, refresh_stale: bool = True
    ) -> list[str]:
        """The names matching a typed query, best first."""
        units = await self.search_units(kind, query, limit, wait, refresh_stale)
        return [u.label for u in units]

    async def search_units(
        self, kind: str, query: str, limit: int = 100, wait: float = 2.0, refresh_stale: bool = True
    ) -> list[FleetUnit]:
        if self._loaded_at is None:
            self.refresh_soon()
            if self._refreshing is not None:
                # The very first search waits for the list, within Slack's options deadline.
                await asyncio.wait({self._refreshing}, timeout=wait)
        elif refresh_stale:
            self.refresh_soon()
        q = query.strip().casefold()
        hits = [u for u in self._units if u.kind == kind and q in u.label.casefold()]
        hits.sort(key=lambda u: (not u.label.casefold().startswith(q), u.label.casefold()))
        return hits[:limit]


# Locales whose numeric dates put the month first ("11/21"); every other locale puts the day
# first, and a locale Slack does not tell is read the US way.
_MONTH_FIRST_REGIONS = frozenset({"US", "PH", "FM", "MH", "PW"})
_MONTH_FIRST_LANGUAGES = frozenset({"ja", "zh", "ko", "hu", "lt", "mn"})


def month_first(locale: str | None) -> bool:
    if not locale:
        return True
    language, _, region = locale.replace("_", "-").partition("-")
    return region.upper() in _MONTH_FIRST_REGIONS or language.lower() in _MONTH_FIRST_LANGUAGES


@dataclass(frozen=True)
class UserZone:
    """A user's zone as Slack told it; `tz` is None when Slack could not say (never a guess)."""

    tz: ZoneInfo | None
    locale: str | None = None
    why_unknown: str = ""

    @property
    def month_first(self) -> bool:
        return month_first(self.locale)


@dataclass
class UserZones:
    """Each user's IANA zone and locale from users.info, cached once known: a time of day means
    the user's own day. A failed lookup is not cached, so the next command asks Slack again."""

    slack: AsyncWebClient
    clock: Clock
    ttl_seconds: float = 3600.0
    _cache: dict[str, tuple[float, UserZone]] = field(default_factory=dict)

    async def zone(self, user_id: str) -> UserZone:
        hit = self._cache.get(user_id)
        if hit and self.clock.monotonic() - hit[0] < self.ttl_seconds:
            return hit[1]
        name = None
        try:
            info = await self.slack.users_info(user=user_id, include_locale=True)
            user = info.get("user") or {}
            name = user.get("tz")
            if not name:
                return UserZone(None, why_unknown="your Slack profile has no time zone")
            known = UserZone(ZoneInfo(str(name)), str(user.get("locale") or "") or None)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as e:
            log.warning("time zone of %s unknown: %s", user_id, type(e).__name__)
            return UserZone(None, why_unknown="Slack could not tell me your time zone just now")
        except (ZoneInfoNotFoundError, ValueError) as e:
            log.warning("time zone of %s unreadable: %s", user_id, type(e).__name__)
            return UserZone(None, why_unknown=f"I do not know the time zone {name!r} Slack gave")
        self._cache[user_id] = (self.clock.monotonic(), known)
        return known
