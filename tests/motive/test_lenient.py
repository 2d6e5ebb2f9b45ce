"""Lenient where leniency is safe, strict where it matters: each odd field the issue names parses,
and a reply without an id (or a capture without a way to fetch its status) still does not."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from motive import contract
from motive.client import _parse
from motive.errors import UnexpectedResponseError
from motive.models import ImageCapture, Quota, Recall, Timelines, parse_time
from motive.rules import validate_snapshot
from motive.simulator import SimConfig
from motive.simulator.variants import VARIANTS
from tests.conftest import SimEnv

DOC = Path(__file__).resolve().parents[2] / "docs" / "motive-assumptions.md"


def test_null_or_missing_status_is_an_unknown_word_not_pending() -> None:
    for body in ({"id": 1, "status": None}, {"id": 1}, {"id": 1, "status": " "}):
        r = Recall.model_validate(body)
        assert r.status == contract.NO_STATUS
        assert not r.is_known_status and not r.is_terminal


def test_numbers_are_coerced_to_text() -> None:
    r = Recall.model_validate({"id": 81234, "vehicle": {"id": 4, "number": 4521}})
    assert r.id == "81234" and r.vehicle is not None and r.vehicle.number == "4521"


@pytest.mark.parametrize(
    "stamp",
    [
        "2026-07-01T15:02:11Z",
        "2026-07-01T15:02:11+00:00",
        "2026-07-01T10:02:11-05:00",
        "2026-07-01 15:02:11 UTC",
        "2026-07-01T15:02:11",
        "2026-07-01 15:02:11",
        "2026-07-01T15:02:11.000Z",
        1782918131,
        1782918131000,
        "1782918131",
    ],
)
def test_common_timestamp_forms_parse_as_the_same_utc_moment(stamp: object) -> None:
    assert parse_time(stamp) == datetime(2026, 7, 1, 15, 2, 11, tzinfo=UTC)
    r = Recall.model_validate({"id": "1", "created_at": stamp})
    assert r.created_at == datetime(2026, 7, 1, 15, 2, 11, tzinfo=UTC)


def test_an_odd_optional_time_is_dropped_not_fatal() -> None:
    r = Recall.model_validate({"id": "1", "created_at": "yesterday-ish", "updated_at": ""})
    assert r.created_at is None and r.updated_at is None
    with pytest.raises(ValueError, match="timestamp form"):
        parse_time("first of July")


def test_wrapper_found_by_its_key_beside_a_third_key() -> None:
    r = Recall.model_validate(
        {"video_recall_request": {"id": 7, "status": "pending"}, "meta": {"v": 1}, "links": {}}
    )
    assert (r.id, r.status) == ("7", "pending")
    c = ImageCapture.model_validate(
        {"image_capture": {"request_id": 9, "camera_type": "dashcam"}, "meta": {}}
    )
    assert c.request_id == "9"


def test_float_and_null_quota_minutes() -> None:
    q = Quota.model_validate(
        {
            "quota_info": {
                "regular": {"used_minutes": 14.5, "remaining_minutes": 285.5, "total_minutes": 300},
                "timelapse": {"used_minutes": 10, "remaining_minutes": None, "total_minutes": 600},
            }
        }
    )
    assert q.quota_info.remaining("regular") == 285  # floored: never overstate what is left
    assert q.quota_info.remaining("timelapse") == 590  # derived from total and used
    unknown = Quota.model_validate({"quota_info": {"regular": {"remaining_minutes": None}}})
    assert unknown.quota_info.remaining("regular") is None
    # A quota reply in another shape reads as "unknown", never as "0 minutes left".
    other = Quota.model_validate({"video_recall_quota": {"regular": {"minutes_left": 5}}})
    assert other.quota_info.remaining("regular") is None


def test_capture_without_camera_type_takes_it_from_the_position() -> None:
    c = ImageCapture.model_validate({"request_id": 5, "position": "rear", "status": "pending"})
    assert c.camera_type == "omnicam"
    d = ImageCapture.model_validate({"id": 6, "position": "driver_facing"})
    assert (d.request_id, d.camera_type) == ("6", "dashcam")


@pytest.mark.parametrize(
    "body",
    [
        {"status": "pending"},
        {"id": None},
        {"video_recall_request": {"status": "pending"}},
    ],
    ids=["no-id", "null-id", "wrapped-no-id"],
)
def test_a_recall_without_an_id_is_refused(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Recall.model_validate(body)


def test_a_capture_without_a_way_to_fetch_its_status_is_refused() -> None:
    with pytest.raises(ValidationError, match="camera_type"):
        ImageCapture.model_validate({"request_id": 5, "status": "pending"})
    with pytest.raises(ValidationError):
        ImageCapture.model_validate({"camera_type": "dashcam", "status": "pending"})


def test_camera_link_under_another_name_is_found_thumbnails_last() -> None:
    r = Recall.model_validate(
        {
            "id": "1",
            "status": "completed",
            "cameras": [
                {"position": "rear", "thumbnail_url": "https://t/1.jpg", "file_url": "https://v/1"},
                {"position": "front_facing", "download_url": None, "status": "failed"},
                "not an object",
            ],
        }
    )
    assert [cam.download_url for cam in r.cameras] == ["https://v/1", None]
    assert r.has_media


def test_timelines_join_back_to_back_segments_and_take_naive_times() -> None:
    t = Timelines.model_validate(
        {
            "available_timelines": [
                {"start_time": "2026-07-01T14:10:00", "end_time": "2026-07-01T14:20:00"},
                {"start_time": "2026-07-01T14:00:00Z", "end_time": "2026-07-01T14:09:59Z"},
                {"start_time": "2026-07-01 15:00:00 UTC", "end_time": "2026-07-01 16:00:00 UTC"},
            ]
        }
    )
    start = datetime(2026, 7, 1, 14, 8, tzinfo=UTC)
    assert t.covers(start, start + timedelta(minutes=3))  # across the segment boundary
    assert not t.covers(start + timedelta(minutes=12), start + timedelta(minutes=55))
    naive = datetime(2026, 7, 1, 14, 8)  # a naive moment is read as UTC, never a TypeError
    assert t.covers(naive, naive + timedelta(minutes=3))
    assert [(w.start_time.hour, w.end_time.hour) for w in t.nearest(naive, naive)] == [
        (14, 14),
        (15, 16),
    ]


def test_a_timelines_reply_without_its_list_is_not_read_as_no_footage() -> None:
    with pytest.raises(ValidationError):
        Timelines.model_validate({"vehicle": {"id": 1}, "windows": []})
    wrapped = Timelines.model_validate(
        {"vehicle_timelines": {"available_timelines": []}, "meta": {}}
    )
    assert wrapped.available_timelines == []


def test_every_guess_and_variant_is_in_the_assumptions_doc() -> None:
    text = DOC.read_text()
    missing = [a.key for a in contract.ASSUMPTIONS if f"`{a.key}`" not in text]
    assert missing == []
    assert [v for v in VARIANTS if f"`{v}`" not in text] == []
    assert {a.source for a in contract.ASSUMPTIONS} <= {"documented", "inferred", "third-party"}


# --- over HTTP, against the simulator's variants -----------------------------------------------


@pytest.mark.parametrize(
    "sim_config",
    [
        pytest.param(
            SimConfig(api_key="test-key", variants=frozenset({"odd-fields"})),
            id="odd-fields",
        )
    ],
)
async def test_a_vehicle_without_a_number_is_skipped_with_a_log_line(
    sim_env: SimEnv, caplog: pytest.LogCaptureFixture
) -> None:
    async with sim_env.client() as client:
        with caplog.at_level(logging.WARNING, logger="motive.client"):
            vehicles = await client.vehicles.list_all()
        numbers = [v.number for v in vehicles]
        assert "4521" in numbers and "TRK-101" in numbers
        assert len(numbers) == sum(1 for u in sim_env.sim.units if u.kind == "vehicle") + 1
        assert any("skipped vehicle" in r.message for r in caplog.records)
        quota = await client.recalls.quota()
        assert quota.quota_info.remaining("regular") == 299
        assert quota.rate_limit is not None  # under `api_rate_limits`
        capture = await client.image_captures.create(
            validate_snapshot(asset_name="Reefer 12", position="rear")
        )
        assert capture.camera_type == "omnicam"


def test_an_unparsed_reply_names_fields_not_values() -> None:
    with pytest.raises(UnexpectedResponseError) as e:
        _parse(
            Timelines,
            {"vehicle": {"number": "TRK-101"}, "available_timelines": [{"start_time": "TRK-101"}]},
            "available timelines",
        )
    assert "available_timelines.0" in e.value.message and "TRK-101" not in e.value.message


def test_a_dumped_answer_reads_back_the_same() -> None:
    # The store keeps Motive's last answer as JSON: the lenient readers must take their own dump.
    recall = Recall.model_validate(
        {
            "video_recall_request": {
                "id": 5,
                "status": None,
                "vehicle": {"id": 1, "number": 77},
                "created_at": "2026-07-01 15:02:11 UTC",
                "cameras": [{"position": "rear", "file_url": "https://v/1", "reason": "x"}],
            },
            "meta": {},
        }
    )
    assert Recall.model_validate(recall.model_dump(mode="json")) == recall
    capture = ImageCapture.model_validate(
        {"id": 9, "position": "rear", "images": {"rear": {"download_url": "https://i"}}}
    )
    assert ImageCapture.model_validate(capture.model_dump(mode="json")) == capture
