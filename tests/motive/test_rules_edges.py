"""Motive's rules (motive/rules.py), written against the survivors of a mutation run (TESTING.md,
run I): the cameras a unit cannot have and what the refusal offers instead, a smart dashcam's
rules when the duration itself is unreadable, changing a validated recall's cameras, and what a
request made around the validators says."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from motive.rules import (
    CameraPosition,
    CameraPositionsViolation,
    DurationViolation,
    PositionViolation,
    RecallRequest,
    RecallType,
    RecallTypeViolation,
    RuleViolation,
    SmartDashcamTypeViolation,
    SnapshotRequest,
    Target,
    check_equipment,
    validate_recall,
    validate_snapshot,
)

NOW = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)
P = CameraPosition
TRAILER = Target("asset", "Reefer 12")
TRUCK = Target("vehicle", "TRK-101")


def refusal(
    target: Target,
    positions: list[CameraPosition],
    installed: frozenset[CameraPosition] | None = None,
    *,
    snapshot: bool = False,
) -> RuleViolation:
    with pytest.raises(RuleViolation) as caught:
        check_equipment(target, positions, installed, snapshot=snapshot)
    return caught.value


# --- cameras a unit cannot have ---------------------------------------------------------------


def test_a_dashcam_asked_of_a_trailer_nobody_listed_names_the_rule_and_the_omnicams() -> None:
    v = refusal(TRAILER, [P.FRONT_FACING, P.REAR, P.DRIVER_FACING])
    assert type(v) is CameraPositionsViolation
    assert v.message == (
        'asset "Reefer 12" has no front or driver camera; dashcams are only on vehicles.'
    )
    assert v.value == ["front_facing", "driver_facing"]  # in the order they were asked for
    assert v.allowed == "left, right or rear"  # Motive's order, not the alphabet's


def test_a_fleet_list_naming_a_dashcam_on_a_trailer_does_not_make_one() -> None:
    listed = frozenset({P.FRONT_FACING, P.REAR})
    v = refusal(TRAILER, [P.FRONT_FACING], listed)
    assert v.message == 'asset "Reefer 12" has no front camera; it has rear.'
    assert (v.value, v.allowed) == (["front_facing"], "rear")
    assert check_equipment(TRAILER, [P.REAR], listed) is None  # what it has is fine


def test_a_truck_missing_a_listed_camera_is_told_what_it_has_in_motives_order() -> None:
    installed = frozenset({P.REAR, P.FRONT_NARROW_FACING, P.FRONT_FACING, P.DRIVER_FACING})
    v = refusal(TRUCK, [P.SIDE_LEFT, P.FRONT_FACING, P.SIDE_RIGHT], installed)
    assert type(v) is CameraPositionsViolation
    assert v.message == (
        "TRK-101 has no left or right camera; it has front, driver, narrow and rear."
    )
    assert v.allowed == "front, driver, narrow or rear"


def test_a_snapshot_offers_only_what_a_capture_can_take() -> None:
    """front_narrow_facing is a recall-only view: a capture's refusal does not offer it."""
    installed = frozenset({P.FRONT_NARROW_FACING, P.DRIVER_FACING})
    v = refusal(TRUCK, [P.REAR], installed, snapshot=True)
    assert type(v) is PositionViolation
    assert v.message == "TRK-101 has no rear camera; it has driver."
    assert v.allowed == "driver"


def test_a_unit_whose_list_names_no_usable_camera_says_so() -> None:
    v = refusal(TRUCK, [P.REAR], frozenset())
    assert v.message == "TRK-101 has no rear camera; it has no camera the fleet list names."
    assert v.allowed == ""


def test_a_truck_nobody_listed_has_every_camera() -> None:
    assert check_equipment(TRUCK, list(P), None) is None
    assert check_equipment(TRUCK, list(P), None, snapshot=True) is None


# --- a smart dashcam, the duration unreadable ---------------------------------------------------


def kinds(**given: object) -> list[type[RuleViolation]]:
    with pytest.raises(RuleViolation) as caught:
        validate_recall(
            vehicle_number="TRK-101", start_time="2026-11-21T19:00:00Z", now=NOW, **given
        )
    return [type(v) for v in caught.value.all_violations]


def test_an_unreadable_duration_on_a_smart_dashcam_still_checks_the_type_alone() -> None:
    """Without a duration to check, the type is checked as if for a 1-minute recall: a
    timelapse is refused for what it is, and a regular recall gets no duration complaint it
    did not earn."""
    assert kinds(duration="soon", recall_type="timelapse", smart_dashcam=True) == [
        DurationViolation,
        SmartDashcamTypeViolation,
    ]
    assert kinds(duration="soon", recall_type="regular", smart_dashcam=True) == [DurationViolation]


def test_an_unreadable_type_and_duration_are_each_said_once() -> None:
    for smart in (False, True):
        assert kinds(duration="soon", recall_type="slow motion", smart_dashcam=smart) == [
            RecallTypeViolation,
            DurationViolation,
        ]


# --- changing a validated recall's cameras ----------------------------------------------------


