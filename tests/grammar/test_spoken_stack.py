"""Issue 24's table of spoken phrasings through the running stack: a signed /recall with each row's
words, on the row's clock, in the dispatcher's zone (the fake Slack's America/Chicago), must reach
Motive as exactly the row's create: the unit, the start, the length and the cameras.

The rows taken are those the simulator can answer with a create: a unit of its fleet, in the
dispatcher's zone, and a window inside the footage it holds (30 hours back, minus the unit's
gaps). The parser reads every row in test_spoken.py; this runs the same table, not a copy."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from bot.store.models import TRACKING
from motive.clock import ManualClock
from motive.simulator import SimConfig
from motive.simulator.fleet import build_fleet, timelines
from tests.grammar.test_spoken import CHICAGO, SPOKEN, Row, fields_of
from tests.support.stack import running_stack

FLEET = {u.label: u for u in build_fleet(SimConfig().seed)}


def in_footage(row: Row) -> bool:
    fields = fields_of(row)
    unit = FLEET.get(row.unit[1])
    if row.zone is not CHICAGO or unit is None or fields.start_time is None:
        return False
    start = fields.start_time
    end = start + timedelta(minutes=float(fields.duration or 1))
    retention = timedelta(hours=SimConfig().retention_hours - 1)
    recorded = timelines(unit, epoch=row.now, now=row.now, retention=retention)
    return any(a <= start and end <= b for a, b in recorded)


THROUGH_THE_STACK = [row for row in SPOKEN if in_footage(row) and row.minutes == int(row.minutes)]


def test_most_of_the_table_goes_through_the_stack() -> None:
    assert len(THROUGH_THE_STACK) >= 50, len(THROUGH_THE_STACK)


@pytest.mark.parametrize(
    "row",
    THROUGH_THE_STACK,
    ids=lambda r: f"{r.text} @{r.now:%H%M}Z".encode("ascii", "replace").decode(),
)
async def test_each_spoken_phrasing_makes_exactly_its_create(sqlite_url: str, row: Row) -> None:
    async with running_stack(sqlite_url, clock=ManualClock(row.now)) as stack:
        await stack.command("/recall", row.text)
        await stack.settle()
        assert stack.sim.stats.recalls_created == 1, stack.responses()
        [created] = stack.sim.recalls.values()
        asked = created.request
        assert (asked.target.kind, asked.target.name) == row.unit
        fmt = "%Y-%m-%d %H:%M:%S" if row.start.count(":") == 2 else "%Y-%m-%d %H:%M"
        assert asked.start_time.astimezone(CHICAGO).strftime(fmt) == row.start
        assert asked.duration == row.minutes
        cameras = asked.camera_positions
        assert (tuple(p.value for p in cameras) if cameras is not None else None) == row.cameras
        [tracked] = await stack.svc.store.in_flight()
        assert tracked.state == TRACKING
        assert not stack.slack.violations, stack.slack.violations


async def test_the_anchor_says_how_a_12_hour_time_was_read(sqlite_url: str) -> None:
    evening = datetime(2026, 11, 22, 3, 0, tzinfo=ManualClock().now().tzinfo)  # 21:00 Chicago
    async with running_stack(sqlite_url, clock=ManualClock(evening)) as stack:
        await stack.command("/recall", "TRK-102 2:15 front")
        await stack.settle()
        [anchor] = stack.anchors()
        assert "2:15 → 14:15 today" in json.dumps(anchor.blocks, ensure_ascii=False)
        [created] = stack.sim.recalls.values()
        assert created.request.start_time.astimezone(CHICAGO).strftime("%H:%M") == "14:15"
