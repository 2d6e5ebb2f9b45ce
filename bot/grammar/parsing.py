"""The inline grammar of /recall and /snapshot: text in, fields out. Pure; no rule lives here.

What the fields must satisfy is `motive.rules`' business: this module only turns words into
values, and maps a rule violation back to the words that caused it, with a corrected command.

Times are read as a person means them and compared as instants: a wall time means its most recent
past occurrence in the user's zone (both occurrences are weighed when the clocks went back; the
anchor says which was taken), and a wall time the clocks skipped is refused, never shifted.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.grammar.timewords import (
    DAY_PARTS,
    DAYS_BACK,
    FUTURE_WORDS,
    MONTHS,
    NAMED_TIMES,
    NUMBER_WORDS,
    UNITS,
    WEEKDAYS,
    BadDate,
    When,
    amount,
    clock_time,
    day_part,
    day_words,
    hours_text,
    instants,
    maybe_date,
    zone_name,
    zone_word,
)
from motive.rules import (
    DURATIONS,
    SMART_DASHCAM_DURATIONS,
    CameraPosition,
    RecallRequest,
    RecallType,
    RuleViolation,
    SmartDashcamDurationViolation,
    SmartDashcamTypeViolation,
    SnapshotRequest,
    TargetKind,
    allowed_snapshot_positions,
    check_equipment,
    validate_recall,
    validate_snapshot,
)

if TYPE_CHECKING:
    from bot.access.fleet import FleetUnit, Match

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
# The first word for each position: what help and refusals call it.
_SHORT_CAMERA_WORDS = tuple(
    next(w for w, p in CAMERA_WORDS.items() if p is position) for position in CameraPosition
)
TYPE_WORDS = {"timelapse": RecallType.TIMELAPSE, "regular": RecallType.REGULAR}
DEFAULT_DURATION = {RecallType.REGULAR: 1, RecallType.TIMELAPSE: 15}

RECALL_EXAMPLES = (
    "/recall TRK-101 14:05 2m",
    "/recall TRK-101 2026-11-20 14:05 3m front driver",
    '/recall asset:"Reefer 12" 20m ago timelapse 15m left rear',
    "/recall TRK-102 yesterday 2:15pm 2 min front rear",
)
SNAPSHOT_EXAMPLES = ("/snapshot TRK-101 front", '/snapshot asset:"Reefer 12" rear')
# The ways of saying when, as `/recall help` lists them; a test parses every one.
WHEN_EXAMPLES = (
    "14:05",
    "2:15pm",
    "at 2:15 pm",
    "yesterday 3pm",
    "today 9:30",
    "Sat 14:05",
    "11/21 14:05",
    "Nov 21 14:05",
    "2026-11-20 14:05",
    "14:05 UTC",
    "20m ago",
    "1h30m ago",
    "now",
    # as people say them (issue 24)
    "noon",
    "midnight",
    "this morning 9",
    "this afternoon 1:30",
    "last night 11pm",
    "yesterday at 3",
    "1405",
    "half an hour ago",
    "an hour and a half ago",
)
# The ways of saying when that a refusal names, where a time was expected: each is one of the
# above, so the help test parses it.
WHEN_HINTS = (
    "14:05",
    "2:15pm",
    "noon",
    "yesterday 3pm",
    "this morning 9",
    "last night 11pm",
    "Sat 14:05",
    "20m ago",
    "half an hour ago",
)
DURATION_EXAMPLES = ("2m", "2 min", "3 minutes", "120s", "1h", "half an hour")
# Cameras joined as people join them; a test parses each.
CAMERA_EXAMPLES = ("front driver", "front and driver", "left, right and rear", "all cameras")
# Words that ask for a list of requests, which these commands do not show (yet).
LISTING_WORDS = frozenset({"list", "status", "mine", "requests", "history"})

_FILLERS = frozenset({"at", "on", "from", "for", "around", "about", "last", "starting"})


@dataclass(frozen=True)
class ParseError(Exception):
    """A word we could not read. `word` is what the user typed, `allowed` what would work."""

    message: str
    word: str = ""
    allowed: str = ""
    example: str = ""
    # Nothing was wrong with the words given; a part was missing (no time, no clock after a day).
    missing: bool = False

    def __str__(self) -> str:
        return self.message


@dataclass
class RecallFields:
    vehicle_number: str | None = None
    asset_name: str | None = None
    start_time: datetime | None = None
    duration: float | None = None
    recall_type: RecallType = RecallType.REGULAR
    camera_positions: list[CameraPosition] | None = None
    note: str | None = None
    insist: bool = False  # `again`: ask even if the same request is already open
    # Which words produced each field, so a rule violation can point at them: the text
    # (`words`) and the token positions (`spans`), for the corrected command.
    words: dict[str, str] = field(default_factory=dict)
    spans: dict[str, list[int]] = field(default_factory=dict)
    tokens: list[str] = field(default_factory=list)
    # What the anchor should say about how the time was read (the autumn change's double hour).
    remarks: list[str] = field(default_factory=list)

    @property
    def target(self) -> tuple[str, str] | None:
        return _one_target(self.vehicle_number, self.asset_name)

    @property
    def anchor_note(self) -> str | None:
        return " · ".join(filter(None, [self.note, *self.remarks])) or None

    def request(self, now: datetime, unit: FleetUnit | None = None) -> RecallRequest:
        """The recall these words ask for, checked by `motive.rules` (raises RuleViolation),
        including what the fleet list says the unit carries."""
        request = validate_recall(
            vehicle_number=self.vehicle_number,
            asset_name=self.asset_name,
            start_time=self.start_time,
            duration=self.duration,
            recall_type=self.recall_type,
            camera_positions=self.camera_positions,
            now=now,
            smart_dashcam=bool(unit and unit.smart_dashcam),
        )
        check_equipment(request.target, request.camera_positions, unit.cameras if unit else None)
        return request


@dataclass
class SnapshotFields:
    vehicle_number: str | None = None
    asset_name: str | None = None
    position: str | None = None
    words: dict[str, str] = field(default_factory=dict)
    spans: dict[str, list[int]] = field(default_factory=dict)
    tokens: list[str] = field(default_factory=list)
    all_cameras: bool = False  # `/snapshot TRK-101 all`: one capture per camera
    note: str | None = None  # `note: …` at the end, for the thread

    @property
    def target(self) -> tuple[str, str] | None:
        return _one_target(self.vehicle_number, self.asset_name)

    def requests_all(self, unit: FleetUnit | None = None) -> list[SnapshotRequest]:
        """One capture per camera the unit has that snapshots allow (all the kind allows where
        the fleet list does not say); raises RuleViolation when there is none."""
        return snapshot_all(self.vehicle_number, self.asset_name, unit)

    def request(self, unit: FleetUnit | None = None) -> SnapshotRequest:
        """The snapshot these words ask for, checked by `motive.rules` (raises RuleViolation)."""
        request = validate_snapshot(
            vehicle_number=self.vehicle_number,
            asset_name=self.asset_name,
            position=self.position,
            installed=unit.cameras if unit else None,
        )
        check_equipment(
            request.target, [request.position], unit.cameras if unit else None, snapshot=True
        )
        return request


ALL_WORDS = frozenset({"all", "every", "all_cameras", "everything"})
_CAMERA_NOUNS = frozenset({"camera", "cameras", "cams"})
# Words that join camera words: "front and driver", "front, driver", "front + driver".
CAMERA_JOINERS = frozenset({"and", "&", "+", ",", "plus"})
# A part of the day after a named day ("Sat morning"): the half of the dial a clock is read on.
PART_WORDS = {"morning": "am", "afternoon": "pm", "evening": "pm", "night": "pm"}


def snapshot_all(
    vehicle_number: str | None, asset_name: str | None, unit: FleetUnit | None = None
) -> list[SnapshotRequest]:
    """The captures of "every camera": the positions snapshots allow for the target's kind that
    the unit carries, as far as the fleet list says."""
    first = validate_snapshot(vehicle_number=vehicle_number, asset_name=asset_name, position="rear")
    allowed = allowed_snapshot_positions(first.target.kind)
    has = [p for p in allowed if unit is None or unit.cameras is None or p in unit.cameras]
    if not has:
        check_equipment(first.target, list(allowed), unit.cameras if unit else None, snapshot=True)
    return [
        validate_snapshot(vehicle_number=vehicle_number, asset_name=asset_name, position=p)
        for p in has
    ]


def _one_target(vehicle: str | None, asset: str | None) -> tuple[str, str] | None:
    if vehicle and not asset:
        return ("vehicle", vehicle)
    if asset and not vehicle:
        return ("asset", asset)
    return None


def unescape(text: str) -> str:
    """Slack delivers `&`, `<`, `>` as entities; a name is matched as the user typed it."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


