"""Variant modes: the simulator answers as if one of our guesses about Motive were wrong.

Each variant is one entry of `docs/motive-assumptions.md`; the tests use them to prove the bot
degrades instead of blocking, and `motive-bot doctor` to prove it names each mismatch.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

VARIANTS: dict[str, str] = {
    "status-words": "recall status words other than ours (queued, uploading, available, error)",
    "null-status": "a running recall's status is null",
    "camera-url-field": "the per-camera link is under `file_url`, with no expiry",
    "naive-timestamps": "timestamps without an offset (2026-07-01T14:30:00)",
    "spaced-timestamps": "timestamps like 2026-07-01 15:02:11 UTC",
    "wrapped": "objects wrapped under their key beside a `meta` key, with integer ids",
    "timelines-404": "the vehicle and asset timelines paths answer 404",
    "timelines-query": "the timelines calls want vehicle_id / asset_id (400 without them)",
    "adjacent-segments": "recorded footage comes as back-to-back 10-minute segments",
    "quota-shape": "the quota reply has no quota_info (minutes under other names)",
    "odd-fields": (
        "integer and null vehicle numbers in the list, float and null quota minutes, the "
        "rate-limit block under another name, capture replies without camera_type"
    ),
}

STATUS_WORDS = {
    "pending": "queued",
    "processing": "uploading",
    "completed": "available",
    "partially_completed": "partially_available",
    "failed": "error",
}

_ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def check(names: frozenset[str] | set[str]) -> frozenset[str]:
    unknown = sorted(set(names) - set(VARIANTS))
    if unknown:
        raise ValueError(
            f"unknown simulator variant(s) {', '.join(unknown)}; known: {', '.join(VARIANTS)}"
        )
    return frozenset(names)


def _times(value: Any, form: str) -> Any:
    if isinstance(value, dict):
        return {k: _times(v, form) for k, v in value.items()}
    if isinstance(value, list):
        return [_times(v, form) for v in value]
    if isinstance(value, str) and _ISO_Z.match(value):
        if form == "naive":
            return value[:-1]
        return value[:-1].replace("T", " ") + " UTC"
    return value


def timestamps(body: Any, on: frozenset[str]) -> Any:
    if "naive-timestamps" in on:
        body = _times(body, "naive")
    if "spaced-timestamps" in on:
        body = _times(body, "spaced")
    return body


def _wrap(body: dict[str, Any], key: str, id_key: str, on: frozenset[str]) -> dict[str, Any]:
    if "wrapped" not in on:
        return body
    body = dict(body)
    if isinstance(body.get(id_key), str) and body[id_key].isdigit():
        body[id_key] = int(body[id_key])
    return {key: body, "meta": {"api_version": "v1"}}


def recall(body: dict[str, Any], on: frozenset[str]) -> dict[str, Any]:
    body = dict(body)
    if "status-words" in on:
        body["status"] = STATUS_WORDS.get(body["status"], body["status"])
        body["cameras"] = [
            {**cam, "status": STATUS_WORDS.get(cam["status"], cam["status"])}
            for cam in body["cameras"]
        ]
    if "null-status" in on and body["status"] in ("pending", "processing"):
        body["status"] = None
    if "camera-url-field" in on:
        cams = []
        for cam in body["cameras"]:
            cam = {k: v for k, v in cam.items() if k != "expires_at"}
            cam["file_url"] = cam.pop("download_url")
            cams.append(cam)
        body["cameras"] = cams
    return _wrap(timestamps(body, on), "video_recall_request", "id", on)


def capture(body: dict[str, Any], on: frozenset[str]) -> dict[str, Any]:
    body = dict(body)
    if "odd-fields" in on:
        body.pop("camera_type", None)
    return _wrap(timestamps(body, on), "image_capture", "request_id", on)


def quota(body: dict[str, Any], on: frozenset[str]) -> dict[str, Any]:
    body = dict(body)
    if "odd-fields" in on:
        info = body["quota_info"]
        body["quota_info"] = {
            "regular": {
                "used_minutes": float(info["regular"]["used_minutes"]) + 0.5,
                "remaining_minutes": float(info["regular"]["remaining_minutes"]) - 0.5,
                "total_minutes": float(info["regular"]["total_minutes"]),
            },
            "timelapse": {**info["timelapse"], "remaining_minutes": None},
        }
        body["api_rate_limits"] = body.pop("rate_limit")
    if "quota-shape" in on:
        info = body.pop("quota_info")
        body["video_recall_quota"] = {
            kind: {"minutes_left": b["remaining_minutes"], "minutes_total": b["total_minutes"]}
            for kind, b in info.items()
        }
    return body


def timelines(body: dict[str, Any], on: frozenset[str]) -> dict[str, Any]:
    if "adjacent-segments" in on:
        segments: list[dict[str, str]] = []
        for w in body["available_timelines"]:
            start = datetime.fromisoformat(w["start_time"].replace("Z", "+00:00"))
            end = datetime.fromisoformat(w["end_time"].replace("Z", "+00:00"))
            while start < end:
                # Real dashcam files end a second before the next one starts.
                stop = min(end, start + timedelta(minutes=10))
                last = stop if stop == end else stop - timedelta(seconds=1)
                segments.append({"start_time": _z(start), "end_time": _z(last)})
                start = stop
        body = {**body, "available_timelines": segments}
    if "quota-shape" in on:
        body = {k: v for k, v in body.items() if k != "quota_info"}
    out: dict[str, Any] = timestamps(body, on)
    return out


def _z(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def extra_vehicles(on: frozenset[str]) -> list[dict[str, Any]]:
    """Odd list items: a vehicle whose number is an integer, and one with no number at all."""
    if "odd-fields" not in on:
        return []
    return [
        {"vehicle": {"id": 1399001, "number": 4521, "status": "active", "company_id": 5}},
        {"vehicle": {"id": 1399002, "number": None, "status": "active", "company_id": 5}},
    ]
