"""A rule violation mapped back to the words that caused it, with the user's own command
corrected (`corrected_example`, `explain`), and a typed unit name checked against the fleet
(`adopt_unit`). Pure.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.grammar.recall import RecallFields
from bot.grammar.snapshot import SnapshotFields
from bot.grammar.tokens import ParseError, fix
from bot.grammar.words import CAMERA_WORDS
from motive.rules import (
    DURATIONS,
    SMART_DASHCAM_DURATIONS,
    CameraPosition,
    RecallType,
    RuleViolation,
    SmartDashcamDurationViolation,
    SmartDashcamTypeViolation,
    TargetKind,
    allowed_snapshot_positions,
)

if TYPE_CHECKING:
    from bot.access.fleet import FleetUnit, Match


def explain(words: dict[str, str], err: RuleViolation) -> str:
    """Every violation, each led by the word that caused it."""
    parts = []
    for v in err.all_violations:
        word = words.get(v.field)
        # A camera violation names positions; point at the words that asked for them.
        named = v.value if isinstance(v.value, list) else [v.value]
        cams = [words[k] for n in named if (k := f"{v.field}:{n}") in words]
        word = " ".join(cams) or word
        parts.append(f"`{word}`: {v.message}" if word else v.message)
    return "\n".join(parts)


def adopt_unit(
    command: str, fields: RecallFields | SnapshotFields, match: Match | None
) -> FleetUnit | None:
    """The fleet's own spelling of the target, or a "Did you mean" with the corrected command.
    `match` None (no fleet list to hand) leaves the name as typed, for Motive to judge."""
    if match is None or fields.target is None:
        return None
    kind, typed = fields.target
    at = fields.spans["target"][0]
    if match.unit is not None:
        fields.tokens[at] = _target_word(match.unit.kind, match.unit.label)
        if kind == "vehicle":
            fields.vehicle_number = match.unit.label
        else:
            fields.asset_name = match.unit.label
        return match.unit
    what = "vehicle" if kind == "vehicle" else "asset"
    a_what = "a vehicle" if kind == "vehicle" else "an asset"
    if not match.suggestions:
        raise ParseError(
            f"There is no {what} {typed!r} in the fleet. Check the "
            f"{'number' if kind == 'vehicle' else 'name'}, or open the form ({command} alone) "
            "and pick it from the list.",
            word=typed,
            allowed=f"{a_what} in the fleet",
            example=command,
        )
    spelled = [_target_word(u.kind, u.label) for u in match.suggestions]
    others = f" (or {', '.join(spelled[1:])})" if len(spelled) > 1 else ""
    raise ParseError(
        f"There is no {what} {typed!r} in the fleet. Did you mean {spelled[0]}?{others}",
        word=typed,
        allowed=f"{a_what} in the fleet",
        example=fix(command, fields.tokens, {at: [spelled[0]]}),
    )


def _target_word(kind: str, label: str) -> str:
    return label if kind == "vehicle" else f"asset:{label}"


def _nearest(allowed: tuple[int, ...], value: object) -> int:
    if isinstance(value, float) and not value.is_integer():
        value = -int(-value // 1)  # part of a minute: round up, so the moment is covered
    if isinstance(value, int | float) and not isinstance(value, bool):
        target = value
        return min(allowed, key=lambda a: (abs(a - target), a))
    return allowed[0]


def corrected_example(
    command: str,
    fields: RecallFields | SnapshotFields,
    err: RuleViolation,
    unit: FleetUnit | None = None,
    *,
    now: datetime | None = None,
) -> str:
    """The user's own command with the offending words replaced by ones that would work, or ""
    when no change keeps the unit, cameras and start the words asked for (a start in the future
    has no such change: moving it would be other footage)."""
    tokens = fields.tokens
    spans = fields.spans
    changes: dict[int, list[str]] = {}

    def put(key: str, new: list[str]) -> None:
        at = spans.get(key)
        if at:
            changes.update({j: [] for j in at[1:]})
            changes[at[0]] = new
        elif new:
            changes[len(tokens)] = [*changes.get(len(tokens), []), *new]

    if isinstance(fields, RecallFields):
        if isinstance(err, SmartDashcamTypeViolation):
            put("recall_type", ["regular"])
            put("duration", ["1m"] if "duration" in spans else [])
        elif err.field == "duration":
            smart = isinstance(err, SmartDashcamDurationViolation)
            allowed = SMART_DASHCAM_DURATIONS if smart else DURATIONS[fields.recall_type]
            put("duration", [f"{_nearest(allowed, fields.duration)}m"])
        elif err.field == "recall_type":
            put("recall_type", ["regular"])
            if fields.duration not in DURATIONS[RecallType.REGULAR]:
                put("duration", ["1m"])
        elif err.field == "start_time":
            # A window that runs past now keeps its start and ends by now, if a length allows it.
            start = fields.start_time
            room = now - start if now is not None and start is not None else timedelta(-1)
            fits = [
                d
                for d in DURATIONS[fields.recall_type]
                if timedelta(minutes=d) <= room and d < float(fields.duration or 0)
            ]
            if not fits:
                return ""
            put("duration", [f"{max(fits)}m"])
        elif err.field == "camera_positions":
            # Cameras the unit lacks are dropped (none left: all cameras); a repeat is dropped.
            seen: set[str] = set()
            for j in spans.get("camera_positions", []):
                position = CAMERA_WORDS[tokens[j].lower()].value
                lacking = isinstance(err.value, list) and position in err.value
                if lacking or position in seen:
                    changes[j] = []
                seen.add(position)
        elif err.field == "target":
            # Two units, or none readable: no command (either unit may be the one meant, and a
            # stand-in would be another unit's footage).
            return ""
    else:
        if err.field == "position":
            kind: TargetKind = "asset" if fields.asset_name else "vehicle"
            # Rear first on an asset: the trailer's own view.
            choices = sorted(
                allowed_snapshot_positions(kind),
                key=lambda p: kind == "asset" and p is not CameraPosition.REAR,
            )
            if unit is not None and unit.cameras is not None:
                choices = [p for p in choices if p in unit.cameras]
            if not choices:
                return command
            put("position", [_short_word(choices[0])])
        elif err.field == "target":
            # Two units, or none readable: no command (either unit may be the one meant, and a
            # stand-in would be another unit's footage).
            return ""
    return fix(command, tokens, changes)


def _short_word(position: CameraPosition) -> str:
    return next(w for w, p in CAMERA_WORDS.items() if p is position)