_NOTE = re.compile(r"(?:^|\s)(note:)", re.IGNORECASE)


def tokenize(text: str, command: str = "/recall") -> list[str]:
    # Slack sends smart quotes from some clients; shlex only knows straight ones.
    text = (
        unescape(text)
        .replace("\u201c", '"')
        .replace("\u201d", '"')
        .replace("\u2018", "'")
        .replace("\u2019", "'")
    )
    # A note is free text to its end ("driver's side" has an apostrophe): keep it out of shlex.
    found = _NOTE.search(text)
    note = text[found.start(1) :].strip() if found else None
    text = text[: found.start(1)] if found else text
    try:
        tokens = shlex.split(text)
    except ValueError:
        opened = max(text.rfind('"'), text.rfind("'"))
        word = text[text.rfind(" ", 0, opened) + 1 :].split()[0]
        raise ParseError(
            f"A quote is not closed in {word}; put names with spaces in quotes, like "
            'asset:"Reefer 12".',
            word=word,
            # No command: a stand-in would ask for another unit's footage (issue 24).
        ) from None
    # `asset: "Flatbed 7"`: the quoted name after a space is still the asset's.
    joined: list[str] = []
    for token in tokens:
        if joined and joined[-1].lower() in ("asset:", "vehicle:") and " " in token:
            joined[-1] += token
        else:
            joined.append(token)
    tokens = joined
    # "Nov 21, 14:05": a comma ends a word, it is not part of it.
    return [t.rstrip(",;") or t for t in tokens] + ([note] if note else [])


def _target(token: str, index: int, fields: RecallFields | SnapshotFields, command: str) -> None:
    lowered = token.lower()
    if lowered.startswith("asset:"):
        kind, name = "asset", token[6:].strip()
    elif lowered.startswith("vehicle:"):
        kind, name = "vehicle", token[8:].strip()
    else:
        kind, name = "vehicle", token.strip()
    if name and not re.search(r"\w", name):
        raise ParseError(
            f"I can't read {token!r} as a truck or trailer: say a vehicle number (like TRK-101) "
            'or asset:"NAME" first, then the rest.',
            word=token,
            allowed="a vehicle number, or asset:NAME",
            # No command: the truck is not known, and a stand-in would be another unit.
        )
    key = "target" if "target" not in fields.spans else "target2"
    if key == "target2" and (fields.asset_name if kind == "asset" else fields.vehicle_number):
        # Two of one kind: the second would silently replace the first (the wrong truck).
        raise ParseError(
            f"You gave two {kind}s, {fields.words['target']} and {token}; give one.",
            word=token,
            allowed=f"one {kind}",
            # No command: either unit may be the one meant.
        )
    if kind == "asset":
        fields.asset_name = name
    else:
        fields.vehicle_number = name
    fields.spans[key] = [index]
    # A second target is what a "not both" violation should point at.
    fields.words["target"] = token


def _twice(what: str, first: str, tokens: list[str], i: int, taken: int) -> ParseError:
    second = _span(tokens, i, taken)
    # Two moments: either may be the one meant, so no command is offered (keeping one would ask
    # for footage the other word did not say). Of two lengths the first is kept: the moment,
    # the unit and the cameras are the same either way.
    example = _fix("/recall", tokens, {j: [] for j in range(i, i + taken)})
    return ParseError(
        f"You gave two {what}s, {first} and {second}; give one.",
        word=second,
        allowed=f"one {what}",
        example=example if what == "duration" else "",
    )


def _first_when(fields: RecallFields, when: When) -> str:
    # A date and time in one word is both the day and the clock: name it once.
    at = list(dict.fromkeys(when.day_at + when.clock_at))
    return _span_at(fields.tokens, at) or fields.words.get("start_time", "")


