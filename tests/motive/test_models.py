"""The response models accept every variant Part A names."""

from __future__ import annotations

import httpx
import pytest

from motive.errors import (
    DuplicateRequestError,
    NoFootageError,
    QuotaExhaustedError,
    RateLimitError,
    UnprocessableEntityError,
    error_from_response,
    extract_message,
)
from motive.models import ImageCapture, Quota, Recall


def test_recall_bare_and_wrapped_with_int_or_str_id() -> None:
    bare = Recall.model_validate({"id": 5, "status": "pending"})
    wrapped = Recall.model_validate({"video_recall_request": {"id": "5", "status": "pending"}})
    assert bare.id == wrapped.id == "5"


def test_recall_camera_url_alias_and_missing_blocks() -> None:
    r = Recall.model_validate(
        {"id": "1", "status": "completed", "cameras": [{"position": "rear", "url": "https://x/y"}]}
    )
    assert r.cameras[0].download_url == "https://x/y" and r.cameras[0].expires_at is None
    assert Recall.model_validate({"id": "1", "cameras": None}).cameras == []


@pytest.mark.parametrize(
    ("status", "terminal", "known"),
    [
        ("pending", False, True),
        ("processing", False, True),
        ("completed", True, True),
        ("partially_completed", True, True),
        ("failed", True, True),
        ("cancelled", True, True),
        ("uploading_to_cloud", False, False),
    ],
)
def test_unknown_status_is_still_running(status: str, terminal: bool, known: bool) -> None:
    r = Recall.model_validate({"id": "1", "status": status})
    assert (r.is_terminal, r.is_known_status) == (terminal, known)


@pytest.mark.parametrize(
    "payload",
    [
        {
            "quota_info": {"regular": {"remaining_minutes": 3}},
            "rate_limit": {"limit": 10, "period_seconds": 60},
        },
        {
            "quota_info": {"regular": {"remaining_minutes": 3}},
            "api_rate_limit": {"limit": 10, "period": 60},
        },
        {
            "quota_info": {"regular": {"remaining_minutes": 3}},
            "rate_limits": {"max_requests": 10, "window_seconds": 60},
        },
    ],
    ids=["rate_limit", "api_rate_limit_period", "rate_limits_window"],
)
def test_quota_rate_limit_block_under_any_name(payload: dict[str, object]) -> None:
    q = Quota.model_validate(payload)
    assert q.rate_limit is not None and (q.rate_limit.limit, q.rate_limit.period_seconds) == (
        10,
        60.0,
    )
    assert q.quota_info.remaining("regular") == 3


def test_quota_without_rate_limit_block() -> None:
    assert Quota.model_validate({"quota_info": {}}).rate_limit is None


def test_image_capture_variants() -> None:
    c = ImageCapture.model_validate(
        {
            "image_capture": {
                "id": 9,
                "camera_type": "dashcam",
                "position": "front_facing",
                "status": "success",
                "images": {"front_facing": {"download_url": "https://i", "expires_at": None}},
            }
        }
    )
    assert c.request_id == "9" and c.image is not None and c.image.url == "https://i"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"error_message": "No footage"}, "No footage"),
        ({"message": "Vehicle not found"}, "Vehicle not found"),
        (
            {"errors": ["duration is invalid", "start_time is required"]},
            "duration is invalid; start_time is required",
        ),
        ({"errors": {"duration": ["is invalid"]}}, "duration is invalid"),
        ({}, "fallback"),
        ("plain text reason", "plain text reason"),
    ],
    ids=["error_message", "message", "errors_list", "errors_object", "empty", "text"],
)
def test_extract_message(body: object, expected: str) -> None:
    assert extract_message(body, "fallback") == expected


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (422, {"error_message": "Monthly quota exceeded"}, QuotaExhaustedError),
        (429, {"error_message": "quota exhausted"}, QuotaExhaustedError),
        (429, {"error_message": "slow down"}, RateLimitError),
        (422, {"error_message": "Duplicate request"}, DuplicateRequestError),
        (409, {"error_message": "already requested"}, DuplicateRequestError),
        (422, {"error_message": "No footage available"}, NoFootageError),
        (422, {"error_message": "something else"}, UnprocessableEntityError),
    ],
)
def test_error_kind_from_status_and_message(status: int, body: dict[str, str], kind: type) -> None:
    response = httpx.Response(status, json=body, headers={"Retry-After": "3"})
    err = error_from_response(response)
    assert type(err) is kind
    if isinstance(err, RateLimitError):
        assert err.retry_after == 3.0
