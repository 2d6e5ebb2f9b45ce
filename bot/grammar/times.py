"""The time words of /recall: lexers for clocks, days, lengths and zones, and a When resolved to
an instant in the user's zone. Pure.

Lexers take the tokens at a position and say what they read and how many words it took; the
parser (`bot.grammar.recall`) decides what a phrase means and answers for what it cannot read.
The words themselves are the tables of `bot.grammar.words`.

Times are read as a person means them and compared as instants: a wall time means its most recent
past occurrence in the user's zone (both occurrences are weighed when the clocks went back; the
anchor says which was taken), and a wall time the clocks skipped is refused, never shifted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.grammar.tokens import ParseError, fix, span, span_at
from bot.grammar.words import (
    AMPM,
    DAY_PART_NAMES,
    DAYS_BACK,
    FILLERS,
    FUTURE_WORDS,
    LENGTH_SECONDS,
    MONTH_NAMES,
    NAMED_TIMES,
    NUMBER_WORDS,
    PART_WORDS,
    UNIT_SECONDS,
    WEEKDAY_NAMES,
    WHEN_EXAMPLES,
    ZONE_HOURS,
)

if TYPE_CHECKING:
    from bot.grammar.recall import RecallFields


class BadDate(ValueError):
    """Words that look like a date but name none (Feb 30)."""

    def __init__(self, word: str) -> None:
        super().__init__(word)
        self.word = word


_AMOUNT = re.compile(r"^(\d{1,6}(?:\.\d{1,3})?)([a-z]+)$")
_DECIMAL = re.compile(r"^\d{1,6}(?:\.\d{1,3})?$")
_HM = re.compile(r"^(\d{1,3})h(\d{1,4})m?$")
_CLOCK = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?(?::(\d{2}))?(am|pm|a|p|a\.m\.|p\.m\.)?$")
_HHMM = re.compile(r"^([01]\d|2[0-3])([0-5]\d)$")
# "14.05" alone is a time of day; "21.11 14:05" is a date, then the time.
DOTTED_CLOCK = re.compile(r"^([01]?\d|2[0-3])\.[0-5]\d$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_NUM_DATE = re.compile(r"^(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2}|\d{4}))?$")
_DAY_NUMBER = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?$")
_OFFSET = re.compile(r"^(?:utc|gmt)?([+-])(\d{1,2})(?::?(\d{2}))?$")


@dataclass
class When:
    """The time words of a command, before they are resolved to an instant."""

    day: date | None = None
    month_day: tuple[int, int] | None = None
    days_back: int | None = None
    weekday: int | None = None
    clock: time | None = None
    # The clock was written without am/pm on the 12-hour dial (2:15): it means the latest of its
    # two readings that has passed (within the day and part of the day, if one is named).
    twelve: bool = False
    part: str | None = None  # "am", "pm" or "night", from a part of the day
    zone: tzinfo | None = None
    ago: timedelta | None = None
    now: bool = False
    aware: datetime | None = None
    day_at: list[int] = field(default_factory=list)
    clock_at: list[int] = field(default_factory=list)
    zone_at: list[int] = field(default_factory=list)

    @property
    def has_day(self) -> bool:
        return bool(self.day_at)

    @property
    def is_set(self) -> bool:
        return bool(self.day_at or self.clock_at or self.zone_at)


@dataclass(frozen=True)
class Clock:
    """A time of day as written: the time, how many words it took, and whether it was written
    on the 12-hour dial without am/pm (so it may be either half of the day)."""

    time: time
    taken: int
    twelve: bool = False


def clock_time(token: str, next_token: str, *, bare: bool = False) -> Clock | None:
    """A time of day: `14:05`, `2:15 pm`, `1405`, `14.05`, `noon`. `bare`: a lone hour (`3`) is a
    time too (after `at`, or a day)."""
    low = token.lower()
    if low in NAMED_TIMES:
        return Clock(NAMED_TIMES[low], 1)
    if m := _HHMM.match(low):
        return Clock(time(int(m.group(1)), int(m.group(2))), 1)
    m = _CLOCK.match(low)
    if not m:
        return None
    half = m.group(4)
    taken = 1
    if half is None and next_token.lower() in AMPM:
        half, taken = next_token.lower(), 2
    if m.group(2) is None and half is None and not bare:
        return None
    hour, minute, second = int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0)
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half.startswith("p") else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    # "09:30" and "21:30" say which half; "9:30" and "12:30" do not.
    twelve = not half and 1 <= hour <= 12 and not m.group(1).startswith("0")
    return Clock(time(hour, minute, second), taken, twelve)


def by_first_word(phrases: list[str]) -> dict[str, list[tuple[str, ...]]]:
    """Phrases by their first word, longest first: a word is looked up once, not per phrase.
    (Called while this module is imported; a test calls it too, where a mutant can be seen.)"""
    index: dict[str, list[tuple[str, ...]]] = {}
    for phrase in sorted(phrases, key=lambda p: -len(p.split())):
        words = tuple(phrase.split())
        index.setdefault(words[0], []).append(words)
    return index


_LENGTH_INDEX = by_first_word(list(LENGTH_SECONDS))
_PART_INDEX = by_first_word(list(DAY_PART_NAMES))


def _phrase_at(
    index: dict[str, list[tuple[str, ...]]], tokens: list[str], i: int
) -> tuple[str, int] | None:
    for words in index.get(tokens[i].lower(), ()):
        if tuple(t.lower() for t in tokens[i : i + len(words)]) == words:
            return " ".join(words), len(words)
    return None


def length_phrase(tokens: list[str], i: int) -> tuple[int, int] | None:
    """A length said as a phrase ("half an hour"): seconds, and how many words it took."""
    found = _phrase_at(_LENGTH_INDEX, tokens, i)
    return (LENGTH_SECONDS[found[0]], found[1]) if found else None


def day_part(tokens: list[str], i: int) -> tuple[str, int] | None:
    """A part of the day ("this morning", "tonight"): its name, and how many words it took."""
    return _phrase_at(_PART_INDEX, tokens, i)


def amount(tokens: list[str], i: int) -> tuple[float, int] | None:
    """`25m`, `1h30m`, `2 min`, `1.5 min`, `90 seconds`, `an hour`, `ten minutes`, `half an
    hour`: seconds, and how many words it took."""
    low = tokens[i].lower()
    nxt = tokens[i + 1].lower() if i + 1 < len(tokens) else ""
    if phrase := length_phrase(tokens, i):
        return phrase
    if m := _HM.match(low):
        return int(m.group(1)) * 3600 + int(m.group(2)) * 60, 1
    if (m := _AMOUNT.match(low)) and m.group(2) in UNIT_SECONDS:
        return _whole(float(m.group(1)) * UNIT_SECONDS[m.group(2)]), 1
    if _DECIMAL.match(low) and nxt in UNIT_SECONDS and len(nxt) > 1:
        return _whole(float(low) * UNIT_SECONDS[nxt]), 2
    if low in NUMBER_WORDS and nxt in UNIT_SECONDS and len(nxt) > 1:
        return NUMBER_WORDS[low] * UNIT_SECONDS[nxt], 2
    return None


def _whole(seconds: float) -> float:
    return int(seconds) if seconds.is_integer() else seconds


def zone_word(token: str) -> tzinfo | None:
    low = token.lower()
    if low in ZONE_HOURS:
        return timezone(timedelta(hours=ZONE_HOURS[low]))
    if m := _OFFSET.match(low):
        hours, minutes = int(m.group(2)), int(m.group(3) or 0)
        if hours > 14 or minutes > 59:
            return None
        sign = -1 if m.group(1) == "-" else 1
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    if "/" in token and re.fullmatch(r"[A-Za-z_]+(?:/[A-Za-z0-9_+-]+)+", token):
        try:
            return ZoneInfo(token)
        except (KeyError, ValueError, OSError):
            return None
    return None


def day_words(tokens: list[str], i: int, month_first: bool) -> tuple[When, int] | None:
    """A day: `2026-11-20`, `11/21`, `21.11.2026`, `Nov 21`, `21 Nov 2026`, `yesterday`, `Sat`."""
    low = tokens[i].lower()
    nxt = tokens[i + 1].lower() if i + 1 < len(tokens) else ""
    w = When()
    if m := _ISO_DATE.match(low):
        w.day = real_date(int(m.group(1)), int(m.group(2)), int(m.group(3)), tokens[i])
        return w, 1
    if m := _NUM_DATE.match(low):
        a, b = int(m.group(1)), int(m.group(2))
        month, day = (a, b) if month_first else (b, a)
        if month > 12 >= day:  # "21/11" in a month-first locale can only mean one thing
            month, day = day, month
        if m.group(3):
            year = int(m.group(3)) + (2000 if len(m.group(3)) == 2 else 0)
            w.day = real_date(year, month, day, tokens[i])
        else:
            real_date(2000, month, day, tokens[i])  # 2000 was a leap year: Feb 29 is real
            w.month_day = (month, day)
        return w, 1
    if low in DAYS_BACK:
        w.days_back = DAYS_BACK[low]
        return w, 1
    if low in WEEKDAY_NAMES:
        w.weekday = WEEKDAY_NAMES[low]
        return w, 1
    month = MONTH_NAMES.get(low, 0)
    if month and (d := _DAY_NUMBER.match(nxt)):
        day, taken = int(d.group(1)), 2
    elif (d := _DAY_NUMBER.match(low)) and nxt in MONTH_NAMES:
        month, day, taken = MONTH_NAMES[nxt], int(d.group(1)), 2
    else:
        return None
    year_word = tokens[i + taken].lower() if i + taken < len(tokens) else ""
    if re.fullmatch(r"\d{4}", year_word):
        w.day = real_date(int(year_word), month, day, " ".join(tokens[i : i + 3]))
        return w, 3
    real_date(2000, month, day, " ".join(tokens[i : i + 2]))
    w.month_day = (month, day)
    return w, taken


def real_date(year: int, month: int, day: int, word: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise BadDate(word) from None


def instants(wall: datetime, zone: tzinfo) -> list[datetime]:
    """Every instant at which the clocks of `zone` showed `wall`: none (the spring gap), one, or
    two (the autumn overlap), earliest first."""
    out: list[datetime] = []
    for fold in (0, 1):
        instant = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        if instant.astimezone(zone).replace(tzinfo=None) == wall and instant not in out:
            out.append(instant)
    return sorted(out)


def maybe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def zone_name(zone: tzinfo) -> str:
    """A zone as people name it: a ZoneInfo prints as its key (America/Chicago), an offset as
    UTC-06:00."""
    return str(zone)


def hours_text(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return "an hour" if minutes == 60 else f"{minutes} minutes"


# --- words the parser asks about a time ----------------------------------------------------


def read_day(tokens: list[str], i: int, month_first: bool) -> tuple[When, int] | None:
    try:
        return day_words(tokens, i, month_first)
    except BadDate as e:
        raise ParseError(
            f"{e.word} is not a real date.",
            word=e.word,
            allowed="a date like 2026-11-20, 11/21 or Nov 21",
            # No command: a stand-in date would be other footage.
        ) from None


def starts_time(tokens: list[str], j: int, month_first: bool) -> bool:
    """Whether the words at `j` begin a time (what a filler like `at` must be followed by)."""
    if j >= len(tokens):
        return False
    low = tokens[j].lower()
    nxt = tokens[j + 1] if j + 1 < len(tokens) else ""
    if low in FILLERS or low in ("now", "just", "right") or low in PART_WORDS:
        return True
    if amount(tokens, j) or day_part(tokens, j) or clock_time(tokens[j], nxt, bare=True):
        return True
    if "t" in low and low[:4].isdigit():
        return True
    try:
        return day_words(tokens, j, month_first) is not None
    except BadDate:
        return True


def refuse_future(tokens: list[str], i: int) -> None:
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
    said = span(tokens, i, taken)
    raise ParseError(
        f"Recalls are for the past: {said} is still ahead, and there is no footage of it yet. "
        "Say when it happened, like 10 min ago or 14:05, or take a /snapshot for now.",
        word=said,
        allowed="a time that has passed",
    )


# --- a When to an instant ---------------------------------------------------------------------


def resolve(
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
    phrase = span_at(tokens, at)
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
        clock_word = span_at(tokens, when.clock_at)
        raise ParseError(
            f"{zone_unknown}, so I will not guess what {clock_word} means. Add a zone after the "
            "time (UTC, an offset like -06:00, or a name like America/Chicago), or say how long "
            "ago it was, like 25m ago.",
            word=clock_word,
            allowed="a time with a zone, or a relative time",
            example=fix("/recall", tokens, {when.clock_at[-1]: [tokens[when.clock_at[-1]], "UTC"]}),
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
        clock_word = span_at(fields.tokens, when.clock_at)
        part = span_at(fields.tokens, when.day_at)
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
    clock_word = span_at(fields.tokens, when.clock_at)
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
    clock_word = span_at(fields.tokens, when.clock_at)
    order = "first" if chosen == both[0] else "second"
    local = chosen.astimezone(zone)
    return (
        f"{clock_word} happened twice on {wall:%a} {wall.day} {wall:%b} (the clocks went back); "
        f"this is the {order}, {local:%H:%M %Z} ({chosen:%H:%M} UTC)"
    )


def _skipped(fields: RecallFields, when: When, wall: datetime, zone: tzinfo) -> ParseError:
    tokens = fields.tokens
    clock_word = span_at(tokens, when.clock_at)
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
        example=fix("/recall", tokens, changes),
    )
