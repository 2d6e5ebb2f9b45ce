"""Guards on the checks where a one-line bug costs quota or trust: webhook signatures and the
recall and snapshot duplicate keys."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import pytest

from motive.rules import (
    CameraPosition,
    RecallType,
    RuleViolation,
    Target,
    camera_selection,
    parse_start_time,
    validate_recall,
    validate_snapshot,
)
from motive.webhooks import parse_event, sign, verify

SECRET = "8cbd43f98ba1e33c28c9"
BODY = b'{"action":"video_recall_request_completed","id":"81234"}'
GOOD = sign(BODY, SECRET)


@pytest.mark.parametrize("length", range(len(GOOD)))
def test_a_cut_signature_is_refused(length: int) -> None:
    # Planted: startswith instead of compare_digest let any prefix, even "", through.
    assert not verify(BODY, GOOD[:length], SECRET)


@pytest.mark.parametrize(
    "forged",
    [GOOD + "0", GOOD[1:], "0" + GOOD, GOOD[:-1] + ("1" if GOOD[-1] == "0" else "0"), GOOD * 2],
)
def test_a_padded_or_altered_signature_is_refused(forged: str) -> None:
    assert not verify(BODY, forged, SECRET)


@pytest.mark.parametrize("given", [GOOD, GOOD.upper(), f"  {GOOD}\n"])
def test_the_whole_signature_in_any_case_is_accepted(given: str) -> None:
    assert verify(BODY, given, SECRET)


def test_the_signature_belongs_to_its_body_and_secret() -> None:
    assert not verify(BODY + b" ", GOOD, SECRET)
    assert not verify(BODY, GOOD, SECRET[:-1])
    assert not verify(BODY, sign(BODY, ""), "")
    assert not verify(BODY, None, SECRET)


NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
START = NOW - timedelta(hours=1)


def recall(**changes: object) -> str:
    fields: dict[str, object] = {
        "vehicle_number": "TRK-101",
        "start_time": START,
        "duration": 2,
        "recall_type": "regular",
        "camera_positions": ["front_facing", "driver_facing"],
    }
    fields.update(changes)
    return validate_recall(now=NOW, **fields).dedupe_key()  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "change",
    [
        {"start_time": START + timedelta(minutes=1)},
        {"start_time": START - timedelta(days=1)},
        {"start_time": START + timedelta(seconds=1)},
        {"duration": 3},
        {"recall_type": "timelapse", "duration": 5},
        {"camera_positions": ["front_facing"]},
        {"camera_positions": None},
        {"camera_positions": ["front_facing", "driver_facing", "rear"]},
        {"vehicle_number": "TRK-102"},
        {"vehicle_number": None, "asset_name": "TRK-101"},
    ],
    ids=[
        "start_minute",
        "start_day",
        "start_second",
        "duration",
        "type",
        "fewer_cameras",
        "all_cameras",
        "more_cameras",
        "vehicle",
        "asset_of_the_same_name",
    ],
)
def test_recalls_differing_in_any_field_have_different_keys(change: dict[str, object]) -> None:
    assert recall(**change) != recall()


@pytest.mark.parametrize(
    "same",
    [
        {"camera_positions": ["driver_facing", "front_facing"]},
        {"vehicle_number": "trk-101"},
        {"vehicle_number": "  TRK-101 "},
        {"start_time": START.astimezone(datetime.now(UTC).astimezone().tzinfo)},
        {"start_time": START.isoformat()},
    ],
    ids=["camera_order", "name_case", "name_spaces", "same_instant_other_zone", "iso_text"],
)
def test_the_same_recall_written_differently_has_the_same_key(same: dict[str, object]) -> None:
    assert recall(**same) == recall()


def test_a_recall_key_spells_out_every_field() -> None:
    request = validate_recall(
        asset_name="Reefer 12",
        start_time=START,
        duration=15,
        recall_type=RecallType.TIMELAPSE,
        camera_positions=["rear", "side_left"],
        now=NOW,
    )
    assert request.dedupe_key() == (
        "recall|asset|reefer 12|2026-11-21T14:00:00Z|15|timelapse|rear,side_left"
    )
    everything = validate_recall(
        asset_name="Reefer 12",
        start_time=START,
        duration=15,
        recall_type=RecallType.TIMELAPSE,
        now=NOW,
    )
    assert everything.dedupe_key().endswith("|timelapse|*")


def test_snapshot_keys() -> None:
    key = validate_snapshot(vehicle_number="TRK-101", position="front_facing").dedupe_key()
    assert key == "snapshot|vehicle|trk-101|front_facing"
    assert validate_snapshot(vehicle_number="trk-101 ", position="front_facing").dedupe_key() == key
    others = [
        validate_snapshot(vehicle_number="TRK-101", position="driver_facing"),
        validate_snapshot(vehicle_number="TRK-102", position="front_facing"),
        validate_snapshot(asset_name="TRK-101", position="rear"),
    ]
    assert len({key, *(o.dedupe_key() for o in others)}) == 4
    assert (
        Target("asset", "A").label == 'asset "A"' and CameraPosition.REAR.camera_type == "omnicam"
    )


# --- which requests a webhook names (the receiver fetches exactly these, and nothing else) -------


@pytest.mark.parametrize(
    ("payload", "action", "recalls", "captures"),
    [
        ({"action": "video_recall_request_completed", "id": " 77 "}, None, ("77",), ()),
        ({"action": "video_recall_request_completed", "id": 0}, None, ("0",), ()),
        ({"action": "video_recall_request_completed", "id": True}, None, (), ()),
        ({"action": "video_recall_request_completed", "id": "  "}, None, (), ()),
        ({"action": "video_recall_request_completed", "id": 1.5}, None, (), ()),
        ({"action": "video_recall_request_completed", "id": [7]}, None, (), ()),
        ({"action": "video_recall_request_completed"}, None, (), ()),
        (
            {"action": "video_recall_request_updated", "video_recall_request": {"id": 8}},
            None,
            ("8",),
            (),
        ),
        (
            {"action": "x", "video_recall_request": {"id": "9"}, "id": "10"},
            "x",
            ("9",),
            (),
        ),
        ({"action": "x", "video_recall_request": ["9"]}, "x", (), ()),
        ({"action": "x", "video_recall_request": {"id": False}}, "x", (), ()),
        (
            {
                "action": "video_recall_request_completed",
                "id": "5",
                "video_recall_request": {"id": "5"},
            },
            None,
            ("5",),
            (),
        ),
        ({"action": "image_capture_completed", "id": 45}, None, (), ("45",)),
        ({"action": "image_capture_completed", "request_id": 46, "id": 1}, None, (), ("46",)),
        ({"action": "y", "image_capture": {"request_id": 47, "id": 2}}, "y", (), ("47",)),
        ({"action": "y", "image_capture": {"id": 48}}, "y", (), ("48",)),
        ({"action": "y", "image_capture": "48"}, "y", (), ()),
        (
            {"action": "image_capture_completed", "video_recall_request": {"id": 3}},
            None,
            ("3",),
            (),
        ),
        ({"action": None, "id": 4}, "", (), ()),
        ({"id": 4}, "", (), ()),
        ([], "", (), ()),
        ("video_recall_request_completed", "", (), ()),
        (
            [
                "junk",
                {"action": "video_recall_request_completed", "id": 1},
                {"action": "video_recall_request_completed", "id": "1"},
                {"action": "image_capture_completed", "request_id": 2},
                {"action": "image_capture_completed", "request_id": "2"},
                {"action": "video_recall_request_completed", "id": 3},
            ],
            "video_recall_request_completed",
            ("1", "3"),
            ("2",),
        ),
    ],
)
def test_the_ids_a_webhook_names(
    payload: object, action: str | None, recalls: tuple[str, ...], captures: tuple[str, ...]
) -> None:
    event = parse_event(json.dumps(payload).encode())
    expected_action = payload["action"] if action is None else action  # type: ignore[index]
    assert (event.action, event.recall_ids, event.capture_ids) == (
        expected_action,
        recalls,
        captures,
    )
    assert event.is_test is False


@pytest.mark.parametrize("body", [b"not json", b"\xff\xfe", b"", b"{"])
def test_a_webhook_body_that_is_not_json_is_refused_with_a_reason(body: bytes) -> None:
    with pytest.raises(ValueError) as caught:
        parse_event(body)
    assert str(caught.value) == "webhook body is not JSON"


def test_only_the_test_action_is_a_test() -> None:
    assert parse_event(b'{"action":"test"}').is_test
    assert not parse_event(b'{"action":"tests"}').is_test
    assert not parse_event(b'[{"action":"x"},{"action":"test"}]').is_test


# --- what a dispatcher is told: each violation's class, field, words, value and what is allowed --
# Read and judged once by a person; a change to any of them is a change of what users see.

RECALL_VIOLATIONS: list[tuple[dict[str, Any], list[Any]]] = [
    (
        {"vehicle_number": None},
        [
            (
                "TargetViolation",
                "target",
                "Say which truck or trailer: a vehicle number (like TRK-101) or an asset name.",
                None,
                "exactly one of vehicle number or asset name",
            )
        ],
    ),
    (
        {"asset_name": "Reefer 12"},
        [
            (
                "TargetViolation",
                "target",
                'Name either a vehicle or an asset, not both (you gave vehicle TRK-101 and asset "Reefer 12").',
                ("TRK-101", "Reefer 12"),
                "exactly one of vehicle number or asset name",
            )
        ],
    ),
    (
        {"vehicle_number": 5},
        [
            (
                "TargetViolation",
                "target",
                "A vehicle number or asset name must be text; got 5.",
                5,
                "text",
            )
        ],
    ),
    (
        {"start_time": "x"},
        [
            (
                "StartTimeViolation",
                "start_time",
                "The start time 'x' is not an ISO 8601 timestamp; write it like 2026-11-21T14:05:00Z.",
                "x",
                "ISO 8601 with a time zone",
            )
        ],
    ),
    (
        {"start_time": None},
        [
            (
                "StartTimeViolation",
                "start_time",
                "A start time is required: when should the footage begin?",
                None,
                "ISO 8601 with a time zone",
            )
        ],
    ),
    (
        {"start_time": "2026-11-21T14:00:00"},
        [
            (
                "StartTimeViolation",
                "start_time",
                "The start time 2026-11-21T14:00:00 has no time zone; add one, like 14:05:00Z or 14:05:00-06:00.",
                "2026-11-21T14:00:00",
                "ISO 8601 with a time zone",
            )
        ],
    ),
    (
        {"start_time": "2026-11-21T16:00:00Z"},
        [
            (
                "StartTimeViolation",
                "start_time",
                "The start time is in the future (60 minutes from now); footage can only be recalled up to now.",
                "2026-11-21T16:00:00+00:00",
                "no later than now",
            )
        ],
    ),
    (
        {"start_time": "2026-11-21T14:59:00Z"},
        [
            (
                "StartTimeViolation",
                "start_time",
                "A 2-minute window starting 1 minute ago runs past now, into footage not yet recorded; start 2 minutes ago or earlier.",
                "2026-11-21T14:59:00+00:00",
                "2 minutes ago or earlier",
            )
        ],
    ),
    (
        {"duration": 4},
        [
            (
                "DurationViolation",
                "duration",
                "Regular recalls last 1, 2 or 3 minutes; you asked for 4.",
                4,
                "1, 2 or 3",
            )
        ],
    ),
    (
        {"duration": "2"},
        [
            (
                "DurationViolation",
                "duration",
                "The duration must be a whole number of minutes; you gave '2'.",
                "2",
                "whole minutes",
            )
        ],
    ),
    (
        {"recall_type": "x"},
        [
            (
                "RecallTypeViolation",
                "recall_type",
                "The recall type must be regular or timelapse; you asked for 'x'.",
                "x",
                "regular or timelapse",
            )
        ],
    ),
    (
        {"recall_type": "timelapse", "duration": 7},
        [
            (
                "DurationViolation",
                "duration",
                "Timelapse recalls last 5, 10, 15, 30, 45 or 60 minutes; you asked for 7.",
                7,
                "5, 10, 15, 30, 45 or 60",
            )
        ],
    ),
    (
        {"camera_positions": "front_facing"},
        [
            (
                "CameraPositionsViolation",
                "camera_positions",
                "Cameras must be a list of positions; got 'front_facing'.",
                "front_facing",
                "front, driver, narrow, left, right or rear",
            )
        ],
    ),
    (
        {"camera_positions": []},
        [
            (
                "CameraPositionsViolation",
                "camera_positions",
                "The camera list is empty; name at least one camera, or leave it out for all cameras.",
                [],
                "front, driver, narrow, left, right or rear",
            )
        ],
    ),
    (
        {"camera_positions": ["roof"]},
        [
            (
                "CameraPositionsViolation",
                "camera_positions",
                "'roof' is not a camera position; use front, driver, narrow, left, right or rear.",
                "roof",
                "front, driver, narrow, left, right or rear",
            )
        ],
    ),
    (
        {"camera_positions": ["rear", "rear"]},
        [
            (
                "CameraPositionsViolation",
                "camera_positions",
                "The camera rear is listed twice; name each camera once.",
                "rear",
                "front, driver, narrow, left, right or rear",
            )
        ],
    ),
    (
        {"smart_dashcam": True, "duration": 2},
        [
            (
                "SmartDashcamDurationViolation",
                "duration",
                "Smart dashcam recalls last 1 minute; you asked for 2.",
                2,
                "1",
            )
        ],
    ),
    (
        {"smart_dashcam": True, "recall_type": "timelapse", "duration": 5},
        [
            (
                "SmartDashcamTypeViolation",
                "recall_type",
                "This vehicle has a smart dashcam, which cannot record timelapse; ask for a regular 1-minute recall.",
                "timelapse",
                "regular",
            )
        ],
    ),
    (
        {"smart_dashcam": True, "recall_type": "timelapse", "duration": None},
        [
            (
                "DurationViolation",
                "duration",
                "The duration must be a whole number of minutes; you gave None.",
                None,
                "whole minutes",
            ),
            (
                "SmartDashcamTypeViolation",
                "recall_type",
                "This vehicle has a smart dashcam, which cannot record timelapse; ask for a regular 1-minute recall.",
                "timelapse",
                "regular",
            ),
        ],
    ),
    (
        {
            "vehicle_number": None,
            "start_time": None,
            "duration": None,
            "recall_type": "zz",
            "camera_positions": [],
        },
        [
            (
                "TargetViolation",
                "target",
                "Say which truck or trailer: a vehicle number (like TRK-101) or an asset name.",
                None,
                "exactly one of vehicle number or asset name",
            ),
            (
                "StartTimeViolation",
                "start_time",
                "A start time is required: when should the footage begin?",
                None,
                "ISO 8601 with a time zone",
            ),
            (
                "RecallTypeViolation",
                "recall_type",
                "The recall type must be regular or timelapse; you asked for 'zz'.",
                "zz",
                "regular or timelapse",
            ),
            (
                "DurationViolation",
                "duration",
                "The duration must be a whole number of minutes; you gave None.",
                None,
                "whole minutes",
            ),
            (
                "CameraPositionsViolation",
                "camera_positions",
                "The camera list is empty; name at least one camera, or leave it out for all cameras.",
                [],
                "front, driver, narrow, left, right or rear",
            ),
        ],
    ),
]
SNAPSHOT_VIOLATIONS: list[tuple[dict[str, Any], list[Any]]] = [
    (
        {"vehicle_number": "T", "position": None},
        [
            (
                "PositionViolation",
                "position",
                "A snapshot needs exactly one camera position: front, driver, left, right or rear.",
                None,
                "front, driver, left, right or rear",
            )
        ],
    ),
    (
        {"asset_name": "A", "position": "front_facing"},
        [
            (
                "PositionViolation",
                "position",
                'front is a dashcam camera, and dashcams are only on vehicles; for asset "A" use left, right or rear.',
                "front_facing",
                "left, right or rear",
            )
        ],
    ),
    (
        {"vehicle_number": "T", "position": "front_narrow_facing"},
        [
            (
                "PositionViolation",
                "position",
                "narrow is for video recalls only; for T use front, driver, left, right or rear.",
                "front_narrow_facing",
                "front, driver, left, right or rear",
            )
        ],
    ),
    (
        {"vehicle_number": "T", "position": "x"},
        [
            (
                "PositionViolation",
                "position",
                "'x' is not a camera position; use front, driver, left, right or rear.",
                "x",
                "front, driver, left, right or rear",
            )
        ],
    ),
    (
        {"vehicle_number": "T", "position": 5},
        [
            (
                "PositionViolation",
                "position",
                "A snapshot takes exactly one camera position (front, driver, left, right or rear); got 5.",
                5,
                "front, driver, left, right or rear",
            )
        ],
    ),
    (
        {"position": "rear"},
        [
            (
                "TargetViolation",
                "target",
                "Say which truck or trailer: a vehicle number (like TRK-101) or an asset name.",
                None,
                "exactly one of vehicle number or asset name",
            )
        ],
    ),
    (
        {"vehicle_number": "T", "position": "  "},
        [
            (
                "PositionViolation",
                "position",
                "A snapshot needs exactly one camera position: front, driver, left, right or rear.",
                "  ",
                "front, driver, left, right or rear",
            )
        ],
    ),
]


def _seen(error: RuleViolation) -> list[tuple[str, str, str, Any, str]]:
    return [
        (type(v).__name__, v.field, v.message, v.value, v.allowed) for v in error.all_violations
    ]


@pytest.mark.parametrize(("changes", "expected"), RECALL_VIOLATIONS)
def test_what_each_recall_violation_says(changes: dict[str, Any], expected: list[Any]) -> None:
    fields: dict[str, Any] = {
        "vehicle_number": "TRK-101",
        "start_time": "2026-11-21T14:00:00Z",
        "duration": 2,
        "recall_type": "regular",
        **changes,
    }
    with pytest.raises(RuleViolation) as caught:
        validate_recall(now=NOW, **fields)
    assert _seen(caught.value) == expected
    assert str(caught.value) == expected[0][2]


@pytest.mark.parametrize(("fields", "expected"), SNAPSHOT_VIOLATIONS)
def test_what_each_snapshot_violation_says(fields: dict[str, Any], expected: list[Any]) -> None:
    with pytest.raises(RuleViolation) as caught:
        validate_snapshot(**fields)
    assert _seen(caught.value) == expected


def test_the_words_for_a_camera_selection() -> None:
    assert camera_selection(None).describe() == "all cameras"
    chosen = camera_selection([CameraPosition.REAR, CameraPosition.FRONT_FACING])
    assert chosen.describe() == "rear, front_facing"
    assert (chosen.dashcam, chosen.omnicam, chosen.road_facing_only) == (True, True, True)
    cab = camera_selection([CameraPosition.FRONT_FACING, CameraPosition.DRIVER_FACING])
    assert (cab.dashcam, cab.omnicam, cab.road_facing_only) == (True, False, False)
    assert camera_selection([CameraPosition.SIDE_LEFT]).road_facing_only is False


def test_a_recall_body_is_what_motive_is_sent() -> None:
    request = validate_recall(
        asset_name="Reefer 12",
        start_time="2026-11-21T08:00:30-06:00",
        duration=2,
        camera_positions=["rear"],
        now=NOW,
    )
    assert request.as_body() == {
        "asset_name": "Reefer 12",
        "start_time": "2026-11-21T14:00:30Z",
        "duration": 2,
        "recall_type": "regular",
        "camera_positions": ["rear"],
    }
    assert request.end_time == datetime(2026, 11, 21, 14, 2, 30, tzinfo=UTC)
    everything = validate_recall(vehicle_number="TRK-1", start_time=START, duration=1, now=NOW)
    assert "camera_positions" not in everything.as_body()
    assert everything.as_body()["vehicle_number"] == "TRK-1"
    snapshot = validate_snapshot(vehicle_number="TRK-1", position="rear")
    assert snapshot.as_body() == {"vehicle_number": "TRK-1", "position": "rear"}
    assert snapshot.camera_type == "omnicam"


def test_a_snapshot_without_a_target_is_told_only_that() -> None:
    # A recall-only camera with no target at all: the one problem is the missing target.
    with pytest.raises(RuleViolation) as caught:
        validate_snapshot(position="front_narrow_facing")
    assert [v.field for v in caught.value.all_violations] == ["target"]


def test_a_snapshot_position_is_read_without_its_spaces() -> None:
    assert validate_snapshot(vehicle_number="TRK-1", position=" rear ").position == "rear"


class _NoOffset(tzinfo):
    def utcoffset(self, dt: datetime | None) -> None:
        return None


@pytest.mark.parametrize(
    ("value", "words", "allowed"),
    [
        (
            "0001-01-01T00:00:00+01:00",
            "The start time 0001-01-01T00:00:00+01:00 is out of range.",
            "a real date",
        ),
        (
            5,
            "A start time is required: when should the footage begin?",
            "ISO 8601 with a time zone",
        ),
        (
            datetime(2026, 11, 21, 14, 0, tzinfo=_NoOffset()),
            "has no time zone",
            "ISO 8601 with a time zone",
        ),
    ],
    ids=["out_of_range", "not_text", "zone_without_offset"],
)
def test_start_times_that_cannot_be_used(value: object, words: str, allowed: str) -> None:
    with pytest.raises(RuleViolation) as caught:
        parse_start_time(value)
    assert words in caught.value.message and caught.value.field == "start_time"
    assert (caught.value.value, caught.value.allowed) == (value, allowed)


def test_start_times_come_back_in_utc() -> None:
    got = parse_start_time("2026-11-21T08:00:00-06:00")
    assert got == datetime(2026, 11, 21, 14, 0, tzinfo=UTC) and got.tzinfo is UTC
