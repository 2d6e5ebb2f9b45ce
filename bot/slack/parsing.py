"""The inline grammar of /recall and /snapshot: text in, fields out. Pure; no rule lives here.

What the fields must satisfy is `motive.rules`' business: this module only turns words into
values, and maps a rule violation back to the word that caused it, with a corrected example.
"""

from __future__ import annotations

import difflib
import re
import shlex
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from motive.rules import (
    DURATIONS,
    CameraPosition,
    RecallRequest,
    RecallType,
    RuleViolation,
    SnapshotRequest,
    validate_recall,
    validate_snapshot,
)

CAMERA_WORDS: dict[str, CameraPosition] = {
    "front": CameraPosition.FRONT_FACING,
    "road": CameraPosition.FRONT_FACING,
    "driver": CameraPosition.DRIVER_FACING,
    "cab": CameraPosition.DRIVER_FACING,
    "narrow": CameraPosition.FRONT_NARROW_FACING,
    "left": CameraPosition.SIDE_LEFT,
    "right": CameraPosition.SIDE_RIGHT,
    "rear": CameraPosition.REAR,
    "back": CameraPosition.REAR,
    **{p.value: p for p in CameraPosition},
}
TYPE_WORDS = {"timelapse": RecallType.TIMELAPSE, "regular": RecallType.REGULAR}
DEFAULT_DURATION = {RecallType.REGULAR: 1, RecallType.TIMELAPSE: 15}

RECALL_EXAMPLES = (
    "/recall TRK-101 14:05 2m",
    "/recall TRK-101 2026-11-20 14:05 3m front driver",
    '/recall asset:"Reefer 12" 20m ago timelapse 15m left rear',
)
SNAPSHOT_EXAMPLES = ("/snapshot TRK-101 front", '/snapshot asset:"Reefer 12" rear')

_DURATION = re.compile(r"^(\d+)\s*(m|min|mins|minute|minutes)?$", re.I)
_AGO = re.compile(
    r"^(?:(\d+)h)?(?:(\d+)m)?$|^(\d+)(h|hr|hrs|hour|hours|m|min|mins|minutes?)$", re.I
)
_CLOCK = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$", re.I)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class ParseError(Exception):
    """A word we could not read. `word` is what the user typed, `allowed` what would work."""

    message: str
    word: str = ""
    allowed: str = ""
    example: str = ""

    def __str__(self) -> str:
        return self.message


@dataclass
class RecallFields:
    vehicle_number: str | None = None
    asset_name: str | None = None
    start_time: datetime | None = None
    duration: int | None = None
    recall_type: RecallType = RecallType.REGULAR
    camera_positions: list[CameraPosition] | None = None
    note: str | None = None
    # Which word produced each field, so a rule violation can point at it.
    words: dict[str, str] = field(default_factory=dict)
    tokens: list[str] = field(default_factory=list)

    def request(self, now: datetime) -> RecallRequest:
        """The recall these words ask for, checked by `motive.rules` (raises RuleViolation)."""
        return validate_recall(
            vehicle_number=self.vehicle_number,
            asset_name=self.asset_name,
            start_time=self.start_time,
            duration=self.duration,
            recall_type=self.recall_type,
            camera_positions=self.camera_positions,
            now=now,
        )


@dataclass
class SnapshotFields:
    vehicle_number: str | None = None
    asset_name: str | None = None
    position: str | None = None
    words: dict[str, str] = field(default_factory=dict)
    tokens: list[str] = field(default_factory=list)

    def request(self) -> SnapshotRequest:
        """The snapshot these words ask for, checked by `motive.rules` (raises RuleViolation)."""
        return validate_snapshot(
            vehicle_number=self.vehicle_number, asset_name=self.asset_name, position=self.position
        )


def tokenize(text: str) -> list[str]:
    # Slack sends smart quotes from some clients; shlex only knows straight ones.
    text = (
        text.replace("\u201c", '"')
        .replace("\u201d", '"')
        .replace("\u2018", "'")
        .replace("\u2019", "'")
    )
    try:
        return shlex.split(text)
    except ValueError:
        raise ParseError(
            'A quote is not closed; put names with spaces in quotes, like asset:"Reefer 12".',
            word=text,
            example=RECALL_EXAMPLES[2],
        ) from None


