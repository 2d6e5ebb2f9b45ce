"""Issue 24: the phrasings dispatchers say, one row each (what is typed, when, in which zone, and
the recall it must become), and hints that never ask for other footage: a property test over
generated refusals and a seeded run over 10,000 misspellings.

Every row is read by the parser here; the rows inside the simulator's 30 hours of footage also
go through the running stack (tests/grammar/test_spoken_stack.py), where the create Motive receives
is compared with the row."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.grammar.corrections import corrected_example
from bot.grammar.recall import RecallFields, parse_recall
from bot.grammar.tokens import ParseError
from motive.rules import RuleViolation

CHICAGO = ZoneInfo("America/Chicago")
LONDON = ZoneInfo("Europe/London")
UTC_ZONE = ZoneInfo("UTC")
AFTERNOON = datetime(2026, 11, 21, 20, 30, tzinfo=UTC)  # Saturday 14:30 in Chicago
EVENING = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)  # Saturday 21:00 in Chicago
MORNING = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)  # Saturday 09:00 in Chicago

F, D, N, L, R, B = (
    "front_facing",
    "driver_facing",
    "front_narrow_facing",
    "side_left",
    "side_right",
    "rear",
)


@dataclass(frozen=True)
class Row:
    text: str
    start: str  # local wall time in `zone`, "YYYY-MM-DD HH:MM" or with seconds
    minutes: float = 1
    cameras: tuple[str, ...] | None = None
    now: datetime = AFTERNOON
    zone: ZoneInfo = CHICAGO
    unit: tuple[str, str] = ("vehicle", "TRK-102")


SPOKEN: list[Row] = [
    # named times
    Row("TRK-102 noon", "2026-11-21 12:00"),
    Row("TRK-102 at noon", "2026-11-21 12:00"),
    Row("TRK-102 midday 2m", "2026-11-21 12:00", 2),
    Row("TRK-102 midnight", "2026-11-21 00:00"),
    Row("TRK-102 yesterday noon", "2026-11-20 12:00"),
    Row("TRK-102 yesterday at noon", "2026-11-20 12:00"),
    Row("TRK-102 noon today", "2026-11-21 12:00"),
    Row("TRK-102 midnight last night", "2026-11-21 00:00"),
    Row("TRK-102 around noon for 3 min", "2026-11-21 12:00", 3),
    Row(
        "TRK-102 noon",
        "2026-11-21 12:00",
        zone=LONDON,
        now=datetime(2026, 11, 21, 13, 0, tzinfo=UTC),
    ),
    # parts of the day
    Row("TRK-102 this morning 9", "2026-11-21 09:00"),
    Row("TRK-102 this morning 9:30", "2026-11-21 09:30"),
    Row("TRK-102 this morning at 7:45", "2026-11-21 07:45"),
    Row("TRK-102 this morning 9am", "2026-11-21 09:00"),
    Row("TRK-102 this afternoon 1", "2026-11-21 13:00"),
    Row("TRK-102 this afternoon 2:15", "2026-11-21 14:15"),
    Row("TRK-102 this evening 7", "2026-11-21 19:00", now=EVENING),
    Row("TRK-102 tonight 8:30", "2026-11-21 20:30", now=EVENING),
    Row("TRK-102 last night 11pm", "2026-11-20 23:00"),
    Row("TRK-102 last night 11", "2026-11-20 23:00"),
    Row("TRK-102 last night at 10:15", "2026-11-20 22:15"),
    Row("TRK-102 last night 2am", "2026-11-21 02:00"),
    Row("TRK-102 last night 1:30", "2026-11-21 01:30"),
    Row("TRK-102 11pm last night", "2026-11-20 23:00"),
    Row("TRK-102 last night 11pm", "2026-11-20 23:00", zone=UTC_ZONE),
    Row("TRK-102 yesterday morning 8", "2026-11-20 08:00"),
    Row("TRK-102 yesterday afternoon 4", "2026-11-20 16:00"),
    Row("TRK-102 yesterday evening 7:30", "2026-11-20 19:30"),
    Row("TRK-102 Sat morning 8", "2026-11-21 08:00"),
    Row("TRK-102 Fri night 9", "2026-11-20 21:00"),
    # lengths said in words, before ago and as a duration
    Row("TRK-102 half an hour ago", "2026-11-21 14:00"),
    Row("TRK-102 half hour ago", "2026-11-21 14:00"),
    Row("TRK-102 a half hour ago", "2026-11-21 14:00"),
    Row("TRK-102 quarter of an hour ago", "2026-11-21 14:15"),
    Row("TRK-102 a quarter of an hour ago", "2026-11-21 14:15"),
    Row("TRK-102 quarter hour ago", "2026-11-21 14:15"),
    Row("TRK-102 an hour and a half ago", "2026-11-21 13:00"),
    Row("TRK-102 1.5 hours ago", "2026-11-21 13:00"),
    Row("TRK-102 1.5h ago", "2026-11-21 13:00"),
    Row("TRK-102 ten minutes ago", "2026-11-21 14:20"),
    Row("TRK-102 five min ago 2m", "2026-11-21 14:25", 2),
    Row("TRK-102 a minute and a half ago", "2026-11-21 14:28:30"),
    Row("TRK-102 14:05 two minutes", "2026-11-21 14:05", 2),
    Row("TRK-102 14:05 for three minutes", "2026-11-21 14:05", 3),
    Row("TRK-102 noon timelapse half an hour", "2026-11-21 12:00", 30),
    Row("TRK-102 noon timelapse quarter of an hour", "2026-11-21 12:00", 15),
    Row(
        'asset:"Reefer 12" 3pm yesterday timelapse an hour',
        "2026-11-20 15:00",
        60,
        unit=("asset", "Reefer 12"),
    ),
    # a 12-hour time without am/pm: the latest of the two that has passed
    Row("TRK-102 2:15", "2026-11-21 14:15"),
    Row("TRK-102 2:45", "2026-11-21 02:45"),
    Row("TRK-102 2:15 front", "2026-11-21 14:15", cameras=(F,), now=EVENING),
    Row("TRK-102 9:30", "2026-11-21 09:30", now=EVENING),
    Row("TRK-102 9:30", "2026-11-20 21:30", now=MORNING),
    Row("TRK-102 8:30", "2026-11-21 08:30", now=MORNING),
    Row("TRK-102 at 3", "2026-11-21 15:00", now=EVENING),
    Row("TRK-102 at 11", "2026-11-21 11:00"),
    Row("TRK-102 yesterday at 3", "2026-11-20 15:00"),
    Row("TRK-102 yesterday 3", "2026-11-20 15:00"),
    Row("TRK-102 12:30", "2026-11-21 12:30"),
    Row("TRK-102 at 12", "2026-11-21 12:00"),
    Row("TRK-102 2:15pm", "2026-11-21 14:15"),
    Row("TRK-102 02:15", "2026-11-21 02:15", now=EVENING),
    # clocks written without a colon
    Row("TRK-102 1405", "2026-11-21 14:05"),
    Row("TRK-102 0930", "2026-11-21 09:30"),
    Row("TRK-102 14.05", "2026-11-21 14:05"),
    Row("TRK-102 9.15", "2026-11-21 09:15"),
    Row("TRK-102 yesterday 1405", "2026-11-20 14:05"),
    # camera words joined as people join them
    Row("TRK-102 front and driver 14:05", "2026-11-21 14:05", cameras=(F, D)),
    Row("TRK-102 14:05 front and driver", "2026-11-21 14:05", cameras=(F, D)),
    Row("TRK-102 14:05 front, driver", "2026-11-21 14:05", cameras=(F, D)),
    Row("TRK-102 14:05 front,driver", "2026-11-21 14:05", cameras=(F, D)),
    Row("TRK-102 14:05 front + driver", "2026-11-21 14:05", cameras=(F, D)),
    Row("TRK-102 14:05 front+driver", "2026-11-21 14:05", cameras=(F, D)),
    Row("TRK-102 14:05 front &amp; driver", "2026-11-21 14:05", cameras=(F, D)),
    Row("TRK-102 14:05 left, right and rear", "2026-11-21 14:05", cameras=(L, R, B)),
    Row("TRK-102 14:05 front and narrow 2m", "2026-11-21 14:05", 2, cameras=(F, N)),
    Row("TRK-102 noon front and driver 2 min", "2026-11-21 12:00", 2, cameras=(F, D)),
    Row("TRK-102 14:05 all cameras", "2026-11-21 14:05"),
    Row("TRK-102 14:05 every camera", "2026-11-21 14:05"),
    Row("TRK-102 14:05 all the cameras 2m", "2026-11-21 14:05", 2),
    # the unit as people name it
    Row('asset: "Flatbed 7" 20m ago', "2026-11-21 14:10", unit=("asset", "Flatbed 7")),
    Row(
        'asset: "Reefer 12" half an hour ago rear',
        "2026-11-21 14:00",
        cameras=(B,),
        unit=("asset", "Reefer 12"),
    ),
    Row("truck 102 14:05", "2026-11-21 14:05", unit=("vehicle", "102")),
    Row("trailer 7 20m ago", "2026-11-21 14:10", unit=("asset", "7")),
]


def row_id(row: Row) -> str:
    return f"{row.text} @{row.now:%H%M}Z {row.zone.key}"


def fields_of(row: Row) -> RecallFields:
    return parse_recall(row.text, now=row.now, tz=row.zone)


@pytest.mark.parametrize("row", SPOKEN, ids=row_id)
def test_spoken_phrasing_reads_as_meant(row: Row) -> None:
    f = fields_of(row)
    assert f.start_time is not None
    fmt = "%Y-%m-%d %H:%M:%S" if row.start.count(":") == 2 else "%Y-%m-%d %H:%M"
    assert f.start_time.astimezone(row.zone).strftime(fmt) == row.start
    assert f.duration == row.minutes
    assert f.target == row.unit
    cameras = f.camera_positions
    assert (tuple(p.value for p in cameras) if cameras is not None else None) == row.cameras
    if row.minutes == int(row.minutes):
        f.request(row.now)  # and the rules take it as it is


def test_there_are_at_least_sixty_spoken_rows() -> None:
    assert len(SPOKEN) >= 60


# (typed, when, a piece of the answer, the word it names)
SPOKEN_REFUSED = [
    ("TRK-102 in 10 min", AFTERNOON, "Recalls are for the past", "in 10 min"),
    ("TRK-102 in an hour", AFTERNOON, "Recalls are for the past", "in an hour"),
    ("TRK-102 10 min from now", AFTERNOON, "Recalls are for the past", "10 min from now"),
    ("TRK-102 tomorrow 9am", AFTERNOON, "Recalls are for the past", "tomorrow"),
    ("TRK-102 this morning", AFTERNOON, "like this morning 9:30", "this morning"),
    ("TRK-102 this afternoon", AFTERNOON, "like this afternoon 3:15", "this afternoon"),
    ("TRK-102 last night", AFTERNOON, "like last night 11pm", "last night"),
    ("TRK-102 tonight", EVENING, "like tonight 3:15", "tonight"),
    ("TRK-102 this morning 3pm", AFTERNOON, "3pm is not this morning", "3pm"),
    ("TRK-102 last night 3pm", AFTERNOON, "3pm is not last night", "3pm"),
    ("TRK-102 yesterday at", AFTERNOON, "After 'at' comes when", "at"),
    ("TRK-102 14:05 front and", AFTERNOON, "'and' joins camera words", "and"),
]


@pytest.mark.parametrize(("text", "now", "fragment", "word"), SPOKEN_REFUSED)
def test_spoken_refusals_say_why(text: str, now: datetime, fragment: str, word: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_recall(text, now=now, tz=CHICAGO)
    assert fragment in caught.value.message
    assert caught.value.word == word


def test_a_12_hour_reading_is_said_on_the_anchor() -> None:
    at_nine = parse_recall("TRK-102 2:15", now=EVENING, tz=CHICAGO)
    assert at_nine.anchor_note == "2:15 → 14:15 today"
    early = parse_recall("TRK-102 9:30", now=MORNING, tz=CHICAGO)
    assert early.anchor_note == "9:30 → 21:30 yesterday"
    named = parse_recall("TRK-102 Thu 2:15 note: cut off", now=EVENING, tz=CHICAGO)
    assert named.anchor_note == "cut off · 2:15 → 14:15 Thu 19 Nov"
    # Written on the 24-hour dial or with am/pm, there is nothing to say.
    for text in ("TRK-102 14:15", "TRK-102 2:15pm", "TRK-102 02:15"):
        assert parse_recall(text, now=EVENING, tz=CHICAGO).anchor_note is None, text


# --- hints that never ask for other footage ----------------------------------------------------

Request = tuple[tuple[str, str] | None, frozenset[str] | None, datetime | None]


def what(fields: RecallFields) -> Request:
    """The footage a reading asks for: the unit, the cameras (None: all) and the minute."""
    cams = fields.camera_positions
    start = fields.start_time.replace(second=0) if fields.start_time else None
    return fields.target, frozenset(p.value for p in cams) if cams else None, start


def offered(text: str, now: datetime, tz: ZoneInfo) -> str:
    """The command a refusal offers ("Try:"), as the /recall listener would show it."""
    try:
        fields = parse_recall(text, now=now, tz=tz)
    except ParseError as e:
        return e.example
    try:
        fields.request(now)
    except RuleViolation as e:
        return corrected_example("/recall", fields, e, now=now)
    return ""


def read_offer(example: str, now: datetime, tz: ZoneInfo) -> RecallFields | None:
    try:
        return parse_recall(example.removeprefix("/recall "), now=now, tz=tz)
    except ParseError:
        return None


# Commands built from parts, each part a list of spellings that mean the same.
TARGETS = ["TRK-102", 'asset:"Reefer 12"', "TRK-7"]
WHENS = [
    "14:05", "2:15pm", "2:15", "noon", "midnight", "yesterday 3pm", "yesterday at 3",
    "this morning 9", "last night 11pm", "last night 2am", "Fri 14:05", "Nov 20 14:05",
    "20m ago", "half an hour ago", "an hour and a half ago", "ten minutes ago", "1405",
    "this afternoon 1:30", "yesterday morning 8", "around noon", "at 11", "now",
]  # fmt: skip
LENGTHS = ["", "2m", "3 min", "for two minutes", "90s"]
CAMERAS = [
    "", "front", "driver", "rear", "left right", "front and driver", "left, right and rear",
    "narrow", "all cameras", "front+driver",
]  # fmt: skip
NOWS = [AFTERNOON, EVENING, MORNING]


def typo(word: str, rng: random.Random) -> str:
    """One slip of the keyboard: a letter left out, doubled, swapped with the next, or wrong."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    k = rng.randrange(len(word))
    kind = rng.randrange(4)
    if kind == 0 and len(word) > 1:
        return word[:k] + word[k + 1 :]
    if kind == 1:
        return word[:k] + word[k] + word[k:]
    if kind == 2 and k + 1 < len(word):
        return word[:k] + word[k + 1] + word[k] + word[k + 2 :]
    return word[:k] + rng.choice(letters) + word[k + 1 :]


