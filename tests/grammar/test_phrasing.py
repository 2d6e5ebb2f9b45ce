"""What dispatchers actually type: a table of phrasings, the two 2026 clock changes in Chicago, and
a property test that no text makes the parser raise anything but its own error."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.access.fleet import FleetUnit, month_first
from bot.grammar.corrections import corrected_example, explain
from bot.grammar.recall import RecallFields, parse_recall
from bot.grammar.snapshot import parse_snapshot
from bot.grammar.tokens import ParseError
from bot.grammar.words import CAMERA_EXAMPLES, DURATION_EXAMPLES, WHEN_EXAMPLES, WHEN_HINTS
from bot.render.blocks import help_message
from motive.rules import CameraPosition as P
from motive.rules import RecallType, RuleViolation, SmartDashcamDurationViolation

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 21, 20, 30, tzinfo=UTC)  # Saturday 14:30 in Chicago


@dataclass
class Answer:
    fields: RecallFields | None = None
    message: str = ""
    example: str = ""
    word: str = ""


def answer(
    text: str, *, now: datetime = NOW, tz: ZoneInfo | None = CHICAGO, unit: FleetUnit | None = None
) -> Answer:
    """What the /recall listener does with the text: fields that pass the rules, or the reply."""
    try:
        fields = parse_recall(text, now=now, tz=tz)
    except ParseError as e:
        return Answer(message=e.message, example=e.example, word=e.word)
    try:
        fields.request(now, unit)
    except RuleViolation as e:
        word = fields.words.get(e.field, "")
        return Answer(
            message=explain(fields.words, e),
            example=corrected_example("/recall", fields, e, unit, now=now),
            word=word,
        )
    return Answer(fields=fields)


def local(fields: RecallFields | None) -> str:
    assert fields is not None and fields.start_time is not None
    return fields.start_time.astimezone(CHICAGO).strftime("%Y-%m-%d %H:%M:%S")


# (typed, target, start in Chicago, minutes)
READS = [
    ("TRK-101 14:05 2m", "TRK-101", "2026-11-21 14:05:00", 2),
    ("TRK-101 yesterday 3pm 2m", "TRK-101", "2026-11-20 15:00:00", 2),
    ("TRK-101 yesterday 15:00", "TRK-101", "2026-11-20 15:00:00", 1),
    ("TRK-101 Yesterday 3 pm", "TRK-101", "2026-11-20 15:00:00", 1),
    ("TRK-101 today 9:30", "TRK-101", "2026-11-21 09:30:00", 1),
    ("TRK-101 today 9:30am", "TRK-101", "2026-11-21 09:30:00", 1),
    ("TRK-101 at 2:15pm 2m", "TRK-101", "2026-11-21 14:15:00", 2),
    ("TRK-102 2:15 pm 1m", "TRK-102", "2026-11-21 14:15:00", 1),
    ("TRK-102 2:15 p.m. 1m", "TRK-102", "2026-11-21 14:15:00", 1),
    ("TRK-102 2:15PM", "TRK-102", "2026-11-21 14:15:00", 1),
    ("TRK-101 at 14:05", "TRK-101", "2026-11-21 14:05:00", 1),
    ("TRK-101 2pm", "TRK-101", "2026-11-21 14:00:00", 1),
    ("TRK-101 3pm", "TRK-101", "2026-11-20 15:00:00", 1),  # still ahead today
    ("TRK-101 12am", "TRK-101", "2026-11-21 00:00:00", 1),
    ("TRK-101 12pm", "TRK-101", "2026-11-21 12:00:00", 1),
    ("TRK-101 14:05:30", "TRK-101", "2026-11-21 14:05:30", 1),
    ("TRK-102 11/21 14:05 2m", "TRK-102", "2026-11-21 14:05:00", 2),
    ("TRK-102 11/20 14:05", "TRK-102", "2026-11-20 14:05:00", 1),
    ("TRK-102 11/21/2026 14:05", "TRK-102", "2026-11-21 14:05:00", 1),
    ("TRK-102 11/21/26 14:05", "TRK-102", "2026-11-21 14:05:00", 1),
    ("TRK-102 21/11 14:05", "TRK-102", "2026-11-21 14:05:00", 1),  # only one reading
    ("TRK-102 12/25 9am", "TRK-102", "2025-12-25 09:00:00", 1),  # the latest past one
    ("TRK-102 Nov 21 14:05 2m", "TRK-102", "2026-11-21 14:05:00", 2),
    ("TRK-102 November 20 2:15pm", "TRK-102", "2026-11-20 14:15:00", 1),
    ("TRK-102 21 Nov 14:05", "TRK-102", "2026-11-21 14:05:00", 1),
    ("TRK-102 Nov 21, 14:05", "TRK-102", "2026-11-21 14:05:00", 1),
    ("TRK-102 Nov 20 2026 14:05", "TRK-102", "2026-11-20 14:05:00", 1),
    ("TRK-102 Nov 21st 14:05", "TRK-102", "2026-11-21 14:05:00", 1),
    ("TRK-101 2026-11-20 14:05 3m front driver", "TRK-101", "2026-11-20 14:05:00", 3),
    ("TRK-101 2026-11-20T14:05", "TRK-101", "2026-11-20 14:05:00", 1),
    ("TRK-101 2026-11-20T20:05Z", "TRK-101", "2026-11-20 14:05:00", 1),
    ("TRK-101 Sat 14:05", "TRK-101", "2026-11-21 14:05:00", 1),
    ("TRK-101 Sat 15:00", "TRK-101", "2026-11-14 15:00:00", 1),  # the most recent Saturday 15:00
    ("TRK-101 Saturday 14:05", "TRK-101", "2026-11-21 14:05:00", 1),
    ("TRK-101 Fri 14:05", "TRK-101", "2026-11-20 14:05:00", 1),
    ("TRK-101 last Thursday 9am", "TRK-101", "2026-11-19 09:00:00", 1),
    ("TRK-101 on Mon 08:00", "TRK-101", "2026-11-16 08:00:00", 1),
    # No am/pm: the latest of the two that has passed (issue 24).
    ("TRK-101 on Mon 8:00", "TRK-101", "2026-11-16 20:00:00", 1),
    ("TRK-101 sun 23:15", "TRK-101", "2026-11-15 23:15:00", 1),
    ("TRK-102 now 1m", "TRK-102", "2026-11-21 14:29:00", 1),
    ("TRK-102 just now 2m", "TRK-102", "2026-11-21 14:28:00", 2),
    ("TRK-102 right now", "TRK-102", "2026-11-21 14:29:00", 1),
    ("TRK-102 now timelapse 5m", "TRK-102", "2026-11-21 14:25:00", 5),
    ("102 25m ago 2m", "102", "2026-11-21 14:05:00", 2),  # the fleet check is later
    ("TRK-101 25 min ago", "TRK-101", "2026-11-21 14:05:00", 1),
    ("TRK-101 25 mins ago", "TRK-101", "2026-11-21 14:05:00", 1),
    ("TRK-101 25 minutes ago", "TRK-101", "2026-11-21 14:05:00", 1),
    ("TRK-101 1h ago", "TRK-101", "2026-11-21 13:30:00", 1),
    ("TRK-101 1h30m ago", "TRK-101", "2026-11-21 13:00:00", 1),
    ("TRK-101 an hour ago", "TRK-101", "2026-11-21 13:30:00", 1),
    ("TRK-101 2 hours ago", "TRK-101", "2026-11-21 12:30:00", 1),
    ("TRK-101 90s ago", "TRK-101", "2026-11-21 14:28:30", 1),
    ("TRK-101 14:05 2 min", "TRK-101", "2026-11-21 14:05:00", 2),
    ("TRK-101 14:05 2 mins", "TRK-101", "2026-11-21 14:05:00", 2),
    ("TRK-101 14:05 2 minutes", "TRK-101", "2026-11-21 14:05:00", 2),
    ("TRK-101 14:05 120s", "TRK-101", "2026-11-21 14:05:00", 2),
    ("TRK-101 at 14:05 for 3 min", "TRK-101", "2026-11-21 14:05:00", 3),
    ('asset:"Reefer 12" 20m ago timelapse 15m left rear', "Reefer 12", "2026-11-21 14:10:00", 15),
    ('asset:"Reefer 12" yesterday 3pm timelapse 1h', "Reefer 12", "2026-11-20 15:00:00", 60),
    ("TRK-101 14:05 UTC", "TRK-101", "2026-11-21 08:05:00", 1),
    ("TRK-101 14:05 -06:00", "TRK-101", "2026-11-21 14:05:00", 1),
    ("TRK-101 9:05 America/New_York", "TRK-101", "2026-11-21 08:05:00", 1),
    ("TRK-101 around 2:15pm", "TRK-101", "2026-11-21 14:15:00", 1),
    ("trk-101 14:05", "trk-101", "2026-11-21 14:05:00", 1),  # the fleet's spelling comes later
    ("TRK-101 14:05 note: cut off on I-80", "TRK-101", "2026-11-21 14:05:00", 1),
    ("\u201cTRK-101\u201d 14:05 2m", "TRK-101", "2026-11-21 14:05:00", 2),
]


# ASCII ids: mutmut passes the ids back to pytest in the same process, and an escaped "\u201c"
# in an id is not found the second time.
@pytest.mark.parametrize(
    ("text", "target", "start", "minutes"),
    READS,
    ids=[r[0].encode("ascii", "replace").decode() for r in READS],
)
def test_phrasing_reads_as_meant(text: str, target: str, start: str, minutes: int) -> None:
    got = answer(text)
    assert got.fields is not None, got.message
    assert (got.fields.vehicle_number or got.fields.asset_name) == target
    assert local(got.fields) == start
    assert got.fields.duration == minutes


# (typed, the offending word, a piece of the rule)
REFUSED = [
    ("TRK-101 14:05 90s", "90s", "whole number of minutes"),
    ("TRK-101 14:05 4m", "4m", "Regular recalls last 1, 2 or 3 minutes"),
    ("TRK-101 10:05 timelapse 90m", "90m", "Timelapse recalls last"),
    ("TRK-101 14:05 timelapse 20m", "20m", "Timelapse recalls last"),
    ('TRK-101 asset:"Reefer 12" 20m ago 2m', "asset:Reefer 12", "either a vehicle or an asset"),
    ("TRK-101 2026-03-08 02:30", "02:30", "did not happen"),
    ("TRK-101 yesterday", "yesterday", "give the time of day"),
    ("TRK-101 Sat", "Sat", "give the time of day"),
    ("TRK-101", "", "Say when"),
    ("TRK-101 2m front", "", "Say when"),
    ("TRK-101 14:05 15:00", "15:00", "two times"),
    ("TRK-101 yesterday today 14:05", "today", "two days"),
    ("TRK-101 20m ago 14:05", "14:05", "two times"),
    ("TRK-101 14:05 now", "now", "two start times"),
    ("TRK-101 14:05 3m 2m", "2m", "two durations"),
    ("TRK-101 14:05 fornt", "fornt", "Did you mean front?"),
    ("TRK-101 yesturday 3pm", "yesturday", "Did you mean yesterday?"),
    ("TRK-101 25:00", "25:00", "don't understand"),
    ("TRK-101 13pm", "13pm", "don't understand"),
    ("TRK-101 20m ago UTC", "UTC", "A time zone goes right after a time of day"),
    ("TRK-101 2/30 14:05", "2/30", "not a real date"),
    ("TRK-101 Nov 31 14:05", "Nov 31", "not a real date"),
    ("TRK-101 today 23:00", "today 23:00", "in the future"),
    ("TRK-101 1m ago 3m", "1m ago", "runs past now"),
    ("TRK-101 14:05 rear rear", "rear", "listed twice"),
    ('asset:"Reefer 12" 20m ago front', "front", "no front camera"),
    ("%%% 14:05", "%%%", "as a truck or trailer"),
    ('asset:"Reefer 12 14:05', 'asset:"Reefer', "quote is not closed"),
    ("TRK-101 driver's 14:05", "driver's", "quote is not closed"),
    ("list", "list", "/recall takes a truck and a time"),
    ("status", "status", "/recall takes a truck and a time"),
    ("mine", "mine", "/recall takes a truck and a time"),
]


@pytest.mark.parametrize(("text", "word", "rule"), REFUSED, ids=[r[0] for r in REFUSED])
def test_refusal_names_word_rule_and_a_command_that_works(text: str, word: str, rule: str) -> None:
    got = answer(text)
    assert got.fields is None, f"{text!r} was accepted"
    assert rule in got.message
    assert got.word == word and word in got.message
    if not got.example:
        # No command is offered when none asks for what the words said (issue 24: a stand-in
        # command, or a start moved to "30m ago", asked for footage nobody described).
        return
    assert got.example.startswith("/recall ")
    fixed = answer(got.example.removeprefix("/recall "))
    assert fixed.fields is not None, f"the suggestion {got.example!r} fails: {fixed.message}"


def test_there_are_at_least_sixty_phrasings() -> None:
    assert len(READS) + len(REFUSED) >= 60


def test_help_is_generated_and_every_form_it_shows_parses() -> None:
    body, _ = help_message("/recall")
    for phrase in WHEN_EXAMPLES:
        assert f"`{phrase}`" in body
        assert answer(f"TRK-101 {phrase}").fields is not None, phrase
    for duration in DURATION_EXAMPLES:
        assert f"`{duration}`" in body
        got = parse_recall(f"TRK-101 20m ago {duration}", now=NOW, tz=CHICAGO)
        assert got.words["duration"] == duration
    for cameras in CAMERA_EXAMPLES:
        assert f"`{cameras}`" in body
        got = parse_recall(f"TRK-101 20m ago {cameras}", now=NOW, tz=CHICAGO)
        assert got.words["start_time"] == "20m ago"
    # What a refusal names where a time goes is a form the help shows (and so parses).
    assert set(WHEN_HINTS) <= set(WHEN_EXAMPLES)


def test_month_and_day_follow_the_users_locale() -> None:
    assert month_first("en-US") and month_first(None) and month_first("ja-JP")
    assert not month_first("en-GB") and not month_first("fr-FR")
    us = parse_recall("TRK-101 11/12 14:05", now=NOW, tz=CHICAGO, month_first=True)
    uk = parse_recall("TRK-101 11/12 14:05", now=NOW, tz=CHICAGO, month_first=False)
    assert local_date(us) == "2026-11-12" and local_date(uk) == "2025-12-11"


def local_date(fields: RecallFields) -> str:
    return local(fields)[:10]


def test_slack_entities_are_read_as_the_characters_they_stand_for() -> None:
    for text in ('asset:"Yard A &amp; B" 20m ago', 'asset:"Yard A & B" 20m ago'):
        assert parse_recall(text, now=NOW, tz=CHICAGO).asset_name == "Yard A & B"
    assert parse_snapshot("asset:&lt;Gate&gt; rear").asset_name == "<Gate>"


def test_smart_dashcam_correction_comes_from_the_violation_type() -> None:
    fields = parse_recall("TRK-103 30m ago 3m", now=NOW, tz=CHICAGO)
    smart = FleetUnit("vehicle", "TRK-103", frozenset({P.FRONT_FACING}), smart_dashcam=True)
    with pytest.raises(SmartDashcamDurationViolation) as caught:
        fields.request(NOW, smart)
    # A regular 3-minute recall is valid elsewhere; on a smart dashcam the nearest is 1 minute.
    assert corrected_example("/recall", fields, caught.value, smart) == "/recall TRK-103 30m ago 1m"
    fields.request(NOW)  # without the fleet's word, the same request is fine by the rules


# --- the two clock changes of 2026 in America/Chicago --------------------------------------------

AUTUMN = datetime(2026, 11, 1, 7, 10, tzinfo=UTC)  # 01:10 CST, the second 01:10 of the night
SPRING = datetime(2026, 3, 8, 9, 0, tzinfo=UTC)  # 04:00 CDT; 02:00-02:59 never happened


def at(now: datetime, text: str) -> RecallFields:
    got = answer(text, now=now)
    assert got.fields is not None, got.message
    return got.fields


def test_autumn_time_still_ahead_in_the_second_hour_means_the_first() -> None:
    f = at(AUTUMN, "TRK-101 01:30 2m")
    assert f.start_time == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 01:30 CDT, 40 min ago
    assert f.remarks and "first" in f.remarks[0] and "CDT" in f.remarks[0]
    assert f.anchor_note == f.remarks[0]


def test_autumn_time_that_passed_twice_means_the_latest() -> None:
    f = at(AUTUMN, "TRK-101 1:05")
    assert f.start_time == datetime(2026, 11, 1, 7, 5, tzinfo=UTC)  # 01:05 CST, 5 min ago
    assert "second" in f.remarks[0] and "CST" in f.remarks[0]


def test_autumn_a_zone_word_picks_the_occurrence() -> None:
    assert at(AUTUMN, "TRK-101 1:05 CDT").start_time == datetime(2026, 11, 1, 6, 5, tzinfo=UTC)
    assert not any("twice" in r for r in at(AUTUMN, "TRK-101 1:05 CDT").remarks)
    # 01:30 CST is still ahead tonight: the latest past one was the night before.
    assert at(AUTUMN, "TRK-101 01:30 CST").start_time == datetime(2026, 10, 31, 7, 30, tzinfo=UTC)
    assert "in the future" in answer("TRK-101 today 1:30 CST", now=AUTUMN).message
    # Without am/pm, 1:30 CST is the latest of 01:30 and 13:30 CST that has passed (issue 24).
    assert at(AUTUMN, "TRK-101 1:30 CST").start_time == datetime(2026, 10, 31, 19, 30, tzinfo=UTC)


def test_autumn_relative_times_are_instants() -> None:
    assert at(AUTUMN, "TRK-101 1h ago").start_time == AUTUMN - timedelta(hours=1)
    assert at(AUTUMN, "TRK-101 90m ago").start_time == AUTUMN - timedelta(minutes=90)
    assert at(AUTUMN, "TRK-101 now 2m").start_time == AUTUMN - timedelta(minutes=2)


def test_autumn_next_day_named_days_and_dates() -> None:
    later = datetime(2026, 11, 2, 18, 0, tzinfo=UTC)  # Monday noon CST
    for text in ("TRK-101 yesterday 01:30", "TRK-101 Sun 1:30am", "TRK-101 11/1 01:30"):
        f = at(later, text)
        assert f.start_time == datetime(2026, 11, 1, 7, 30, tzinfo=UTC), text
        assert "second" in f.remarks[0]
    # 15:00 on the day of the change is CST: 21:00 UTC, not 24 hours before today's 15:00 CDT.
    assert at(later, "TRK-101 yesterday 3pm").start_time == datetime(2026, 11, 1, 21, 0, tzinfo=UTC)
    assert at(later, "TRK-101 2026-10-31 15:00").start_time == datetime(
        2026, 10, 31, 20, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "text",
    ["TRK-101 2:30", "TRK-101 today 2:30", "TRK-101 2026-03-08 02:30 2m", "TRK-101 Mar 8 2:30am"],
)
def test_spring_a_time_that_did_not_happen_is_refused(text: str) -> None:
    got = answer(text, now=SPRING)
    assert got.fields is None
    assert "did not happen" in got.message and "jumped forward an hour" in got.message
    assert "03:30" in got.example
    fixed = answer(got.example.removeprefix("/recall "), now=SPRING)
    assert fixed.fields is not None and fixed.fields.start_time == datetime(
        2026, 3, 8, 8, 30, tzinfo=UTC
    )


def test_spring_times_around_the_gap() -> None:
    assert at(SPRING, "TRK-101 1:30").start_time == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert at(SPRING, "TRK-101 3:30").start_time == datetime(2026, 3, 8, 8, 30, tzinfo=UTC)
    assert at(SPRING, "TRK-101 2h ago").start_time == SPRING - timedelta(hours=2)
    assert at(SPRING, "TRK-101 3h ago").start_time == datetime(2026, 3, 8, 6, 0, tzinfo=UTC)
    # Before the gap is reached, 02:30 is yesterday's, which happened.
    early = datetime(2026, 3, 8, 7, 50, tzinfo=UTC)  # 01:50 CST
    assert at(early, "TRK-101 02:30").start_time == datetime(2026, 3, 7, 8, 30, tzinfo=UTC)
    # Without am/pm, the latest 2:30 that has passed is yesterday's 14:30 (issue 24).
    assert at(early, "TRK-101 2:30").start_time == datetime(2026, 3, 7, 20, 30, tzinfo=UTC)
    nextday = datetime(2026, 3, 9, 17, 0, tzinfo=UTC)
    assert "did not happen" in answer("TRK-101 yesterday 02:30", now=nextday).message
    assert at(nextday, "TRK-101 yesterday 2:30").start_time == datetime(
        2026, 3, 8, 19, 30, tzinfo=UTC
    )
    assert at(nextday, "TRK-101 yesterday 3pm").start_time == datetime(
        2026, 3, 8, 20, 0, tzinfo=UTC
    )


def test_an_unknown_zone_asks_for_wall_times_and_takes_relative_ones() -> None:
    got = answer("TRK-101 14:05 2m", tz=None)
    assert got.fields is None and "will not guess what 14:05 means" in got.message
    assert got.example == "/recall TRK-101 14:05 UTC 2m"
    assert answer("TRK-101 25m ago 2m", tz=None).fields is not None
    assert answer("TRK-101 now", tz=None).fields is not None
    explicit = answer("TRK-101 14:05 America/Chicago", tz=None)
    assert local(explicit.fields) == "2026-11-21 14:05:00"


# --- no text breaks the parser -----------------------------------------------------------------

WORDS = st.sampled_from(
    [
        "TRK-101",
        'asset:"Reefer 12"',
        "asset:",
        "vehicle:x",
        "14:05",
        "2:15",
        "pm",
        "am",
        "at",
        "yesterday",
        "today",
        "Sat",
        "last",
        "Nov",
        "31",
        "21st",
        "11/21",
        "2/29",
        "0001-01-01",
        "9999-12-31",
        "23:59",
        "0:00",
        "now",
        "just",
        "ago",
        "20m",
        "999999h",
        "1h30m",
        "90s",
        "2",
        "min",
        "an",
        "hour",
        "timelapse",
        "regular",
        "front",
        "rear",
        "right",
        "all",
        "UTC",
        "CDT",
        "+14:00",
        "-99",
        "America/Chicago",
        "Not/AZone",
        "../etc",
        "note:",
        '"',
        "&amp;",
        "&lt;",
        "2026-11-20T14:05",
        "9999-12-31T23:59:59Z",
    ]
)
TEXTS = st.one_of(st.text(max_size=60), st.lists(WORDS, max_size=8).map(" ".join))
ZONES = st.sampled_from([CHICAGO, ZoneInfo("UTC"), ZoneInfo("Pacific/Kiritimati"), None])
INSTANTS = st.datetimes(
    min_value=datetime(1, 1, 3), max_value=datetime(9999, 12, 29), timezones=st.just(UTC)
)


@settings(max_examples=400, deadline=None)
@given(text=TEXTS, tz=ZONES, now=INSTANTS, month_first=st.booleans())
# A day word corrected beside a time whose clock in a +14:00 zone is past year 9999.
@example(
    text="0 A 9999-12-31T1000Z",
    tz=ZoneInfo("Pacific/Kiritimati"),
    now=datetime(2000, 1, 1, tzinfo=UTC),
    month_first=False,
)
def test_no_text_raises_anything_but_a_parse_error(
    text: str, tz: ZoneInfo | None, now: datetime, month_first: bool
) -> None:
    try:
        fields = parse_recall(text, now=now, tz=tz, month_first=month_first)
    except ParseError as e:
        assert e.message
    else:
        try:
            fields.request(now)
        except RuleViolation as e:
            offered = corrected_example("/recall", fields, e, now=now)
            assert offered == "" or offered.startswith("/recall ")
    try:
        snap = parse_snapshot(text)
    except ParseError as e:
        assert e.message
    else:
        try:
            snap.request()
        except RuleViolation as e:
            offered = corrected_example("/snapshot", snap, e)
            assert offered in ("", "/snapshot") or offered.startswith("/snapshot ")


def test_recall_type_word_is_kept() -> None:
    f = parse_recall("TRK-101 20m ago timelapse", now=NOW, tz=CHICAGO)
    assert (f.recall_type, f.duration) == (RecallType.TIMELAPSE, 15)
