"""The time words of /recall at their edges, written against the mutants that survived
`scripts/mutation 'bot.grammar.timewords*'` (now `bot.grammar.times`): the last minute and second of a clock, the hour of
am/pm, counts of seconds, a or one of a unit, offsets after a time, dates with a year, day-first
dates in a month-first locale, Feb 29, what a refused date names, and a clock change of half an
hour. Every "now" is a fixed instant: the tests read the same on any day."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.grammar.recall import RecallFields, parse_recall
from bot.grammar.times import BadDate, by_first_word, day_words, starts_time, zone_name
from bot.grammar.tokens import ParseError

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 21, 20, 30, tzinfo=UTC)  # Saturday 14:30 in Chicago
AUTUMN = datetime(2026, 11, 1, 7, 10, tzinfo=UTC)  # 01:10 CST, the second 01:10 of the night


def read(text: str, *, now: datetime = NOW, month_first: bool = True) -> RecallFields:
    return parse_recall(text, now=now, tz=CHICAGO, month_first=month_first)


def chicago(fields: RecallFields) -> str:
    assert fields.start_time is not None
    return fields.start_time.astimezone(CHICAGO).strftime("%Y-%m-%d %H:%M:%S")


def refused(text: str, *, month_first: bool = True) -> ParseError:
    with pytest.raises(ParseError) as caught:
        read(text, month_first=month_first)
    return caught.value


# --- a time of day -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("TRK-101 1pm", "2026-11-21 13:00:00"),
        ("TRK-101 1:30 pm", "2026-11-21 13:30:00"),
        ("TRK-101 1 am", "2026-11-21 01:00:00"),
        ("TRK-101 12am", "2026-11-21 00:00:00"),
        ("TRK-101 12pm", "2026-11-21 12:00:00"),
        ("TRK-101 14:05:59", "2026-11-21 14:05:59"),
        ("TRK-101 23:59:59", "2026-11-20 23:59:59"),  # still ahead today: last night
        ("TRK-101 yesterday 00:59", "2026-11-20 00:59:00"),
    ],
)
def test_the_first_and_last_of_each_clock_field(text: str, start: str) -> None:
    assert chicago(read(text)) == start


@pytest.mark.parametrize(
    "word",
    # No 0 or 13 o'clock on a twelve-hour clock, no 24:00, 14:60 or a 60th second.
    ["0pm", "0:30am", "13pm", "24:00", "14:60", "9:60pm", "14:05:60"],
)
def test_a_clock_that_does_not_exist_is_not_read_as_a_time(word: str) -> None:
    e = refused(f"TRK-101 {word}")
    assert e.word == word
    assert e.message.startswith(f"I don't understand {word!r}.")


# --- how long, and how long ago ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "back"),
    [
        ("a minute ago", timedelta(minutes=1)),
        ("A minute ago", timedelta(minutes=1)),
        ("an hr ago", timedelta(hours=1)),
        ("one hour ago", timedelta(hours=1)),
        ("ONE min ago", timedelta(minutes=1)),
        ("one sec ago", timedelta(seconds=1)),
        # Six digits is the longest count of a unit that stands apart from its number.
        ("100000 seconds ago", timedelta(seconds=100000)),
        ("999999 secs ago", timedelta(seconds=999999)),
    ],
)
def test_a_or_one_of_a_unit_and_long_counts_ago(words: str, back: timedelta) -> None:
    f = read(f"TRK-101 {words}")
    assert f.start_time == NOW - back
    assert f.words["start_time"] == words


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("TRK-101 14:05 a minute", 1), ("TRK-101 14:05 one min", 1), ("TRK-101 14:05 an hr", 60)],
)
def test_a_or_one_of_a_unit_is_also_a_duration(text: str, minutes: int) -> None:
    assert read(text).duration == minutes


@pytest.mark.parametrize(
    ("text", "word"),
    [
        # A count of seven digits is not a count of seconds (more than eleven days).
        ("TRK-101 1000000 seconds ago", "1000000"),
        # A unit of one letter goes with its number: 2m, not 2 m; a m is not a minute.
        ("TRK-101 14:05 2 m", "2"),
        ("TRK-101 14:05 3 s", "3"),
        ("TRK-101 a m ago", "a"),
        ("TRK-101 14:05 one h", "one"),
    ],
)
def test_words_that_are_not_an_amount(text: str, word: str) -> None:
    e = refused(text)
    assert e.word == word
    assert e.message.startswith(f"I don't understand {word!r}.")


# --- a zone after the time -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("TRK-101 14:05 -6", datetime(2026, 11, 21, 20, 5, tzinfo=UTC)),
        ("TRK-101 14:05 +05:30", datetime(2026, 11, 21, 8, 35, tzinfo=UTC)),
        ("TRK-101 14:05 UTC+0530", datetime(2026, 11, 21, 8, 35, tzinfo=UTC)),
        ("TRK-101 14:05 -03:59", datetime(2026, 11, 21, 18, 4, tzinfo=UTC)),
        # Kiribati is fourteen hours ahead: 14:05 there was 00:05 UTC.
        ("TRK-101 14:05 +14", datetime(2026, 11, 21, 0, 5, tzinfo=UTC)),
        ("TRK-101 14:05 -14:00", datetime(2026, 11, 21, 4, 5, tzinfo=UTC)),
    ],
)
def test_an_offset_after_a_time(text: str, utc: datetime) -> None:
    f = read(text)
    assert f.start_time == utc
    assert f.words["start_time"] == " ".join(text.split()[1:])


@pytest.mark.parametrize("word", ["+15", "-15:00", "+05:60", "UTC-05:75"])
def test_an_offset_no_clock_shows_is_not_a_zone(word: str) -> None:
    e = refused(f"TRK-101 14:05 {word}")
    assert e.word == word
    assert e.message.startswith(f"I don't understand {word!r}.")


# --- a day ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "month_first", "start"),
    [
        ("TRK-101 11/02/2026 14:05", True, "2026-11-02 14:05:00"),
        ("TRK-101 11/20/26 14:05", True, "2026-11-20 14:05:00"),
        ("TRK-101 02.11.2026 14:05", False, "2026-11-02 14:05:00"),
        ("TRK-101 20/11/2025 9am", False, "2025-11-20 09:00:00"),
        # A day past 12 first can only be day first, even where the month comes first.
        ("TRK-101 13/5 14:05", True, "2026-05-13 14:05:00"),
        ("TRK-101 25/12 14:05", True, "2025-12-25 14:05:00"),
        ("TRK-101 12/25 14:05", False, "2025-12-25 14:05:00"),
        # Feb 29 is a day: the latest one there was.
        ("TRK-101 2/29 14:05", True, "2024-02-29 14:05:00"),
        ("TRK-101 Feb 29 14:05", True, "2024-02-29 14:05:00"),
        ("TRK-101 29 feb 14:05", True, "2024-02-29 14:05:00"),
        # The day words may come after the time, last in the command.
        ("TRK-101 14:05 Nov 20", True, "2026-11-20 14:05:00"),
        ("TRK-101 14:05 20 Nov", True, "2026-11-20 14:05:00"),
        ("TRK-101 14:05 Nov 20 2025", True, "2025-11-20 14:05:00"),
        ("TRK-101 14:05 Nov 20, 2025", True, "2025-11-20 14:05:00"),
    ],
)
def test_a_day_with_or_without_its_year(text: str, month_first: bool, start: str) -> None:
    assert chicago(read(text, month_first=month_first)) == start


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("TRK-101 2/30/2026 14:05", "2/30/2026"),
        ("TRK-101 30.02.26 14:05", "30.02.26"),
        ("TRK-101 Nov 31 2026 14:05", "Nov 31 2026"),
        ("TRK-101 31 Nov 2026 14:05 2m", "31 Nov 2026"),
        ("TRK-101 Nov 31 14:05", "Nov 31"),
        ("TRK-101 14:05 Feb 30", "Feb 30"),
        ("TRK-101 Feb 29 2026 14:05", "Feb 29 2026"),
    ],
)
def test_a_date_that_names_no_day_is_refused_by_its_own_words(text: str, word: str) -> None:
    e = refused(text)
    assert (e.message, e.word) == (f"{word} is not a real date.", word)


def test_a_bad_date_says_its_words() -> None:
    with pytest.raises(BadDate) as caught:
        day_words(["Nov", "31", "2026", "14:05"], 0, month_first=True)
    assert caught.value.word == "Nov 31 2026"
    assert str(caught.value) == "Nov 31 2026"  # what a log line shows


# --- wall times as instants ----------------------------------------------------------------------


def test_a_clock_change_of_half_an_hour_is_told_as_minutes() -> None:
    # Lord Howe Island moves its clocks forward 30 minutes, at 02:00 on the first Sunday of October.
    e = refused("TRK-101 2026-10-04 02:15 Australia/Lord_Howe")
    assert e.message == (
        "02:15 did not happen on Sun 4 Oct 2026 in Australia/Lord_Howe: the clocks jumped forward "
        "30 minutes at 02:00. 02:45 is the moment 02:15 would have been."
    )


@pytest.fixture
def server_in_tokyo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The bot's host keeps its clock in another zone than UTC and than the user's."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("server_in_tokyo")
def test_the_hosts_zone_does_not_leak_into_the_instant() -> None:
    f = parse_recall("TRK-101 1:05", now=AUTUMN, tz=CHICAGO)
    assert f.start_time is not None
    assert f.start_time.isoformat() == "2026-11-01T07:05:00+00:00"
    # The anchor's remark gives the instant in UTC, not in the host's zone.
    assert f.remarks == [
        "1:05 happened twice on Sun 1 Nov (the clocks went back); this is the second, "
        "01:05 CST (07:05 UTC)"
    ]


def test_phrases_are_indexed_by_their_first_word_longest_first() -> None:
    assert by_first_word(["half hour", "tonight", "half an hour", "a few minutes"]) == {
        "half": [("half", "an", "hour"), ("half", "hour")],
        "tonight": [("tonight",)],
        "a": [("a", "few", "minutes")],
    }


# --- a part of the day and its clock (the survivors of issue 26's parser run in `_readings`) ---


@pytest.mark.parametrize(
    ("text", "start"),
    [
        # `last night`: the evening is the day before (18:00 is evening), the small hours are
        # the day itself (up to 05:59); a bare 6 is the evening one.
        ("TRK-101 last night 6", "2026-11-20 18:00:00"),
        ("TRK-101 last night 6pm", "2026-11-20 18:00:00"),
        ("TRK-101 last night 5:59", "2026-11-21 05:59:00"),
        # Noon's hour is the afternoon's; the hour after midnight is the morning's.
        ("TRK-101 this afternoon 12:30", "2026-11-21 12:30:00"),
        ("TRK-101 this afternoon 12:00", "2026-11-21 12:00:00"),
        ("TRK-101 this morning 12:30", "2026-11-21 00:30:00"),
        ("TRK-101 this morning 11:59", "2026-11-21 11:59:00"),
    ],
)
def test_a_part_of_the_day_keeps_its_own_hours(text: str, start: str) -> None:
    assert chicago(read(text)) == start


@pytest.mark.parametrize(
    ("text", "word", "why"),
    [
        ("TRK-101 last night 6am", "6am", "the night is the evening before and the small hours "
         "after midnight."),
        ("TRK-101 last night 17:59", "17:59", "the night is the evening before and the small "
         "hours after midnight."),
        ("TRK-101 this morning 14:00", "14:00", "this morning is before noon."),
        ("TRK-101 this afternoon 2am", "2am", "this afternoon is after noon."),
    ],
)  # fmt: skip
def test_a_clock_outside_its_part_of_the_day_says_which_part_and_why(
    text: str, word: str, why: str
) -> None:
    part = text.removeprefix("TRK-101 ").removesuffix(f" {word}")
    e = refused(text)
    assert e.message == f"{word} is not {part}: {why}"
    assert (e.word, e.allowed) == (word, f"a time {part}")


@pytest.mark.parametrize(
    ("tokens", "at", "starts"),
    [
        (["at"], 1, False),  # nothing after the filler
        (["now"], 0, True),
        (["just", "now"], 0, True),
        (["right", "now"], 0, True),
        # An hour the next word says is past 12 is no time (read alone, 13 would be one).
        (["13", "pm"], 0, False),
        (["at", "13", "pm"], 1, False),
        (["2", "pm"], 0, True),
        # An ISO date-time, whole or being typed: four digits, then a T.
        (["2026-11-20T14:05"], 0, True),
        (["20261120T1405"], 0, True),
        (["20261"], 0, False),
        (["2/30"], 0, True),  # a date that is not one is still a date's words: refused later
        (["truck"], 0, False),
    ],
)
def test_what_a_filler_must_be_followed_by(tokens: list[str], at: int, starts: bool) -> None:
    assert starts_time(tokens, at, month_first=True) is starts
    assert starts_time(tokens, at, month_first=False) is starts


@pytest.mark.parametrize(
    ("text", "day", "like"),
    [
        ("TRK-101 yesterday", "yesterday", "14:05"),
        ("TRK-101 Sat", "Sat", "14:05"),
        ("TRK-101 last night", "last night", "11pm"),
        ("TRK-101 this morning", "this morning", "9:30"),
        ("TRK-101 this afternoon", "this afternoon", "3:15"),
    ],
)
def test_a_day_without_its_time_is_a_missing_part_with_an_example_of_its_kind(
    text: str, day: str, like: str
) -> None:
    e = refused(text)
    assert e.message == f"After {day}, give the time of day, like {day} {like}."
    # Missing, not wrong: no command is offered (a stand-in time would be other footage).
    assert (e.word, e.missing, e.example) == (day, True, "")


def test_a_zone_is_named_by_its_key_or_its_offset() -> None:
    assert zone_name(CHICAGO) == "America/Chicago"
    assert zone_name(UTC) == "UTC"
    assert zone_name(timezone(-timedelta(hours=6))) == "UTC-06:00"


@pytest.mark.parametrize(
    "said",
    [
        "in 10 min",
        "in an hour",
        "10 min from now",
        "half an hour from now",
        "10 min later",
        "10 min ahead",
        "tomorrow",
        "next",
        "upcoming",
    ],
)
def test_a_time_still_ahead_is_refused_naming_its_words(said: str) -> None:
    e = refused(
        f"TRK-101 {said} 2m" if said in ("tomorrow", "next", "upcoming") else f"TRK-101 {said}"
    )
    assert e.message == (
        f"Recalls are for the past: {said} is still ahead, and there is no footage of it yet. "
        "Say when it happened, like 10 min ago or 14:05, or take a /snapshot for now."
    )
    assert (e.word, e.allowed) == (said, "a time that has passed")


def test_a_length_then_a_time_ahead_names_only_the_time() -> None:
    e = refused("TRK-101 2m in 5m")
    assert (e.word, e.allowed) == ("in 5m", "a time that has passed")
