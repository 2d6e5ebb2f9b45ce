"""Targets as the fleet spells them, and what a unit carries, checked before any anchor is posted;
the user's zone when Slack cannot say it. Signed commands into the running bot."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.access.fleet import FleetUnit, match_unit
from motive.clock import ManualClock
from motive.models import Vehicle
from motive.rules import CameraPosition as P
from motive.simulator import Fault, SimConfig, Simulator
from motive.simulator.fleet import Unit
from tests.slack.test_forms import _opt, _state, open_recall_modal
from tests.support.stack import Stack, running_stack


def answers(stack: Stack) -> str:
    return json.dumps([r.get("blocks") for r in stack.slack.responses])


FLEET = [
    FleetUnit("vehicle", "TRK-101"),
    FleetUnit("vehicle", "TRK-102"),
    FleetUnit("vehicle", "TRK-1020"),
    FleetUnit("asset", "Reefer 12"),
]


@pytest.mark.parametrize(
    ("kind", "typed", "unit", "suggested"),
    [
        ("vehicle", "trk-102", "TRK-102", []),
        ("vehicle", "TRK-102", "TRK-102", []),
        ("asset", "REEFER 12", "Reefer 12", []),
        ("vehicle", "102", None, ["TRK-102"]),
        ("vehicle", "TRK101", None, ["TRK-101"]),
        ("vehicle", "TRK 101", None, ["TRK-101"]),
        ("vehicle", "TRK-10", None, ["TRK-101", "TRK-102", "TRK-1020"]),
        ("vehicle", "Reefer 12", None, ["Reefer 12"]),
        ("vehicle", "ZZZ-999", None, []),
    ],
)
def test_match_unit(kind: str, typed: str, unit: str | None, suggested: list[str]) -> None:
    match = match_unit(FLEET, kind, typed)
    assert (match.unit.label if match.unit else None) == unit
    assert {u.label for u in match.suggestions} == set(suggested)


def test_fleet_models_read_what_a_unit_carries_leniently() -> None:
    v = Vehicle.model_validate(
        {
            "id": 1,
            "number": "TRK-1",
            "camera_positions": ["front_facing", {"position": "rear"}, 7],
            "dashcam_model": "Smart Dashcam",
            "driver_facing_camera": "maybe",
        }
    )
    assert v.camera_positions == ["front_facing", "rear"] and v.smart_dashcam is True
    assert v.driver_facing_camera is None
    bare = Vehicle.model_validate({"vehicle": {"id": 2, "number": "TRK-2", "cameras": "?"}})
    assert bare.camera_positions is None and bare.smart_dashcam is None


async def test_fleet_spelling_on_the_anchor_and_at_motive(stack: Stack) -> None:
    await stack.command("/recall", "trk-102 25m ago 2m")
    await stack.settle()
    [anchor] = stack.anchors()
    assert "TRK-102" in anchor.text and "trk-102" not in json.dumps(anchor.blocks)
    [recall] = stack.sim.recalls.values()
    assert recall.request.target.name == "TRK-102"


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("102 25m ago 2m", ["Did you mean TRK-102?", "/recall TRK-102 25m ago 2m"]),
        ("TRK101 25m ago 2m", ["Did you mean TRK-101?", "/recall TRK-101 25m ago 2m"]),
        ('"Reefer 12" 20m ago', ["Did you mean asset:Reefer 12?", '/recall asset:\\"Reefer 12\\"']),
        ("ZZZ-999 20m ago", ["no vehicle 'ZZZ-999' in the fleet", "`/recall`"]),
        # What the fleet list says the unit carries, before a minute of quota is asked for.
        (
            "TRK-103 30m ago 2m",
            ["Smart dashcam recalls last 1 minute", "/recall TRK-103 30m ago 1m"],
        ),
        (
            "TRK-103 30m ago timelapse 15m",
            ["smart dashcam, which cannot record timelapse", "/recall TRK-103 30m ago regular 1m"],
        ),
        ("TRK-101 30m ago 2m rear", ["TRK-101 has no rear camera", "/recall TRK-101 30m ago 2m`"]),
        ("TRK-101 30m ago front rear", ["`rear`", "/recall TRK-101 30m ago front`"]),
        ('asset:"Reefer 12" 30m ago front', ["no front camera", "left, right"]),
        # Either unit may be the one meant: no corrected command (issue 24).
        ('TRK-101 asset:"Reefer 12" 20m ago 2m', ["not both", "you gave vehicle TRK-101"]),
        # The person's own requests (as on the Home tab), not a parse error.
        ("list", ["Quota left this month", "In flight"]),
        ("status", ["Quota left this month", "Nothing in flight"]),
    ],
)
async def test_answered_privately_before_any_anchor(
    stack: Stack, text: str, fragments: list[str]
) -> None:
    await stack.command("/recall", text)
    await stack.settle()
    shown = answers(stack)
    for fragment in fragments:
        assert fragment in shown
    assert stack.anchors() == [] and stack.sim.recalls == {}
    assert "Say when" not in shown


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("TRK-101 rear", ["TRK-101 has no rear camera", "/snapshot TRK-101 front"]),
        ("%%% ### !!!", ["can't read '%%%' as a truck or trailer"]),
        ("trk101 front", ["Did you mean TRK-101?", "/snapshot TRK-101 front"]),
        ("mine", ["Quota left this month", "Nothing in flight"]),
    ],
)
async def test_snapshot_answered_privately(stack: Stack, text: str, fragments: list[str]) -> None:
    await stack.command("/snapshot", text)
    await stack.settle()
    shown = answers(stack)
    for fragment in fragments:
        assert fragment in shown
    assert "you named" not in shown
    assert stack.anchors() == [] and stack.sim.captures == {}


@pytest.mark.parametrize("sent", ['asset:"Yard A &amp; B" 20m ago', 'asset:"Yard A & B" 20m ago'])
async def test_slack_entities_reach_motive_as_typed_and_are_escaped_once(
    stack: Stack, sent: str
) -> None:
    await stack.command("/recall", sent)
    await stack.settle()
    [recall] = stack.sim.recalls.values()
    assert recall.request.target.name == "Yard A & B"
    [anchor] = stack.anchors()
    shown = json.dumps(anchor.blocks)
    assert "Yard A &amp; B" in shown and "&amp;amp;" not in shown


async def test_zone_unknown_asks_and_is_not_cached(stack: Stack) -> None:
    stack.clock.set(datetime(2026, 11, 21, 22, 0, tzinfo=UTC))  # 16:00 in Chicago
    # users.info fails through every retry: the bot asks instead of reading 14:05 as UTC.
    stack.slack.fail_next("users.info", 429, count=4, retry_after=0)
    await stack.command("/recall", "TRK-101 14:05 2m")
    await stack.settle()
    shown = answers(stack)
    assert "could not tell me your time zone just now" in shown
    assert "/recall TRK-101 14:05 UTC 2m" in shown
    assert stack.anchors() == [] and stack.sim.recalls == {}
    # A relative time needs no zone.
    stack.slack.fail_next("users.info", 429, count=4, retry_after=0)
    await stack.command("/recall", "TRK-101 30m ago 2m")
    await stack.settle()
    assert len(stack.sim.recalls) == 1
    # Slack answers again: the zone is read, not the earlier failure remembered.
    await stack.command("/recall", "TRK-101 14:05 2m")
    await stack.settle()
    starts = sorted(r.request.start_time for r in stack.sim.recalls.values())
    assert datetime(2026, 11, 21, 20, 5, tzinfo=UTC) in starts


async def test_zone_missing_from_profile_is_said(stack: Stack) -> None:
    stack.slack.user_tz["U0NOZONE"] = ""
    await stack.command("/recall", "TRK-101 14:05 2m", user="U0NOZONE")
    await stack.settle()
    assert "your Slack profile has no time zone" in answers(stack)


async def test_locale_decides_day_and_month_order(stack: Stack) -> None:
    stack.clock.set(datetime(2026, 12, 2, 10, 0, tzinfo=UTC))
    stack.slack.user_locale["U0LONDON"] = "en-GB"
    stack.slack.user_tz["U0LONDON"] = "Europe/London"
    await stack.command("/recall", "TRK-101 01/12 14:05 2m", user="U0LONDON")
    await stack.settle()
    [recall] = stack.sim.recalls.values()
    assert recall.request.start_time == datetime(2026, 12, 1, 14, 5, tzinfo=UTC)


async def test_anchor_says_which_of_the_two_autumn_hours(tmp_path: Path) -> None:
    clock = ManualClock(datetime(2026, 11, 1, 7, 10, tzinfo=UTC))  # 01:10 CST
    async with running_stack(f"sqlite:///{tmp_path / 'bot.db'}", clock=clock) as stack:
        await stack.command("/recall", "TRK-102 01:30 2m note: cut off on I-80")
        await stack.settle()
        [anchor] = stack.anchors()
        shown = json.dumps(anchor.blocks)
        assert "cut off on I-80" in shown and "01:30 happened twice" in shown
        assert "01:30 CDT" in shown
        [recall] = stack.sim.recalls.values()
        assert recall.request.start_time == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
        assert not stack.slack.violations


def test_unit_camera_positions() -> None:
    assert P.REAR not in (FleetUnit("vehicle", "x", frozenset({P.FRONT_FACING})).cameras or ())


async def test_without_a_fleet_list_the_name_goes_to_motive_as_typed(tmp_path: Path) -> None:
    sim = Simulator(SimConfig(), clock=ManualClock())
    sim.faults.append(Fault(status=503, path_prefix="/v1/vehicles", count=1000))
    async with running_stack(f"sqlite:///{tmp_path / 'bot.db'}", sim=sim) as stack:
        await stack.command("/recall", "TRK-103 30m ago 2m")
        await stack.settle(timeout=30)
        # Nothing to check against: Motive judges, and its refusal is shown on the anchor.
        [anchor] = stack.anchors()
        shown = json.dumps(anchor.blocks)
        assert "Motive refused the request" in shown and "Smart dashcam" in shown


async def test_a_unit_added_since_the_list_was_read_is_found(stack: Stack) -> None:
    first = await stack.svc.fleet.find("vehicle", "TRK-999")
    assert first is not None and first.unit is None
    stack.sim.units.append(Unit("vehicle", 1300999, "TRK-999", (P.FRONT_FACING,)))
    soon = await stack.svc.fleet.find("vehicle", "TRK-999")  # the list is a minute fresh
    assert soon is not None and soon.unit is None
    stack.clock.advance(61)
    again = await stack.svc.fleet.find("vehicle", "trk-999")
    assert again is not None and again.unit is not None and again.unit.label == "TRK-999"
    assert again.unit.cameras == frozenset({P.FRONT_FACING}) and again.unit.smart_dashcam is False


async def test_modal_submission_checks_what_the_unit_carries(stack: Stack) -> None:
    await stack.svc.fleet.find("vehicle", "TRK-103")  # the list the typeahead offered from
    view = await open_recall_modal(stack)
    start = int((stack.clock.now() - timedelta(minutes=40)).timestamp())
    submitted = _state(
        view,
        target_kind=_opt("vehicle"),
        target=_opt("TRK-103"),
        start={"selected_date_time": start},
        recall_type=_opt("regular"),
        duration_regular=_opt("2"),
    )
    r = await stack.interact({"type": "view_submission", "view": submitted})
    errors = r.json()["errors"]
    assert "Smart dashcam recalls last 1 minute" in errors["duration_regular"]
    await stack.command("/snapshot", "")
    await stack.settle()
    snapshot_view = next(v for v in stack.slack.views.values() if v is not view)
    r = await stack.interact(
        {
            "type": "view_submission",
            "view": _state(
                snapshot_view,
                target_kind=_opt("vehicle"),
                target=_opt("TRK-101"),
                position_vehicle=_opt("rear"),
            ),
        }
    )
    assert "TRK-101 has no rear camera" in r.json()["errors"]["position_vehicle"]
    assert stack.anchors() == [] and stack.sim.recalls == {} and stack.sim.captures == {}
