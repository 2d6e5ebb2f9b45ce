"""Guards on the checks where a one-line bug costs quota or trust: webhook signatures and the
recall and snapshot duplicate keys."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest

from motive.rules import CameraPosition, RecallType, Target, validate_recall, validate_snapshot
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
    everything = dataclasses.replace(request, camera_positions=None)
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
    with pytest.raises(ValueError, match="webhook body is not JSON"):
        parse_event(body)


def test_only_the_test_action_is_a_test() -> None:
    assert parse_event(b'{"action":"test"}').is_test
    assert not parse_event(b'{"action":"tests"}').is_test
    assert not parse_event(b'[{"action":"x"},{"action":"test"}]').is_test
