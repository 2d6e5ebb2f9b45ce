"""Where and who, on a request's anchor: the place, the speed and the driver at the requested
minute, from Motive's vehicle locations (Part A item 10), when they answer in time.

Optional context: asked after the anchor is posted (never on the ack path, never before the
create), with a short timeout; a failure, an unknown shape, an asset, or no breadcrumb near the
minute leaves it out, and nothing else waits for it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from motive.client import MotiveClient
from motive.errors import MotiveError
from motive.models import Breadcrumb
from motive.rules import RecallRequest, SnapshotRequest

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

TIMEOUT = 3.0  # seconds: context, not worth a longer wait
NEAR = timedelta(minutes=10)  # a breadcrumb further from the minute says nothing about it


def nearest(crumbs: Sequence[Breadcrumb], moment: datetime) -> Breadcrumb | None:
    timed = [c for c in crumbs if c.located_at is not None]
    if not timed:
        return None
    best = min(timed, key=lambda c: abs((c.located_at or moment) - moment))
    assert best.located_at is not None
    return best if abs(best.located_at - moment) <= NEAR else None


def describe(crumb: Breadcrumb) -> str | None:
    """Plain words (the caller escapes them): "near Sparks, NV · 54 mph · Dana Driver"."""
    parts = []
    if crumb.description:
        parts.append(f"near {crumb.description}")
    if crumb.speed is not None:
        parts.append(f"{crumb.speed:.0f} mph")
    if crumb.driver is not None:
        parts.append(crumb.driver.name or "driver not named")
    elif parts:
        parts.append("unidentified driver")
    return " · ".join(parts) or None


def moment_of(request: RecallRequest | SnapshotRequest, now: datetime) -> datetime:
    return request.start_time if isinstance(request, RecallRequest) else now


async def where_and_who(
    motive: MotiveClient, vehicle_id: str | None, moment: datetime, *, timeout: float = TIMEOUT
) -> str | None:
    if vehicle_id is None:
        return None
    try:
        crumbs = await asyncio.wait_for(
            motive.vehicles.locations(vehicle_id, moment.date(), moment.date()), timeout
        )
    except (MotiveError, TimeoutError) as e:
        log.info("where and who left out: %s", getattr(e, "message", type(e).__name__))
        return None
    crumb = nearest(crumbs, moment)
    return describe(crumb) if crumb is not None else None


def start_lookup(
    svc: Services, request: RecallRequest | SnapshotRequest
) -> asyncio.Task[str | None] | None:
    """Ask Motive where and who, beside the request's own calls (in the background group, so a
    stop drains it); None for an asset, or a vehicle the fleet list has no id for."""
    if request.target.kind != "vehicle":
        return None
    unit = svc.fleet.known("vehicle", request.target.name)
    if unit is None or unit.motive_id is None:
        return None
    moment = moment_of(request, svc.clock.now())
    return svc.background.spawn(where_and_who(svc.motive, unit.motive_id, moment))


async def outcome(lookup: asyncio.Task[str | None] | None) -> str | None:
    """The lookup's answer, waiting no longer than its own timeout; None when it failed."""
    if lookup is None:
        return None
    try:
        return await asyncio.wait_for(asyncio.shield(lookup), TIMEOUT)
    except TimeoutError:
        return None
