"""The simulator's seeded fleet: which trucks and trailers exist and which cameras they carry."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from motive.rules import CameraPosition as P

DASHCAM = (P.FRONT_FACING, P.DRIVER_FACING, P.FRONT_NARROW_FACING)
OMNICAM = (P.SIDE_LEFT, P.SIDE_RIGHT, P.REAR)


@dataclass(frozen=True)
class Unit:
    """A vehicle or an asset as the simulator knows it."""

    kind: str  # "vehicle" | "asset"
    id: int
    label: str  # vehicle number or asset name
    cameras: tuple[P, ...]
    smart_dashcam: bool = False
    online: bool = True
    faulty: frozenset[P] = field(default_factory=frozenset)
    # Footage gaps, as (hours before the simulator's epoch, length in minutes).
    gaps: tuple[tuple[float, float], ...] = ()
    # Footage stops this many minutes before "now" (the truck is parked with the engine off).
    parked_minutes: float = 0.0

    def list_item(self) -> dict[str, object]:
        """The unit as the fleet list shows it. `driver_facing_camera` is Motive's documented
        field; `camera_positions` and `dashcam_model` are the simulator's own (how a real account
        tells a smart dashcam is not documented), so the bot can check a request before asking."""
        label = "number" if self.kind == "vehicle" else "name"
        item: dict[str, object] = {"id": self.id, label: self.label, "status": "active"}
        item["company_id"] = 5
        item["camera_positions"] = [p.value for p in self.cameras]
        if self.kind == "vehicle":
            item["driver_facing_camera"] = P.DRIVER_FACING in self.cameras
            has_dashcam = any(p in DASHCAM for p in self.cameras)
            item["dashcam_model"] = (
                ("smart_dashcam" if self.smart_dashcam else "ai_dashcam") if has_dashcam else None
            )
        return item


def build_fleet(seed: int, extra_vehicles: int = 125, extra_assets: int = 39) -> list[Unit]:
    """The named units that demos and tests rely on, then seeded filler for paging and typeahead."""
    rng = random.Random(seed)
    units = [
        Unit("vehicle", 1300101, "TRK-101", DASHCAM[:2], gaps=((3.0, 45.0), (9.5, 120.0))),
        Unit("vehicle", 1300102, "TRK-102", DASHCAM + OMNICAM, gaps=((5.0, 30.0),)),
        Unit("vehicle", 1300103, "TRK-103", (P.FRONT_FACING,), smart_dashcam=True),
        Unit("vehicle", 1300104, "TRK-104", DASHCAM[:2] + OMNICAM, faulty=frozenset({P.REAR})),
        Unit("vehicle", 1300105, "TRK-105", DASHCAM[:2], online=False, parked_minutes=120.0),
        Unit("asset", 9021, "Reefer 12", OMNICAM),
        Unit("asset", 9022, "Flatbed 7", OMNICAM, gaps=((2.0, 60.0),)),
        Unit("asset", 9023, "Dry Van 3", OMNICAM, online=False, parked_minutes=90.0),
        # Slack's control characters in a name: sent as entities, to reach Motive as typed.
        Unit("asset", 9024, "Yard A & B", OMNICAM),
    ]

    def gap() -> tuple[tuple[float, float], ...]:
        # Parked some time yesterday or this morning; always back on the road an hour ago.
        hours = rng.uniform(3, 24)
        return ((hours, rng.uniform(10, min(180, (hours - 1) * 60))),)

    for i in range(extra_vehicles):
        cams = DASHCAM[:2] + (OMNICAM if rng.random() < 0.3 else ())
        units.append(Unit("vehicle", 1300200 + i, f"TRK-{200 + i}", cams, gaps=gap()))
    for i in range(extra_assets):
        units.append(Unit("asset", 9100 + i, f"Trailer {100 + i}", OMNICAM, gaps=gap()))
    return units


def timelines(
    unit: Unit, *, epoch: datetime, now: datetime, retention: timedelta
) -> list[tuple[datetime, datetime]]:
    """Recorded windows: from the retention edge to now (or to when it parked), minus gaps."""
    start = now - retention
    end = now - timedelta(minutes=unit.parked_minutes)
    cuts = sorted(
        (epoch - timedelta(hours=h), epoch - timedelta(hours=h) + timedelta(minutes=m))
        for h, m in unit.gaps
    )
    windows: list[tuple[datetime, datetime]] = []
    cursor = start
    for gap_start, gap_end in cuts:
        if gap_end <= cursor or gap_start >= end:
            continue
        if gap_start > cursor:
            windows.append((cursor, gap_start))
        cursor = max(cursor, gap_end)
    if cursor < end:
        windows.append((cursor, end))
    return windows
