"""Every line of the two seed documents, as one case per rule and per boundary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from motive.rules import (
    CameraPosition,
    CameraPositionsViolation,
    DurationViolation,
    PositionViolation,
    RecallType,
    RecallTypeViolation,
    RuleViolation,
    SmartDashcamDurationViolation,
    SmartDashcamTypeViolation,
    StartTimeViolation,
    TargetViolation,
    camera_selection,
    validate_recall,
    validate_snapshot,
)

NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
HOUR_AGO = "2026-11-21T14:00:00Z"


def recall(**overrides: Any) -> Any:
    fields: dict[str, Any] = {
        "vehicle_number": "TRK-101",
        "start_time": HOUR_AGO,
        "duration": 2,
        "recall_type": "regular",
    }
    fields.update(overrides)
    return validate_recall(now=NOW, **fields)


# (rule name, overrides, expected violation or None, expected message fragment)
RECALL_CASES: list[tuple[str, dict[str, Any], type[RuleViolation] | None, str]] = [
    # "start_time and duration are required."
    ("start_time_required", {"start_time": None}, StartTimeViolation, "start time is required"),
    ("duration_required", {"duration": None}, DurationViolation, "whole number of minutes"),
    # "Provide exactly one of vehicle_number or asset_name, but not BOTH."
    ("vehicle_alone_ok", {}, None, ""),
    ("asset_alone_ok", {"vehicle_number": None, "asset_name": "Reefer 12"}, None, ""),
    ("both_targets_rejected", {"asset_name": "Reefer 12"}, TargetViolation, "not both"),
    ("no_target_rejected", {"vehicle_number": None}, TargetViolation, "vehicle number"),
    ("blank_target_rejected", {"vehicle_number": "   "}, TargetViolation, "vehicle number"),
    ("target_must_be_text", {"vehicle_number": 101}, TargetViolation, "must be text"),
    # "start_time must be a valid ISO 8601 timestamp and cannot refer to future footage."
    ("iso_with_offset_ok", {"start_time": "2026-11-21T08:00:00-06:00"}, None, ""),
    ("aware_datetime_ok", {"start_time": NOW - timedelta(minutes=10)}, None, ""),
    ("not_iso_rejected", {"start_time": "yesterday 2pm"}, StartTimeViolation, "not an ISO 8601"),
    ("naive_rejected", {"start_time": "2026-11-21T14:00:00"}, StartTimeViolation, "no time zone"),
    ("future_start_rejected", {"start_time": "2026-11-21T15:00:01Z"}, StartTimeViolation, "future"),
    ("start_exactly_now_boundary", {"start_time": NOW}, StartTimeViolation, "runs past now"),
    (
        "window_ending_now_ok",
        {"start_time": NOW - timedelta(minutes=2)},
        None,
        "",
    ),
    (
        "window_running_past_now_rejected",
        {"start_time": NOW - timedelta(minutes=1)},
        StartTimeViolation,
        "not yet recorded",
    ),
    # "Supported durations: regular: 1, 2, or 3 minutes"
    ("regular_1_ok", {"duration": 1}, None, ""),
    ("regular_3_ok", {"duration": 3}, None, ""),
    ("regular_0_rejected", {"duration": 0}, DurationViolation, "Regular recalls last 1, 2 or 3"),
    ("regular_4_rejected", {"duration": 4}, DurationViolation, "you asked for 4"),
    ("regular_5_rejected", {"duration": 5}, DurationViolation, "1, 2 or 3"),
    ("duration_not_integer", {"duration": 2.5}, DurationViolation, "whole number"),
    ("duration_not_bool", {"duration": True}, DurationViolation, "whole number"),
    # "timelapse: 5, 10, 15, 30, 45, or 60 minutes"
    ("timelapse_5_ok", {"recall_type": "timelapse", "duration": 5}, None, ""),
    ("timelapse_60_ok", {"recall_type": "timelapse", "duration": 60}, None, ""),
    (
        "timelapse_3_rejected",
        {"recall_type": "timelapse", "duration": 3},
        DurationViolation,
        "Timelapse recalls last 5, 10, 15, 30, 45 or 60",
    ),
    (
        "timelapse_20_rejected",
        {"recall_type": "timelapse", "duration": 20},
        DurationViolation,
        "20",
    ),
    (
        "timelapse_90_rejected",
        {"recall_type": "timelapse", "duration": 90},
        DurationViolation,
        "90",
    ),
    # "Supported recall_type values are regular and timelapse."
    ("type_regular_ok", {"recall_type": RecallType.REGULAR}, None, ""),
    (
        "type_unknown_rejected",
        {"recall_type": "slowmo"},
        RecallTypeViolation,
        "regular or timelapse",
    ),
    # "Timelapse is not supported for smart dashcams." / "limited to 1 minute."
    (
        "smart_dashcam_no_timelapse",
        {"recall_type": "timelapse", "duration": 5, "smart_dashcam": True},
        SmartDashcamTypeViolation,
        "cannot record timelapse",
    ),
    (
        "smart_dashcam_1_minute_only",
        {"duration": 2, "smart_dashcam": True},
        SmartDashcamDurationViolation,
        "last 1 minute; you asked for 2",
    ),
    ("smart_dashcam_1_minute_ok", {"duration": 1, "smart_dashcam": True}, None, ""),
    # camera_positions: optional; "[] returns a 400"; "invalid position strings return a 400"
    ("cameras_omitted_ok", {"camera_positions": None}, None, ""),
    ("cameras_all_six_ok", {"camera_positions": [p.value for p in CameraPosition]}, None, ""),
    ("cameras_empty_rejected", {"camera_positions": []}, CameraPositionsViolation, "empty"),
    (
        "cameras_unknown_rejected",
        {"camera_positions": ["front_facing", "roof"]},
        CameraPositionsViolation,
        "'roof' is not a camera position",
    ),
    (
        "cameras_repeat_rejected",
        {"camera_positions": ["rear", "rear"]},
        CameraPositionsViolation,
        "listed twice",
    ),
    ("cameras_not_list_rejected", {"camera_positions": "rear"}, CameraPositionsViolation, "list"),
]


@pytest.mark.parametrize(
    ("overrides", "violation", "fragment"),
    [c[1:] for c in RECALL_CASES],
    ids=[c[0] for c in RECALL_CASES],
)
def test_recall_rule(
    overrides: dict[str, Any], violation: type[RuleViolation] | None, fragment: str
) -> None:
    if violation is None:
        result = recall(**overrides)
        assert result.end_time - result.start_time == timedelta(minutes=result.duration)
        return
    with pytest.raises(violation) as caught:
        recall(**overrides)
    assert fragment in caught.value.message
    assert caught.value.field == violation.field


def test_violation_names_field_value_and_allowed() -> None:
    with pytest.raises(DurationViolation) as caught:
        recall(duration=4)
    err = caught.value
    assert (err.field, err.value, err.allowed) == ("duration", 4, "1, 2 or 3")
    assert err.message == "Regular recalls last 1, 2 or 3 minutes; you asked for 4."


def test_several_violations_reported_together() -> None:
    with pytest.raises(RuleViolation) as caught:
        recall(vehicle_number=None, duration=9, camera_positions=[])
    fields = {v.field for v in caught.value.all_violations}
    assert fields == {"target", "duration", "camera_positions"}


def test_end_time_and_body() -> None:
    r = recall(start_time="2026-11-21T08:05:00-06:00", duration=3, camera_positions=["rear"])
    assert r.start_time == datetime(2026, 11, 21, 14, 5, tzinfo=UTC)
    assert r.end_time == datetime(2026, 11, 21, 14, 8, tzinfo=UTC)
    assert r.as_body() == {
        "vehicle_number": "TRK-101",
        "start_time": "2026-11-21T14:05:00Z",
        "duration": 3,
        "recall_type": "regular",
        "camera_positions": ["rear"],
    }
    assert "camera_positions" not in recall().as_body()


def test_start_time_other_zone_converted_to_utc() -> None:
    tz = timezone(timedelta(hours=5, minutes=30))
    r = recall(start_time=datetime(2026, 11, 21, 19, 0, tzinfo=tz))
    assert r.start_time.tzinfo == UTC and r.start_time.hour == 13 and r.start_time.minute == 30


# "Important info - Camera Positions"
SELECTION_CASES = [
    ("omitted_means_all_cameras", None, (True, True, False)),
    ("dashcam_only_ignores_omnicam", ["front_facing", "driver_facing"], (True, False, False)),
    ("omnicam_only_ignores_dashcam", ["side_left", "rear"], (False, True, False)),
    ("mix_filters_both", ["driver_facing", "side_right"], (True, True, False)),
    ("front_without_driver_is_road_facing_only", ["front_facing"], (True, False, True)),
    (
        "front_with_narrow_still_road_only",
        ["front_facing", "front_narrow_facing"],
        (True, False, True),
    ),
    ("front_and_driver_not_road_only", ["front_facing", "driver_facing"], (True, False, False)),
    ("front_with_omnicam_road_only", ["front_facing", "rear"], (True, True, True)),
]


@pytest.mark.parametrize(
    ("positions", "expected"), [c[1:] for c in SELECTION_CASES], ids=[c[0] for c in SELECTION_CASES]
)
def test_camera_selection(positions: list[str] | None, expected: tuple[bool, bool, bool]) -> None:
    chosen = None if positions is None else [CameraPosition(p) for p in positions]
    sel = camera_selection(chosen)
    assert (sel.dashcam, sel.omnicam, sel.road_facing_only) == expected


def test_position_table_camera_types() -> None:
    dash = {"front_facing", "driver_facing", "front_narrow_facing"}
    for p in CameraPosition:
        assert p.camera_type.value == ("dashcam" if p.value in dash else "omnicam")


# Image captures: "specify the positions of the camera ... a single source"
SNAPSHOT_CASES: list[tuple[str, dict[str, Any], type[RuleViolation] | None, str]] = [
    (
        "vehicle_front_facing_ok",
        {"vehicle_number": "TRK-101", "position": "front_facing"},
        None,
        "",
    ),
    (
        "vehicle_driver_facing_ok",
        {"vehicle_number": "TRK-101", "position": "driver_facing"},
        None,
        "",
    ),
    ("vehicle_side_left_ok", {"vehicle_number": "TRK-101", "position": "side_left"}, None, ""),
    ("vehicle_rear_ok", {"vehicle_number": "TRK-101", "position": "rear"}, None, ""),
    ("asset_side_right_ok", {"asset_name": "Reefer 12", "position": "side_right"}, None, ""),
    ("asset_rear_ok", {"asset_name": "Reefer 12", "position": "rear"}, None, ""),
    (
        "asset_front_facing_rejected_dashcam_vehicle_only",
        {"asset_name": "Reefer 12", "position": "front_facing"},
        PositionViolation,
        "dashcams are only on vehicles",
    ),
    (
        "asset_driver_facing_rejected_dashcam_vehicle_only",
        {"asset_name": "Reefer 12", "position": "driver_facing"},
        PositionViolation,
        "left, right or rear",
    ),
    (
        "narrow_is_recall_only",
        {"vehicle_number": "TRK-101", "position": "front_narrow_facing"},
        PositionViolation,
        "video recalls only",
    ),
    (
        "position_required",
        {"vehicle_number": "TRK-101", "position": None},
        PositionViolation,
        "exactly one",
    ),
    (
        "single_position_only",
        {"vehicle_number": "TRK-101", "position": ["rear", "side_left"]},
        PositionViolation,
        "exactly one",
    ),
    (
        "unknown_position",
        {"vehicle_number": "TRK-101", "position": "roof"},
        PositionViolation,
        "'roof'",
    ),
    (
        "snapshot_both_targets",
        {"vehicle_number": "TRK-101", "asset_name": "Reefer 12", "position": "rear"},
        TargetViolation,
        "not both",
    ),
    ("snapshot_no_target", {"position": "rear"}, TargetViolation, "vehicle number"),
]


@pytest.mark.parametrize(
    ("fields", "violation", "fragment"),
    [c[1:] for c in SNAPSHOT_CASES],
    ids=[c[0] for c in SNAPSHOT_CASES],
)
def test_snapshot_rule(
    fields: dict[str, Any], violation: type[RuleViolation] | None, fragment: str
) -> None:
    if violation is None:
        snap = validate_snapshot(**fields)
        assert snap.as_body()["position"] == fields["position"]
        assert snap.camera_type == CameraPosition(fields["position"]).camera_type
        return
    with pytest.raises(violation) as caught:
        validate_snapshot(**fields)
    assert fragment in caught.value.message


anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(["regular", "timelapse", "2026-11-21T14:00:00Z", "front_facing", "rear", ""]),
    st.lists(
        st.one_of(st.text(max_size=12), st.sampled_from([p.value for p in CameraPosition])),
        max_size=7,
    ),
    st.datetimes(timezones=st.one_of(st.none(), st.timezones())),
)


@given(
    vehicle=anything,
    asset=anything,
    start=anything,
    duration=anything,
    rtype=anything,
    cams=anything,
    smart=st.booleans(),
)
def test_any_recall_input_validates_or_raises_a_rule_violation(
    vehicle: Any, asset: Any, start: Any, duration: Any, rtype: Any, cams: Any, smart: bool
) -> None:
    try:
        r = validate_recall(
            vehicle_number=vehicle,
            asset_name=asset,
            start_time=start,
            duration=duration,
            recall_type=rtype,
            camera_positions=cams,
            now=NOW,
            smart_dashcam=smart,
        )
    except RuleViolation as e:
        assert e.message and e.field
        return
    assert r.end_time <= NOW
    assert r.duration in (1, 2, 3, 5, 10, 15, 30, 45, 60)


@given(vehicle=anything, asset=anything, position=anything)
def test_any_snapshot_input_validates_or_raises_a_rule_violation(
    vehicle: Any, asset: Any, position: Any
) -> None:
    try:
        s = validate_snapshot(vehicle_number=vehicle, asset_name=asset, position=position)
    except RuleViolation as e:
        assert e.message and e.field
        return
    assert s.target.kind == "vehicle" or s.position.camera_type.value == "omnicam"
