"""The inline grammar's main forms: a time of day read in the user's own zone (and still ahead
meaning yesterday), am/pm, a date and time, relative times, every camera word, a duration with
its unit apart, each type's default duration, words that cannot be read, /snapshot's forms, and
a corrected command for a rule violation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.grammar.corrections import corrected_example
from bot.grammar.recall import parse_recall
from bot.grammar.snapshot import parse_snapshot
from bot.grammar.tokens import ParseError
from motive.rules import CameraPosition as P
from motive.rules import RecallType, RuleViolation

NOW = datetime(2026, 11, 21, 20, 30, tzinfo=UTC)  # 14:30 in Chicago
CHICAGO = ZoneInfo("America/Chicago")


def test_time_of_day_is_today_in_the_users_zone() -> None:
    f = parse_recall("TRK-101 14:05 2m", now=NOW, tz=CHICAGO)
    assert f.vehicle_number == "TRK-101" and f.asset_name is None
    assert f.start_time == datetime(2026, 11, 21, 20, 5, tzinfo=UTC)
    assert (f.duration, f.recall_type, f.camera_positions) == (2, RecallType.REGULAR, None)


def test_time_of_day_still_ahead_means_yesterday() -> None:
    f = parse_recall("TRK-101 15:00 2m", now=NOW, tz=CHICAGO)
    assert f.start_time == datetime(2026, 11, 20, 21, 0, tzinfo=UTC)


def test_same_words_in_another_zone() -> None:
    f = parse_recall("TRK-101 14:05 2m", now=NOW, tz=ZoneInfo("UTC"))
    assert f.start_time == datetime(2026, 11, 21, 14, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("word", "hour", "minute"),
    [("2:15pm", 14, 15), ("2pm", 14, 0), ("12am", 0, 0), ("9:05am", 9, 5)],
)
def test_am_pm(word: str, hour: int, minute: int) -> None:
    f = parse_recall(f"TRK-101 {word}", now=NOW, tz=CHICAGO)
    assert f.start_time is not None
    local = f.start_time.astimezone(CHICAGO)
    assert (local.hour, local.minute) == (hour, minute)


def test_absolute_date_time_and_cameras() -> None:
    f = parse_recall("TRK-101 2026-11-20 14:05 3m front driver", now=NOW, tz=CHICAGO)
    assert f.start_time == datetime(2026, 11, 20, 20, 5, tzinfo=UTC)
    assert f.duration == 3 and f.camera_positions == [P.FRONT_FACING, P.DRIVER_FACING]


def test_asset_relative_timelapse_and_omnicam_words() -> None:
    f = parse_recall('asset:"Reefer 12" 20m ago timelapse 15m left rear', now=NOW, tz=CHICAGO)
    assert f.asset_name == "Reefer 12" and f.vehicle_number is None
    assert f.start_time == NOW - timedelta(minutes=20)
    assert (f.recall_type, f.duration) == (RecallType.TIMELAPSE, 15)
    assert f.camera_positions == [P.SIDE_LEFT, P.REAR]


@pytest.mark.parametrize(
    ("words", "delta"),
    [
        ("1h ago", timedelta(hours=1)),
        ("90m ago", timedelta(minutes=90)),
        ("1h30m ago", timedelta(minutes=90)),
        ("2 hours ago", timedelta(hours=2)),
        ("1 hr ago", timedelta(hours=1)),
        ("2 fortnights ago", None),
    ],
)
def test_relative_forms(words: str, delta: timedelta | None) -> None:
    if delta is None:
        with pytest.raises(ParseError):
            parse_recall(f"TRK-101 {words}", now=NOW, tz=CHICAGO)
        return
    assert parse_recall(f"TRK-101 {words}", now=NOW, tz=CHICAGO).start_time == NOW - delta


@pytest.mark.parametrize(
    "word",
    [
        "front",
        "driver",
        "narrow",
        "left",
        "right",
        "rear",
        "front_facing",
        "side_right",
        "front_narrow_facing",
    ],
)
def test_every_camera_word(word: str) -> None:
    f = parse_recall(f"TRK-101 14:05 {word}", now=NOW, tz=CHICAGO)
    assert f.camera_positions and len(f.camera_positions) == 1


def test_duration_with_separate_unit_and_note() -> None:
    f = parse_recall("TRK-101 14:05 3 min note: cut off on I-80", now=NOW, tz=CHICAGO)
    assert f.duration == 3 and f.note == "cut off on I-80"


def test_default_duration_per_type() -> None:
    assert parse_recall("TRK-101 14:05", now=NOW, tz=CHICAGO).duration == 1
    assert parse_recall("TRK-101 14:05 timelapse", now=NOW, tz=CHICAGO).duration == 15


@pytest.mark.parametrize(
    ("text", "fragment", "offered"),
    [
        # No stand-in time: footage nobody asked for (issue 24).
        ("TRK-101", "Say when", False),
        ("TRK-101 14:05 fornt", "Did you mean front?", True),
        ("TRK-101 2026-11-20", "give the time of day", False),
        # No stand-in date or unit (issue 24: another unit's or moment's footage).
        ("TRK-101 2026-13-40 10:00", "not a real date", False),
        ('asset:"Reefer 12 14:05', "quote is not closed", False),
        ("", "Say which truck", True),
        # Nothing matches 25:00: no stand-in command (issue 24), the ways to say a time instead.
        ("TRK-101 25:00", "don't understand '25:00'. When is said like 14:05", False),
    ],
)
def test_words_that_cannot_be_read(text: str, fragment: str, offered: bool) -> None:
    with pytest.raises(ParseError) as caught:
        parse_recall(text, now=NOW, tz=CHICAGO)
    assert fragment in caught.value.message
    assert caught.value.example.startswith("/recall") if offered else caught.value.example == ""


def test_snapshot_forms() -> None:
    s = parse_snapshot("TRK-101 front")
    assert (s.vehicle_number, s.position) == ("TRK-101", "front_facing")
    a = parse_snapshot('asset:"Reefer 12" rear')
    assert (a.asset_name, a.position) == ("Reefer 12", "rear")
    with pytest.raises(ParseError, match="one camera"):
        parse_snapshot("TRK-101 front rear")


def _violation(text: str) -> tuple[object, RuleViolation]:
    fields = parse_recall(text, now=NOW, tz=CHICAGO)
    try:
        fields.request(NOW)
    except RuleViolation as e:
        return fields, e
    raise AssertionError("expected a violation")


@pytest.mark.parametrize(
    ("text", "example"),
    [
        ("TRK-101 14:05 4m front", "/recall TRK-101 14:05 3m front"),
        ("TRK-101 14:05 timelapse 20m", "/recall TRK-101 14:05 timelapse 15m"),
        ("TRK-101 rear rear 14:05", "/recall TRK-101 rear 14:05"),
        # Runs past now: the start is kept and the window ends by now (issue 24: "30m ago" was
        # other footage).
        ("TRK-101 2m ago 3m", "/recall TRK-101 2m ago 2m"),
        ('asset:"Reefer 12" 14:05 7m', '/recall asset:"Reefer 12" 14:05 3m'),
    ],
)
def test_corrected_example_replaces_the_offending_word(text: str, example: str) -> None:
    fields, err = _violation(text)
    corrected = corrected_example("/recall", fields, err, now=NOW)  # type: ignore[arg-type]
    assert corrected == example
    again = parse_recall(corrected.removeprefix("/recall "), now=NOW, tz=CHICAGO)
    assert again.request(NOW).duration == again.duration  # the corrected command is valid


def test_snapshot_corrected_example() -> None:
    fields = parse_snapshot('asset:"Reefer 12" front')
    with pytest.raises(RuleViolation) as caught:
        fields.request()
    assert (
        corrected_example("/snapshot", fields, caught.value) == '/snapshot asset:"Reefer 12" rear'
    )


@pytest.mark.parametrize(
    ("text", "start", "at"),
    [
        ("TRK-101 front 20 min ago", NOW - timedelta(minutes=20), [2, 3, 4]),
        ("TRK-101 2m front 20m ago", NOW - timedelta(minutes=20), [3, 4]),
        ("TRK-101 front 2m now", None, [3]),
    ],
)
def test_a_time_counted_back_from_now_and_the_words_that_said_it(
    text: str, start: datetime | None, at: list[int]
) -> None:
    f = parse_recall(text, now=NOW, tz=CHICAGO)
    if start is not None:
        assert f.start_time == start
    else:  # `now`: the window that ends now
        assert f.start_time == NOW - timedelta(minutes=2)
    assert f.spans["start_time"] == at
    assert f.words["start_time"] == " ".join(text.split()[at[0] : at[-1] + 1])


@pytest.mark.parametrize(
    ("text", "month_first"),
    [("TRK-101 11/20 14:05 fornt", True), ("TRK-101 20/11 14:05 fornt", False)],
)
def test_a_hint_checks_its_fix_in_the_askers_date_order(text: str, month_first: bool) -> None:
    with pytest.raises(ParseError) as caught:
        parse_recall(text, now=NOW, tz=CHICAGO, month_first=month_first)
    # The fixed command parses in this person's order of month and day, so it is offered.
    assert caught.value.example == "/recall " + text.replace("fornt", "front")


@pytest.mark.parametrize(
    ("text", "first", "second"),
    [
        ("TRK-101 yesterday Sat 14:05", "yesterday", "Sat"),
        ("TRK-101 20m ago yesterday 14:05", "20m ago", "yesterday"),
        ("TRK-101 2m now yesterday", "now", "yesterday"),
        ("TRK-101 2026-11-20T14:05Z yesterday", "2026-11-20T14:05Z", "yesterday"),
    ],
)
def test_a_day_after_a_time_that_had_its_day_is_refused_naming_both(
    text: str, first: str, second: str
) -> None:
    with pytest.raises(ParseError) as caught:
        parse_recall(text, now=NOW, tz=CHICAGO)
    e = caught.value
    assert e.message == f"You gave two days, {first} and {second}; give one."
    assert (e.word, e.allowed) == (second, "one day")


def test_a_second_target_of_the_other_kind_is_kept_where_it_was_said() -> None:
    f = parse_recall("TRK-101 14:05 asset:Yard-7 2m", now=NOW, tz=CHICAGO)
    assert (f.vehicle_number, f.asset_name) == ("TRK-101", "Yard-7")
    assert (f.spans["target"], f.spans["target2"]) == ([0], [2])
