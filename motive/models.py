"""Pydantic models of Motive's answers, tolerant of every variant Part A of the contract names."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

TERMINAL_RECALL_STATUSES = frozenset({"completed", "partially_completed", "failed", "cancelled"})
KNOWN_RECALL_STATUSES = TERMINAL_RECALL_STATUSES | {"pending", "processing"}
TERMINAL_CAPTURE_STATUSES = frozenset({"success", "failed"})


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


def _unwrap(data: Any, key: str) -> Any:
    if isinstance(data, dict) and isinstance(data.get(key), dict) and len(data) <= 2:
        return data[key]
    return data


def _as_str(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class VehicleRef(_Model):
    id: int | str | None = None
    number: str | None = None


class AssetRef(_Model):
    id: int | str | None = None
    name: str | None = None


class RecallCamera(_Model):
    position: str | None = None
    camera_type: str | None = None
    status: str | None = None
    download_url: str | None = Field(
        default=None, validation_alias=AliasChoices("download_url", "url")
    )
    expires_at: datetime | None = None
    error_message: str | None = Field(
        default=None, validation_alias=AliasChoices("error_message", "failure_reason", "message")
    )


class Recall(_Model):
    id: str
    status: str = "pending"
    primary_entity: str | None = None
    vehicle: VehicleRef | None = None
    asset: AssetRef | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    recall_type: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    cameras: list[RecallCamera] = Field(default_factory=list)
    failure_reason: str | None = Field(
        default=None, validation_alias=AliasChoices("failure_reason", "error_message", "reason")
    )

    @model_validator(mode="before")
    @classmethod
    def _unwrap_envelope(cls, data: Any) -> Any:
        return _unwrap(data, "video_recall_request")

    @field_validator("id", mode="before")
    @classmethod
    def _id_str(cls, v: Any) -> Any:
        return _as_str(v)

    @field_validator("cameras", mode="before")
    @classmethod
    def _none_is_empty(cls, v: Any) -> Any:
        return [] if v is None else v

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_RECALL_STATUSES

    @property
    def is_known_status(self) -> bool:
        return self.status in KNOWN_RECALL_STATUSES


class QuotaBucket(_Model):
    used_minutes: int = 0
    remaining_minutes: int = 0
    total_minutes: int = 0


class QuotaInfo(_Model):
    regular: QuotaBucket = Field(default_factory=QuotaBucket)
    timelapse: QuotaBucket = Field(default_factory=QuotaBucket)

    def remaining(self, recall_type: str) -> int:
        return (self.timelapse if recall_type == "timelapse" else self.regular).remaining_minutes


class RateLimitInfo(_Model):
    limit: int
    period_seconds: float


def _find_rate_limit(data: dict[str, Any]) -> Any:
    """The rate-limit block's name is not documented: take any key that looks like one."""
    for key, value in data.items():
        if "rate" in key.lower() and isinstance(value, dict):
            limit = value.get("limit", value.get("max_requests", value.get("requests")))
            period = value.get(
                "period_seconds",
                value.get("period", value.get("window_seconds", value.get("interval_seconds"))),
            )
            if isinstance(limit, int | float) and isinstance(period, int | float) and period > 0:
                return {"limit": int(limit), "period_seconds": float(period)}
    return None


