"""A RecallRequest or SnapshotRequest exists only once the rules have passed it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import TypeAdapter

from motive.rules import (
    CameraPosition,
    RecallRequest,
    RecallType,
    SnapshotRequest,
    Target,
    restoring,
    validate_recall,
    validate_snapshot,
)

NOW = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)


def test_requests_cannot_be_made_around_the_validators() -> None:
    with pytest.raises(TypeError, match="validate_recall"):
        RecallRequest(Target("vehicle", "T"), NOW, 4, RecallType.REGULAR, None)  # 4 min: illegal
    with pytest.raises(TypeError, match="validate_snapshot"):
        SnapshotRequest(Target("asset", "R"), CameraPosition.FRONT_FACING)  # no dashcam on assets


def test_outside_data_is_not_read_as_a_request_without_the_rules() -> None:
    forged = {
        "target": {"kind": "vehicle", "name": "T"},
        "start_time": "2026-11-21T19:00:00Z",
        "duration": 99,
        "recall_type": "regular",
        "camera_positions": None,
    }
    with pytest.raises(TypeError):
        TypeAdapter(RecallRequest).validate_python(forged)


def test_a_stored_request_reads_back_equal() -> None:
    recall = validate_recall(
        vehicle_number="TRK-101", start_time="2026-11-21T19:00:00Z", duration=2, now=NOW
    )
    snapshot = validate_snapshot(asset_name="Reefer 12", position="rear")
    for request in (recall, snapshot):
        adapter: TypeAdapter[object] = TypeAdapter(type(request))
        data = adapter.dump_python(request, mode="json")
        with restoring():
            assert adapter.validate_python(data) == request