def parse_recall(
    text: str,
    *,
    now: datetime,
    tz: ZoneInfo | None,
    month_first: bool = True,
    zone_unknown: str = "I do not know your time zone",
    hints: bool = True,
) -> RecallFields:
    """`tz` None means Slack could not say the user's zone: a wall time then needs a zone of its
    own, and `zone_unknown` says why it is missing. `hints` False: a refusal offers no corrected
    command (used while checking one, so that checking never recurses)."""
    tokens = _kind_word(tokenize(text))
    if not tokens:
        raise ParseError("Say which truck and when.", example=RECALL_EXAMPLES[0])
    _no_listing("/recall", tokens)
    fields = RecallFields(tokens=tokens)
    _target(tokens[0], 0, fields, "/recall")
    when = When()
    i = 1
    while i < len(tokens):
        tok = tokens[i]
        low = tok.lower()
        nxt = tokens[i + 1].lower() if i + 1 < len(tokens) else ""
        if low.startswith("note:"):
            fields.note = " ".join([tok[5:], *tokens[i + 1 :]]).strip() or None
            break
        if low == "again":
            fields.insist = True
            i += 1
            continue
        if low.startswith(("asset:", "vehicle:")):
            _target(tok, i, fields, "/recall")
            i += 1
            continue
        _refuse_future(tokens, i)
        if low in ("now", "just", "right") and (low == "now" or nxt == "now"):
            taken = 1 if low == "now" else 2
            _set_relative(fields, when, tokens, i, taken, now=True)
            i += taken
            continue
        length = amount(tokens, i)
        if length is not None:
            seconds, taken = length
            ago = tokens[i + taken].lower() if i + taken < len(tokens) else ""
            if ago == "ago":
                _set_relative(fields, when, tokens, i, taken + 1, ago=timedelta(seconds=seconds))
                i += taken + 1
                continue
            if "duration" in fields.spans:
                raise _twice("duration", fields.words["duration"], tokens, i, taken)
            fields.duration = seconds / 60 if seconds % 60 else seconds // 60
            fields.spans["duration"] = list(range(i, i + taken))
            fields.words["duration"] = _span(tokens, i, taken)
            i += taken
            continue
        if "t" in low and low[:4].isdigit() and len(tok) >= 16:
            try:
                parsed = datetime.fromisoformat(tok.replace("Z", "+00:00").replace("z", "+00:00"))
            except ValueError:
                raise ParseError(
                    f"{tok} is not a date and time I can read.",
                    word=tok,
                    allowed="YYYY-MM-DD HH:MM",
                    # No command: a stand-in date would be other footage.
                ) from None
            _guard_absolute(fields, when, tokens, i)
            if parsed.tzinfo is None:
                when.day, when.clock = parsed.date(), parsed.time()
                when.day_at, when.clock_at = [i], [i]
            else:
                when.aware, when.day_at, when.clock_at = parsed, [i], [i]
            i += 1
            continue
        part = day_part(tokens, i)
        if part is not None:
            name, taken = part
            if when.has_day or when.ago is not None or when.now or when.aware:
                raise _twice("day", _first_when(fields, when), tokens, i, taken)
            when.days_back, when.part = DAY_PARTS[name]
            when.day_at = list(range(i, i + taken))
            i += taken
            continue
        if low in PART_WORDS and when.day_at and i - 1 == when.day_at[-1] and not when.part:
            when.part = PART_WORDS[low]  # "Sat morning", "yesterday night"
            when.day_at.append(i)
            i += 1
            continue
        # "14.05" alone is a time of day; "21.11 14:05" is a date, then the time.
        dotted = _DOTTED_CLOCK.match(low) and clock_time(nxt, "") is None
        day = None if dotted else _day(tokens, i, month_first)
        if day is not None:
            parsed_day, taken = day
            if when.has_day or when.ago is not None or when.now or when.aware:
                raise _twice("day", _first_when(fields, when), tokens, i, taken)
            when.day, when.month_day = parsed_day.day, parsed_day.month_day
            when.days_back, when.weekday = parsed_day.days_back, parsed_day.weekday
            when.day_at = list(range(i, i + taken))
            i += taken
            continue
        # A lone hour is a time after `at` or a day ("yesterday at 3"), never a count.
        bare = i > 1 and (tokens[i - 1].lower() in _CLOCK_LEADS or (i - 1) in when.day_at)
        clock = clock_time(tok, nxt, bare=bare)
        if clock is not None:
            if when.clock_at or when.ago is not None or when.now or when.aware:
                raise _twice("time", _first_when(fields, when), tokens, i, clock.taken)
            when.clock, when.twelve = clock.time, clock.twelve
            when.clock_at = list(range(i, i + clock.taken))
            i += clock.taken
            continue
        zone = zone_word(tok)
        if zone is not None and when.clock_at and not when.zone_at:
            when.zone, when.zone_at = zone, [i]
            i += 1
            continue
        if low in TYPE_WORDS:
            fields.recall_type = TYPE_WORDS[low]
            fields.words["recall_type"] = tok
            fields.spans["recall_type"] = [i]
            i += 1
            continue
        cameras = _camera_words(low)
        if cameras:
            for position in cameras:
                _add_camera(fields, position, tok, i)
            i += 1
            continue
        if low in CAMERA_JOINERS and _is_camera(tokens, i - 1) and _is_camera(tokens, i + 1):
            i += 1  # "front and driver"
            continue
        every = _every_camera(tokens, i)
        if every:
            i += every
            continue
        if low in _FILLERS and nxt:
            if low in _TIME_FILLERS and not _starts_time(tokens, i + 1, month_first):
                raise _dangling(tokens, i, hints=hints, month_first=month_first, now=now, tz=tz)
            i += 1
            continue
        if low in _FILLERS or low in CAMERA_JOINERS:
            raise _dangling(tokens, i, hints=hints, month_first=month_first, now=now, tz=tz)
        raise _unknown_word(
            "/recall",
            tokens,
            i,
            zone_word=zone is not None,
            hints=hints,
            now=now,
            tz=tz,
            month_first=month_first,
        )
    if fields.duration is None:
        fields.duration = DEFAULT_DURATION[fields.recall_type]
    _resolve(fields, when, now=now, tz=tz, zone_unknown=zone_unknown)
    return fields


# --- words around the time and the cameras ------------------------------------------------------

_DOTTED_CLOCK = re.compile(r"^([01]?\d|2[0-3])\.[0-5]\d$")
# Words after which a lone hour is a time of day ("at 3").
_CLOCK_LEADS = frozenset({"at", "around", "about", "by"})
# Fillers that stand before a time, and need one after them.
_TIME_FILLERS = frozenset({"at", "on", "around", "about", "last", "starting", "from"})
# The first word naming the kind of unit before its name ("truck 101").
KIND_WORDS = {"truck": "", "vehicle": "", "unit": "", "trailer": "asset:", "asset": "asset:"}


def _kind_word(tokens: list[str]) -> list[str]:
    """`truck 101` is the vehicle 101 and `trailer 7` the asset 7: the kind word is not a name."""
    if len(tokens) > 1 and tokens[0].lower() in KIND_WORDS and ":" not in tokens[1]:
        return [KIND_WORDS[tokens[0].lower()] + tokens[1], *tokens[2:]]
    return tokens


