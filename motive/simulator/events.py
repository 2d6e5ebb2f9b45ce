"""The simulator's AI-dashcam safety events (Part A item 9): raised with clips that are ready at
once or a little later, announced by signed `driver_performance_event_*` webhooks, listed by
`GET /v2/driver_performance_events` a page at a time, and (for crashes) withdrawn by a review
later: the event drops out of the list, or comes back as another type."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from motive import contract as c
from motive.rules import CameraPosition
from motive.simulator.fleet import Unit
from motive.webhooks import sign

if TYPE_CHECKING:
    from motive.simulator.state import Simulator

# Places along the simulator's fleet's usual roads: (name, lat, lon).
PLACES = (
    ("Sparks, NV", 39.5349, -119.7527),
    ("Reno, NV", 39.5296, -119.8138),
    ("Fernley, NV", 39.6080, -119.2518),
    ("Truckee, CA", 39.3280, -120.1833),
)
TYPES = (
    "hard_brake",
    "hard_accel",
    "hard_corner",
    "tailgating",
    "forward_collision_warning",
    "cell_phone",
    "distraction",
    "drowsiness",
    "seat_belt_violation",
    "stop_sign_violation",
    "unsafe_lane_change",
    "crash",
)


@dataclass
class SimEvent:
    id: str
    type: str
    unit: Unit
    start: datetime
    severity: str | None
    driver: dict[str, Any] | None
    place: tuple[str, float, float]
    speed_mph: float | None
    media_ready_at: datetime
    # A review's verdict, due at `withdraw_at`: the event vanishes, or becomes `retype_to`.
    withdraw_at: datetime | None = None
    retype_to: str | None = None
    withdrawn: bool = False
    pending: list[str] = field(default_factory=list)  # webhook actions not yet sent


def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


class EventFeed:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.events: dict[str, SimEvent] = {}
        self._ids = itertools.count(7_000_001)
        self.webhooks_sent = 0

    def driver_of(self, unit: Unit) -> dict[str, Any]:
        """Who drives the unit (the same person all day)."""
        return {
            "id": 9000 + unit.id % 1000,
            "first_name": "Dana",
            "last_name": f"Driver{unit.id % 100}",
        }

    def breadcrumbs(self, unit: Unit, start: date, end: date) -> list[dict[str, Any]]:
        """The vehicle's track (Part A item 10): a point every 5 minutes over the days asked,
        up to now, moving between the places above."""
        now = self.sim.clock.now()
        t = datetime.combine(start, datetime.min.time(), tzinfo=now.tzinfo)
        stop = min(
            now, datetime.combine(end, datetime.min.time(), tzinfo=now.tzinfo) + timedelta(days=1)
        )
        out = []
        while t <= stop:
            n = int(t.timestamp()) // 300
            name, lat, lon = PLACES[(n // 12 + unit.id) % len(PLACES)]
            out.append(
                {
                    "located_at": _iso(t),
                    "lat": lat,
                    "lon": lon,
                    "description": name,
                    "speed": float(30 + (n * 7 + unit.id) % 40),
                    "bearing": (n * 37) % 360,
                    "type": "breadcrumb",
                    "driver": self.driver_of(unit),
                }
            )
            t += timedelta(minutes=5)
        return out

    def raise_event(
        self,
        vehicle: str = "TRK-101",
        type: str = "hard_brake",
        *,
        at: datetime | None = None,
        severity: str | None = "medium",
        driver: bool = True,
        media_delay_seconds: float = 0.0,
        withdraw_after_seconds: float | None = None,
        retype_to: str | None = None,
        speed_mph: float | None = 54.0,
        webhook: bool = True,
        place: int | None = None,
    ) -> SimEvent:
        """An event on `vehicle` at `at` (default: a minute ago). A crash given
        `withdraw_after_seconds` is withdrawn by the review then (as another type if
        `retype_to`)."""
        unit = self.sim.unit("vehicle", vehicle)
        now = self.sim.clock.now()
        n = next(self._ids)
        event = SimEvent(
            id=str(n),
            type=type,
            unit=unit,
            start=at or now - timedelta(minutes=1),
            severity=severity,
            driver=self.driver_of(unit) if driver else None,
            place=PLACES[(place if place is not None else n) % len(PLACES)],
            speed_mph=speed_mph,
            media_ready_at=now + self.sim.scaled(media_delay_seconds),
            withdraw_at=(
                now + self.sim.scaled(withdraw_after_seconds)
                if withdraw_after_seconds is not None
                else None
            ),
            retype_to=retype_to,
        )
        self.events[event.id] = event
        if webhook:
            event.pending.append(c.WEBHOOK_EVENT_ACTIONS[0])
        return event

    def update(self, event_id: str, *, webhook: bool = True, **changes: Any) -> SimEvent:
        """Change an event's fields (type, severity...) and announce it."""
        event = self.events[event_id]
        for name, value in changes.items():
            setattr(event, name, value)
        if webhook:
            event.pending.append(c.WEBHOOK_EVENT_ACTIONS[1])
        return event

    def withdraw(self, event_id: str, *, retype_to: str | None = None) -> None:
        """The review's verdict now: gone from the list (no webhook says so), or another type
        (announced as an update)."""
        event = self.events[event_id]
        event.withdraw_at = self.sim.clock.now()
        event.retype_to = retype_to
        self._review(event, event.withdraw_at)

    def _review(self, event: SimEvent, now: datetime) -> None:
        if event.withdraw_at is None or now < event.withdraw_at or event.withdrawn:
            return
        if event.retype_to is not None:
            event.type, event.retype_to = event.retype_to, None
            event.withdraw_at = None
            event.pending.append(c.WEBHOOK_EVENT_ACTIONS[1])
        else:
            event.withdrawn = True

    def visible(self) -> list[SimEvent]:
        now = self.sim.clock.now()
        for event in self.events.values():
            self._review(event, now)
        return sorted(
            (e for e in self.events.values() if not e.withdrawn), key=lambda e: (e.start, e.id)
        )

    def body(self, event: SimEvent, base_url: str) -> dict[str, Any]:
        now = self.sim.clock.now()
        ready = now >= event.media_ready_at
        cameras = [
            p
            for p in (CameraPosition.FRONT_FACING, CameraPosition.DRIVER_FACING)
            if p in event.unit.cameras
        ]
        videos: dict[str, Any] = {}
        expires = now + timedelta(minutes=self.sim.config.media_ttl_minutes)
        for position in cameras:
            key = f"{position.value}_plain_url"
            videos[key] = (
                self.sim.media_url(base_url, f"events/{event.id}/{position.value}.mp4", expires)
                if ready
                else None
            )
        metadata: dict[str, Any] = {}
        if event.severity is not None:
            metadata["severity"] = event.severity
        name, lat, lon = event.place
        return {
            "id": int(event.id),
            "type": event.type,
            "start_time": _iso(event.start),
            "end_time": _iso(event.start + timedelta(seconds=6)),
            "lat": lat,
            "lon": lon,
            "location": name,
            "max_speed": event.speed_mph,
            "vehicle": {"id": event.unit.id, "number": event.unit.label},
            "driver": event.driver,
            "metadata": metadata,
            "camera_media": {"available": ready, "downloadable_videos": videos},
            "aggregated": False,
        }

    def list_body(
        self,
        start: date,
        end: date,
        *,
        page: int,
        per_page: int,
        base_url: str,
        vehicles: set[str] | None = None,
    ) -> dict[str, Any]:
        chosen = [
            e
            for e in self.visible()
            if start <= e.start.date() <= end and (not vehicles or str(e.unit.id) in vehicles)
        ]
        chunk = chosen[(page - 1) * per_page : page * per_page]
        return {
            c.EVENTS_KEY: [{c.EVENT_WRAPPER: self.body(e, base_url)} for e in chunk],
            "pagination": {"per_page": per_page, "page_no": page, "total": len(chosen)},
        }

    def notice(self, event: SimEvent, action: str) -> dict[str, Any]:
        """The flat webhook body Motive documents for these actions."""
        name, lat, lon = event.place
        return {
            "id": int(event.id),
            "action": action,
            "type": event.type,
            "driver_id": (event.driver or {}).get("id"),
            "vehicle_id": event.unit.id,
            "start_time": _iso(event.start),
            "end_time": _iso(event.start + timedelta(seconds=6)),
            "lat": lat,
            "lon": lon,
            "location": name,
        }

    def due_webhooks(self) -> list[tuple[bytes, str]]:
        """Signed bodies of the announcements not sent yet (taken: each is sent once)."""
        secret = self.sim.config.webhook_secret
        self.visible()  # a review due now announces itself
        out: list[tuple[bytes, str]] = []
        for event in self.events.values():
            while event.pending:
                body = json.dumps(self.notice(event, event.pending.pop(0))).encode()
                out.append((body, sign(body, secret or "")))
        return out
