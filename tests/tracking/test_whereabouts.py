"""Where and who on an anchor: Motive's breadcrumbs read leniently, the one nearest the requested
minute described, and the running bot adding it when Motive answers (and leaving it out, the
request unharmed, when it does not)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.store.models import TRACKING
from bot.tracking.whereabouts import describe, nearest
from motive.models import breadcrumbs
from motive.simulator import Fault
from tests.support.stack import Stack

AT = datetime(2026, 11, 21, 14, 5, tzinfo=UTC)
CRUMB = {
    "located_at": "2026-11-21T14:03:00Z",
    "lat": 39.5,
    "lon": -119.7,
    "description": "Sparks, NV",
    "speed": 54.4,
    "bearing": 90,
    "type": "breadcrumb",
    "driver": {"id": 1, "first_name": "Dana", "last_name": "Driver"},
}


@pytest.mark.parametrize(
    "body",
    [
        {"vehicle_locations": [{"vehicle_location": CRUMB}]},
        {"locations": [CRUMB], "pagination": {}},
        [CRUMB],
        {"vehicle_locations": [CRUMB, {"located_at": None}, "junk", {"lat": 1}]},
    ],
    ids=["wrapped", "bare_items_other_key", "a_list", "odd_items_left_out"],
)
def test_breadcrumbs_whatever_the_envelope(body: object) -> None:
    [crumb] = breadcrumbs(body)
    assert describe(crumb) == "near Sparks, NV · 54 mph · Dana Driver"


def test_the_nearest_breadcrumb_within_ten_minutes_of_the_minute() -> None:
    far = dict(CRUMB, located_at="2026-11-21T13:40:00Z", description="Reno, NV")
    near = dict(CRUMB, located_at="2026-11-21T14:07:00Z", description="Fernley, NV")
    crumbs = breadcrumbs([far, CRUMB, near])
    found = nearest(crumbs, AT)
    assert found is not None and found.description == "Sparks, NV"
    assert nearest(crumbs, AT + timedelta(minutes=40)) is None
    assert nearest([], AT) is None


def test_what_is_not_given_is_left_out() -> None:
    [unidentified] = breadcrumbs([dict(CRUMB, driver=None, speed=None)])
    assert describe(unidentified) == "near Sparks, NV · unidentified driver"
    [bare] = breadcrumbs([{"located_at": "2026-11-21T14:03:00Z"}])
    assert describe(bare) is None


async def fleet_loaded(stack: Stack) -> None:
    assert await stack.svc.fleet.search("vehicle", "TRK-101", wait=30) == ["TRK-101"]


async def test_a_recalls_anchor_says_where_and_who(stack: Stack) -> None:
    await fleet_loaded(stack)
    await stack.command("/recall", "TRK-101 30m ago 2m front")
    await stack.settle()
    [anchor] = stack.anchors()
    shown = json.dumps(anchor.blocks, ensure_ascii=False)
    assert "*Where and who:* near " in shown and " mph · Dana Driver1" in shown
    [row] = await stack.svc.store.in_flight()
    assert row.whereabouts is not None and row.whereabouts in shown
    # Kept on the row: later anchors (the poller's) show it too.
    stack.clock.advance(20 * 60)
    await stack.poll_all()
    assert "*Where and who:*" in json.dumps(
        anchor.blocks, ensure_ascii=False
    ) and "Done" in json.dumps(anchor.blocks, ensure_ascii=False)


async def test_motive_failing_leaves_it_out_and_the_request_goes_on(stack: Stack) -> None:
    await fleet_loaded(stack)
    assert stack.sim is not None
    stack.sim.faults.append(Fault(status=500, path_prefix="/v3/", count=20))
    await stack.command("/snapshot", "TRK-101 front")
    await stack.settle()
    [anchor] = stack.anchors()
    assert "Where and who" not in json.dumps(anchor.blocks, ensure_ascii=False)
    [row] = await stack.svc.store.in_flight()
    assert row.state == TRACKING and row.whereabouts is None


async def test_an_asset_has_no_lookup(stack: Stack) -> None:
    await fleet_loaded(stack)
    await stack.command("/snapshot", 'asset:"Reefer 12" rear')
    await stack.settle()
    assert stack.sim is not None and stack.sim.stats.requests["vehicles.locations"] == 0
    assert "Where and who" not in json.dumps(stack.anchors()[0].blocks)
