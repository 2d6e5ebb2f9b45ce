"""The simulator's behaviour: quota, rate limits, duplicates, rules, recalls and captures over time.

Timing follows the real product: a recall waits for the truck to upload (minutes, or until the
engine comes on), scaled by `time_factor` so a ten-minute upload can finish in a second.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import hmac
import itertools
import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from motive.clock import Clock, SystemClock
from motive.rules import (
    CameraPosition,
    RecallRequest,
    RuleViolation,
    SnapshotRequest,
    camera_selection,
    validate_recall,
    validate_snapshot,
)
from motive.simulator.events import EventFeed
from motive.simulator.fleet import Unit, build_fleet, timelines
from motive.webhooks import sign


@dataclass
class SimConfig:
    seed: int = 7
    time_factor: float = 1.0
    latency_seconds: float = 0.0
    error_rates: dict[int, float] = field(default_factory=dict)
    rate_limit: tuple[int, float] = (300, 60.0)
    quota_minutes: dict[str, int] = field(
        default_factory=lambda: {"regular": 300, "timelapse": 600}
    )
    processing_minutes: tuple[float, float] = (6.0, 14.0)
    capture_seconds: tuple[float, float] = (20.0, 60.0)
    offline_deadline_minutes: float = 180.0
    retention_hours: float = 30.0
    media_ttl_minutes: float = 60.0
    webhook_url: str | None = None
    webhook_secret: str | None = None
    api_key: str | None = None
    video_monitoring: bool = True
    # Answer in the other shapes Part A allows: wrapped objects, integer ids, `url` for links.
    variant_shapes: bool = False
    # Answer as if one of our guesses were wrong: names from `motive.simulator.variants.VARIANTS`.
    variants: frozenset[str] = frozenset()
    # Recall clips of this many bytes, streamed (motive.simulator.clip); 0: a tiny fake MP4.
    video_bytes: int = 0
    # How answers spell camera positions ("driver_facing" -> "DRIVER_FACING"): Motive's position
    # names on camera items are a guess, and the bot must not rely on one spelling.
    position_words: dict[str, str] = field(default_factory=dict)


class SimError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass
class Fault:
    """A scripted failure for the next matching request(s)."""

    status: int | None = None  # None: answer normally (with `delay`)
    method: str | None = None
    path_prefix: str = "/v1/"
    count: int = 1
    retry_after: float | None = None
    delay: float = 0.0  # seconds to stall before answering
    act_first: bool = False  # do the work, then fail or stall (an ambiguous outcome)

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and path.startswith(self.path_prefix)


@dataclass
class SimRecall:
    id: str
    request: RecallRequest
    unit: Unit
    created_at: datetime
    ready_at: datetime  # when the upload finishes, in our clock
    fail_reason: str | None
    cameras: tuple[CameraPosition, ...]
    notified: bool = False
    gets: int = 0


@dataclass
class SimCapture:
    id: str
    request: SnapshotRequest
    unit: Unit
    created_at: datetime
    ready_at: datetime
    fail_reason: str | None
    gets: int = 0


@dataclass
class Stats:
    requests: collections.Counter[str] = field(default_factory=collections.Counter)
    rate_limited: int = 0
    recalls_created: int = 0
    captures_created: int = 0
    webhooks_sent: int = 0
    webhook_failures: int = 0


def _iso(dt: datetime | None) -> str | None:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ") if dt else None


class Simulator:
    def __init__(self, config: SimConfig | None = None, *, clock: Clock | None = None) -> None:
        self.config = config or SimConfig()
        self.clock = clock or SystemClock()
        self.rng = random.Random(self.config.seed)
        self.epoch = self.clock.now()
        self.base_url = "http://127.0.0.1"  # replaced by the address of the first request
        self.units = build_fleet(self.config.seed)
        self._by_label = {(u.kind, u.label.casefold()): u for u in self.units}
        self.recalls: dict[str, SimRecall] = {}
        self.captures: dict[str, SimCapture] = {}
        self.used = {"regular": 0, "timelapse": 0}
        self.faults: list[Fault] = []
        # While an unset event, every API request waits for it: a test holds Motive still
        # without a real-time latency (only where the simulator runs in the test's event loop).
        self.hold: asyncio.Event | None = None
        self.stats = Stats()
        self._hits: collections.deque[float] = collections.deque()
        self._ids = itertools.count(81234)
        self._capture_ids = itertools.count(45780)
        self._media_key = hashlib.sha256(f"sim-{self.config.seed}".encode()).digest()
        self.events = EventFeed(self)

    # --- time -----------------------------------------------------------------------------

    def scaled(self, sim_seconds: float) -> timedelta:
        return self._scaled(sim_seconds)

    def _scaled(self, sim_seconds: float) -> timedelta:
        return timedelta(seconds=sim_seconds / max(self.config.time_factor, 1e-9))

    # --- cross-cutting checks -------------------------------------------------------------

    def authorize(self, headers: dict[str, str]) -> None:
        key = self.config.api_key
        if key is None:
            return
        given = headers.get("x-api-key") or ""
        auth = headers.get("authorization") or ""
        if auth.lower().startswith("bearer "):
            given = auth[7:]
        if not hmac.compare_digest(given.encode(), key.encode()):
            raise SimError(401, "Invalid or missing API key.")

    def take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, path):
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                return fault
        for status, rate in sorted(self.config.error_rates.items()):
            if self.rng.random() < rate:
                return Fault(status=status, retry_after=1.0 if status == 429 else None)
        return None

    def check_rate(self) -> None:
        limit, period = self.config.rate_limit
        now = self.clock.monotonic()
        while self._hits and self._hits[0] <= now - period:
            self._hits.popleft()
        if len(self._hits) >= limit:
            self.stats.rate_limited += 1
            wait = max(1, int(self._hits[0] + period - now + 0.999))
            raise SimError(
                429,
                f"Rate limit exceeded: {limit} requests per {period:g} seconds.",
                {"Retry-After": str(wait)},
            )
        self._hits.append(now)

    # --- lookups --------------------------------------------------------------------------

    def unit(self, kind: str, label: str) -> Unit:
        found = self._by_label.get((kind, label.strip().casefold()))
        if found is None:
            what = "Vehicle" if kind == "vehicle" else "Asset"
            raise SimError(404, f"{what} {label!r} was not found in this company.")
        return found

    def _target_of(self, body: dict[str, Any]) -> Unit | None:
        vehicle, asset = body.get("vehicle_number"), body.get("asset_name")
        if isinstance(vehicle, str) and vehicle.strip() and not asset:
            return self.unit("vehicle", vehicle)
        if isinstance(asset, str) and asset.strip() and not vehicle:
            return self.unit("asset", asset)
        return None

    def windows(self, unit: Unit) -> list[tuple[datetime, datetime]]:
        return timelines(
            unit,
            epoch=self.epoch,
            now=self.clock.now(),
            retention=timedelta(hours=self.config.retention_hours),
        )

    def quota_info(self) -> dict[str, Any]:
        out = {}
        for kind, total in self.config.quota_minutes.items():
            used = self.used[kind]
            out[kind] = {
                "used_minutes": used,
                "remaining_minutes": max(0, total - used),
                "total_minutes": total,
            }
        return out

    def quota(self) -> dict[str, Any]:
        limit, period = self.config.rate_limit
        return {
            "quota_info": self.quota_info(),
            "rate_limit": {"limit": limit, "period_seconds": period},
        }

    def timelines_for(self, kind: str, label: str | None) -> dict[str, Any]:
        if not label:
            param = "vehicle_number" if kind == "vehicle" else "asset_name"
            raise SimError(400, f"{param} is required.")
        unit = self.unit(kind, label)
        body: dict[str, Any] = {
            "primary_entity": kind,
            "available_timelines": [
                {"start_time": _iso(a), "end_time": _iso(b)} for a, b in self.windows(unit)
            ],
            "quota_info": self.quota_info(),
        }
        if kind == "vehicle":
            body["vehicle"] = {"id": unit.id, "number": unit.label}
            body["eld_device"] = {"id": unit.id + 7, "identifier": f"LBB{unit.id}"}
        else:
            body["asset"] = {"id": unit.id, "name": unit.label}
            body["vehicle"] = None
        return body

    # --- recalls --------------------------------------------------------------------------

    def create_recall(self, body: Any) -> SimRecall:
        if not isinstance(body, dict):
            raise SimError(400, "The request body must be a JSON object.")
        unit = self._target_of(body)
        now = self.clock.now()
        try:
            request = validate_recall(
                vehicle_number=body.get("vehicle_number"),
                asset_name=body.get("asset_name"),
                start_time=body.get("start_time"),
                duration=body.get("duration"),
                recall_type=body.get("recall_type", "regular"),
                camera_positions=body.get("camera_positions"),
                now=now,
                smart_dashcam=bool(unit and unit.smart_dashcam),
            )
        except RuleViolation as e:
            raise SimError(400, e.message) from None
        assert unit is not None
        sel = camera_selection(request.camera_positions)
        wanted = request.camera_positions or unit.cameras
        cameras = tuple(p for p in wanted if p in unit.cameras)
        if not cameras:
            raise SimError(
                400,
                f"None of the requested cameras ({sel.describe()}) is installed on {unit.label}.",
            )
        if not any(
            a <= request.start_time and request.end_time <= b for a, b in self.windows(unit)
        ):
            raise SimError(
                422,
                f"No footage available for {unit.label} between {_iso(request.start_time)} and "
                f"{_iso(request.end_time)}.",
            )
        kind = request.recall_type.value
        remaining = self.config.quota_minutes[kind] - self.used[kind]
        if request.duration > remaining:
            raise SimError(
                429,
                f"Monthly {kind} video recall quota exhausted: {remaining} minutes left, "
                f"{request.duration} requested.",
            )
        for other in self.recalls.values():
            if other.request == request and self._recall_status(other)[0] not in _TERMINAL:
                raise SimError(
                    409,
                    f"Duplicate request: recall {other.id} for this window is still in progress.",
                )
        self.used[kind] += request.duration
        lo, hi = self.config.processing_minutes
        upload = self.rng.uniform(lo, hi) * 60
        fail_reason = None
        if not unit.online:
            upload = self.config.offline_deadline_minutes * 60
            fail_reason = (
                f"{unit.label} stayed offline (engine off or out of coverage), so the footage "
                "could not be uploaded."
            )
        elif request.start_time < now - timedelta(hours=self.config.retention_hours - 1):
            fail_reason = "The footage was overwritten on the camera before it could be uploaded."
        recall = SimRecall(
            id=str(next(self._ids)),
            request=request,
            unit=unit,
            created_at=now,
            ready_at=now + self._scaled(upload),
            fail_reason=fail_reason,
            cameras=cameras,
        )
        self.recalls[recall.id] = recall
        self.stats.recalls_created += 1
        return recall

    def _recall_status(self, r: SimRecall) -> tuple[str, dict[CameraPosition, str]]:
        now = self.clock.now()
        if now < r.ready_at:
            accepted = r.created_at + (r.ready_at - r.created_at) * 0.2
            status = "pending" if now < accepted or not r.unit.online else "processing"
            return status, dict.fromkeys(r.cameras, status)
        if r.fail_reason:
            return "failed", dict.fromkeys(r.cameras, "failed")
        per = {p: ("failed" if p in r.unit.faulty else "completed") for p in r.cameras}
        done = sum(1 for s in per.values() if s == "completed")
        status = "completed" if done == len(per) else "partially_completed" if done else "failed"
        return status, per

    def recall_body(self, r: SimRecall, base_url: str) -> dict[str, Any]:
        status, per = self._recall_status(r)
        now = self.clock.now()
        cams = []
        for pos in r.cameras:
            item: dict[str, Any] = {
                "position": self.config.position_words.get(pos.value, pos.value),
                "camera_type": pos.camera_type.value,
                "status": per[pos],
                "download_url": None,
            }
            if per[pos] == "completed":
                expires = now + timedelta(minutes=self.config.media_ttl_minutes)
                item["download_url"] = self.media_url(
                    base_url, f"recalls/{r.id}/{pos.value}.mp4", expires
                )
                item["expires_at"] = _iso(expires)
            elif per[pos] == "failed" and not r.fail_reason:
                item["error_message"] = f"The {pos.value} camera was disconnected."
            cams.append(item)
        is_vehicle = r.unit.kind == "vehicle"
        body = {
            "id": r.id,
            "status": status,
            "primary_entity": r.unit.kind,
            "vehicle": {"id": r.unit.id, "number": r.unit.label} if is_vehicle else None,
            "asset": None if is_vehicle else {"id": r.unit.id, "name": r.unit.label},
            "start_time": _iso(r.request.start_time),
            "end_time": _iso(r.request.end_time),
            "recall_type": r.request.recall_type.value,
            "created_at": _iso(r.created_at),
            "updated_at": _iso(min(now, r.ready_at)),
            "cameras": cams,
        }
        if status == "failed" and r.fail_reason:
            body["failure_reason"] = r.fail_reason
        return body

    def get_recall(self, recall_id: str) -> SimRecall:
        r = self.recalls.get(recall_id)
        if r is None:
            raise SimError(404, f"Video recall request {recall_id} was not found.")
        r.gets += 1
        return r

    # --- image captures -------------------------------------------------------------------

    def create_capture(self, body: Any) -> SimCapture:
        if not isinstance(body, dict):
            raise SimError(400, "The request body must be a JSON object.")
        if not self.config.video_monitoring:
            raise SimError(
                403,
                "The video_monitoring feature is not enabled for this company (Admin > Safety > "
                "Cameras > Capture Trip Images).",
            )
        unit = self._target_of(body)
        try:
            request = validate_snapshot(
                vehicle_number=body.get("vehicle_number"),
                asset_name=body.get("asset_name"),
                position=body.get("position"),
            )
        except RuleViolation as e:
            raise SimError(400, e.message) from None
        assert unit is not None
        if request.position not in unit.cameras:
            raise SimError(400, f"{unit.label} has no {request.position.value} camera.")
        now = self.clock.now()
        lo, hi = self.config.capture_seconds
        wait = self.rng.uniform(lo, hi)
        fail = None
        if not unit.online:
            wait = 300.0
            fail = f"{unit.label} is offline, so no image could be captured."
        elif request.position in unit.faulty:
            fail = f"The {request.position.value} camera did not respond."
        capture = SimCapture(
            id=str(next(self._capture_ids)),
            request=request,
            unit=unit,
            created_at=now,
            ready_at=now + self._scaled(wait),
            fail_reason=fail,
        )
        self.captures[capture.id] = capture
        self.stats.captures_created += 1
        return capture

    def capture_body(self, c: SimCapture, base_url: str) -> dict[str, Any]:
        now = self.clock.now()
        status = "pending" if now < c.ready_at else ("failed" if c.fail_reason else "success")
        pos = c.request.position.value
        body: dict[str, Any] = {
            "request_id": int(c.id),
            "camera_type": c.request.camera_type.value,
            "position": self.config.position_words.get(pos, pos),
            "status": status,
            "created_at": _iso(c.created_at),
        }
        if c.unit.kind == "vehicle":
            body["vehicle"] = {"id": c.unit.id, "number": c.unit.label}
        else:
            body["asset"] = {"id": c.unit.id, "name": c.unit.label}
        if status == "success":
            expires = now + timedelta(minutes=self.config.media_ttl_minutes)
            body["images"] = {
                pos: {
                    "url": self.media_url(base_url, f"captures/{c.id}.jpg", expires),
                    "expires_at": _iso(expires),
                }
            }
        elif status == "failed":
            body["failure_reason"] = c.fail_reason
        return body

    def get_capture(self, camera_type: str, request_id: str) -> SimCapture:
        c = self.captures.get(request_id)
        if c is None or c.request.camera_type.value != camera_type:
            raise SimError(404, f"Image capture {camera_type}/{request_id} was not found.")
        c.gets += 1
        return c

    # --- media ----------------------------------------------------------------------------

    def _media_sig(self, path: str, expires: int) -> str:
        return hmac.new(self._media_key, f"{path}:{expires}".encode(), hashlib.sha256).hexdigest()[
            :32
        ]

    def media_url(self, base_url: str, path: str, expires: datetime) -> str:
        stamp = int(expires.timestamp())
        return f"{base_url.rstrip('/')}/media/{path}?expires={stamp}&sig={self._media_sig(path, stamp)}"

    def check_media(self, path: str, expires: str | None, sig: str | None) -> None:
        try:
            stamp = int(expires or "")
        except ValueError:
            raise SimError(403, "AccessDenied") from None
        if not sig or not hmac.compare_digest(self._media_sig(path, stamp), sig):
            raise SimError(403, "SignatureDoesNotMatch")
        if self.clock.now().timestamp() > stamp:
            raise SimError(403, "Request has expired")

    # --- webhooks -------------------------------------------------------------------------

    def due_webhooks(self, base_url: str) -> list[tuple[SimRecall, bytes, str]]:
        """Recalls that have just finished, with their signed completion payloads."""
        out: list[tuple[SimRecall, bytes, str]] = []
        if not (self.config.webhook_url and self.config.webhook_secret):
            return out
        for r in self.recalls.values():
            if r.notified or self._recall_status(r)[0] not in _TERMINAL:
                continue
            payload = {
                "action": "video_recall_request_completed",
                "id": r.id,
                "video_recall_request": self.recall_body(r, base_url),
            }
            body = json.dumps(payload).encode()
            out.append((r, body, sign(body, self.config.webhook_secret)))
        return out


_TERMINAL = frozenset({"completed", "partially_completed", "failed", "cancelled"})