def _camera_words(low: str) -> list[CameraPosition]:
    """The cameras one word names: `front`, or several joined like `front,driver` / `left+rear`."""
    if low in CAMERA_WORDS:
        return [CAMERA_WORDS[low]]
    parts = [p for p in re.split(r"[,+&]", low) if p]
    if len(parts) > 1 and all(p in CAMERA_WORDS for p in parts):
        return [CAMERA_WORDS[p] for p in parts]
    return []


def _is_camera(tokens: list[str], j: int) -> bool:
    return 0 < j < len(tokens) and bool(_camera_words(tokens[j].lower()))


def _every_camera(tokens: list[str], i: int) -> int:
    """`all`, `all cameras`, `all the cameras`, `every camera`: how many words (0: none)."""
    words = [t.lower() for t in tokens[i : i + 3]]
    if not words or words[0] not in ALL_WORDS:
        return 0
    if words[1:2] == ["the"] and words[2:3] and words[2] in _CAMERA_NOUNS:
        return 3
    return 2 if words[1:2] and words[1] in _CAMERA_NOUNS else 1


def _add_camera(fields: RecallFields, position: CameraPosition, tok: str, i: int) -> None:
    if fields.camera_positions is None:
        fields.camera_positions = []
    fields.camera_positions.append(position)
    fields.words.setdefault("camera_positions", tok)
    fields.words.setdefault(f"camera_positions:{position.value}", tok)
    spans = fields.spans.setdefault("camera_positions", [])
    if not spans or spans[-1] != i:  # one word may name several cameras ("front,driver")
        spans.append(i)


def _day(tokens: list[str], i: int, month_first: bool) -> tuple[When, int] | None:
    try:
        return day_words(tokens, i, month_first)
    except BadDate as e:
        raise ParseError(
            f"{e.word} is not a real date.",
            word=e.word,
            allowed="a date like 2026-11-20, 11/21 or Nov 21",
            # No command: a stand-in date would be other footage.
        ) from None


def _starts_time(tokens: list[str], j: int, month_first: bool) -> bool:
    """Whether the words at `j` begin a time (what a filler like `at` must be followed by)."""
    if j >= len(tokens):
        return False
    low = tokens[j].lower()
    nxt = tokens[j + 1] if j + 1 < len(tokens) else ""
    if low in _FILLERS or low in ("now", "just", "right") or low in PART_WORDS:
        return True
    if amount(tokens, j) or day_part(tokens, j) or clock_time(tokens[j], nxt, bare=True):
        return True
    if "t" in low and low[:4].isdigit():
        return True
    try:
        return day_words(tokens, j, month_first) is not None
    except BadDate:
        return True


def _refuse_future(tokens: list[str], i: int) -> None:
    """`in 10 min`, `10 min from now`, `tomorrow`: recalls are for the past."""
    low = tokens[i].lower()
    ahead = amount(tokens, i + 1) if low == "in" and i + 1 < len(tokens) else None
    taken = 1 + ahead[1] if ahead else 0
    length = amount(tokens, i)
    if length:
        after = [t.lower() for t in tokens[i + length[1] : i + length[1] + 2]]
        if after == ["from", "now"] or after[:1] in (["later"], ["ahead"]):
            taken = length[1] + (2 if after == ["from", "now"] else 1)
    if low in FUTURE_WORDS:
        taken = 1
    if not taken:
        return
    said = _span(tokens, i, taken)
    raise ParseError(
        f"Recalls are for the past: {said} is still ahead, and there is no footage of it yet. "
        "Say when it happened, like 10 min ago or 14:05, or take a /snapshot for now.",
        word=said,
        allowed="a time that has passed",
    )


def _dangling(
    tokens: list[str],
    i: int,
    *,
    hints: bool,
    now: datetime,
    tz: ZoneInfo | None,
    month_first: bool,
) -> ParseError:
    """A filler (`at`, `last`) with no time after it, or `and` with no camera on each side."""
    word = tokens[i]
    j = i + 1
    if j < len(tokens) and _lexical(tokens, j, month_first) is None:
        # The next word is the one not understood: it is judged where it stands.
        return _unknown_word(
            "/recall", tokens, j, hints=hints, now=now, tz=tz, month_first=month_first
        )
    if word.lower() in CAMERA_JOINERS:
        return ParseError(
            f"{word!r} joins camera words, like front and driver; I found no camera on both "
            "sides of it.",
            word=word,
            allowed="camera words joined by and, a comma or +",
        )
    if word.lower() == "for":
        return ParseError(
            f"After {word!r} comes how long, like for 2 min or for half an hour; I found no "
            "length after it.",
            word=word,
            allowed="a length after it",
        )
    return ParseError(
        f"After {word!r} comes when, like {word} 14:05, {word} 2:15pm or {word} noon; "
        "I found no time after it.",
        word=word,
        allowed="a time after it",
    )


def _span(tokens: list[str], i: int, taken: int) -> str:
    return " ".join(tokens[i : i + taken])


def _span_at(tokens: list[str], at: list[int]) -> str:
    return " ".join(tokens[j] for j in at)


def _set_relative(
    fields: RecallFields,
    when: When,
    tokens: list[str],
    i: int,
    taken: int,
    *,
    ago: timedelta | None = None,
    now: bool = False,
) -> None:
    if when.is_set or when.ago is not None or when.now:
        raise _twice("start time", _first_when(fields, when), tokens, i, taken)
    when.ago, when.now = ago, now
    fields.words["start_time"] = _span(tokens, i, taken)
    fields.spans["start_time"] = list(range(i, i + taken))


def _guard_absolute(fields: RecallFields, when: When, tokens: list[str], i: int) -> None:
    if when.is_set or when.ago is not None or when.now:
        raise _twice("start time", _first_when(fields, when), tokens, i, 1)


def _no_listing(command: str, tokens: list[str]) -> None:
    if len(tokens) == 1 and tokens[0].lower() in LISTING_WORDS:
        example = (RECALL_EXAMPLES if command == "/recall" else SNAPSHOT_EXAMPLES)[0]
        what = "a truck and a time" if command == "/recall" else "a truck and a camera"
        raise ParseError(
            f"`{command} {tokens[0]}` is not something I can show here: {command} takes {what} "
            f"(`{example}`), `{command}` alone opens the form, and `{command} help` lists every "
            "form.",
            word=tokens[0],
            allowed=what,
            example=example,
        )


def _fix(command: str, tokens: list[str], changes: dict[int, list[str]]) -> str:
    """The user's command with the words at some positions replaced (or dropped, with [])."""
    out: list[str] = []
    for j, tok in enumerate(tokens):
        out.extend(changes.get(j, [tok]))
    # A note runs to the end of the command: it stays last, as typed (quoting it would not
    # survive a quote inside it), or the words added after it would become part of it.
    note = [out.pop()] if out and out[-1].lower().startswith("note:") else []
    out.extend(changes.get(len(tokens), []))
    return f"{command} " + " ".join([*(_quote(t) for t in out), *note])