def _target(token: str, fields: RecallFields | SnapshotFields) -> None:
    lowered = token.lower()
    if lowered.startswith("asset:"):
        fields.asset_name = token[6:].strip()
    elif lowered.startswith("vehicle:"):
        fields.vehicle_number = token[8:].strip()
    else:
        fields.vehicle_number = token
    fields.words["target"] = token


def _clock_time(token: str) -> time | None:
    m = _CLOCK.match(token)
    if not m or (m.group(2) is None and m.group(3) is None):
        return None
    hour, minute, half = int(m.group(1)), int(m.group(2) or 0), (m.group(3) or "").lower()
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _ago(token: str) -> timedelta | None:
    m = _AGO.match(token)
    if not m or not any(m.groups()):
        return None
    if m.group(3):
        n = int(m.group(3))
        return timedelta(hours=n) if m.group(4).lower().startswith("h") else timedelta(minutes=n)
    return timedelta(hours=int(m.group(1) or 0), minutes=int(m.group(2) or 0))


def parse_recall(text: str, *, now: datetime, tz: ZoneInfo) -> RecallFields:
    tokens = tokenize(text)
    if not tokens:
        raise ParseError("Say which truck and when.", example=RECALL_EXAMPLES[0])
    fields = RecallFields(tokens=tokens)
    _target(tokens[0], fields)
    local_now = now.astimezone(tz)
    i = 1
    while i < len(tokens):
        tok = tokens[i]
        low = tok.lower()
        nxt = tokens[i + 1].lower() if i + 1 < len(tokens) else ""
        if low.startswith("note:"):
            fields.note = " ".join([tok[5:], *tokens[i + 1 :]]).strip() or None
            break
        if _DATE.match(tok):
            clock = _clock_time(tokens[i + 1]) if i + 1 < len(tokens) else None
            if clock is None:
                raise ParseError(
                    f"After the date {tok}, give the time of day, like {tok} 14:05.",
                    word=tok,
                    allowed="YYYY-MM-DD HH:MM",
                    example=RECALL_EXAMPLES[1],
                )
            try:
                day = datetime.strptime(tok, "%Y-%m-%d").date()
            except ValueError:
                raise ParseError(
                    f"{tok} is not a real date.",
                    word=tok,
                    allowed="YYYY-MM-DD",
                    example=RECALL_EXAMPLES[1],
                ) from None
            fields.start_time = datetime.combine(day, clock, tz)
            fields.words["start_time"] = f"{tok} {tokens[i + 1]}"
            i += 2
            continue
        if "t" in low and low[:4].isdigit() and len(tok) >= 16:
            try:
                parsed = datetime.fromisoformat(tok.replace("Z", "+00:00"))
            except ValueError:
                raise ParseError(
                    f"{tok} is not a date and time I can read.",
                    word=tok,
                    allowed="YYYY-MM-DD HH:MM",
                    example=RECALL_EXAMPLES[1],
                ) from None
            fields.start_time = parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
            fields.words["start_time"] = tok
            i += 1
            continue
        if nxt == "ago" and (delta := _ago(low)) is not None:
            fields.start_time = now - delta
            fields.words["start_time"] = f"{tok} ago"
            i += 2
            continue
        clock = _clock_time(tok)
        if clock is not None:
            start = datetime.combine(local_now.date(), clock, tz)
            if start > local_now:
                start -= timedelta(days=1)
            fields.start_time = start
            fields.words["start_time"] = tok
            i += 1
            continue
        if low in TYPE_WORDS:
            fields.recall_type = TYPE_WORDS[low]
            fields.words["recall_type"] = tok
            i += 1
            continue
        if (m := _DURATION.match(low)) and (m.group(2) or nxt.startswith("min")):
            fields.duration = int(m.group(1))
            fields.words["duration"] = tok
            i += 2 if not m.group(2) else 1
            continue
        if low in CAMERA_WORDS:
            fields.camera_positions = [*(fields.camera_positions or []), CAMERA_WORDS[low]]
            fields.words.setdefault("camera_positions", tok)
            i += 1
            continue
        if low in ("all", "all_cameras"):
            i += 1
            continue
        raise _unknown_word(tok)
    if fields.start_time is None:
        raise ParseError(
            "Say when: a time like 14:05, a date and time like 2026-11-20 14:05, or 20m ago.",
            allowed="HH:MM, YYYY-MM-DD HH:MM, or Nm ago",
            example=RECALL_EXAMPLES[0],
        )
    if fields.duration is None:
        fields.duration = DEFAULT_DURATION[fields.recall_type]
    return fields


