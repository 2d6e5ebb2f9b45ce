"""The one place that says what a valid video recall or image capture is.

Every rule from Motive's two documents lives here. The slash-command parser, the modal, the client
and the simulator all call these functions; none of them restates a rule. Each violation is a
`RuleViolation` naming the field, the value given and what is allowed, in a sentence a dispatcher
understands.

A `RecallRequest` or `SnapshotRequest` checks itself when it is made (its `__post_init__`), however
it is made: by `validate_recall` / `validate_snapshot`, directly, by `dataclasses.replace`, or read
back by pydantic from the store (where a broken rule is a `ValidationError` carrying the
`RuleViolation`). It runs the validators' own checks and keeps what they read (a start time in
UTC, a tuple of positions), so any request that exists obeys every rule about the request itself.

Three kinds of rule are the validators' alone, because they are not about the request itself:

- the clock: a recall's window must have ended by now (no start in the future, no window running
  past now). A request holds no clock and its `__post_init__` has no `now` to ask: the wall
  clock would be wrong for the simulator and the tests, which run on a clock of their own. The
  rule only grows truer as time passes, so a request that passed it when made still passes it
  when read back, and nothing is lost by not asking again.
- the unit: a smart dashcam's limits (`smart_dashcam`) and the cameras a unit carries
  (`check_equipment`) depend on the vehicle, which the fleet list knows and the request does not.
- the form: `kind` and `installed` in `validate_snapshot` only choose which positions a refusal
  offers; they change no verdict.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal, ParamSpec, TypeVar

from motive import contract

# --- vocabulary ------------------------------------------------------------------------------


class RecallType(StrEnum):
    REGULAR = "regular"
    TIMELAPSE = "timelapse"


class CameraType(StrEnum):
    DASHCAM = "dashcam"
    OMNICAM = "omnicam"


class CameraPosition(StrEnum):
    FRONT_FACING = "front_facing"
    DRIVER_FACING = "driver_facing"
    FRONT_NARROW_FACING = "front_narrow_facing"
    SIDE_LEFT = "side_left"
    SIDE_RIGHT = "side_right"
    REAR = "rear"

    @property
    def camera_type(self) -> CameraType:
        return CameraType.DASHCAM if self in DASHCAM_POSITIONS else CameraType.OMNICAM

    @property
    def word(self) -> str:
        """The short word a dispatcher types and reads (`front`, `narrow`, `left`); refusals
        name cameras by it, as the commands take it."""
        return CAMERA_WORDS[self]


CAMERA_WORDS: dict[CameraPosition, str] = {
    CameraPosition.FRONT_FACING: "front",
    CameraPosition.DRIVER_FACING: "driver",
    CameraPosition.FRONT_NARROW_FACING: "narrow",
    CameraPosition.SIDE_LEFT: "left",
    CameraPosition.SIDE_RIGHT: "right",
    CameraPosition.REAR: "rear",
}

DASHCAM_POSITIONS = frozenset(
    {CameraPosition.FRONT_FACING, CameraPosition.DRIVER_FACING, CameraPosition.FRONT_NARROW_FACING}
)
OMNICAM_POSITIONS = frozenset(
    {CameraPosition.SIDE_LEFT, CameraPosition.SIDE_RIGHT, CameraPosition.REAR}
)

DURATIONS: dict[RecallType, tuple[int, ...]] = {
    RecallType.REGULAR: (1, 2, 3),
    RecallType.TIMELAPSE: (5, 10, 15, 30, 45, 60),
}
SMART_DASHCAM_DURATIONS: tuple[int, ...] = (1,)

# Image capture takes one position; front_narrow_facing is a recall-only view.
SNAPSHOT_POSITIONS: dict[str, tuple[CameraPosition, ...]] = {
    "vehicle": (
        CameraPosition.FRONT_FACING,
        CameraPosition.DRIVER_FACING,
        CameraPosition.SIDE_LEFT,
        CameraPosition.SIDE_RIGHT,
        CameraPosition.REAR,
    ),
    "asset": (CameraPosition.SIDE_LEFT, CameraPosition.SIDE_RIGHT, CameraPosition.REAR),
}

TargetKind = Literal["vehicle", "asset"]


def _or_list(items: Iterable[object], conjunction: str = "or") -> str:
    words = [str(i) for i in items]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {conjunction} " + words[-1]


def _and_list(items: Iterable[object]) -> str:
    return _or_list(items, "and")


# What a refusal about a camera list allows, worded once (every request made checks its cameras).
_ANY_CAMERA = _or_list(p.word for p in CameraPosition)


# --- violations -----------------------------------------------------------------------------


class RuleViolation(ValueError):
    """A request breaks one of Motive's rules. `field` is the request field at fault."""

    field: str = "request"

    def __init__(self, message: str, *, value: object = None, allowed: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.value = value
        self.allowed = allowed
        self.also: tuple[RuleViolation, ...] = ()

    @property
    def all_violations(self) -> tuple[RuleViolation, ...]:
        """This violation and any others found in the same request."""
        return (self, *self.also)


class TargetViolation(RuleViolation):
    field = "target"


class StartTimeViolation(RuleViolation):
    field = "start_time"


class DurationViolation(RuleViolation):
    field = "duration"


class RecallTypeViolation(RuleViolation):
    field = "recall_type"


class CameraPositionsViolation(RuleViolation):
    field = "camera_positions"


class PositionViolation(RuleViolation):
    field = "position"


class SmartDashcamViolation(RuleViolation):
    """Smart dashcams record no timelapse and recall 1 minute at most."""


class SmartDashcamTypeViolation(SmartDashcamViolation):
    field = "recall_type"


class SmartDashcamDurationViolation(SmartDashcamViolation):
    field = "duration"


def _raise_all(found: list[RuleViolation]) -> None:
    if found:
        first = found[0]
        first.also = tuple(found[1:])
        raise first


_P = ParamSpec("_P")
_T = TypeVar("_T")


def _attempt(
    found: list[RuleViolation], check: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs
) -> _T | None:
    """What `check` returns; None if it found a violation, which is kept in `found`."""
    try:
        return check(*args, **kwargs)
    except RuleViolation as e:
        found.append(e)
        return None


# --- targets --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    kind: TargetKind
    name: str

    @property
    def label(self) -> str:
        return self.name if self.kind == "vehicle" else f'asset "{self.name}"'

    def as_body(self) -> dict[str, str]:
        return {contract.BODY_VEHICLE if self.kind == "vehicle" else contract.BODY_ASSET: self.name}


def _clean_name(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TargetViolation(
            f"A vehicle number or asset name must be text; got {value!r}.",
            value=value,
            allowed="text",
        )
    text = value.strip()
    return text or None


def validate_target(vehicle_number: object = None, asset_name: object = None) -> Target:
    """Exactly one of vehicle number or asset name, never both, never neither."""
    vehicle = _clean_name(vehicle_number)
    asset = _clean_name(asset_name)
    if vehicle and asset:
        raise TargetViolation(
            f'Name either a vehicle or an asset, not both (you gave vehicle {vehicle} and asset "{asset}").',
            value=(vehicle, asset),
            allowed="exactly one of vehicle number or asset name",
        )
    if vehicle:
        return Target("vehicle", vehicle)
    if asset:
        return Target("asset", asset)
    raise TargetViolation(
        "Say which truck or trailer: a vehicle number (like TRK-101) or an asset name.",
        value=None,
        allowed="exactly one of vehicle number or asset name",
    )


def _target_again(target: object) -> Target:
    """A request's target checked as `validate_target` checks one (and cleaned as it cleans)."""
    if isinstance(target, Target) and target.kind == "vehicle":
        return validate_target(target.name, None)
    if isinstance(target, Target) and target.kind == "asset":
        return validate_target(None, target.name)
    raise TargetViolation(
        f"A request is for a vehicle or an asset; got {target!r}.",
        value=target,
        allowed="exactly one of vehicle number or asset name",
    )


# --- recalls --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CameraSelection:
    """What a camera_positions list really asks Motive for."""

    dashcam: bool
    omnicam: bool
    road_facing_only: bool
    positions: tuple[CameraPosition, ...] | None

    def describe(self) -> str:
        if self.positions is None:
            return "all cameras"
        return ", ".join(p.value for p in self.positions)


def camera_selection(positions: Sequence[CameraPosition] | None) -> CameraSelection:
    if positions is None:
        return CameraSelection(dashcam=True, omnicam=True, road_facing_only=False, positions=None)
    chosen = set(positions)
    dash = bool(chosen & DASHCAM_POSITIONS)
    omni = bool(chosen & OMNICAM_POSITIONS)
    road_only = CameraPosition.FRONT_FACING in chosen and CameraPosition.DRIVER_FACING not in chosen
    return CameraSelection(dash, omni, road_only, tuple(positions))


@dataclass(frozen=True)
class RecallRequest:
    """A video recall that obeys Motive's rules: made, it checks itself as `validate_recall` would
    (without the clock and the unit; see the module's docstring), raising the first
    `RuleViolation` with the rest in `.also`."""

    target: Target
    start_time: datetime
    duration: int
    recall_type: RecallType
    camera_positions: tuple[CameraPosition, ...] | None

    def __post_init__(self) -> None:
        found: list[RuleViolation] = []
        target = _attempt(found, _target_again, self.target)
        start, minutes, rtype, positions = _recall_rules(
            found, self.start_time, self.duration, self.recall_type, self.camera_positions
        )
        _raise_all(found)
        # What the checks read, kept: a start time in UTC (the body writes it with a Z), a tuple.
        for name, value in (
            ("target", target),
            ("start_time", start),
            ("duration", minutes),
            ("recall_type", rtype),
            ("camera_positions", positions),
        ):
            object.__setattr__(self, name, value)

    @property
    def end_time(self) -> datetime:
        return self.start_time + timedelta(minutes=self.duration)

    @property
    def selection(self) -> CameraSelection:
        return camera_selection(self.camera_positions)

    def as_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            **self.target.as_body(),
            contract.BODY_START: self.start_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            contract.BODY_DURATION: self.duration,
            contract.BODY_TYPE: self.recall_type.value,
        }
        if self.camera_positions is not None:
            body[contract.BODY_CAMERAS] = [p.value for p in self.camera_positions]
        return body

    def with_cameras(self, positions: Sequence[CameraPosition | str] | None) -> RecallRequest:
        """The same recall from other cameras (a policy narrowing the choice), the camera
        rule checked again (as it is on any request made, `dataclasses.replace` too)."""
        checked = parse_camera_positions(None if positions is None else list(positions))
        return dataclasses.replace(self, camera_positions=checked)

    def dedupe_key(self) -> str:
        cams = ",".join(sorted(p.value for p in self.camera_positions or ())) or "*"
        return "|".join(
            (
                "recall",
                self.target.kind,
                self.target.name.casefold(),
                self.start_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
                str(self.duration),
                self.recall_type.value,
                cams,
            )
        )


def parse_start_time(value: object) -> datetime:
    """A timezone-aware ISO 8601 timestamp (or aware datetime), returned in UTC."""
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            when = datetime.fromisoformat(
                text.replace("Z", "+00:00") if text.endswith("Z") else text
            )
        except ValueError:
            raise StartTimeViolation(
                f"The start time {value!r} is not an ISO 8601 timestamp; "
                "write it like 2026-11-21T14:05:00Z.",
                value=value,
                allowed="ISO 8601 with a time zone",
            ) from None
    else:
        raise StartTimeViolation(
            "A start time is required: when should the footage begin?",
            value=value,
            allowed="ISO 8601 with a time zone",
        )
    if when.tzinfo is None or when.utcoffset() is None:
        raise StartTimeViolation(
            f"The start time {value!s} has no time zone; add one, like 14:05:00Z or 14:05:00-06:00.",
            value=value,
            allowed="ISO 8601 with a time zone",
        )
    try:
        return when.astimezone(UTC)
    except (OverflowError, ValueError):
        raise StartTimeViolation(
            f"The start time {value!s} is out of range.", value=value, allowed="a real date"
        ) from None


def _span(delta: timedelta) -> str:
    """A length of time in words ("1 minute", "3 hours"): a refusal about a time near now says
    how far from now it is, which reads the same in every time zone (a clock time here could
    only be UTC: the rules know no one's zone)."""
    if delta < timedelta(seconds=60):
        return "less than a minute"
    minutes = round(delta.total_seconds() / 60)
    if minutes < 120:
        return "1 minute" if minutes == 1 else f"{minutes} minutes"
    hours = round(minutes / 60)
    return f"{hours} hours" if hours < 48 else f"{round(hours / 24)} days"


def _ago(delta: timedelta) -> str:
    return "now" if delta < timedelta(seconds=30) else f"{_span(delta)} ago"


def parse_recall_type(value: object) -> RecallType:
    if isinstance(value, RecallType):
        return value
    if isinstance(value, str):
        try:
            return RecallType(value.strip().lower())
        except ValueError:
            pass
    raise RecallTypeViolation(
        f"The recall type must be regular or timelapse; you asked for {value!r}.",
        value=value,
        allowed="regular or timelapse",
    )


def _duration_int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DurationViolation(
            f"The duration must be a whole number of minutes; you gave {value!r}.",
            value=value,
            allowed="whole minutes",
        )
    return value


def check_duration(recall_type: RecallType, duration: int, *, smart_dashcam: bool = False) -> None:
    if smart_dashcam:
        if recall_type is RecallType.TIMELAPSE:
            raise SmartDashcamTypeViolation(
                "This vehicle has a smart dashcam, which cannot record timelapse; ask for a "
                "regular 1-minute recall.",
                value=recall_type.value,
                allowed="regular",
            )
        if duration not in SMART_DASHCAM_DURATIONS:
            raise SmartDashcamDurationViolation(
                f"Smart dashcam recalls last 1 minute; you asked for {duration}.",
                value=duration,
                allowed="1",
            )
        return
    allowed = DURATIONS[recall_type]
    if duration not in allowed:
        raise DurationViolation(
            f"{recall_type.value.capitalize()} recalls last {_or_list(allowed)} minutes; "
            f"you asked for {duration}.",
            value=duration,
            allowed=_or_list(allowed),
        )


def parse_camera_positions(value: object) -> tuple[CameraPosition, ...] | None:
    if value is None:
        return None
    allowed = _ANY_CAMERA
    if isinstance(value, str | bytes) or not isinstance(value, Sequence | set | frozenset):
        raise CameraPositionsViolation(
            f"Cameras must be a list of positions; got {value!r}.", value=value, allowed=allowed
        )
    items = list(value)
    if not items:
        raise CameraPositionsViolation(
            "The camera list is empty; name at least one camera, or leave it out for all cameras.",
            value=items,
            allowed=allowed,
        )
    out: list[CameraPosition] = []
    for item in items:
        try:
            pos = CameraPosition(item) if isinstance(item, str) else None
        except ValueError:
            pos = None
        if pos is None:
            raise CameraPositionsViolation(
                f"{item!r} is not a camera position; use {allowed}.", value=item, allowed=allowed
            )
        if pos in out:
            raise CameraPositionsViolation(
                f"The camera {pos.word} is listed twice; name each camera once.",
                value=pos.value,
                allowed=allowed,
            )
        out.append(pos)
    return tuple(out)


def _recall_rules(
    found: list[RuleViolation],
    start_time: object,
    duration: object,
    recall_type: object,
    camera_positions: object,
    *,
    smart_dashcam: bool = False,
) -> tuple[datetime | None, int | None, RecallType | None, tuple[CameraPosition, ...] | None]:
    """The rules about a recall's own fields, in the order its refusals are told: what each
    field reads as (None for one at fault; its violation is kept in `found`)."""
    start = _attempt(found, parse_start_time, start_time)
    rtype = _attempt(found, parse_recall_type, recall_type)
    minutes = _attempt(found, _duration_int, duration)
    positions = _attempt(found, parse_camera_positions, camera_positions)
    if rtype is not None and minutes is not None:
        _attempt(found, check_duration, rtype, minutes, smart_dashcam=smart_dashcam)
    elif rtype is not None and smart_dashcam:
        _attempt(found, check_duration, rtype, 1, smart_dashcam=True)
    return start, minutes, rtype, positions


def validate_recall(
    *,
    vehicle_number: object = None,
    asset_name: object = None,
    start_time: object,
    duration: object,
    recall_type: object = RecallType.REGULAR,
    camera_positions: object = None,
    now: datetime,
    smart_dashcam: bool = False,
) -> RecallRequest:
    """Check a recall against every rule; raise the first violation (with the rest in `.also`).
    `now` and `smart_dashcam` bring the rules of the clock and of the unit, which the request
    cannot check itself."""
    found: list[RuleViolation] = []
    target = _attempt(found, validate_target, vehicle_number, asset_name)
    start, minutes, rtype, positions = _recall_rules(
        found, start_time, duration, recall_type, camera_positions, smart_dashcam=smart_dashcam
    )
    if start is not None:
        if start > now:
            found.append(
                StartTimeViolation(
                    f"The start time is in the future ({_span(start - now)} from now); footage "
                    "can only be recalled up to now.",
                    value=start.isoformat(),
                    allowed="no later than now",
                )
            )
        elif minutes is not None and start + timedelta(minutes=minutes) > now and not found:
            latest = now - timedelta(minutes=minutes)
            found.append(
                StartTimeViolation(
                    f"A {minutes}-minute window starting {_ago(now - start)} runs past now, "
                    f"into footage not yet recorded; start {_span(now - latest)} ago or earlier.",
                    value=start.isoformat(),
                    allowed=f"{_span(now - latest)} ago or earlier",
                )
            )
    _raise_all(found)
    assert target is not None and start is not None and rtype is not None and minutes is not None
    return RecallRequest(target, start, minutes, rtype, positions)


def check_equipment(
    target: Target,
    positions: Sequence[CameraPosition] | None,
    installed: frozenset[CameraPosition] | None = None,
    *,
    snapshot: bool = False,
) -> None:
    """Named cameras the unit cannot have: dashcams are on vehicles only, and where the fleet
    list says what a unit carries (`installed`), nothing else. None means "not known"."""
    if not positions:
        return
    absent = set(DASHCAM_POSITIONS) if target.kind == "asset" else set()
    if installed is not None:
        absent |= set(CameraPosition) - installed
    missing = [p for p in positions if p in absent]
    if not missing:
        return
    order = list(CameraPosition)
    # Only what this kind of unit can have, for this kind of request: a fleet list naming a
    # dashcam on a trailer does not make one to offer.
    possible = set(SNAPSHOT_POSITIONS[target.kind]) if snapshot else set(CameraPosition)
    if target.kind == "asset":
        possible -= DASHCAM_POSITIONS
    has = sorted(
        (installed if installed is not None else OMNICAM_POSITIONS) & possible, key=order.index
    )
    if target.kind == "asset" and installed is None:
        why = "dashcams are only on vehicles"
    else:
        why = f"it has {_and_list(p.word for p in has) or 'no camera the fleet list names'}"
    violation = PositionViolation if snapshot else CameraPositionsViolation
    raise violation(
        f"{target.label} has no {_or_list(p.word for p in missing)} camera; {why}.",
        value=[p.value for p in missing],
        allowed=_or_list(p.word for p in has),
    )


# --- image captures -------------------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotRequest:
    """An image capture that obeys Motive's rules: made, it checks itself as `validate_snapshot`
    would, raising the first `RuleViolation` with the rest in `.also`."""

    target: Target
    position: CameraPosition

    def __post_init__(self) -> None:
        found: list[RuleViolation] = []
        target = _attempt(found, _target_again, self.target)
        position = _snapshot_rules(found, target, self.position)
        _raise_all(found)
        object.__setattr__(self, "target", target)
        object.__setattr__(self, "position", position)

    @property
    def camera_type(self) -> CameraType:
        return self.position.camera_type

    def as_body(self) -> dict[str, str]:
        return {**self.target.as_body(), contract.BODY_POSITION: self.position.value}

    def dedupe_key(self) -> str:
        return f"snapshot|{self.target.kind}|{self.target.name.casefold()}|{self.position.value}"


def allowed_snapshot_positions(kind: TargetKind) -> tuple[CameraPosition, ...]:
    return SNAPSHOT_POSITIONS[kind]


def _snapshot_rules(
    found: list[RuleViolation],
    target: Target | None,
    position: object,
    *,
    kind: TargetKind | None = None,
    installed: frozenset[CameraPosition] | None = None,
) -> CameraPosition | None:
    """The rules about a snapshot's position, for `target` (None: at fault, its violation
    already in `found`): the position as read (None if it cannot be read), each violation kept
    in `found`. `kind` and `installed` only choose what a refusal offers (`validate_snapshot`)."""
    valid = allowed_snapshot_positions(target.kind if target else kind or "vehicle")
    offered = [p for p in valid if installed is None or p in installed] or list(valid)
    allowed = _or_list(p.word for p in offered)
    pos: CameraPosition | None = None
    if position is None or (isinstance(position, str) and not position.strip()):
        found.append(
            PositionViolation(
                f"A snapshot needs exactly one camera position: {allowed}.",
                value=position,
                allowed=allowed,
            )
        )
    elif isinstance(position, str | CameraPosition):
        try:
            pos = CameraPosition(position.strip() if isinstance(position, str) else position)
        except ValueError:
            found.append(
                PositionViolation(
                    f"{position!r} is not a camera position; use {allowed}.",
                    value=position,
                    allowed=allowed,
                )
            )
    else:
        found.append(
            PositionViolation(
                f"A snapshot takes exactly one camera position ({allowed}); got {position!r}.",
                value=position,
                allowed=allowed,
            )
        )
    if pos is not None and target is not None and pos not in valid:
        if pos is CameraPosition.FRONT_NARROW_FACING:
            why = "narrow is for video recalls only"
        else:
            why = f"{pos.word} is a dashcam camera, and dashcams are only on vehicles"
        found.append(
            PositionViolation(
                f"{why}; for {target.label} use {allowed}.", value=pos.value, allowed=allowed
            )
        )
    return pos


def validate_snapshot(
    *,
    vehicle_number: object = None,
    asset_name: object = None,
    position: object,
    kind: TargetKind | None = None,
    installed: frozenset[CameraPosition] | None = None,
) -> SnapshotRequest:
    """`kind`: the kind of unit a form asked for, so that a missing target still gets the
    positions that kind can have. `installed`: what the fleet list says the unit carries (None:
    it does not say), so that a refusal offers only cameras the unit has."""
    found: list[RuleViolation] = []
    target = _attempt(found, validate_target, vehicle_number, asset_name)
    pos = _snapshot_rules(found, target, position, kind=kind, installed=installed)
    _raise_all(found)
    assert target is not None and pos is not None
    return SnapshotRequest(target, pos)
