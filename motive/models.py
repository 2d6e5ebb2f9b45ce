"""Pydantic models of Motive's answers.

Lenient where leniency is safe, because most of the shapes are guesses (`motive.contract`): a
null status, a number where text was expected, a timestamp in another common form, a wrapper
with extra keys, float or null quota minutes all parse. Strict where a wrong guess would do harm:
a recall needs its id, and a capture needs an id and a way to fetch its status (a camera type,
or a position that names one).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from motive import contract as c

TERMINAL_RECALL_STATUSES = frozenset(c.RECALL_TERMINAL)
KNOWN_RECALL_STATUSES = frozenset(c.RECALL_KNOWN)
TERMINAL_CAPTURE_STATUSES = frozenset(c.CAPTURE_TERMINAL)

_SUFFIX = re.compile(r"\s*(UTC|GMT|Z)$", re.IGNORECASE)


def parse_time(value: Any) -> datetime:
    """A timestamp in any common form, as an aware UTC datetime. No offset means UTC (Motive's
    documented default); epoch numbers are seconds, or milliseconds when that large."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(seconds, UTC)
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if text.isdigit():
            return parse_time(int(text))
        had_zone = bool(_SUFFIX.search(text))
        text = _SUFFIX.sub("", text)
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"not a timestamp form we know ({time_form(value)})") from None
        if had_zone and dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
    else:
        raise ValueError("not a timestamp")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def time_form(value: Any) -> str:
    """The form of a timestamp, without its value: what `motive-bot doctor` prints."""
    if not isinstance(value, str):
        return type(value).__name__
    form = re.sub(r"\d", "9", value.strip())
    return form


