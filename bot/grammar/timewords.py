"""The time words of the /recall grammar, and wall times as instants. Pure.

Lexers take the tokens at a position and say what they read and how many words it took; the
parser (`bot.grammar.parsing`) decides what a phrase means and answers for what it cannot read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo


class BadDate(ValueError):
    """Words that look like a date but name none (Feb 30)."""

    def __init__(self, word: str) -> None:
        super().__init__(word)
        self.word = word


MONTHS = {
    name: i
    for i, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
WEEKDAYS = {
    name: i
    for i, names in enumerate(
        (
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "weds", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        )
    )
    for name in names
}
DAYS_BACK = {"today": 0, "yesterday": 1}
# Fixed-offset abbreviations a dispatcher may write after a time (hours east of UTC). `CDT` names
# one of the two 01:30s of the autumn change on its own.
_ZONE_WORDS = {
    "utc": 0,
    "gmt": 0,
    "z": 0,
    "est": -5,
    "edt": -4,
    "cst": -6,
    "cdt": -5,
    "mst": -7,
    "mdt": -6,
    "pst": -8,
    "pdt": -7,
    "akst": -9,
    "akdt": -8,
    "hst": -10,
    "bst": 1,
    "cet": 1,
    "cest": 2,
    "eet": 2,
    "eest": 3,
}
UNITS = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600),
}
# Numbers said as words before a unit ("ten minutes ago").
NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "forty-five": 45,
    "fifty": 50,
    "sixty": 60,
    "ninety": 90,
}
# Lengths said as phrases, in seconds: read wherever a length may stand (a duration, or before
# `ago`). Longest first, so "an hour and a half" is not read as "an hour".
LENGTH_PHRASES: tuple[tuple[str, int], ...] = tuple(
    sorted(
        (
            ("half an hour", 1800),
            ("half hour", 1800),
            ("a half hour", 1800),
            ("half a minute", 30),
            ("quarter of an hour", 900),
            ("a quarter of an hour", 900),
            ("quarter hour", 900),
            ("a quarter hour", 900),
            ("an hour and a half", 5400),
            ("one and a half hours", 5400),
            ("an hour and a quarter", 4500),
            ("a minute and a half", 90),
            ("a couple of minutes", 120),
            ("a couple minutes", 120),
            ("a few minutes", 180),
        ),
        key=lambda row: -len(row[0].split()),
    )
)
# Times of day said as words: a clock on the 24-hour dial, never ambiguous.
NAMED_TIMES = {"noon": time(12), "midday": time(12), "midnight": time(0)}
# Parts of the day, each: which day (days back from today) and which half of the dial a clock
# without am/pm is read on ("am", "pm", or "night": evening hours yesterday, small hours today).
DAY_PARTS: dict[str, tuple[int, str]] = {
    "this morning": (0, "am"),
    "this afternoon": (0, "pm"),
    "this evening": (0, "pm"),
    "tonight": (0, "pm"),
    "last night": (1, "night"),
    "yesterday morning": (1, "am"),
    "yesterday afternoon": (1, "pm"),
    "yesterday evening": (1, "pm"),
}
# Words that say the moment is ahead: recalls are for the past.
FUTURE_WORDS = frozenset({"tomorrow", "later", "upcoming", "next"})
_AMOUNT = re.compile(r"^(\d{1,6}(?:\.\d{1,3})?)([a-z]+)$")
_DECIMAL = re.compile(r"^\d{1,6}(?:\.\d{1,3})?$")
_HM = re.compile(r"^(\d{1,3})h(\d{1,4})m?$")
_CLOCK = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?(?::(\d{2}))?(am|pm|a|p|a\.m\.|p\.m\.)?$")
_HHMM = re.compile(r"^([01]\d|2[0-3])([0-5]\d)$")
AMPM = {"am": "am", "a.m.": "am", "pm": "pm", "p.m.": "pm"}
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


def _by_first_word(phrases: list[str]) -> dict[str, list[tuple[str, ...]]]:
    """Phrases by their first word, longest first: a word is looked up once, not per phrase."""
    index: dict[str, list[tuple[str, ...]]] = {}
    for phrase in sorted(phrases, key=lambda p: -len(p.split())):
        words = tuple(phrase.split())
        index.setdefault(words[0], []).append(words)
    return index


_LENGTHS = dict(LENGTH_PHRASES)
_LENGTH_INDEX = _by_first_word(list(_LENGTHS))
_PART_INDEX = _by_first_word(list(DAY_PARTS))


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
    return (_LENGTHS[found[0]], found[1]) if found else None


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
    if (m := _AMOUNT.match(low)) and m.group(2) in UNITS:
        return _whole(float(m.group(1)) * UNITS[m.group(2)]), 1
    if _DECIMAL.match(low) and nxt in UNITS and len(nxt) > 1:
        return _whole(float(low) * UNITS[nxt]), 2
    if low in NUMBER_WORDS and nxt in UNITS and len(nxt) > 1:
        return NUMBER_WORDS[low] * UNITS[nxt], 2
    return None


def _whole(seconds: float) -> float:
    return int(seconds) if seconds.is_integer() else seconds


def zone_word(token: str) -> tzinfo | None:
    low = token.lower()
    if low in _ZONE_WORDS:
        return timezone(timedelta(hours=_ZONE_WORDS[low]))
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
    if low in WEEKDAYS:
        w.weekday = WEEKDAYS[low]
        return w, 1
    month = MONTHS.get(low, 0)
    if month and (d := _DAY_NUMBER.match(nxt)):
        day, taken = int(d.group(1)), 2
    elif (d := _DAY_NUMBER.match(low)) and nxt in MONTHS:
        month, day, taken = MONTHS[nxt], int(d.group(1)), 2
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
    return str(getattr(zone, "key", None) or zone)


def hours_text(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return "an hour" if minutes == 60 else f"{minutes} minutes"