def _resolve(
    fields: RecallFields, when: When, *, now: datetime, tz: ZoneInfo | None, zone_unknown: str
) -> None:
    tokens = fields.tokens
    if when.now or when.ago is not None:
        # Counted from the minute: the same words said seconds apart ask for the same window.
        end = now.replace(second=0, microsecond=0)
        if when.ago is not None:
            fields.start_time = _shift(end, -when.ago, fields.words["start_time"])
        else:
            # The latest window footage can exist for: the one that ends now.
            fields.start_time = _shift(end, -timedelta(minutes=float(fields.duration or 0)), "now")
        return
    # One word can be both the day and the time (2026-11-20T14:05): named once.
    at = sorted(set(when.day_at + when.clock_at + when.zone_at))
    if not at:
        raise ParseError(
            "Say when: a time like 14:05 or 2:15pm, a day and time like yesterday 3pm, "
            "Sat 14:05 or 11/21 14:05, or 20m ago, or now.",
            allowed=", ".join(WHEN_EXAMPLES),
            # No command: a stand-in time would be footage nobody asked for.
            missing=True,
        )
    phrase = _span_at(tokens, at)
    fields.words["start_time"] = phrase
    fields.spans["start_time"] = at
    if when.aware is not None:
        fields.start_time = when.aware
        return
    if when.clock is None:
        clock = {"am": "9:30", "pm": "3:15", "night": "11pm"}.get(when.part or "", "14:05")
        raise ParseError(
            f"After {phrase}, give the time of day, like {phrase} {clock}.",
            word=phrase,
            allowed="a day, then a time like 14:05 or 2:15pm",
            # No command: a stand-in time would be footage nobody asked for.
            missing=True,
        )
    zone: tzinfo | None = when.zone or tz
    if zone is None:
        clock_word = _span_at(tokens, when.clock_at)
        raise ParseError(
            f"{zone_unknown}, so I will not guess what {clock_word} means. Add a zone after the "
            "time (UTC, an offset like -06:00, or a name like America/Chicago), or say how long "
            "ago it was, like 25m ago.",
            word=clock_word,
            allowed="a time with a zone, or a relative time",
            example=_fix(
                "/recall", tokens, {when.clock_at[-1]: [tokens[when.clock_at[-1]], "UTC"]}
            ),
        )
    try:
        fields.start_time = _instant(fields, when, zone, now)
    except (OverflowError, ValueError):
        raise ParseError(
            f"{phrase} is out of the range of dates I can read.",
            word=phrase,
            allowed="a date in the last few weeks",
            # No command: a stand-in time would be other footage.
        ) from None


def _shift(when: datetime, by: timedelta, word: str) -> datetime:
    try:
        return when + by
    except OverflowError:
        raise ParseError(
            f"{word} is further back than any footage.",
            word=word,
            allowed="a few minutes to a few days ago",
            # No command: a stand-in time would be other footage.
        ) from None


def _instant(fields: RecallFields, when: When, zone: tzinfo, now: datetime) -> datetime:
    assert when.clock is not None
    today = now.astimezone(zone).date()
    if when.day is not None:
        days = [when.day]
    elif when.month_day is not None:
        month, mday = when.month_day
        # The latest two that exist (Feb 29 skips years).
        days = [
            d
            for year in range(today.year, today.year - 9, -1)
            if (d := maybe_date(year, month, mday)) is not None
        ][:2]
    elif when.days_back is not None:
        days = [today - timedelta(days=when.days_back)]
    elif when.weekday is not None:
        days = [
            today - timedelta(days=k)
            for k in range(14)
            if (today - timedelta(days=k)).weekday() == when.weekday
        ]
    else:
        days = [today, today - timedelta(days=1)]
    named = len(days) == 1  # a named day is taken even when the time is still ahead
    walls = sorted(
        {datetime.combine(day + timedelta(days=shift), clock) for day in days
         for clock, shift in _readings(fields, when)},
        reverse=True,
    )  # fmt: skip
    chosen: datetime | None = None
    skipped_named: datetime | None = None
    for wall in walls:
        found = instants(wall, zone)
        if not found:
            skipped = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
            if skipped <= now:
                raise _skipped(fields, when, wall, zone)
            skipped_named = skipped_named or wall
            continue
        past = [t for t in found if t <= now]
        if past:
            chosen = max(past)
            if len(found) == 2:
                fields.remarks.append(_which(fields, when, wall, zone, found, chosen))
            break
    if chosen is None:
        if named and skipped_named is not None:
            raise _skipped(fields, when, skipped_named, zone)
        later = [t for wall in walls for t in instants(wall, zone)]
        if not later:
            phrase = fields.words["start_time"]
            raise ParseError(
                f"{phrase} has not happened in the years I can look back on.",
                word=phrase,
                allowed="a date in the last few weeks",
                # No command: a stand-in time would be other footage.
            )
        chosen = min(later)  # all still ahead: the rules will say it is in the future
    if when.twelve and not fields.remarks:  # (the double hour's remark says which already)
        fields.remarks.append(_twelve_remark(fields, when, chosen.astimezone(zone), today))
    return chosen


def _readings(fields: RecallFields, when: When) -> list[tuple[time, int]]:
    """The clock readings a written time may mean, each with a shift of its day: both halves of
    the dial for `2:15`, one for `2:15pm` or `14:15`; a part of the day keeps its own half, and
    `last night` puts the evening on the day before and the small hours on the day itself."""
    assert when.clock is not None
    clock = when.clock
    halves = [clock]
    if when.twelve:
        other = (clock.hour + 12) % 24
        halves = [clock, clock.replace(hour=other)]
    if when.part is None:
        return [(c, 0) for c in halves]
    if when.part == "night":
        # Evening hours belong to the night before; the small hours to this day's start.
        fits = [(c, 0) for c in halves if c.hour >= 18] + [(c, 1) for c in halves if c.hour < 6]
    else:
        fits = [(c, 0) for c in halves if (c.hour < 12) == (when.part == "am")]
    if not fits:
        clock_word = _span_at(fields.tokens, when.clock_at)
        part = _span_at(fields.tokens, when.day_at)
        raise ParseError(
            f"{clock_word} is not {part}: "
            + (
                "the night is the evening before and the small hours after midnight."
                if when.part == "night"
                else f"{part} is {'before' if when.part == 'am' else 'after'} noon."
            ),
            word=clock_word,
            allowed=f"a time {part}",
        )
    return fits


