"""The parser's answers word for word, written against the mutants that survived
`scripts/mutation 'bot.slack.parsing*'`: what a refusal says (its word, what is allowed, the
corrected command), which instant a wall time near a clock change means, and the boundaries
(a time equal to now, a skipped time equal to now)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.slack.lookups import FleetUnit
from bot.slack.parsing import (
    ParseError,
    RecallFields,
    corrected_example,
    explain,
    parse_recall,
    parse_snapshot,
)
from motive.rules import CameraPosition as P
from motive.rules import RuleViolation

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 21, 20, 30, tzinfo=UTC)  # Saturday 14:30 in Chicago
AUTUMN = datetime(2026, 11, 1, 7, 10, tzinfo=UTC)  # 01:10 CST, the second 01:10 of the night
SPRING_EARLY = datetime(2026, 3, 8, 7, 50, tzinfo=UTC)  # 01:50 CST, before the gap
SPRING = datetime(2026, 3, 8, 9, 0, tzinfo=UTC)  # 04:00 CDT, after it


def refused(text: str, *, now: datetime = NOW) -> ParseError:
    with pytest.raises(ParseError) as caught:
        parse_recall(text, now=now, tz=CHICAGO)
    return caught.value


def violation(fields: RecallFields, unit: FleetUnit | None = None) -> RuleViolation:
    with pytest.raises(RuleViolation) as caught:
        fields.request(NOW, unit)
    return caught.value


# --- two of one thing ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "word", "allowed", "example"),
    [
        (
            "TRK-101 14:05 3m 2m",
            "You gave two durations, 3m and 2m; give one.",
            "2m",
            "one duration",
            "/recall TRK-101 14:05 3m",
        ),
        (
            "TRK-101 20m ago 14:05",
            "You gave two times, 20m ago and 14:05; give one.",
            "14:05",
            "one time",
            "/recall TRK-101 20m ago",
        ),
        (
            "TRK-101 14:05 15:00",
            "You gave two times, 14:05 and 15:00; give one.",
            "15:00",
            "one time",
            "/recall TRK-101 14:05",
        ),
        (
            "TRK-101 20m ago 2026-11-20T14:05",
            "You gave two start times, 20m ago and 2026-11-20T14:05; give one.",
            "2026-11-20T14:05",
            "one start time",
            "/recall TRK-101 20m ago",
        ),
        (
            "TRK-101 now 2026-11-20T14:05",
            "You gave two start times, now and 2026-11-20T14:05; give one.",
            "2026-11-20T14:05",
            "one start time",
            "/recall TRK-101 now",
        ),
        (
            # The word after the second start time stays in the corrected command.
            "TRK-101 14:05 2026-11-20T14:05 2m",
            "You gave two start times, 14:05 and 2026-11-20T14:05; give one.",
            "2026-11-20T14:05",
            "one start time",
            "/recall TRK-101 14:05 2m",
        ),
    ],
)
def test_a_second_start_time_or_duration_is_named_with_the_first(
    text: str, message: str, word: str, allowed: str, example: str
) -> None:
    e = refused(text)
    assert (e.message, e.word, e.allowed, e.example) == (message, word, allowed, example)


# --- which instant a wall time means -----------------------------------------------------------


def test_today_is_the_users_date_not_utcs() -> None:
    # 03:00 UTC on the 22nd is 21:00 on the 21st in Chicago: yesterday is the 20th there.
    late = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    f = parse_recall("TRK-101 yesterday 3pm", now=late, tz=CHICAGO)
    assert f.start_time == datetime(2026, 11, 20, 21, 0, tzinfo=UTC)


def test_a_time_equal_to_now_is_today_not_yesterday() -> None:
    f = parse_recall("TRK-101 14:30", now=NOW, tz=CHICAGO)
    assert f.start_time == NOW


def test_a_named_day_whose_time_was_skipped_is_refused_even_before_the_gap() -> None:
    e = refused("TRK-101 today 2:30", now=SPRING_EARLY)
    assert e.message == (
        "2:30 did not happen on Sun 8 Mar 2026 in America/Chicago: the clocks jumped forward an "
        "hour at 02:00. 03:30 is the moment 2:30 would have been."
    )
    assert (e.word, e.allowed, e.example) == (
        "2:30",
        "a time the clocks showed",
        "/recall TRK-101 today 03:30",
    )


def test_a_skipped_time_whose_moment_is_now_is_refused() -> None:
    # 02:30 CST would have been 08:30 UTC: at that very instant today's 2:30 has "passed".
    e = refused("TRK-101 2:30", now=datetime(2026, 3, 8, 8, 30, tzinfo=UTC))
    assert "did not happen on Sun 8 Mar 2026" in e.message


def test_a_skipped_two_word_time_is_replaced_by_one_word() -> None:
    e = refused("TRK-101 Mar 8 2:30 am", now=SPRING)
    assert e.word == "2:30 am"
    assert e.example == "/recall TRK-101 Mar 8 03:30"


@pytest.mark.parametrize(
    ("text", "remark"),
    [
        (
            "TRK-101 01:30 2m",
            "01:30 happened twice on Sun 1 Nov (the clocks went back); this is the first, "
            "01:30 CDT (06:30 UTC)",
        ),
        (
            "TRK-101 1:05",
            "1:05 happened twice on Sun 1 Nov (the clocks went back); this is the second, "
            "01:05 CST (07:05 UTC)",
        ),
    ],
)
def test_the_anchor_says_which_of_the_double_hour_was_taken(text: str, remark: str) -> None:
    f = parse_recall(text, now=AUTUMN, tz=CHICAGO)
    assert f.remarks == [remark]


# --- rule violations mapped back to the words ----------------------------------------------------


def test_cameras_a_unit_lacks_are_named_by_the_words_that_asked_for_them() -> None:
    f = parse_recall("TRK-101 14:05 left rear", now=NOW, tz=CHICAGO)
    unit = FleetUnit("vehicle", "TRK-101", frozenset({P.FRONT_FACING}))
    assert explain(f.words, violation(f, unit)) == (
        "`left rear`: TRK-101 has no side_left or rear camera; it has front_facing."
    )


def test_every_violation_gets_its_own_line() -> None:
    f = parse_recall("TRK-101 today 23:00 timelapse 20m", now=NOW, tz=CHICAGO)
    lines = explain(f.words, violation(f)).split("\n")
    assert [line.split(":")[0] for line in lines] == ["`20m`", "`today 23"]
    assert lines[0].startswith("`20m`: Timelapse recalls last 5, 10, 15, 30, 45 or 60 minutes")
    assert "is in the future" in lines[1]


def test_a_violation_with_no_word_behind_it_is_told_plainly() -> None:
    fields = parse_snapshot("TRK-101")
    with pytest.raises(RuleViolation) as caught:
        fields.request()
    [v] = caught.value.all_violations
    assert explain(fields.words, caught.value) == v.message
    assert not v.message.startswith("`")


@pytest.mark.parametrize(
    ("text", "example"),
    [
        # Part of a minute rounds up, so the moment asked for is covered.
        ("TRK-101 14:05 90s", "/recall TRK-101 14:05 2m"),
        ("TRK-101 14:05 150s", "/recall TRK-101 14:05 3m"),
        ("TRK-101 14:05 130s", "/recall TRK-101 14:05 3m"),
        ("TRK-101 14:05 timelapse 200m", "/recall TRK-101 14:05 timelapse 60m"),
        ("TRK-101 14:05 timelapse 20m", "/recall TRK-101 14:05 timelapse 15m"),
    ],
)
def test_a_duration_is_corrected_to_the_nearest_allowed(text: str, example: str) -> None:
    f = parse_recall(text, now=NOW, tz=CHICAGO)
    assert corrected_example("/recall", f, violation(f)) == example


# --- a note stays last in a corrected command ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "example", "note"),
    [
        # The missing time was added after the note, where it became part of the note.
        ("TRK-101 note: cut off", "/recall TRK-101 20m ago note: cut off", "cut off"),
        ("TRK-101 14:05 4m Note: cut off", "/recall TRK-101 14:05 3m Note: cut off", "cut off"),
        # Quoted, a note with an unpaired quote could not be read back.
        ('TRK-101 note: the "big one', '/recall TRK-101 20m ago note: the "big one', 'the "big one'),
    ],
)
def test_a_corrected_recall_keeps_the_note_last_and_works(
    text: str, example: str, note: str
) -> None:
    try:
        fields = parse_recall(text, now=NOW, tz=CHICAGO)
        got = corrected_example("/recall", fields, violation(fields))
    except ParseError as e:
        got = e.example
    assert got == example
    again = parse_recall(got.removeprefix("/recall "), now=NOW, tz=CHICAGO)
    assert again.note == note and again.request(NOW).target.name == "TRK-101"


def test_a_corrected_snapshot_keeps_the_note_last_and_works() -> None:
    fields = parse_snapshot("TRK-101 note: cut off")
    with pytest.raises(RuleViolation) as caught:
        fields.request()
    got = corrected_example("/snapshot", fields, caught.value)
    assert got == "/snapshot TRK-101 front note: cut off"
    again = parse_snapshot(got.removeprefix("/snapshot "))
    assert again.note == "cut off" and again.request().position is P.FRONT_FACING