class Quota(_Model):
    quota_info: QuotaInfo = Field(default_factory=QuotaInfo)
    rate_limit: RateLimitInfo | None = None

    @model_validator(mode="before")
    @classmethod
    def _tolerate(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            if "quota_info" not in data and ("regular" in data or "timelapse" in data):
                data["quota_info"] = {k: data[k] for k in ("regular", "timelapse") if k in data}
            rl = _find_rate_limit(data)
            data = {k: v for k, v in data.items() if "rate" not in k.lower()}
            data["rate_limit"] = rl
        return data


class TimeWindow(_Model):
    start_time: datetime
    end_time: datetime


class Timelines(_Model):
    primary_entity: str | None = None
    vehicle: VehicleRef | None = None
    asset: AssetRef | None = None
    available_timelines: list[TimeWindow] = Field(default_factory=list)
    quota_info: QuotaInfo | None = None

    @field_validator("available_timelines", mode="before")
    @classmethod
    def _none_is_empty(cls, v: Any) -> Any:
        return [] if v is None else v

    def covers(self, start: datetime, end: datetime) -> bool:
        return any(w.start_time <= start and end <= w.end_time for w in self.available_timelines)

    def nearest(self, start: datetime, end: datetime, limit: int = 3) -> list[TimeWindow]:
        """The recorded windows closest to [start, end], nearest first."""

        def distance(w: TimeWindow) -> float:
            if w.end_time < start:
                return (start - w.end_time).total_seconds()
            if w.start_time > end:
                return (w.start_time - end).total_seconds()
            return 0.0

        return sorted(self.available_timelines, key=distance)[:limit]


class CapturedImage(_Model):
    url: str | None = Field(default=None, validation_alias=AliasChoices("url", "download_url"))
    expires_at: datetime | None = None


class ImageCapture(_Model):
    request_id: str
    camera_type: str
    position: str | None = None
    status: str = "pending"
    images: dict[str, CapturedImage] = Field(default_factory=dict)
    vehicle: VehicleRef | None = None
    asset: AssetRef | None = None
    created_at: datetime | None = None
    failure_reason: str | None = Field(
        default=None, validation_alias=AliasChoices("failure_reason", "error_message", "reason")
    )

    @model_validator(mode="before")
    @classmethod
    def _unwrap_envelope(cls, data: Any) -> Any:
        data = _unwrap(data, "image_capture")
        if isinstance(data, dict) and "request_id" not in data and "id" in data:
            data = {**data, "request_id": data["id"]}
        return data

    @field_validator("request_id", mode="before")
    @classmethod
    def _id_str(cls, v: Any) -> Any:
        return _as_str(v)

    @field_validator("images", mode="before")
    @classmethod
    def _none_is_empty(cls, v: Any) -> Any:
        return {} if v is None else v

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_CAPTURE_STATUSES

    @property
    def image(self) -> CapturedImage | None:
        if self.position and self.position in self.images:
            return self.images[self.position]
        return next(iter(self.images.values()), None)


def _positions(value: Any) -> Any:
    """Camera positions as plain names, from names or {position: ...} objects; junk is "unknown"."""
    if not isinstance(value, list):
        return None
    out = []
    for item in value:
        name = item.get("position") if isinstance(item, dict) else item
        if isinstance(name, str):
            out.append(name)
    return out


class _Unit(_Model):
    """What the fleet list may say about a unit's cameras. Motive documents `driver_facing_camera`
    on vehicles; `camera_positions` and `dashcam_model` are what the simulator adds. Any of them
    may be missing, which means "not known", never "none"."""

    driver_facing_camera: bool | None = None
    camera_positions: list[str] | None = Field(
        default=None, validation_alias=AliasChoices("camera_positions", "cameras")
    )
    dashcam_model: str | None = None

    @field_validator("camera_positions", mode="before")
    @classmethod
    def _lenient_positions(cls, v: Any) -> Any:
        return _positions(v)

    @field_validator("driver_facing_camera", mode="before")
    @classmethod
    def _bool_or_unknown(cls, v: Any) -> Any:
        return v if isinstance(v, bool) else None

    @field_validator("dashcam_model", mode="before")
    @classmethod
    def _str_or_unknown(cls, v: Any) -> Any:
        return v if isinstance(v, str) else None

    @property
    def smart_dashcam(self) -> bool | None:
        if self.dashcam_model is None:
            return None
        return self.dashcam_model.strip().lower().replace(" ", "_") == "smart_dashcam"


class Vehicle(_Unit):
    id: int | str
    number: str
    status: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _unwrap_envelope(cls, data: Any) -> Any:
        return _unwrap(data, "vehicle")


class Asset(_Unit):
    id: int | str
    name: str
    status: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _unwrap_envelope(cls, data: Any) -> Any:
        return _unwrap(data, "asset")


class Pagination(_Model):
    per_page: int = 100
    page_no: int = 1
    total: int = 0