def _twelve_remark(fields: RecallFields, when: When, local: datetime, today: date) -> str:
    """What the anchor says about a time written without am/pm: which of the two it took."""
    clock_word = _span_at(fields.tokens, when.clock_at)
    back = (today - local.date()).days
    day = {0: "today", 1: "yesterday"}.get(back, f"{local:%a} {local.day} {local:%b}")
    return f"{clock_word} → {local:%H:%M} {day}"


def _which(
    fields: RecallFields,
    when: When,
    wall: datetime,
    zone: tzinfo,
    both: list[datetime],
    chosen: datetime,
) -> str:
    clock_word = _span_at(fields.tokens, when.clock_at)
    order = "first" if chosen == both[0] else "second"
    local = chosen.astimezone(zone)
    return (
        f"{clock_word} happened twice on {wall:%a} {wall.day} {wall:%b} (the clocks went back); "
        f"this is the {order}, {local:%H:%M %Z} ({chosen:%H:%M} UTC)"
    )


def _skipped(fields: RecallFields, when: When, wall: datetime, zone: tzinfo) -> ParseError:
    tokens = fields.tokens
    clock_word = _span_at(tokens, when.clock_at)
    before = wall.replace(tzinfo=zone, fold=0).utcoffset() or timedelta()
    after = wall.replace(tzinfo=zone, fold=1).utcoffset() or timedelta()
    same = wall.replace(tzinfo=zone, fold=0).astimezone(UTC).astimezone(zone)
    jump = abs(after - before)
    changes: dict[int, list[str]] = {j: [] for j in when.clock_at[1:]}
    changes[when.clock_at[0]] = [f"{same:%H:%M}"]
    return ParseError(
        f"{clock_word} did not happen on {wall:%a} {wall.day} {wall:%b} {wall.year} in "
        f"{zone_name(zone)}: the clocks jumped forward {hours_text(jump)} at {wall:%H}:00. "
        f"{same:%H:%M} is the moment {clock_word} would have been.",
        word=clock_word,
        allowed="a time the clocks showed",
        example=_fix("/recall", tokens, changes),
    )


HELP_WORDS = frozenset({"help", "?", "-h", "--help"})


def is_help(text: str) -> bool:
    return text.strip().lower() in HELP_WORDS


def is_listing(text: str) -> bool:
    """`/recall mine` (or list, status…): the person's own requests, not a new one."""
    return text.strip().lower() in LISTING_WORDS


# --- a vehicle and a time inside free text (a message shortcut) ------------------------------

_TIME_LIKE = re.compile(
    r"\d:\d\d|\d\s?(?:am|pm|a\.m\.|p\.m\.)(?:\W|$)|\bago\b|\d[/.]\d|\d{4}-\d"
    r"|\bnoon\b|\bmidnight\b|\bmidday\b",
    re.I,
)
_UNIT_NAME = re.compile(r"[A-Za-z0-9][\w-]*")


# Each phrase tried for a time is a whole parse (or two): a message names its time among its
# first few time-like words, and a text of nothing but time-like words must not cost a parse per
# word (40,000 characters of `1:99 ` took seconds).
PHRASES_TRIED = 100


@dataclass(frozen=True)
class Mention:
    """What a message says about a truck and a time: the words that may be vehicle numbers (for
    the fleet list to judge), and the first time in it, as an instant (None if none)."""

    names: tuple[str, ...]
    start: datetime | None
    start_words: str = ""


def find_in_text(
    text: str, *, now: datetime, tz: ZoneInfo | None, month_first: bool = True
) -> Mention:
    """Read a message the way a dispatcher would: "TRK-101 cut off on I-80 around 2:15".
    Never raises: what cannot be read is left out. A bare 2:15 is the latest past of 2:15 and
    14:15, since a message about an incident speaks of the last few hours."""
    # "(TRK-101):" is TRK-101: the colon goes with the other punctuation around a word.
    words = [w for w in (w.strip(".,;:!?()[]{}\"'") for w in unescape(text).split()) if w]
    names = tuple(
        dict.fromkeys(
            w
            for w in words
            if _UNIT_NAME.fullmatch(w) and any(c.isdigit() for c in w) and not _TIME_LIKE.search(w)
        )
    )
    if tz is None:
        return Mention(names, None)
    tried = 0
    for i in range(len(words)):
        for k in (4, 3, 2, 1):
            phrase = " ".join(words[i : i + k])
            if len(words[i : i + k]) < k or not _TIME_LIKE.search(phrase):
                continue
            if tried == PHRASES_TRIED:
                return Mention(names, None)
            tried += 1
            found = _when_in(phrase, now=now, tz=tz, month_first=month_first)
            if found is not None:
                return Mention(names, found, phrase)
    return Mention(names, None)


def _when_in(phrase: str, *, now: datetime, tz: ZoneInfo, month_first: bool) -> datetime | None:
    """The moment a phrase names, read as the command reads it (a bare 2:15 is the latest of
    2:15 and 14:15 that has passed), or None."""
    try:
        fields = parse_recall(f"_ {phrase}", now=now, tz=tz, month_first=month_first, hints=False)
    except ParseError:
        return None
    if set(fields.words) - {"target", "start_time"} or fields.start_time is None:
        return None
    return fields.start_time if fields.start_time <= now else None


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


def parse_when(text: str, *, now: datetime, tz: ZoneInfo) -> datetime:
    """Just the time words of the grammar (for the console's date-and-time field)."""
    fields = parse_recall(f"_ {text}", now=now, tz=tz)
    assert fields.start_time is not None
    if set(fields.words) - {"target", "start_time"}:
        raise ParseError(
            f"{text!r} is not a time; write 14:05, 2026-11-20 14:05 or 20m ago.", word=text
        )
    return fields.start_time


# --- a word the grammar does not know: hints that never change the footage ----------------------

# Each vocabulary a position may expect, as data: the words the parser reads there.
VOCABULARIES: dict[str, tuple[str, ...]] = {
    "camera": (*CAMERA_WORDS, *sorted(ALL_WORDS), *sorted(_CAMERA_NOUNS)),
    "day": (
        *DAYS_BACK,
        *WEEKDAYS,
        *MONTHS,
        *NAMED_TIMES,
        *PART_WORDS,
        "this",
        "last",
        "tonight",
        "now",
        "at",
        "around",
    ),
    "unit": tuple(u for u in UNITS if len(u) > 1),
    "ago": ("ago", "now"),
    "filler": tuple(sorted(_FILLERS)),
    "joiner": ("and", "plus"),
    "type": tuple(TYPE_WORDS),
}


def _or_list(words: tuple[str, ...] | list[str]) -> str:
    return f"{', '.join(words[:-1])} or {words[-1]}"