def check_misspelling(base: str, bad: str, now: datetime) -> bool:
    """The property: a refusal of `bad` (a slip in `base`) offers no command, or one that does
    not parse, or one asking for the unit, cameras and minute `base` asked for. True when `bad`
    was refused (so the case counted)."""
    truth = what(parse_recall(base, now=now, tz=CHICAGO))
    try:
        parse_recall(bad, now=now, tz=CHICAGO)
    except ParseError:
        pass
    else:
        return False  # the slip made other valid words: not a refusal
    example = offered(bad, now, CHICAGO)
    assert example != f"/recall {bad}", f"{bad!r}: the offer repeats the command"
    if not example:
        return True
    got = read_offer(example, now, CHICAGO)
    if got is not None:
        assert what(got) == truth, f"{bad!r} (meant {base!r}) offered {example!r}"
    return True


def slip(base: str, rng: random.Random) -> str:
    words = base.split(" ")
    # The unit is the fleet's business (its own "Did you mean"); the slip is in the other words.
    k = rng.randrange(1, len(words))
    return " ".join([*words[:k], typo(words[k], rng), *words[k + 1 :]])


def command(rng: random.Random) -> str:
    parts = [rng.choice(WHENS), rng.choice(LENGTHS), rng.choice(CAMERAS)]
    if rng.random() < 0.3:
        parts[0], parts[2] = parts[2], parts[0]
    return " ".join(p for p in [rng.choice(TARGETS), *parts] if p)


def test_ten_thousand_misspellings_never_offer_other_footage() -> None:
    rng = random.Random(24)
    refused = 0
    offers = 0
    for _ in range(10_000):
        base = command(rng)
        now = rng.choice(NOWS)
        bad = slip(base, rng)
        if check_misspelling(base, bad, now):
            refused += 1
            offers += bool(offered(bad, now, CHICAGO))
    # Most slips are refused, and many still get a command back: the check is not vacuous.
    assert refused > 5_000 and offers > 1_000, (refused, offers)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), extra=st.sampled_from(["", "roof", "and", "at", "this"]))
def test_a_refusal_never_offers_other_footage(seed: int, extra: str) -> None:
    """For any refused input (a slip in a command, or a stray word put anywhere in it), the
    offered command does not parse, or asks for what every understood word said."""
    rng = random.Random(seed)
    base = command(rng)
    now = rng.choice(NOWS)
    bad = slip(base, rng)
    if extra:
        words = base.split(" ")
        k = rng.randrange(1, len(words) + 1)
        bad = " ".join([*words[:k], extra, *words[k:]])
    check_misspelling(base, bad, now)