def test_other_cameras_are_checked_again_and_the_rest_is_kept() -> None:
    recall = validate_recall(
        vehicle_number="TRK-101", start_time="2026-11-21T19:00:00Z", duration=2, now=NOW
    )
    narrowed = recall.with_cameras(["rear", P.FRONT_FACING])
    assert narrowed.camera_positions == (P.REAR, P.FRONT_FACING)
    assert (narrowed.target, narrowed.start_time, narrowed.duration, narrowed.recall_type) == (
        recall.target,
        recall.start_time,
        recall.duration,
        recall.recall_type,
    )
    assert recall.camera_positions is None  # the original is untouched
    assert narrowed.with_cameras(None).camera_positions is None  # every camera again
    with pytest.raises(CameraPositionsViolation, match="'sky' is not a camera position"):
        recall.with_cameras(["sky"])
    with pytest.raises(CameraPositionsViolation, match="The camera list is empty"):
        recall.with_cameras([])


# --- requests made around the validators -----------------------------------------------------


def test_a_request_made_directly_says_the_rule_it_breaks_or_is_the_validators() -> None:
    recall = "Regular recalls last 1, 2 or 3 minutes; you asked for 4."
    with pytest.raises(DurationViolation, match=f"^{re.escape(recall)}$"):
        RecallRequest(TRUCK, NOW, 4, RecallType.REGULAR, None)
    snapshot = (
        'front is a dashcam camera, and dashcams are only on vehicles; for asset "Reefer 12" '
        "use left, right or rear."
    )
    with pytest.raises(PositionViolation, match=f"^{re.escape(snapshot)}$"):
        SnapshotRequest(TRAILER, P.FRONT_FACING)
    start = datetime(2026, 11, 21, 19, 0, tzinfo=UTC)
    assert RecallRequest(TRUCK, start, 2, RecallType.REGULAR, None) == validate_recall(
        vehicle_number="TRK-101", start_time=start, duration=2, now=NOW
    )
    assert SnapshotRequest(TRAILER, P.REAR) == validate_snapshot(
        asset_name="Reefer 12", position="rear"
    )


# --- how far from now, in words (the survivors of issue 26's rules run) -------------------------

SPAN_NOW = datetime(2026, 11, 21, 20, 30, tzinfo=UTC)
P_FRONT, P_DRIVER, P_REAR = (
    CameraPosition.FRONT_FACING,
    CameraPosition.DRIVER_FACING,
    CameraPosition.REAR,
)


@pytest.mark.parametrize(
    ("ahead", "words"),
    [
        (timedelta(seconds=59), "less than a minute"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(minutes=119), "119 minutes"),
        (timedelta(minutes=120), "2 hours"),
        (timedelta(minutes=210), "4 hours"),  # 3.5 hours, rounded
        (timedelta(hours=47), "47 hours"),
        (timedelta(hours=48), "2 days"),
        (timedelta(hours=84), "4 days"),  # 3.5 days, rounded
    ],
)
def test_a_start_in_the_future_says_how_far_ahead(ahead: timedelta, words: str) -> None:
    with pytest.raises(RuleViolation) as caught:
        validate_recall(
            vehicle_number="TRK-101", start_time=SPAN_NOW + ahead, duration=1, now=SPAN_NOW
        )
    assert caught.value.message == (
        f"The start time is in the future ({words} from now); footage can only be recalled up "
        "to now."
    )


@pytest.mark.parametrize(
    ("back", "words"),
    [
        (timedelta(seconds=29), "now"),
        (timedelta(seconds=30), "less than a minute ago"),
        (timedelta(seconds=61), "1 minute ago"),
    ],
)
def test_a_window_running_past_now_says_when_it_starts(back: timedelta, words: str) -> None:
    with pytest.raises(RuleViolation) as caught:
        validate_recall(
            vehicle_number="TRK-101", start_time=SPAN_NOW - back, duration=2, now=SPAN_NOW
        )
    assert caught.value.message == (
        f"A 2-minute window starting {words} runs past now, into footage not yet recorded; start "
        "2 minutes ago or earlier."
    )
    assert caught.value.allowed == "2 minutes ago or earlier"


def test_a_request_built_for_something_not_a_target_says_what_it_needs() -> None:
    with pytest.raises(RuleViolation) as caught:
        RecallRequest("TRK-101", SPAN_NOW, 1, RecallType.REGULAR, None)  # type: ignore[arg-type]
    [violation] = caught.value.all_violations
    assert violation.message == "A request is for a vehicle or an asset; got 'TRK-101'."
    assert violation.allowed == "exactly one of vehicle number or asset name"
    assert (violation.field, violation.value) == ("target", "TRK-101")


@pytest.mark.parametrize(
    ("given", "offered"),
    [
        # What the unit carries, where the fleet list says...
        ({"vehicle_number": "TRK-101", "installed": frozenset({P_FRONT, P_REAR})}, "front or rear"),
        ({"vehicle_number": "TRK-101", "installed": frozenset({P_DRIVER})}, "driver"),
        # ...else what its kind may have (an asset's cameras are outside ones)...
        ({"asset_name": "Yard-7"}, "left, right or rear"),
        # ...and none of the unit's cameras can take one: what the kind may have, not nothing.
        ({"asset_name": "Yard-7", "installed": frozenset({P_FRONT})}, "left, right or rear"),
        # No unit named: the kind the form asked for.
        ({"kind": "asset"}, "left, right or rear"),
        ({}, "front, driver, left, right or rear"),
    ],
)
def test_a_snapshot_refusal_offers_the_cameras_the_unit_can_give(
    given: dict[str, object], offered: str
) -> None:
    with pytest.raises(RuleViolation) as caught:
        validate_snapshot(position="sky", **given)  # type: ignore[arg-type]
    [position] = [v for v in caught.value.all_violations if v.field == "position"]
    assert position.message == f"'sky' is not a camera position; use {offered}."
    assert position.allowed == offered