# What a refusal says may stand where a word was not understood, read from the same data as
# the parser and the help.
_WHY = {
    "day": f"When is said like {_or_list(WHEN_HINTS)}.",
    "camera": f"Camera words are {_or_list(list(dict.fromkeys(_SHORT_CAMERA_WORDS)))} (or all "
    f"cameras); join them like {CAMERA_EXAMPLES[1]}.",
    "unit": f"A length is said like {_or_list(DURATION_EXAMPLES)}.",
}
_RECALL_WHY = (
    "After the truck come a time, a duration like 2m, timelapse, and camera words "
    "(front, driver, narrow, left, right, rear)."
)
_KNOWN = frozenset(w for words in VOCABULARIES.values() for w in words)
_NUMBERISH = re.compile(r"^\d{1,6}(?:\.\d{1,3})?$")


def _lexical(tokens: list[str], j: int, month_first: bool) -> str | None:
    """What kind of word stands at `j`, read alone ("camera", "time", "length", …), or None."""
    if not 0 < j < len(tokens):
        return "edge"
    low = tokens[j].lower()
    nxt = tokens[j + 1] if j + 1 < len(tokens) else ""
    if _camera_words(low) or low in CAMERA_JOINERS or low in ALL_WORDS or low in _CAMERA_NOUNS:
        return "camera"
    if low in TYPE_WORDS:
        return "type"
    if low.startswith(("note:", "asset:", "vehicle:")) or low == "again":
        return "other"
    if amount(tokens, j) or _NUMBERISH.match(low) or low in NUMBER_WORDS:
        return "length"
    if low in ("ago", "now", "half", "quarter") or low in UNITS:
        return "length"
    if _starts_time(tokens, j, month_first) or zone_word(tokens[j]) is not None:
        return "time"
    if low in PART_WORDS or low in ("this", "tonight", *FUTURE_WORDS, "in", "for"):
        return "time"
    if clock_time(tokens[j], nxt, bare=True):
        return "time"
    return None


def _expected(tokens: list[str], i: int, month_first: bool) -> tuple[str, ...]:
    """The vocabularies the position of word `i` expects, from the words either side of it."""
    prev = tokens[i - 1].lower() if i > 1 else ""
    if any(c.isdigit() for c in tokens[i]):
        return ("day",)  # shaped like a time (25:00, 13pm): read as one, or named as not one
    before = _lexical(tokens, i - 1, month_first) if i > 1 else "edge"
    after = _lexical(tokens, i + 1, month_first)
    if prev in _TIME_FILLERS or prev in ("this", "yesterday", "today") or prev in WEEKDAYS:
        return ("day",)
    if _NUMBERISH.match(prev) or prev in NUMBER_WORDS or prev in ("half", "quarter"):
        return ("unit",)
    if i + 1 < len(tokens) and tokens[i + 1].lower() == "ago":
        return ("unit",)
    if after == "time":
        return ("day", "camera", "filler", "joiner")
    if "camera" in (before, after):
        return ("camera", "joiner")
    if before == "length" and prev not in ("ago", "now"):
        return ("ago", "camera", "type", "day")
    if after == "length":
        return ("filler", "camera", "type")  # "for 2 min"
    return tuple(VOCABULARIES)


def _closest(word: str, kinds: tuple[str, ...]) -> tuple[str, str] | None:
    """The one word of the expected vocabularies a typo is nearest to (one slip of the keyboard
    away, two for a longer word), and its vocabulary; None when nothing is that near, the word is
    itself one of the grammar's (out of place, not misspelled), or two words of different
    meaning are equally near."""
    if word in _KNOWN:
        return None
    reach = 1 if len(word) <= 5 else 2
    scored: list[tuple[int, str, str]] = []
    for kind in kinds:
        for candidate in VOCABULARIES[kind]:
            if abs(len(candidate) - len(word)) <= reach:
                distance = _slips(word, candidate)
                if distance <= reach:
                    scored.append((distance, candidate, kind))
    if not scored:
        return None
    scored.sort(key=lambda s: s[0])
    best = scored[0]
    rivals = [s for s in scored[1:] if s[0] == best[0] and _meaning(s[1]) != _meaning(best[1])]
    return None if rivals else (best[1], best[2])


def _slips(a: str, b: str) -> int:
    """Keyboard slips between two words: letters left out, added, wrong, or two swapped (the
    optimal string alignment distance). Words here are short; this is at most a few hundred steps."""
    previous = list(range(len(b) + 1))
    before: list[int] = []
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            cost = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, before[j - 2] + 1)
            row.append(cost)
        before, previous = previous, row
    return previous[-1]


def _meaning(word: str) -> object:
    for table in (CAMERA_WORDS, UNITS, WEEKDAYS, MONTHS):
        if word in table:
            return (id(table), table[word])
    return word


def _safe_correction(
    tokens: list[str],
    i: int,
    word: str,
    kind: str,
    *,
    now: datetime,
    tz: ZoneInfo | None,
    month_first: bool,
) -> str | None:
    """The command with word `i` replaced by `word`, if it asks for what the other words said:
    the same unit, the same cameras (plus the one `word` names, when it is a camera word) and
    the same moment (a day word may only name the day of the clock already given). None when it
    does not parse, or parses to anything else."""
    fixed = [*tokens[:i], word, *tokens[i + 1 :]]

    def read(words: list[str]) -> RecallFields | ParseError:
        try:
            return parse_recall(
                _fix("", words, {}).strip(),
                now=now,
                tz=tz,
                month_first=month_first,
                hints=False,
            )
        except ParseError as e:
            return e

    got = read(fixed)
    if isinstance(got, ParseError):
        # Only a part still missing (no time yet) is left for the next answer to ask for.
        return _fix("/recall", tokens, {i: [word]}) if got.missing else None
    if kind == "camera" and i not in got.spans.get("camera_positions", []):
        return None  # the word was read as something else ("right now")
    if kind != "camera" and i in got.spans.get("camera_positions", []):
        return None
    others = read([*tokens[:i], *tokens[i + 1 :]])
    if isinstance(others, RecallFields):
        if got.target != others.target or got.duration != others.duration:
            return None
        if kind == "camera":
            added = set(_camera_words(word))
            if got.start_time != others.start_time:
                return None
            if set(got.camera_positions or ()) != set(others.camera_positions or ()) | added:
                return None
        elif got.camera_positions != others.camera_positions:
            return None
        if kind == "day" and not _same_clock(got, others, tz):
            return None
    return _fix("/recall", tokens, {i: [word]})


