"""The inline grammar of /recall and /snapshot: text in, fields out. Pure; no rule lives here.

What the fields must satisfy is `motive.rules`' business: this module only turns words into
values, and maps a rule violation back to the words that caused it, with a corrected command.

Times are read as a person means them and compared as instants: a wall time means its most recent
past occurrence in the user's zone (both occurrences are weighed when the clocks went back; the
anchor says which was taken), and a wall time the clocks skipped is refused, never shifted.
"""

from __future__ import annotations

import difflib
import re
import shlex
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.slack.timewords import (
    DAYS_BACK,
    MONTHS,
    WEEKDAYS,
    BadDate,
    When,
    amount,
    clock_time,
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
    from bot.slack.lookups import FleetUnit, Match

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
)
DURATION_EXAMPLES = ("2m", "2 min", "3 minutes", "120s", "1h")
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
            vehicle_number=self.vehicle_number, asset_name=self.asset_name, position=self.position
        )
        check_equipment(
            request.target, [request.position], unit.cameras if unit else None, snapshot=True
        )
        return request


ALL_WORDS = frozenset({"all", "every", "all_cameras", "everything"})


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


def tokenize(text: str) -> list[str]:
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
            example=RECALL_EXAMPLES[2],
        ) from None
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
            example=(RECALL_EXAMPLES if command == "/recall" else SNAPSHOT_EXAMPLES)[0],
        )
    key = "target" if "target" not in fields.spans else "target2"
    if key == "target2" and (fields.asset_name if kind == "asset" else fields.vehicle_number):
        # Two of one kind: the second would silently replace the first (the wrong truck).
        raise ParseError(
            f"You gave two {kind}s, {fields.words['target']} and {token}; give one.",
            word=token,
            allowed=f"one {kind}",
            example=_fix(command, fields.tokens, {index: []}),
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
    return ParseError(
        f"You gave two {what}s, {first} and {second}; give one.",
        word=second,
        allowed=f"one {what}",
        example=_fix("/recall", tokens, {j: [] for j in range(i, i + taken)}),
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
) -> RecallFields:
    """`tz` None means Slack could not say the user's zone: a wall time then needs a zone of its
    own, and `zone_unknown` says why it is missing."""
    tokens = tokenize(text)
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
                    example=RECALL_EXAMPLES[1],
                ) from None
            _guard_absolute(fields, when, tokens, i)
            if parsed.tzinfo is None:
                when.day, when.clock = parsed.date(), parsed.time()
                when.day_at, when.clock_at = [i], [i]
            else:
                when.aware, when.day_at, when.clock_at = parsed, [i], [i]
            i += 1
            continue
        try:
            day = day_words(tokens, i, month_first)
        except BadDate as e:
            raise ParseError(
                f"{e.word} is not a real date.",
                word=e.word,
                allowed="a date like 2026-11-20, 11/21 or Nov 21",
                example=RECALL_EXAMPLES[1],
            ) from None
        if day is not None:
            parsed_day, taken = day
            if when.has_day or when.ago is not None or when.now or when.aware:
                raise _twice("day", _first_when(fields, when), tokens, i, taken)
            when.day, when.month_day = parsed_day.day, parsed_day.month_day
            when.days_back, when.weekday = parsed_day.days_back, parsed_day.weekday
            when.day_at = list(range(i, i + taken))
            i += taken
            continue
        clock = clock_time(tok, nxt)
        if clock is not None:
            if when.clock_at or when.ago is not None or when.now or when.aware:
                raise _twice("time", _first_when(fields, when), tokens, i, clock[1])
            when.clock, taken = clock
            when.clock_at = list(range(i, i + taken))
            i += taken
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
        if low in CAMERA_WORDS:
            fields.camera_positions = [*(fields.camera_positions or []), CAMERA_WORDS[low]]
            fields.words.setdefault("camera_positions", tok)
            fields.words.setdefault(f"camera_positions:{CAMERA_WORDS[low].value}", tok)
            fields.spans.setdefault("camera_positions", []).append(i)
            i += 1
            continue
        if low in ("all", "all_cameras") or (low in _FILLERS and nxt):
            i += 1
            continue
        raise _unknown_word("/recall", tokens, i, zone_word=zone is not None)
    if fields.duration is None:
        fields.duration = DEFAULT_DURATION[fields.recall_type]
    _resolve(fields, when, now=now, tz=tz, zone_unknown=zone_unknown)
    return fields


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
            example=_fix("/recall", tokens, {len(tokens): ["20m", "ago"]}),
        )
    phrase = _span_at(tokens, at)
    fields.words["start_time"] = phrase
    fields.spans["start_time"] = at
    if when.aware is not None:
        fields.start_time = when.aware
        return
    if when.clock is None:
        last = at[-1]
        raise ParseError(
            f"After {phrase}, give the time of day, like {phrase} 14:05.",
            word=phrase,
            allowed="a day, then a time like 14:05 or 2:15pm",
            example=_fix("/recall", tokens, {last: [tokens[last], "14:05"]}),
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
            example=RECALL_EXAMPLES[0],
        ) from None


