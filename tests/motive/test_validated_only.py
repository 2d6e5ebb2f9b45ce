"""A RecallRequest or SnapshotRequest that breaks Motive's rules cannot exist: however one is
made (the validators, directly, `dataclasses.replace`, pydantic from stored or outside data), it
checks itself with the validators' own checks and says the same refusals. The rules of the clock
and of the unit are the validators' (motive/rules.py's docstring says why)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from motive.rules import (
    CameraPosition,
    CameraPositionsViolation,
    DurationViolation,
    PositionViolation,
    RecallRequest,
    RecallType,
    RuleViolation,
    SnapshotRequest,
    StartTimeViolation,
    Target,
    TargetViolation,
    validate_recall,
    validate_snapshot,
)

NOW = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)
START = datetime(2026, 11, 21, 19, 0, tzinfo=UTC)
P = CameraPosition
TRUCK = Target("vehicle", "TRK-101")
TRAILER = Target("asset", "Reefer 12")


def told(caught: RuleViolation) -> list[tuple[type[RuleViolation], str, str, object, str]]:
    """Everything a refusal says, each violation in order."""
    return [(type(v), v.message, v.field, v.value, v.allowed) for v in caught.all_violations]


def named(target: Target) -> dict[str, str]:
    return {"vehicle_number" if target.kind == "vehicle" else "asset_name": target.name}


# Each: a target and the four other fields of a recall, at least one of them against the rules.
BROKEN_RECALLS: list[tuple[Target, object, object, object, object]] = [
    (TRUCK, START, 4, RecallType.REGULAR, None),  # 1, 2 or 3 minutes
    (TRUCK, START, 2, RecallType.TIMELAPSE, None),  # 5 to 60 minutes
    (TRUCK, START, True, RecallType.REGULAR, None),  # a bool is no number of minutes
    (TRUCK, START, "2", RecallType.REGULAR, None),
    (TRUCK, START, 2, "slow motion", None),
    (TRUCK, START, 2, RecallType.REGULAR, ()),  # an empty camera list
    (TRUCK, START, 2, RecallType.REGULAR, ("sky",)),
    (TRUCK, START, 2, RecallType.REGULAR, (P.REAR, P.REAR)),
    (TRUCK, START, 2, RecallType.REGULAR, "rear"),  # text, not a list
    (TRUCK, datetime(2026, 11, 21, 19, 0), 2, RecallType.REGULAR, None),  # no time zone
    (TRUCK, "yesterday", 2, RecallType.REGULAR, None),
    (TRUCK, None, 2, RecallType.REGULAR, None),
    (Target("vehicle", "  "), START, 2, RecallType.REGULAR, None),  # no name
    (Target("asset", ""), START, 2, RecallType.REGULAR, None),
    (Target("vehicle", 101), START, 2, RecallType.REGULAR, None),  # type: ignore[arg-type]
    (TRUCK, "yesterday", 4, "slow motion", ("sky",)),  # several at once, told in order
]


@pytest.mark.parametrize(("target", "start", "duration", "recall_type", "cameras"), BROKEN_RECALLS)
def test_a_recall_made_around_the_validator_is_refused_as_the_validator_refuses_it(
    target: Target, start: object, duration: object, recall_type: object, cameras: object
) -> None:
    with pytest.raises(RuleViolation) as by_validator:
        validate_recall(
            **named(target),
            start_time=start,
            duration=duration,
            recall_type=recall_type,
            camera_positions=cameras,
            now=NOW,
        )
    with pytest.raises(RuleViolation) as made:
        RecallRequest(target, start, duration, recall_type, cameras)  # type: ignore[arg-type]
    assert told(made.value) == told(by_validator.value)


BROKEN_SNAPSHOTS: list[tuple[Target, object]] = [
    (TRAILER, P.FRONT_FACING),  # no dashcam on an asset
    (TRAILER, P.DRIVER_FACING),
    (TRUCK, P.FRONT_NARROW_FACING),  # a recall-only view
    (TRUCK, "sky"),
    (TRUCK, None),
    (TRUCK, " "),
    (TRUCK, ["rear"]),  # exactly one position
    (Target("asset", " "), P.REAR),
    (Target("vehicle", ""), "sky"),  # both at once, told in order
]


@pytest.mark.parametrize(("target", "position"), BROKEN_SNAPSHOTS)
def test_a_snapshot_made_around_the_validator_is_refused_as_the_validator_refuses_it(
    target: Target, position: object
) -> None:
    with pytest.raises(RuleViolation) as by_validator:
        validate_snapshot(**named(target), position=position)
    with pytest.raises(RuleViolation) as made:
        SnapshotRequest(target, position)  # type: ignore[arg-type]
    assert told(made.value) == told(by_validator.value)


def test_a_target_that_is_neither_a_vehicle_nor_an_asset_is_refused() -> None:
    for target in (Target("truck", "TRK-101"), "TRK-101", None):  # type: ignore[arg-type]
        message = f"A request is for a vehicle or an asset; got {target!r}."
        with pytest.raises(TargetViolation) as caught:
            RecallRequest(target, START, 2, RecallType.REGULAR, None)  # type: ignore[arg-type]
        assert (caught.value.message, caught.value.value) == (message, target)
        with pytest.raises(TargetViolation) as caught:
            SnapshotRequest(target, P.REAR)  # type: ignore[arg-type]
        assert (caught.value.message, caught.value.value) == (message, target)


def test_a_request_cannot_be_changed_into_one_that_breaks_the_rules() -> None:
    recall = validate_recall(vehicle_number="TRK-101", start_time=START, duration=2, now=NOW)
    snapshot = validate_snapshot(asset_name="Reefer 12", position="rear")
    with pytest.raises(DurationViolation) as duration:
        dataclasses.replace(recall, duration=4)
    assert duration.value.message == "Regular recalls last 1, 2 or 3 minutes; you asked for 4."
    with pytest.raises(CameraPositionsViolation) as cameras:
        dataclasses.replace(recall, camera_positions=())
    assert cameras.value.message == (
        "The camera list is empty; name at least one camera, or leave it out for all cameras."
    )
    with pytest.raises(PositionViolation) as position:
        dataclasses.replace(snapshot, position=P.FRONT_FACING)
    assert position.value.message == (
        'front is a dashcam camera, and dashcams are only on vehicles; for asset "Reefer 12" '
        "use left, right or rear."
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        recall.duration = 4  # type: ignore[misc]


def test_a_request_made_directly_keeps_what_the_rules_read() -> None:
    """As the validator reads them: the start in UTC (the body writes it with a Z), the name
    without its spaces, the words as their enums, the cameras as a tuple."""
    central = timezone(timedelta(hours=-6))
    made = RecallRequest(
        Target("vehicle", " TRK-101 "),
        datetime(2026, 11, 21, 13, 0, tzinfo=central),
        2,
        " Regular",  # type: ignore[arg-type]
        ["rear", P.FRONT_FACING],  # type: ignore[arg-type]
    )
    expected = validate_recall(
        vehicle_number="TRK-101",
        start_time="2026-11-21T19:00:00Z",
        duration=2,
        camera_positions=["rear", "front_facing"],
        now=NOW,
    )
    assert made == expected
    assert made.start_time.tzinfo is UTC
    assert made.as_body()["start_time"] == "2026-11-21T19:00:00Z"
    assert made.recall_type is RecallType.REGULAR
    assert made.camera_positions == (P.REAR, P.FRONT_FACING)
    snapshot = SnapshotRequest(Target("asset", "Reefer 12 "), " rear ")  # type: ignore[arg-type]
    assert snapshot == validate_snapshot(asset_name="Reefer 12", position="rear")
    assert snapshot.position is P.REAR


def refusal_inside(e: ValidationError) -> RuleViolation:
    """The RuleViolation pydantic caught from the request's own check."""
    (error,) = e.errors()
    assert error["type"] == "value_error"
    violation = error["ctx"]["error"]
    assert isinstance(violation, RuleViolation)
    return violation