HELP_WORDS = frozenset({"help", "?", "-h", "--help"})


def is_help(text: str) -> bool:
    return text.strip().lower() in HELP_WORDS


def explain(words: dict[str, str], err: RuleViolation) -> str:
    """Every violation, each led by the word that caused it."""
    parts = []
    for v in err.all_violations:
        word = words.get(v.field)
        parts.append(f"`{word}`: {v.message}" if word else v.message)
    return "\n".join(parts)


def parse_when(text: str, *, now: datetime, tz: ZoneInfo) -> datetime:
    """Just the time words of the grammar (for the console's date-and-time field)."""
    fields = parse_recall(f"_ {text}", now=now, tz=tz)
    assert fields.start_time is not None
    if set(fields.words) - {"target", "start_time"}:
        raise ParseError(
            f"{text!r} is not a time; write 14:05, 2026-11-20 14:05 or 20m ago.", word=text
        )
    return fields.start_time


def _unknown_word(tok: str) -> ParseError:
    vocabulary = [*CAMERA_WORDS, *TYPE_WORDS, "ago"]
    close = difflib.get_close_matches(tok.lower(), vocabulary, n=1, cutoff=0.6)
    hint = f" Did you mean {close[0]}?" if close else ""
    return ParseError(
        f"I don't understand {tok!r}.{hint} After the truck come a time, a duration like 2m, "
        "timelapse, and camera words (front, driver, narrow, left, right, rear).",
        word=tok,
        allowed="time, duration, timelapse, camera words",
        example=RECALL_EXAMPLES[0],
    )


def parse_snapshot(text: str) -> SnapshotFields:
    tokens = tokenize(text)
    if not tokens:
        raise ParseError("Say which truck and which camera.", example=SNAPSHOT_EXAMPLES[0])
    fields = SnapshotFields(tokens=tokens)
    _target(tokens[0], fields)
    rest = tokens[1:]
    if len(rest) > 1:
        raise ParseError(
            f"A snapshot takes one camera; you named {len(rest)}: {' '.join(rest)}.",
            word=" ".join(rest),
            allowed="one of front, driver, left, right, rear",
            example=SNAPSHOT_EXAMPLES[0],
        )
    if rest:
        word = rest[0].lower()
        fields.words["position"] = rest[0]
        if word not in CAMERA_WORDS:
            raise _unknown_word(rest[0])
        fields.position = CAMERA_WORDS[word].value
    return fields


# --- mapping a rule violation back to the words --------------------------------------------


def _nearest(allowed: tuple[int, ...], value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return min(allowed, key=lambda a: (abs(a - value), a))
    return allowed[0]


def corrected_example(
    command: str, fields: RecallFields | SnapshotFields, err: RuleViolation
) -> str:
    """The user's own command with the offending word replaced by one that would work."""
    tokens = list(fields.tokens)
    word = fields.words.get(err.field)

    def swap(old: str | None, new: str) -> None:
        if old and old in tokens:
            tokens[tokens.index(old)] = new
        elif new:
            tokens.append(new)

    if isinstance(fields, RecallFields):
        if err.field == "duration":
            allowed = (1,) if "Smart dashcam" in err.message else DURATIONS[fields.recall_type]
            swap(word, f"{_nearest(allowed, fields.duration)}m")
        elif err.field == "recall_type":
            swap(word, "regular")
            if fields.duration not in DURATIONS[RecallType.REGULAR]:
                swap(fields.words.get("duration"), "1m")
        elif err.field == "start_time":
            old = fields.words.get("start_time", "")
            parts = old.split()
            if len(parts) == 2 and parts[0] in tokens:
                idx = tokens.index(parts[0])
                tokens[idx : idx + 2] = ["30m", "ago"]
            else:
                swap(old, "30m ago")
        elif err.field == "camera_positions":
            tokens = [t for t in tokens if t.lower() not in CAMERA_WORDS] + ["front"]
        elif err.field == "target":
            return RECALL_EXAMPLES[0]
    else:
        if err.field == "position":
            swap(word, "rear" if fields.asset_name else "front")
        elif err.field == "target":
            return SNAPSHOT_EXAMPLES[0]
    return f"{command} " + " ".join(_quote(t) for t in tokens)


def _quote(token: str) -> str:
    if " " not in token:
        return token
    head, sep, tail = token.partition(":")
    return f'{head}:"{tail}"' if sep and head.lower() in ("asset", "vehicle") else f'"{token}"'
