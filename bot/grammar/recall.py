"""/recall's words to a recall's fields: the truck, the moment, the length, the type, the cameras
and a note. Pure; no rule lives here.

What the fields must satisfy is `motive.rules`' business: this module only turns words into
values (the time words through `bot.grammar.times`), and a word it cannot read is answered by
`bot.grammar.hints`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.grammar.hints import Check, dangling, unknown_word
from bot.grammar.times import (
    DOTTED_CLOCK,
    When,
    amount,
    clock_time,
    day_part,
    read_day,
    refuse_future,
    resolve,
    starts_time,
    zone_word,
)
from bot.grammar.tokens import (
    ParseError,
    camera_words,
    every_camera,
    fix,
    is_camera,
    kind_word,
    no_listing,
    one_target,
    read_target,
    span,
    span_at,
    tokenize,
)
from bot.grammar.words import (
    CAMERA_JOINERS,
    CLOCK_LEADS,
    DAY_PART_NAMES,
    DEFAULT_DURATION,
    FILLERS,
    PART_WORDS,
    RECALL_EXAMPLES,
    TIME_FILLERS,
    TYPE_WORDS,
)
from motive.rules import CameraPosition, RecallRequest, RecallType, check_equipment, validate_recall

if TYPE_CHECKING:
    from bot.access.fleet import FleetUnit


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
        return one_target(self.vehicle_number, self.asset_name)

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


def _twice(what: str, first: str, tokens: list[str], i: int, taken: int) -> ParseError:
    second = span(tokens, i, taken)
    # Two moments: either may be the one meant, so no command is offered (keeping one would ask
    # for footage the other word did not say). Of two lengths the first is kept: the moment,
    # the unit and the cameras are the same either way.
    example = fix("/recall", tokens, {j: [] for j in range(i, i + taken)})
    return ParseError(
        f"You gave two {what}s, {first} and {second}; give one.",
        word=second,
        allowed=f"one {what}",
        example=example if what == "duration" else "",
    )


def _first_when(fields: RecallFields, when: When) -> str:
    # A date and time in one word is both the day and the clock: name it once.
    at = list(dict.fromkeys(when.day_at + when.clock_at))
    return span_at(fields.tokens, at) or fields.words.get("start_time", "")


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
    tokens = kind_word(tokenize(text))
    if not tokens:
        raise ParseError("Say which truck and when.", example=RECALL_EXAMPLES[0])
    no_listing("/recall", tokens)
    fields = RecallFields(tokens=tokens)
    read_target(tokens[0], 0, fields)

    def check() -> Check | None:
        """How a refusal's hint asks whether other words parse (None: no hints wanted)."""
        return _checker(now, tz, month_first) if hints else None

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
            read_target(tok, i, fields)
            i += 1
            continue
        refuse_future(tokens, i)
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
            fields.words["duration"] = span(tokens, i, taken)
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
            when.days_back, when.part = DAY_PART_NAMES[name]
            when.day_at = list(range(i, i + taken))
            i += taken
            continue
        if low in PART_WORDS and when.day_at and i - 1 == when.day_at[-1] and not when.part:
            when.part = PART_WORDS[low]  # "Sat morning", "yesterday night"
            when.day_at.append(i)
            i += 1
            continue
        # "14.05" alone is a time of day; "21.11 14:05" is a date, then the time.
        dotted = DOTTED_CLOCK.match(low) and clock_time(nxt, "") is None
        day = None if dotted else read_day(tokens, i, month_first)
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
        bare = i > 1 and (tokens[i - 1].lower() in CLOCK_LEADS or (i - 1) in when.day_at)
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
        cameras = camera_words(low)
        if cameras:
            for position in cameras:
                _add_camera(fields, position, tok, i)
            i += 1
            continue
        if low in CAMERA_JOINERS and is_camera(tokens, i - 1) and is_camera(tokens, i + 1):
            i += 1  # "front and driver"
            continue
        every = every_camera(tokens, i)
        if every:
            i += every
            continue
        if low in FILLERS and nxt:
            if low in TIME_FILLERS and not starts_time(tokens, i + 1, month_first):
                raise dangling(tokens, i, check=check(), tz=tz, month_first=month_first)
            i += 1
            continue
        if low in FILLERS or low in CAMERA_JOINERS:
            raise dangling(tokens, i, check=check(), tz=tz, month_first=month_first)
        raise unknown_word(
            tokens, i, zone_word=zone is not None, check=check(), tz=tz, month_first=month_first
        )
    if fields.duration is None:
        fields.duration = DEFAULT_DURATION[fields.recall_type]
    resolve(fields, when, now=now, tz=tz, zone_unknown=zone_unknown)
    return fields


def _add_camera(fields: RecallFields, position: CameraPosition, tok: str, i: int) -> None:
    if fields.camera_positions is None:
        fields.camera_positions = []
    fields.camera_positions.append(position)
    fields.words.setdefault("camera_positions", tok)
    fields.words.setdefault(f"camera_positions:{position.value}", tok)
    spans = fields.spans.setdefault("camera_positions", [])
    if not spans or spans[-1] != i:  # one word may name several cameras ("front,driver")
        spans.append(i)


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
    fields.words["start_time"] = span(tokens, i, taken)
    fields.spans["start_time"] = list(range(i, i + taken))


def _guard_absolute(fields: RecallFields, when: When, tokens: list[str], i: int) -> None:
    if when.is_set or when.ago is not None or when.now:
        raise _twice("start time", _first_when(fields, when), tokens, i, 1)


def parse_when(text: str, *, now: datetime, tz: ZoneInfo) -> datetime:
    """Just the time words of the grammar (for the console's date-and-time field)."""
    fields = parse_recall(f"_ {text}", now=now, tz=tz)
    assert fields.start_time is not None
    if set(fields.words) - {"target", "start_time"}:
        raise ParseError(
            f"{text!r} is not a time; write 14:05, 2026-11-20 14:05 or 20m ago.", word=text
        )
    return fields.start_time


def _checker(now: datetime, tz: ZoneInfo | None, month_first: bool) -> Check:
    """How a hint asks whether other words parse, and to what (never with hints of its own, so
    that checking never recurses)."""

    def check(words: list[str]) -> RecallFields | ParseError:
        try:
            return parse_recall(
                fix("", words, {}).strip(), now=now, tz=tz, month_first=month_first, hints=False
            )
        except ParseError as e:
            return e

    return check