def test_outside_data_is_not_read_as_a_request_without_the_rules() -> None:
    forged: dict[str, Any] = {
        "target": {"kind": "vehicle", "name": "T"},
        "start_time": "2026-11-21T19:00:00Z",
        "duration": 99,
        "recall_type": "regular",
        "camera_positions": None,
    }
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(RecallRequest).validate_python(forged)
    violation = refusal_inside(caught.value)
    assert type(violation) is DurationViolation
    assert violation.message == "Regular recalls last 1, 2 or 3 minutes; you asked for 99."
    forged_snapshot = {"target": {"kind": "asset", "name": "R"}, "position": "front_facing"}
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(SnapshotRequest).validate_python(forged_snapshot)
    violation = refusal_inside(caught.value)
    assert type(violation) is PositionViolation
    assert violation.message == (
        'front is a dashcam camera, and dashcams are only on vehicles; for asset "R" use '
        "left, right or rear."
    )
    naive = {**forged, "duration": 2, "start_time": "2026-11-21T19:00:00"}
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(RecallRequest).validate_python(naive)
    assert type(refusal_inside(caught.value)) is StartTimeViolation


def test_a_stored_request_reads_back_equal() -> None:
    recall = validate_recall(
        vehicle_number="TRK-101",
        start_time="2026-11-21T19:00:00Z",
        duration=2,
        camera_positions=["side_left", "front_facing"],
        now=NOW,
    )
    snapshot = validate_snapshot(asset_name="Reefer 12", position="rear")
    for request in (recall, snapshot):
        adapter: TypeAdapter[object] = TypeAdapter(type(request))
        data = adapter.dump_python(request, mode="json")
        assert adapter.validate_python(data) == request