def _optional_time(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        return parse_time(value)
    except ValueError:
        return None  # an odd optional time is dropped, not allowed to reject the whole reply


Time = Annotated[datetime, BeforeValidator(parse_time)]
OptionalTime = Annotated[datetime | None, BeforeValidator(_optional_time)]


def _text(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return value


def _blank_to_none(value: Any) -> Any:
    value = _text(value)
    return value.strip() or None if isinstance(value, str) else value


Text = Annotated[str, BeforeValidator(_text)]
OptionalText = Annotated[str | None, BeforeValidator(_blank_to_none)]


def _minutes(value: Any) -> int | None:
    """Quota minutes: floats are floored (never overstate what is left); null is unknown."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, int | float) and math.isfinite(value):
        return max(0, math.floor(value))
    return None


Minutes = Annotated[int | None, BeforeValidator(_minutes)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


def unwrap(data: Any, key: str, id_fields: tuple[str, ...] = ("id",)) -> Any:
    """The object under its known wrapper key, whatever else sits beside it (`meta`, ...)."""
    if (
        isinstance(data, dict)
        and isinstance(data.get(key), dict)
        and not any(f in data for f in id_fields)
    ):
        return data[key]
    return data


def _first(data: dict[str, Any], names: tuple[str, ...]) -> Any:
    return next((data[n] for n in names if data.get(n) not in (None, "")), None)


def _is_link(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))


def find_url(item: dict[str, Any]) -> tuple[str | None, str | None]:
    """(link, the field it was under): a guessed name first, then any other `*url` field holding
    a link (thumbnails last), so that a renamed field still delivers the video."""
    for name in c.CAMERA_URL_FIELDS:
        if _is_link(item.get(name)):
            return item[name], name
    others = [k for k, v in item.items() if k.lower().endswith("url") and _is_link(v)]
    others.sort(key=lambda k: ("thumb" in k.lower() or "preview" in k.lower(), k))
    return (item[others[0]], others[0]) if others else (None, None)


class VehicleRef(_Model):
    id: int | str | None = None
    number: OptionalText = None


class AssetRef(_Model):
    id: int | str | None = None
    name: OptionalText = None


class RecallCamera(_Model):
    position: OptionalText = None
    camera_type: OptionalText = None
    status: OptionalText = None
    download_url: str | None = None
    expires_at: OptionalTime = None
    error_message: OptionalText = None

    @model_validator(mode="before")
    @classmethod
    def _guessed_names(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            data["download_url"] = find_url(data)[0]
            data["expires_at"] = _first(data, c.EXPIRY_FIELDS)
            data["error_message"] = _first(data, c.FAILURE_FIELDS)
        return data


def _status(value: Any) -> Any:
    value = _blank_to_none(value)
    return c.NO_STATUS if value is None else value


Status = Annotated[str, BeforeValidator(_status)]


def _required_id(value: Any) -> Any:
    value = _blank_to_none(value)
    if value is None:
        raise ValueError("an id is required")
    return value


class Recall(_Model):
    id: Annotated[str, BeforeValidator(_required_id)]
    status: Status = c.NO_STATUS
    primary_entity: OptionalText = None
    vehicle: VehicleRef | None = None
    asset: AssetRef | None = None
    start_time: OptionalTime = None
    end_time: OptionalTime = None
    recall_type: OptionalText = None
    created_at: OptionalTime = None
    updated_at: OptionalTime = None
    cameras: list[RecallCamera] = Field(default_factory=list)
    failure_reason: OptionalText = None

    @model_validator(mode="before")
    @classmethod
    def _unwrap_envelope(cls, data: Any) -> Any:
        data = unwrap(data, c.RECALL_WRAPPER)
        if isinstance(data, dict):
            data = dict(data)
            data["failure_reason"] = _first(data, c.FAILURE_FIELDS)
            for ref in ("vehicle", "asset"):
                if not isinstance(data.get(ref), dict):
                    data[ref] = None
        return data

    @field_validator("cameras", mode="before")
    @classmethod
    def _camera_items(cls, v: Any) -> Any:
        return [x for x in v if isinstance(x, dict)] if isinstance(v, list) else []

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_RECALL_STATUSES

    @property
    def is_known_status(self) -> bool:
        return self.status in KNOWN_RECALL_STATUSES

    @property
    def has_media(self) -> bool:
        """Some camera carries a link: deliverable whatever the status word says."""
        return any(cam.download_url for cam in self.cameras)


class QuotaBucket(_Model):
    used_minutes: Minutes = None
    remaining_minutes: Minutes = None
    total_minutes: Minutes = None

    @model_validator(mode="after")
    def _derive_remaining(self) -> QuotaBucket:
        if (
            self.remaining_minutes is None
            and self.total_minutes is not None
            and self.used_minutes is not None
        ):
            self.remaining_minutes = max(0, self.total_minutes - self.used_minutes)
        return self


class QuotaInfo(_Model):
    regular: QuotaBucket = Field(default_factory=QuotaBucket)
    timelapse: QuotaBucket = Field(default_factory=QuotaBucket)

    @field_validator("regular", "timelapse", mode="before")
    @classmethod
    def _null_bucket(cls, v: Any) -> Any:
        return v if isinstance(v, dict) else {}

    def remaining(self, recall_type: str) -> int | None:
        """Minutes left of that type; None when Motive's reply did not say."""
        return (self.timelapse if recall_type == "timelapse" else self.regular).remaining_minutes


class RateLimitInfo(_Model):
    limit: int
    period_seconds: float


def _find_rate_limit(data: dict[str, Any]) -> Any:
    """The rate-limit block's name is not documented: take any key that looks like one."""
    for key, value in data.items():
        if "rate" in key.lower() and isinstance(value, dict):
            limit = _first(value, c.RATE_LIMIT_FIELDS)
            period = _first(value, c.RATE_PERIOD_FIELDS)
            if isinstance(limit, int | float) and isinstance(period, int | float) and period > 0:
                return {"limit": int(limit), "period_seconds": float(period)}
    return None


def _find_key(data: Any, key: str) -> Any:
    """`data` itself if it holds `key`, else the one wrapped object under it that does."""
    if not isinstance(data, dict) or key in data:
        return data
    nested = [v for v in data.values() if isinstance(v, dict) and key in v]
    return nested[0] if len(nested) == 1 else data


class Quota(_Model):
    quota_info: QuotaInfo = Field(default_factory=QuotaInfo)
    rate_limit: RateLimitInfo | None = None

    @model_validator(mode="before")
    @classmethod
    def _tolerate(cls, data: Any) -> Any:
        if isinstance(data, dict):
            rl = _find_rate_limit(data)
            data = dict(_find_key(data, c.QUOTA_KEY))
            rl = rl or _find_rate_limit(data)
            if c.QUOTA_KEY not in data and ("regular" in data or "timelapse" in data):
                data[c.QUOTA_KEY] = {k: data[k] for k in ("regular", "timelapse") if k in data}
            if not isinstance(data.get(c.QUOTA_KEY), dict):
                data[c.QUOTA_KEY] = {}
            data = {k: v for k, v in data.items() if "rate" not in k.lower()}
            data["rate_limit"] = rl
        return data


class TimeWindow(_Model):
    start_time: Time
    end_time: Time


def _aware(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


class Timelines(_Model):
    primary_entity: OptionalText = None
    vehicle: VehicleRef | None = None
    asset: AssetRef | None = None
    # Required: a reply without it is not the shape we guessed, and must not read as "no footage".
    available_timelines: list[TimeWindow]
    quota_info: QuotaInfo | None = None

    @model_validator(mode="before")
    @classmethod
    def _unwrap_envelope(cls, data: Any) -> Any:
        data = _find_key(data, c.TIMELINES_KEY)
        if isinstance(data, dict):
            data = dict(data)
            for ref in ("vehicle", "asset", "quota_info"):
                if not isinstance(data.get(ref), dict):
                    data[ref] = None
        return data

    @field_validator("available_timelines", mode="before")
    @classmethod
    def _none_is_empty(cls, v: Any) -> Any:
        return [] if v is None else v

    def joined(self) -> list[TimeWindow]:
        """Recorded windows with back-to-back segments joined, in order."""
        gap = timedelta(seconds=c.SEGMENT_JOIN_SECONDS)
        out: list[TimeWindow] = []
        for w in sorted(self.available_timelines, key=lambda w: w.start_time):
            if out and w.start_time - out[-1].end_time <= gap:
                if w.end_time > out[-1].end_time:
                    out[-1] = TimeWindow(start_time=out[-1].start_time, end_time=w.end_time)
            else:
                out.append(w)
        return out

    def covers(self, start: datetime, end: datetime) -> bool:
        start, end = _aware(start), _aware(end)
        return any(w.start_time <= start and end <= w.end_time for w in self.joined())

    def nearest(self, start: datetime, end: datetime, limit: int = 3) -> list[TimeWindow]:
        """The recorded windows closest to [start, end], nearest first."""
        start, end = _aware(start), _aware(end)

        def distance(w: TimeWindow) -> float:
            if w.end_time < start:
                return (start - w.end_time).total_seconds()
            if w.start_time > end:
                return (w.start_time - end).total_seconds()
            return 0.0

        return sorted(self.joined(), key=distance)[:limit]


class CapturedImage(_Model):
    url: str | None = None
    expires_at: OptionalTime = None

    @model_validator(mode="before")
    @classmethod
    def _guessed_names(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = {"url": find_url(data)[0], "expires_at": _first(data, c.EXPIRY_FIELDS)}
        return data


class ImageCapture(_Model):
    request_id: Annotated[str, BeforeValidator(_required_id)]
    camera_type: Text
    position: OptionalText = None
    status: Status = c.NO_STATUS
    images: dict[str, CapturedImage] = Field(default_factory=dict)
    vehicle: VehicleRef | None = None
    asset: AssetRef | None = None
    created_at: OptionalTime = None
    failure_reason: OptionalText = None

    @model_validator(mode="before")
    @classmethod
    def _unwrap_envelope(cls, data: Any) -> Any:
        data = unwrap(data, c.CAPTURE_WRAPPER, c.CAPTURE_ID_FIELDS)
        if isinstance(data, dict):
            data = dict(data)
            data["request_id"] = _first(data, c.CAPTURE_ID_FIELDS)
            data["failure_reason"] = _first(data, c.FAILURE_FIELDS)
            if not data.get("camera_type"):
                # Without a camera type the status cannot be fetched; a position names one.
                derived = c.camera_type_of(str(data.get("position") or ""))
                if derived is None:
                    raise ValueError(
                        "an image capture needs a camera_type (or a position) to fetch its status"
                    )
                data["camera_type"] = derived
            for ref in ("vehicle", "asset"):
                if not isinstance(data.get(ref), dict):
                    data[ref] = None
        return data

    @field_validator("images", mode="before")
    @classmethod
    def _image_items(cls, v: Any) -> Any:
        return {k: x for k, x in v.items() if isinstance(x, dict)} if isinstance(v, dict) else {}

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
    number: Annotated[str, BeforeValidator(_required_id)]
    status: OptionalText = None

    @model_validator(mode="before")
    @classmethod
    def _unwrap_envelope(cls, data: Any) -> Any:
        return unwrap(data, c.VEHICLE_WRAPPER)


class Asset(_Unit):
    id: int | str
    name: Annotated[str, BeforeValidator(_required_id)]
    status: OptionalText = None

    @model_validator(mode="before")
    @classmethod
    def _unwrap_envelope(cls, data: Any) -> Any:
        return unwrap(data, c.ASSET_WRAPPER)


class Pagination(_Model):
    per_page: int | None = None
    page_no: int | None = None
    total: int | None = None  # None: not said, so paging goes on until a short page

    @field_validator("per_page", "page_no", "total", mode="before")
    @classmethod
    def _lenient(cls, v: Any) -> Any:
        return _minutes(v)


# --- safety events (Part A item 9) --------------------------------------------------------------


def _number(value: Any) -> float | None:
    """A coordinate or a speed: a number, or text holding one; anything else is not given."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


Number = Annotated[float | None, BeforeValidator(_number)]
SEVERITIES = ("low", "medium", "high", "critical")  # Part A item 9, lowest first


class DriverRef(_Model):
    id: int | str | None = None
    first_name: OptionalText = None
    last_name: OptionalText = None

    @property
    def name(self) -> str | None:
        parts = [p for p in (self.first_name, self.last_name) if p]
        return " ".join(parts) or None


def _clips(media: Any) -> dict[str, str]:
    """Camera position -> the clip's link, from `camera_media.downloadable_videos`; a link that
    is missing, null or not a link is left out (not ready yet, or never coming)."""
    if not isinstance(media, dict):
        return {}
    videos = media.get(c.EVENT_VIDEOS_KEY)
    if not isinstance(videos, dict):
        return {}
    out: dict[str, str] = {}
    for position, names in c.EVENT_CLIP_FIELDS.items():
        link = next((videos[n] for n in names if _is_link(videos.get(n))), None)
        if link is None:
            # A renamed field still delivers: any link-holding key that names the camera.
            word = position.split("_")[0]
            link = next(
                (v for k, v in sorted(videos.items()) if word in k.lower() and _is_link(v)), None
            )
        if link is not None:
            out[position] = link
    return out


_OURS = frozenset({"speed_mph", "media_available", "clips"})  # names Motive does not use


class SafetyEvent(_Model):
    """One AI-dashcam event. Only its id is required: every other field may be missing, null or
    of another type, and is then "not given" (the post leaves it out)."""

    id: Annotated[str, BeforeValidator(_required_id)]
    type: str = "unknown"
    start_time: OptionalTime = None
    end_time: OptionalTime = None
    lat: Number = None
    lon: Number = None
    location: OptionalText = None
    vehicle: VehicleRef | None = None
    driver: DriverRef | None = None
    severity: OptionalText = None
    speed_mph: Number = None
    media_available: bool | None = None
    clips: dict[str, str] = Field(default_factory=dict)
    aggregated: bool = False

    @model_validator(mode="before")
    @classmethod
    def _lenient(cls, data: Any) -> Any:
        data = unwrap(data, c.EVENT_WRAPPER)
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if data.keys() >= _OURS:
            return data  # our own dump (the store keeps events so): already read
        metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
        kind = _blank_to_none(data.get("type") or data.get("event_type"))
        data["type"] = kind if isinstance(kind, str) else "unknown"
        severity = _blank_to_none(metadata.get("severity") or data.get("severity"))
        data["severity"] = severity.lower() if isinstance(severity, str) else None
        speeds = (data, metadata)
        data["speed_mph"] = next(
            (
                _number(d.get(n))
                for d in speeds
                for n in ("speed", "max_speed", "start_speed")
                if _number(d.get(n)) is not None
            ),
            None,
        )
        media = data.get(c.EVENT_MEDIA_KEY)
        available = media.get("available") if isinstance(media, dict) else None
        data["media_available"] = available if isinstance(available, bool) else None
        data["clips"] = _clips(media)
        data["aggregated"] = data.get("aggregated") is True
        for ref in ("vehicle", "driver"):
            if not isinstance(data.get(ref), dict):
                data[ref] = None
        if data["vehicle"] is None and data.get("vehicle_id") not in (None, ""):
            data["vehicle"] = {"id": data["vehicle_id"]}
        place = data.get("location")
        if isinstance(place, dict):  # a place object rather than its name
            for key in ("lat", "lon"):
                if data.get(key) is None:
                    data[key] = place.get(key)
            data["location"] = place.get("description") or place.get("name")
        return data

    @property
    def severity_rank(self) -> int | None:
        """0 (low) to 3 (critical); None when Motive gave no severity, or a word we do not know."""
        return SEVERITIES.index(self.severity) if self.severity in SEVERITIES else None

    @property
    def is_crash(self) -> bool:
        return self.type in c.CRASH_TYPES

    @property
    def vehicle_number(self) -> str | None:
        return self.vehicle.number if self.vehicle is not None else None


# --- where and who, for a moment (Part A item 10) ------------------------------------------------


class Breadcrumb(_Model):
    """One point of a vehicle's track: when, where (a place name), how fast, who drove."""

    located_at: OptionalTime = None
    lat: Number = None
    lon: Number = None
    description: OptionalText = None
    speed: Number = None  # mph
    driver: DriverRef | None = None

    @model_validator(mode="before")
    @classmethod
    def _lenient(cls, data: Any) -> Any:
        for wrapper in ("vehicle_location", "location", "breadcrumb"):
            data = unwrap(data, wrapper, ("located_at", "lat"))
        if isinstance(data, dict):
            data = dict(data)
            if not isinstance(data.get("driver"), dict):
                data["driver"] = None
            if data.get("description") is None:
                data["description"] = (
                    data.get("location") if isinstance(data.get("location"), str) else None
                )
        return data


def breadcrumbs(data: Any) -> list[Breadcrumb]:
    """The breadcrumbs of a locations reply, whatever its envelope: the list itself, or the
    first list in it; items that do not read, or carry no time, are left out."""
    items = data if isinstance(data, list) else None
    if isinstance(data, dict):
        items = next((v for v in data.values() if isinstance(v, list)), None)
    out = []
    for item in items or []:
        try:
            crumb = Breadcrumb.model_validate(item)
        except ValueError:
            continue
        if crumb.located_at is not None:
            out.append(crumb)
    return out