def _same_clock(a: RecallFields, b: RecallFields, tz: ZoneInfo | None) -> bool:
    if a.start_time is None or b.start_time is None or tz is None:
        return a.start_time == b.start_time
    clock = b.words.get("start_time", "").lower().split()
    if "ago" in clock or "now" in clock:
        return a.start_time == b.start_time
    try:
        return a.start_time.astimezone(tz).time() == b.start_time.astimezone(tz).time()
    except OverflowError:  # a time past year 9999 in the zone: compare the instants instead
        return a.start_time == b.start_time


def _unknown_word(
    command: str,
    tokens: list[str],
    i: int,
    *,
    zone_word: bool = False,
    hints: bool = True,
    now: datetime | None = None,
    tz: ZoneInfo | None = None,
    month_first: bool = True,
) -> ParseError:
    """A word nothing reads: named, with the words its position expects; a corrected command
    only when it asks for exactly what the other words said (never a word dropped: it may have
    been the camera or the half hour that was meant)."""
    tok = tokens[i]
    low = tok.lower()
    if command == "/snapshot":
        return _unknown_snapshot_word(tokens, i)
    if not hints:
        # Only whether the words parse is asked (checking a correction, reading a message).
        return ParseError(f"I don't understand {tok!r}.", word=tok)
    example = ""
    hint = ""
    if zone_word:
        why = "A time zone goes right after a time of day, like 14:05 UTC."
        # A zone means nothing to a relative time: without it, the same moment.
        if hints and now is not None:
            try:
                rest = parse_recall(
                    _fix("", tokens, {i: []}).strip(),
                    now=now,
                    tz=tz,
                    month_first=month_first,
                    hints=False,
                )
            except ParseError:
                rest = None
            said = (rest.words.get("start_time", "") if rest else "").lower().split()
            if rest is not None and ("ago" in said or "now" in said):
                example = _fix(command, tokens, {i: []})
        return ParseError(
            f"I don't understand {tok!r}. {why}",
            word=tok,
            allowed="time, duration, timelapse, camera words",
            example=example,
        )
    kinds = _expected(tokens, i, month_first)
    close = _closest(low, kinds)
    if close and hints and now is not None:
        fixed = _safe_correction(
            tokens, i, close[0], close[1], now=now, tz=tz, month_first=month_first
        )
        if fixed is not None:
            hint, example = f" Did you mean {close[0]}?", fixed
    why = _WHY[kinds[0]] if len(kinds) == 1 or kinds == ("camera", "joiner") else _RECALL_WHY
    if kinds[:2] == ("day", "camera"):
        why = f"{_WHY['day']} {_WHY['camera']}"
    return ParseError(
        f"I don't understand {tok!r}.{hint} {why}",
        word=tok,
        allowed="time, duration, timelapse, camera words",
        example=example,
    )


def _unknown_snapshot_word(tokens: list[str], i: int) -> ParseError:
    tok = tokens[i]
    close = _closest(tok.lower(), ("camera",))
    hint = f" Did you mean {close[0]}?" if close else ""
    why = (
        "After the truck comes one camera word (front, driver, left, right or rear), or "
        "all for every camera."
    )
    if close:
        example = _fix("/snapshot", tokens, {i: [close[0]]})
    elif any(t.lower() in CAMERA_WORDS or t.lower() in ALL_WORDS for t in tokens[1:]):
        # One camera is already named, and a snapshot takes one: the word adds nothing to it.
        example = _fix("/snapshot", tokens, {i: []})
    else:
        example = ""
    return ParseError(
        f"I don't understand {tok!r}.{hint} {why}",
        word=tok,
        allowed="time, duration, timelapse, camera words",
        example=example,
    )


def parse_snapshot(text: str) -> SnapshotFields:
    tokens = _kind_word(tokenize(text, "/snapshot"))
    if not tokens:
        raise ParseError("Say which truck and which camera.", example=SNAPSHOT_EXAMPLES[0])
    _no_listing("/snapshot", tokens)
    fields = SnapshotFields(tokens=tokens)
    _target(tokens[0], 0, fields, "/snapshot")
    cameras: list[int] = []
    for j in range(1, len(tokens)):
        if tokens[j].lower().startswith("note:"):
            fields.note = " ".join([tokens[j][5:], *tokens[j + 1 :]]).strip() or None
            break
        if tokens[j].lower().startswith(("asset:", "vehicle:")):
            _target(tokens[j], j, fields, "/snapshot")
        elif tokens[j].lower() in CAMERA_WORDS:
            cameras.append(j)
        elif tokens[j].lower() in CAMERA_JOINERS and _is_camera(tokens, j - 1):
            continue  # "front and driver": two cameras, which a snapshot answers below
        elif tokens[j].lower() in ALL_WORDS:
            fields.all_cameras = True
            fields.words["position"] = tokens[j]
        elif fields.all_cameras and tokens[j].lower() in (*_CAMERA_NOUNS, "the"):
            continue  # "all cameras", "every camera"
        else:
            raise _unknown_word("/snapshot", tokens, j)
    if fields.all_cameras and cameras:
        named = " ".join(tokens[j] for j in cameras)
        raise ParseError(
            f"`all` takes a snapshot from every camera; you also named {named}. Say all, or "
            "one camera.",
            word=named,
            allowed="all, or one of front, driver, left, right, rear",
            example=_fix("/snapshot", tokens, {j: [] for j in cameras}),
        )
    if len(cameras) > 1:
        named = " ".join(tokens[j] for j in cameras)
        raise ParseError(
            f"A snapshot takes one camera; you named {len(cameras)}: {named}.",
            word=named,
            allowed="one of front, driver, left, right, rear",
            example=_fix(
                "/snapshot",
                tokens,
                {
                    j: []
                    for j in range(cameras[0] + 1, cameras[-1] + 1)
                    if j in cameras or tokens[j].lower() in CAMERA_JOINERS
                },
            ),
        )
    if cameras:
        word = tokens[cameras[0]]
        fields.words["position"] = word
        fields.spans["position"] = cameras
        fields.position = CAMERA_WORDS[word.lower()].value
    return fields


# --- a typed name against the fleet ----------------------------------------------------------


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
        example=_fix(command, fields.tokens, {at: [spelled[0]]}),
    )


def _target_word(kind: str, label: str) -> str:
    return label if kind == "vehicle" else f"asset:{label}"


# --- mapping a rule violation back to the words --------------------------------------------


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
    return _fix(command, tokens, changes)


def _short_word(position: CameraPosition) -> str:
    return next(w for w, p in CAMERA_WORDS.items() if p is position)


def _quote(token: str) -> str:
    if " " not in token:
        return token
    head, sep, tail = token.partition(":")
    return f'{head}:"{tail}"' if sep and head.lower() in ("asset", "vehicle") else f'"{token}"'