def _shift(when: datetime, by: timedelta, word: str) -> datetime:
    try:
        return when + by
    except OverflowError:
        raise ParseError(
            f"{word} is further back than any footage.",
            word=word,
            allowed="a few minutes to a few days ago",
            example=RECALL_EXAMPLES[2],
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
    chosen: datetime | None = None
    for day in days:
        wall = datetime.combine(day, when.clock)
        found = instants(wall, zone)
        if not found:
            skipped = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
            if named or skipped <= now:
                raise _skipped(fields, when, wall, zone)
            continue
        past = [t for t in found if t <= now]
        if past or named:
            chosen = max(past) if past else found[0]
            if len(found) == 2:
                fields.remarks.append(_which(fields, when, wall, zone, found, chosen))
            break
    if chosen is None:
        later = [t for day in days for t in instants(datetime.combine(day, when.clock), zone)]
        if not later:
            phrase = fields.words["start_time"]
            raise ParseError(
                f"{phrase} has not happened in the years I can look back on.",
                word=phrase,
                allowed="a date in the last few weeks",
                example=_fix("/recall", fields.tokens, {j: [] for j in fields.spans["start_time"]})
                + " 20m ago",
            )
        chosen = min(later)  # all still ahead: the rules will say it is in the future
    return chosen


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
    r"\d:\d\d|\d\s?(?:am|pm|a\.m\.|p\.m\.)(?:\W|$)|\bago\b|\d[/.]\d|\d{4}-\d", re.I
)
_BARE_CLOCK = re.compile(r"\b(1[0-2]|[1-9]):[0-5]\d\b(?!\s*(?:am|pm|a\.m|p\.m|a\b|p\b))", re.I)
_UNIT_NAME = re.compile(r"[A-Za-z0-9][\w-]*")


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
    for i in range(len(words)):
        for k in (4, 3, 2, 1):
            phrase = " ".join(words[i : i + k])
            if len(words[i : i + k]) < k or not _TIME_LIKE.search(phrase):
                continue
            found = _when_in(phrase, now=now, tz=tz, month_first=month_first)
            if found is not None:
                return Mention(names, found, phrase)
    return Mention(names, None)


def _when_in(phrase: str, *, now: datetime, tz: ZoneInfo, month_first: bool) -> datetime | None:
    readings = [phrase]
    if _BARE_CLOCK.search(phrase):
        readings.append(_BARE_CLOCK.sub(lambda m: m.group(0) + "pm", phrase, count=1))
    starts: list[datetime] = []
    for reading in readings:
        try:
            fields = parse_recall(f"_ {reading}", now=now, tz=tz, month_first=month_first)
        except ParseError:
            continue
        if set(fields.words) - {"target", "start_time"} or fields.start_time is None:
            continue
        starts.append(fields.start_time)
    past = [s for s in starts if s <= now]
    return max(past) if past else None


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


_VOCABULARY = [
    *CAMERA_WORDS,
    *TYPE_WORDS,
    *DAYS_BACK,
    *WEEKDAYS,
    *MONTHS,
    "ago",
    "now",
    "min",
    "mins",
    "minutes",
]


def _unknown_word(
    command: str, tokens: list[str], i: int, *, zone_word: bool = False
) -> ParseError:
    tok = tokens[i]
    vocabulary = _VOCABULARY if command == "/recall" else list(CAMERA_WORDS)
    close = difflib.get_close_matches(tok.lower(), vocabulary, n=1, cutoff=0.6)
    hint = f" Did you mean {close[0]}?" if close else ""
    if zone_word:
        why = "A time zone goes right after a time of day, like 14:05 UTC."
    elif command == "/recall":
        why = (
            "After the truck come a time, a duration like 2m, timelapse, and camera words "
            "(front, driver, narrow, left, right, rear)."
        )
    else:
        why = (
            "After the truck comes one camera word (front, driver, left, right or rear), or "
            "all for every camera."
        )
    example = _fix(command, tokens, {i: [close[0]] if close else []})
    if len(tokens) <= 2 and not close:
        default = (RECALL_EXAMPLES if command == "/recall" else SNAPSHOT_EXAMPLES)[0].split()
        example = _fix(command, [tokens[0], *default[2:]], {})
    return ParseError(
        f"I don't understand {tok!r}.{hint} {why}",
        word=tok,
        allowed="time, duration, timelapse, camera words",
        example=example,
    )


def parse_snapshot(text: str) -> SnapshotFields:
    tokens = tokenize(text)
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
        elif tokens[j].lower() in ALL_WORDS:
            fields.all_cameras = True
            fields.words["position"] = tokens[j]
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
            example=_fix("/snapshot", tokens, {j: [] for j in cameras[1:]}),
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
) -> str:
    """The user's own command with the offending words replaced by ones that would work."""
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
            put("start_time", ["30m", "ago"])
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
            if "target2" in spans:
                changes[spans["target2"][0]] = []
            else:
                return RECALL_EXAMPLES[0]
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
            if "target2" in spans:
                changes[spans["target2"][0]] = []
            else:
                return SNAPSHOT_EXAMPLES[0]
    return _fix(command, tokens, changes)


def _short_word(position: CameraPosition) -> str:
    return next(w for w, p in CAMERA_WORDS.items() if p is position)


def _quote(token: str) -> str:
    if " " not in token:
        return token
    head, sep, tail = token.partition(":")
    return f'{head}:"{tail}"' if sep and head.lower() in ("asset", "vehicle") else f'"{token}"'
