"""The time words of the /recall grammar, and wall times as instants. Pure.

Lexers take the tokens at a position and say what they read and how many words it took; the
parser (`bot.slack.parsing`) decides what a phrase means and answers for what it cannot read.
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
_AMOUNT = re.compile(r"^(\d{1,6})([a-z]+)$")
_HM = re.compile(r"^(\d{1,3})h(\d{1,4})m?$")
_CLOCK = re.compile(r"^(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?(am|pm|a|p|a\.m\.|p\.m\.)?$")
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


def clock_time(token: str, next_token: str) -> tuple[time, int] | None:
    """A time of day, and how many words it took (`2:15 pm` is two)."""
    m = _CLOCK.match(token.lower())
    if not m:
        return None
    half = m.group(4)
    taken = 1
    if half is None and next_token.lower() in AMPM:
        half, taken = next_token.lower(), 2
    if m.group(2) is None and half is None:
        return None
    hour, minute, second = int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0)
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half.startswith("p") else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second), taken


def amount(tokens: list[str], i: int) -> tuple[float, int] | None:
    """`25m`, `1h30m`, `2 min`, `90 seconds`, `an hour`: seconds, and how many words it took."""
    low = tokens[i].lower()
    nxt = tokens[i + 1].lower() if i + 1 < len(tokens) else ""
    if m := _HM.match(low):
        return int(m.group(1)) * 3600 + int(m.group(2)) * 60, 1
    if (m := _AMOUNT.match(low)) and m.group(2) in UNITS:
        return int(m.group(1)) * UNITS[m.group(2)], 1
    if low.isdigit() and len(low) <= 6 and nxt in UNITS and len(nxt) > 1:
        return int(low) * UNITS[nxt], 2
    if low in ("a", "an", "one") and nxt in UNITS and len(nxt) > 1:
        return UNITS[nxt], 2
    return None


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
