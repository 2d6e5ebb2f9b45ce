"""The parser's answers word for word, written against the mutants that survived
`scripts/mutation 'bot.grammar.parsing*'` (since split into the modules of `bot/grammar/`): what a refusal says (its word, what is allowed, the
corrected command), which instant a wall time near a clock change means, and the boundaries
(a time equal to now, a skipped time equal to now)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.access.fleet import FleetUnit, Match
from bot.grammar.corrections import adopt_unit, corrected_example, explain
from bot.grammar.mentions import find_in_text
from bot.grammar.recall import RecallFields, parse_recall, parse_when
from bot.grammar.snapshot import parse_snapshot
from bot.grammar.tokens import ParseError, is_help, is_listing, tokenize, unescape
from motive.rules import CameraPosition as P
from motive.rules import RecallTypeViolation, RuleViolation

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
            "",  # either moment may be the one meant (issue 24)
        ),
        (
            "TRK-101 14:05 15:00",
            "You gave two times, 14:05 and 15:00; give one.",
            "15:00",
            "one time",
            "",  # either moment may be the one meant (issue 24)
        ),
        (
            "TRK-101 20m ago 2026-11-20T14:05",
            "You gave two start times, 20m ago and 2026-11-20T14:05; give one.",
            "2026-11-20T14:05",
            "one start time",
            "",  # either moment may be the one meant (issue 24)
        ),
        (
            "TRK-101 now 2026-11-20T14:05",
            "You gave two start times, now and 2026-11-20T14:05; give one.",
            "2026-11-20T14:05",
            "one start time",
            "",  # either moment may be the one meant (issue 24)
        ),
        (
            # The word after the second start time stays in the corrected command.
            "TRK-101 14:05 2026-11-20T14:05 2m",
            "You gave two start times, 14:05 and 2026-11-20T14:05; give one.",
            "2026-11-20T14:05",
            "one start time",
            "",  # either moment may be the one meant (issue 24)
        ),
        (
            # A date and time in one word is named once, not as its day and then its time.
            "TRK-101 2026-11-20T14:05Z 15:00",
            "You gave two times, 2026-11-20T14:05Z and 15:00; give one.",
            "15:00",
            "one time",
            "",  # either moment may be the one meant (issue 24)
        ),
        (
            "TRK-101 2026-11-20T14:05 yesterday 2m",
            "You gave two days, 2026-11-20T14:05 and yesterday; give one.",
            "yesterday",
            "one day",
            "",  # either moment may be the one meant (issue 24)
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
        "`left rear`: TRK-101 has no left or rear camera; it has front."
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
        # A corrected word stays before the note (a missing time is no longer filled in with a
        # stand-in, issue 24: the correction of a misspelled camera word is the case now).
        (
            "TRK-101 14:05 fornt note: cut off",
            "/recall TRK-101 14:05 front note: cut off",
            "cut off",
        ),
        ("TRK-101 14:05 4m Note: cut off", "/recall TRK-101 14:05 3m Note: cut off", "cut off"),
        # Quoted, a note with an unpaired quote could not be read back.
        (
            'TRK-101 14:05 fornt note: the "big one',
            '/recall TRK-101 14:05 front note: the "big one',
            'the "big one',
        ),
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


# --- /snapshot -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "example"),
    [
        ("", "Say which truck and which camera.", "/snapshot TRK-101 front"),
        (
            "mine",
            "`/snapshot mine` is not something I can show here: /snapshot takes a truck and a "
            "camera (`/snapshot TRK-101 front`), `/snapshot` alone opens the form, and "
            "`/snapshot help` lists every form.",
            "/snapshot TRK-101 front",
        ),
        (
            "%%% front",
            "I can't read '%%%' as a truck or trailer: say a vehicle number (like TRK-101) or "
            'asset:"NAME" first, then the rest.',
            "",  # no stand-in unit (issue 24)
        ),
        (
            "TRK-101 all front",
            "`all` takes a snapshot from every camera; you also named front. Say all, or one "
            "camera.",
            "/snapshot TRK-101 all",
        ),
        (
            "TRK-101 raer",
            "I don't understand 'raer'. Did you mean rear? After the truck comes one camera word "
            "(front, driver, left, right or rear), or all for every camera.",
            "/snapshot TRK-101 rear",
        ),
        (
            # Nothing close, and nothing else said: no stand-in camera is offered (issue 24).
            "TRK-101 roof",
            "I don't understand 'roof'. After the truck comes one camera word (front, driver, "
            "left, right or rear), or all for every camera.",
            "",
        ),
        (
            "TRK-101 rear roof",
            "I don't understand 'roof'. After the truck comes one camera word (front, driver, "
            "left, right or rear), or all for every camera.",
            "/snapshot TRK-101 rear",
        ),
    ],
)
def test_snapshot_refusals_word_for_word(text: str, message: str, example: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_snapshot(text)
    assert (caught.value.message, caught.value.example) == (message, example)


def test_snapshot_fields_and_the_request_they_make() -> None:
    s = parse_snapshot("TRK-101 Front note:cut off")
    assert (s.words, s.spans, s.note) == (
        {"target": "TRK-101", "position": "Front"},
        {"target": [0], "position": [1]},
        "cut off",
    )
    request = s.request()
    assert (request.target.kind, request.target.name, request.position) == (
        "vehicle",
        "TRK-101",
        P.FRONT_FACING,
    )
    # A quoted "note:" is a note too, and takes every word after it.
    assert parse_snapshot('TRK-101 rear "note:a" b').note == "a b"


def test_a_second_target_in_a_snapshot_is_the_one_pointed_at() -> None:
    s = parse_snapshot("TRK-101 rear Asset:Yard")
    assert (s.vehicle_number, s.asset_name) == ("TRK-101", "Yard")
    assert s.spans["target2"] == [2] and s.words["target"] == "Asset:Yard"
    with pytest.raises(RuleViolation) as caught:
        s.request()
    # Either unit may be the one meant: no command (issue 24).
    assert corrected_example("/snapshot", s, caught.value) == ""


def test_a_snapshot_is_checked_against_what_the_unit_carries() -> None:
    # The narrow camera is for video only: it is not offered for a snapshot.
    unit = FleetUnit("vehicle", "TRK-101", frozenset({P.FRONT_NARROW_FACING, P.REAR}))
    with pytest.raises(RuleViolation) as caught:
        parse_snapshot("TRK-101 front").request(unit)
    assert caught.value.field == "position"
    assert str(caught.value) == "TRK-101 has no front camera; it has rear."
    assert parse_snapshot("TRK-101 rear").request(unit).position is P.REAR
    assert parse_snapshot("TRK-101 front").request(FleetUnit("vehicle", "TRK-101")).position


def test_every_camera_of_a_snapshot_is_what_the_unit_carries() -> None:
    both = FleetUnit(
        "vehicle", "TRK-101", frozenset({P.REAR, P.FRONT_FACING, P.FRONT_NARROW_FACING})
    )
    every = parse_snapshot("TRK-101 every")
    assert every.all_cameras and every.words["position"] == "every"
    assert [r.position for r in every.requests_all(both)] == [P.FRONT_FACING, P.REAR]
    assert [r.position for r in every.requests_all()] == [
        P.FRONT_FACING,
        P.DRIVER_FACING,
        P.SIDE_LEFT,
        P.SIDE_RIGHT,
        P.REAR,
    ]
    trailer = parse_snapshot('asset:"Reefer 12" all').requests_all(FleetUnit("asset", "Reefer 12"))
    assert {(r.target.kind, r.target.name) for r in trailer} == {("asset", "Reefer 12")}
    assert [r.position for r in trailer] == [P.SIDE_LEFT, P.SIDE_RIGHT, P.REAR]
    narrow_only = FleetUnit("vehicle", "TRK-101", frozenset({P.FRONT_NARROW_FACING}))
    with pytest.raises(RuleViolation) as caught:
        every.requests_all(narrow_only)
    assert str(caught.value) == (
        "TRK-101 has no front, driver, left, right or rear camera; it "
        "has no camera the fleet list names."
    )


# --- a typed name against the fleet ------------------------------------------------------------


def test_the_fleets_own_spelling_is_adopted() -> None:
    unit = FleetUnit("vehicle", "TRK-101", frozenset({P.FRONT_FACING}))
    f = parse_recall("trk-101 14:05", now=NOW, tz=CHICAGO)
    assert adopt_unit("/recall", f, Match(unit)) is unit
    assert (f.vehicle_number, f.tokens) == ("TRK-101", ["TRK-101", "14:05"])
    trailer = FleetUnit("asset", "Reefer 12")
    s = parse_snapshot('asset:"reefer 12" rear')
    assert adopt_unit("/snapshot", s, Match(trailer)) is trailer
    assert (s.asset_name, s.vehicle_number, s.tokens) == (
        "Reefer 12",
        None,
        ["asset:Reefer 12", "rear"],
    )
    # No fleet list to hand, or no single target: the words stay as typed.
    assert adopt_unit("/recall", f, None) is None
    both = parse_recall("TRK-1 asset:x 14:05", now=NOW, tz=CHICAGO)
    assert adopt_unit("/recall", both, Match(unit)) is None and both.vehicle_number == "TRK-1"


@pytest.mark.parametrize(
    ("command", "text", "suggestions", "message", "example"),
    [
        (
            "/recall",
            "TRK-999 14:05",
            (),
            "There is no vehicle 'TRK-999' in the fleet. Check the number, or open the form "
            "(/recall alone) and pick it from the list.",
            "/recall",
        ),
        (
            "/snapshot",
            'asset:"Yard 9" rear',
            (),
            "There is no asset 'Yard 9' in the fleet. Check the name, or open the form "
            "(/snapshot alone) and pick it from the list.",
            "/snapshot",
        ),
        (
            "/recall",
            "TRK101 14:05",
            (FleetUnit("vehicle", "TRK-101"),),
            "There is no vehicle 'TRK101' in the fleet. Did you mean TRK-101?",
            "/recall TRK-101 14:05",
        ),
        (
            "/snapshot",
            "TRK10 front",
            (
                FleetUnit("vehicle", "TRK-101"),
                FleetUnit("vehicle", "TRK-102"),
                FleetUnit("asset", "Reefer 12"),
            ),
            "There is no vehicle 'TRK10' in the fleet. Did you mean TRK-101? (or TRK-102, "
            "asset:Reefer 12)",
            "/snapshot TRK-101 front",
        ),
    ],
)
def test_a_name_not_in_the_fleet_is_refused_with_the_nearest(
    command: str, text: str, suggestions: tuple[FleetUnit, ...], message: str, example: str
) -> None:
    fields = (
        parse_recall(text, now=NOW, tz=CHICAGO) if command == "/recall" else parse_snapshot(text)
    )
    with pytest.raises(ParseError) as caught:
        adopt_unit(command, fields, Match(None, suggestions))
    assert (caught.value.message, caught.value.example) == (message, example)
    assert caught.value.word == (fields.vehicle_number or fields.asset_name)


# --- a truck and a time inside a message -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "names", "start", "words"),
    [
        # A bare 2:15 is the latest past of 2:15 and 14:15.
        ("TRK-101 cut off on I-80 around 2:15", ("TRK-101", "I-80"), (21, 20, 15), "around 2:15"),
        (
            "TRK-101 and 102, at 2:15pm yesterday!",
            ("TRK-101", "102"),
            (20, 20, 15),
            "at 2:15pm yesterday",
        ),
        ("(TRK-101): hit at 11/20 14:05, driver: ok.", ("TRK-101",), (20, 20, 5), "at 11/20 14:05"),
        ("TRK-7 at 9:40", ("TRK-7",), (21, 15, 40), "at 9:40"),
        ("TRK-7 at 2:40 and TRK-7 again", ("TRK-7",), (21, 8, 40), "at 2:40"),
        ("TRK-101 at 2026-11-20 14:05", ("TRK-101",), (20, 20, 5), "at 2026-11-20 14:05"),
        ("TRK-101 20m ago", ("TRK-101", "20m"), (21, 20, 10), "20m ago"),
        ("TRK-101 at 14:05 front", ("TRK-101",), (21, 20, 5), "at 14:05"),
        ("nothing here", (), None, ""),
        ("TRK-101 at 25:99", ("TRK-101",), None, ""),
    ],
)
def test_a_message_is_read_for_names_and_its_first_time(
    text: str, names: tuple[str, ...], start: tuple[int, int, int] | None, words: str
) -> None:
    found = find_in_text(text, now=NOW, tz=CHICAGO)
    assert found.names == names
    expected = (
        None if start is None else datetime(2026, 11, start[0], start[1], start[2], tzinfo=UTC)
    )
    assert (found.start, found.start_words) == (expected, words)


def test_a_message_read_without_the_users_zone_gives_names_only() -> None:
    found = find_in_text("TRK-101 at 2:15pm", now=NOW, tz=None)
    assert (found.names, found.start, found.start_words) == (("TRK-101",), None, "")


def test_a_message_read_day_first() -> None:
    assert find_in_text("at 11/10 14:05", now=NOW, tz=CHICAGO, month_first=False).start == (
        datetime(2026, 10, 11, 19, 5, tzinfo=UTC)
    )


# --- the console's date-and-time field, help and listing words -----------------------------------


def test_parse_when_reads_only_time_words() -> None:
    assert parse_when("20m ago", now=NOW, tz=CHICAGO) == datetime(2026, 11, 21, 20, 10, tzinfo=UTC)
    assert parse_when("2026-11-20 14:05", now=NOW, tz=CHICAGO) == datetime(
        2026, 11, 20, 20, 5, tzinfo=UTC
    )
    with pytest.raises(ParseError) as caught:
        parse_when("20m ago front", now=NOW, tz=CHICAGO)
    assert caught.value.message == (
        "'20m ago front' is not a time; write 14:05, 2026-11-20 14:05 or 20m ago."
    )
    assert caught.value.word == "20m ago front"


@pytest.mark.parametrize("text", ["help", " HELP ", "?", "-h", "--help"])
def test_help_words(text: str) -> None:
    assert is_help(text) and not is_listing(text)


@pytest.mark.parametrize("text", ["list", " Mine ", "status", "requests", "history"])
def test_listing_words(text: str) -> None:
    assert is_listing(text) and not is_help(text)
    assert not is_listing(f"{text} TRK-101")


# --- a word the grammar does not know ------------------------------------------------------------

RECALL_WORDS = (
    "After the truck come a time, a duration like 2m, timelapse, and camera words (front, "
    "driver, narrow, left, right, rear)."
)


@pytest.mark.parametrize(
    ("text", "message", "example"),
    [
        (
            "TRK-101 14:05 fornt",
            f"I don't understand 'fornt'. Did you mean front? {RECALL_WORDS}",
            "/recall TRK-101 14:05 front",
        ),
        # Short, but with a close word: the close word, not the stock example.
        (
            "TRK-101 fornt",
            f"I don't understand 'fornt'. Did you mean front? {RECALL_WORDS}",
            "/recall TRK-101 front",
        ),
        # Nothing close: no command is offered, neither a stand-in nor the word dropped (it may
        # have been the camera that was meant; issue 24). The message names what may stand there.
        ("TRK-101 roof", f"I don't understand 'roof'. {RECALL_WORDS}", ""),
        ("TRK-101 14:05 roof", f"I don't understand 'roof'. {RECALL_WORDS}", ""),
        (
            "TRK-101 14:05 yesturday",
            f"I don't understand 'yesturday'. Did you mean yesterday? {RECALL_WORDS}",
            "/recall TRK-101 14:05 yesterday",
        ),
        (
            "TRK-101 20m ago UTC",
            "I don't understand 'UTC'. A time zone goes right after a time of day, like 14:05 UTC.",
            "/recall TRK-101 20m ago",
        ),
    ],
)
def test_an_unknown_recall_word_is_answered_word_for_word(
    text: str, message: str, example: str
) -> None:
    e = refused(text)
    assert (e.message, e.example, e.allowed) == (
        message,
        example,
        "time, duration, timelapse, camera words",
    )


def test_a_snapshot_suggests_camera_words_only() -> None:
    with pytest.raises(ParseError) as caught:
        parse_snapshot("TRK-101 yesturday")
    assert "Did you mean" not in caught.value.message
    assert caught.value.example == ""  # no stand-in camera (issue 24)


# --- a smart dashcam records no timelapse --------------------------------------------------------

SMART = FleetUnit("vehicle", "TRK-103", frozenset({P.FRONT_FACING}), smart_dashcam=True)


@pytest.mark.parametrize(
    ("text", "example"),
    [
        # No duration was typed: none is added (a regular recall's default is 1 minute).
        ("TRK-103 30m ago timelapse", "/recall TRK-103 30m ago regular"),
        ("TRK-103 30m ago timelapse 15m", "/recall TRK-103 30m ago regular 1m"),
        ("TRK-103 30m ago timelapse 15m front", "/recall TRK-103 30m ago regular 1m front"),
        ("TRK-103 30m ago 15m TIMELAPSE front", "/recall TRK-103 30m ago 1m regular front"),
    ],
)
def test_a_timelapse_on_a_smart_dashcam_becomes_a_regular_minute(text: str, example: str) -> None:
    f = parse_recall(text, now=NOW, tz=CHICAGO)
    got = corrected_example("/recall", f, violation(f, SMART))
    assert got == example
    assert parse_recall(got.removeprefix("/recall "), now=NOW, tz=CHICAGO).request(NOW, SMART)


# --- the corrected command for each kind of violation --------------------------------------------


@pytest.mark.parametrize(
    ("text", "example"),
    [
        # Only the repeat is dropped, not the first mention nor the cameras around it.
        ("TRK-101 front rear rear 14:05", "/recall TRK-101 front rear 14:05"),
        # Two units, or an empty name: no command (either unit may be the one meant, and a
        # stand-in would be another unit's footage; issue 24).
        ("TRK-101 asset:Yard 20m ago", ""),
        ("asset: 20m ago", ""),
    ],
)
def test_a_corrected_recall(text: str, example: str) -> None:
    f = parse_recall(text, now=NOW, tz=CHICAGO)
    assert corrected_example("/recall", f, violation(f)) == example


@pytest.mark.parametrize(
    ("text", "example"),
    [
        ("TRK-101 20m ago timelapse 15m", "/recall TRK-101 20m ago regular 1m"),
        # A duration a regular recall allows is kept.
        ("TRK-101 20m ago timelapse 2m", "/recall TRK-101 20m ago regular 2m"),
    ],
)
def test_a_recall_type_refused_by_the_rules_becomes_regular(text: str, example: str) -> None:
    f = parse_recall(text, now=NOW, tz=CHICAGO)
    refusal = RecallTypeViolation("no timelapse here", value="timelapse")
    assert corrected_example("/recall", f, refusal) == example


@pytest.mark.parametrize(
    ("text", "unit", "example"),
    [
        # The first camera a snapshot allows: front on a vehicle, rear on a trailer.
        ("TRK-101 narrow", None, "/snapshot TRK-101 front"),
        ('asset:"Reefer 12" front', None, '/snapshot asset:"Reefer 12" rear'),
        # Only what the unit carries.
        (
            "TRK-101 front",
            FleetUnit("vehicle", "TRK-101", frozenset({P.REAR})),
            "/snapshot TRK-101 rear",
        ),
        (
            'asset:"Reefer 12" front',
            FleetUnit("asset", "Reefer 12", frozenset({P.SIDE_LEFT, P.SIDE_RIGHT})),
            '/snapshot asset:"Reefer 12" left',
        ),
        # Nothing it carries will do: the form.
        ('asset:"Reefer 12" front', FleetUnit("asset", "Reefer 12", frozenset()), "/snapshot"),
        ("asset: rear", None, ""),  # no stand-in unit (issue 24)
    ],
)
def test_a_corrected_snapshot(text: str, unit: FleetUnit | None, example: str) -> None:
    fields = parse_snapshot(text)
    with pytest.raises(RuleViolation) as caught:
        fields.request(unit)
    assert corrected_example("/snapshot", fields, caught.value, unit) == example


@pytest.mark.parametrize(
    ("text", "message", "word", "example"),
    [
        (
            "TRK-101 20m ago now",
            "You gave two start times, 20m ago and now; give one.",
            "now",
            "",  # either moment may be the one meant (issue 24)
        ),
        (
            "TRK-101 now 20m ago",
            "You gave two start times, now and 20m ago; give one.",
            "20m ago",
            "",
        ),
    ],
)
def test_two_relative_start_times(text: str, message: str, word: str, example: str) -> None:
    e = refused(text)
    assert (e.message, e.word, e.example) == (message, word, example)


def test_a_time_before_the_calendar_begins_is_refused() -> None:
    dawn = datetime(1, 1, 1, 1, 0, tzinfo=UTC)
    e = refused("TRK-101 2h ago", now=dawn)
    assert (e.message, e.word, e.allowed, e.example) == (
        "2h ago is further back than any footage.",
        "2h ago",
        "a few minutes to a few days ago",
        "",  # no stand-in: another unit's footage (issue 24)
    )


@pytest.mark.parametrize(
    ("text", "example"),
    [
        # Names with spaces are quoted, after their asset: or vehicle: prefix if they have one.
        ('asset:"Yard 1:2" 14:05 4m', '/recall asset:"Yard 1:2" 14:05 3m'),
        ('vehicle:"Big Truck" 14:05 4m', '/recall vehicle:"Big Truck" 14:05 3m'),
        ('"Big Truck" 14:05 4m', '/recall "Big Truck" 14:05 3m'),
        ('"Dock 4: Bay 2" 14:05 4m', '/recall "Dock 4: Bay 2" 14:05 3m'),
    ],
)
def test_a_name_with_spaces_is_quoted_in_the_corrected_command(text: str, example: str) -> None:
    f = parse_recall(text, now=NOW, tz=CHICAGO)
    got = corrected_example("/recall", f, violation(f))
    assert got == example
    assert parse_recall(got.removeprefix("/recall "), now=NOW, tz=CHICAGO).target == f.target


def test_a_date_and_time_in_one_word_is_named_once() -> None:
    f = parse_recall("TRK-101 2026-11-22T14:05Z", now=NOW, tz=CHICAGO)
    assert f.start_time == datetime(2026, 11, 22, 14, 5, tzinfo=UTC)
    assert (f.words["start_time"], f.spans["start_time"]) == ("2026-11-22T14:05Z", [1])
    assert explain(f.words, violation(f)).startswith("`2026-11-22T14:05Z`: The start time")


# --- words, quotes and targets -------------------------------------------------------------------


def test_tokens_read_smart_quotes_commas_and_a_note_to_its_end() -> None:
    text = 'a \u201cb c\u201d \u2018d\u2019 Nov 21, x; , note: he said "hi'
    assert tokenize(text) == ["a", "b c", "d", "Nov", "21", "x", ",", 'note: he said "hi']


def test_slack_entities_are_unescaped_once() -> None:
    # "&amp;lt;" is what Slack sends for a typed "&lt;": it stays "&lt;".
    assert unescape("&amp;lt; a &lt;b&gt; &amp; c") == "&lt; a <b> & c"


@pytest.mark.parametrize(
    ("text", "word"),
    [('asset:"Reefer 12 14:05', 'asset:"Reefer'), ("TRK-101 it's 14:05", "it's")],
)
def test_an_unclosed_quote_names_its_word(text: str, word: str) -> None:
    e = refused(text)
    assert (e.message, e.word, e.example) == (
        f'A quote is not closed in {word}; put names with spaces in quotes, like asset:"Reefer 12".',
        word,
        "",  # no stand-in command: it asked for another unit's footage (issue 24)
    )


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("Vehicle:TRK-9 14:05", ("vehicle", "TRK-9")),
        ('ASSET:" Reefer 12 " 14:05', ("asset", "Reefer 12")),
        (" trk-9  14:05", ("vehicle", "trk-9")),
    ],
)
def test_a_target_with_or_without_its_kind(text: str, target: tuple[str, str]) -> None:
    f = parse_recall(text, now=NOW, tz=CHICAGO)
    assert f.target == target and f.spans["target"] == [0] and "target2" not in f.spans


@pytest.mark.parametrize("text", ["%%% 14:05", "asset:%%% 14:05", "vehicle:-- 14:05"])
def test_a_target_with_no_letter_or_digit_is_refused(text: str) -> None:
    e = refused(text)
    word = text.split()[0]
    assert (e.message, e.word, e.allowed, e.example) == (
        f"I can't read {word!r} as a truck or trailer: say a vehicle number (like TRK-101) or "
        'asset:"NAME" first, then the rest.',
        word,
        "a vehicle number, or asset:NAME",
        "",  # no stand-in unit (issue 24)
    )


def test_a_listing_word_alone_is_not_a_recall() -> None:
    e = refused("list")
    assert (e.message, e.word, e.allowed, e.example) == (
        "`/recall list` is not something I can show here: /recall takes a truck and a time "
        "(`/recall TRK-101 14:05 2m`), `/recall` alone opens the form, and `/recall help` lists "
        "every form.",
        "list",
        "a truck and a time",
        "/recall TRK-101 14:05 2m",
    )
    assert parse_recall("list 14:05", now=NOW, tz=CHICAGO).vehicle_number == "list"


# --- the recall grammar, field by field ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "duration"),
    [
        ("TRK-101 just now", datetime(2026, 11, 21, 20, 29, tzinfo=UTC), 1),
        ("TRK-101 right now 2m", datetime(2026, 11, 21, 20, 28, tzinfo=UTC), 2),
        ("TRK-101 now timelapse", datetime(2026, 11, 21, 20, 15, tzinfo=UTC), 15),
        ("TRK-101 2026-11-20t14:05z", datetime(2026, 11, 20, 14, 5, tzinfo=UTC), 1),
        ("TRK-101 2026-11-20T14:05", datetime(2026, 11, 20, 20, 5, tzinfo=UTC), 1),
        ("TRK-101 14:05 CST 120s", datetime(2026, 11, 21, 20, 5, tzinfo=UTC), 2),
        ("TRK-101 at 14:05 for 90s", datetime(2026, 11, 21, 20, 5, tzinfo=UTC), 1.5),
        ("TRK-101 14:05 all", datetime(2026, 11, 21, 20, 5, tzinfo=UTC), 1),
    ],
)
def test_start_and_duration(text: str, start: datetime, duration: float) -> None:
    f = parse_recall(text, now=NOW, tz=CHICAGO)
    assert (f.start_time, f.duration, type(f.duration)) == (start, duration, type(duration))


def test_now_counts_from_the_minute() -> None:
    # Said at 20:30:45, "now 2m" is the window that ends at 20:30.
    f = parse_recall("TRK-101 now 2m", now=NOW.replace(second=45, microsecond=5), tz=CHICAGO)
    assert f.start_time == datetime(2026, 11, 21, 20, 28, tzinfo=UTC)
    assert parse_recall("TRK-101 20m ago", now=NOW.replace(second=45), tz=CHICAGO).start_time == (
        datetime(2026, 11, 21, 20, 10, tzinfo=UTC)
    )


def test_the_words_of_each_field() -> None:
    f = parse_recall(
        "TRK-101 again at 14:05 CST for 2 min TIMELAPSE front rear", now=NOW, tz=CHICAGO
    )
    assert f.insist
    assert f.words == {
        "target": "TRK-101",
        "start_time": "14:05 CST",
        "duration": "2 min",
        "recall_type": "TIMELAPSE",
        "camera_positions": "front",
        "camera_positions:front_facing": "front",
        "camera_positions:rear": "rear",
    }
    assert f.spans == {
        "target": [0],
        "start_time": [3, 4],
        "duration": [6, 7],
        "recall_type": [8],
        "camera_positions": [9, 10],
    }
    assert f.camera_positions == [P.FRONT_FACING, P.REAR]
    assert not parse_recall("TRK-101 14:05", now=NOW, tz=CHICAGO).insist


@pytest.mark.parametrize(
    ("text", "message", "word", "allowed", "example"),
    [
        (
            "TRK-101 2026-11-20T25:05",
            "2026-11-20T25:05 is not a date and time I can read.",
            "2026-11-20T25:05",
            "YYYY-MM-DD HH:MM",
            "",  # no stand-in date: other footage (issue 24)
        ),
        (
            "TRK-101 2026-13-40 10:00",
            "2026-13-40 is not a real date.",
            "2026-13-40",
            "a date like 2026-11-20, 11/21 or Nov 21",
            "",
        ),
        (
            "TRK-101 2m",
            "Say when: a time like 14:05 or 2:15pm, a day and time like yesterday 3pm, Sat 14:05 "
            "or 11/21 14:05, or 20m ago, or now.",
            "",
            "14:05, 2:15pm, at 2:15 pm, yesterday 3pm, today 9:30, Sat 14:05, 11/21 14:05, "
            "Nov 21 14:05, 2026-11-20 14:05, 14:05 UTC, 20m ago, 1h30m ago, now, noon, midnight, "
            "this morning 9, this afternoon 1:30, last night 11pm, yesterday at 3, 1405, "
            "half an hour ago, an hour and a half ago",
            "",  # no stand-in time: footage nobody asked for (issue 24)
        ),
        (
            "TRK-101 Nov 21 2m",
            "After Nov 21, give the time of day, like Nov 21 14:05.",
            "Nov 21",
            "a day, then a time like 14:05 or 2:15pm",
            "",
        ),
        (
            "TRK-101 9999-12-31 23:59",
            "9999-12-31 23:59 is out of the range of dates I can read.",
            "9999-12-31 23:59",
            "a date in the last few weeks",
            "",
        ),
    ],
)
def test_times_that_cannot_be_read(
    text: str, message: str, word: str, allowed: str, example: str
) -> None:
    e = refused(text)
    assert (e.message, e.word, e.allowed, e.example) == (message, word, allowed, example)


def test_without_the_users_zone_a_wall_time_needs_one() -> None:
    with pytest.raises(ParseError) as caught:
        parse_recall("TRK-101 2:15 pm 2m", now=NOW, tz=None, zone_unknown="Slack did not say")
    e = caught.value
    assert (e.message, e.word, e.allowed, e.example) == (
        "Slack did not say, so I will not guess what 2:15 pm means. Add a zone after the time "
        "(UTC, an offset like -06:00, or a name like America/Chicago), or say how long ago it "
        "was, like 25m ago.",
        "2:15 pm",
        "a time with a zone, or a relative time",
        "/recall TRK-101 2:15 pm UTC 2m",
    )


# --- the fields, checked by the rules ------------------------------------------------------------


def test_a_recall_is_checked_against_the_unit() -> None:
    f = parse_recall("TRK-103 30m ago 3m front", now=NOW, tz=CHICAGO)
    plain = FleetUnit("vehicle", "TRK-103", frozenset({P.FRONT_FACING}), smart_dashcam=False)
    request = f.request(NOW, plain)
    assert (request.target.name, request.duration, request.camera_positions) == (
        "TRK-103",
        3,
        (P.FRONT_FACING,),
    )
    assert request.start_time == datetime(2026, 11, 21, 20, 0, tzinfo=UTC)
    with pytest.raises(RuleViolation):
        f.request(NOW, SMART)  # 3 minutes: too long for a smart dashcam
    rear_only = FleetUnit("vehicle", "TRK-103", frozenset({P.REAR}))
    with pytest.raises(RuleViolation) as caught:
        f.request(NOW, rear_only)
    assert str(caught.value) == "TRK-103 has no front camera; it has rear."
    # The rules judge against the `now` given, not the clock on the wall.
    with pytest.raises(RuleViolation):
        f.request(datetime(2026, 11, 21, 20, 1, tzinfo=UTC))


def test_the_anchor_note_is_the_note_and_the_remarks() -> None:
    f = parse_recall("TRK-101 01:30 2m note: cut off", now=AUTUMN, tz=CHICAGO)
    assert f.anchor_note == (
        "cut off · 01:30 happened twice on Sun 1 Nov (the clocks went back); this is the first, "
        "01:30 CDT (06:30 UTC)"
    )
    assert parse_recall("TRK-101 14:05", now=NOW, tz=CHICAGO).anchor_note is None


@pytest.mark.parametrize(
    ("text", "names", "start", "words"),
    [
        # A name in brackets or before a colon is still a name.
        ("Update (TRK-101): stuck at 2:15pm", ("TRK-101",), (21, 20, 15), "at 2:15pm"),
        ("TRK-101: stuck at 2:15pm", ("TRK-101",), (21, 20, 15), "at 2:15pm"),
        ("XR-7 at 2:15", ("XR-7",), (21, 20, 15), "at 2:15"),
        # A time alone at the end of the message.
        ("TRK-101 stuck since 14:05", ("TRK-101",), (21, 20, 5), "14:05"),
        # A bare 2:30 said at 14:30 is 14:30, now.
        ("TRK-101 at 2:30", ("TRK-101",), (21, 20, 30), "at 2:30"),
        # Month first unless the user's locale says otherwise.
        ("at 11/10 14:05", (), (10, 20, 5), "at 11/10 14:05"),
    ],
)
def test_more_names_and_times_in_a_message(
    text: str, names: tuple[str, ...], start: tuple[int, int, int], words: str
) -> None:
    found = find_in_text(text, now=NOW, tz=CHICAGO)
    assert (found.names, found.start, found.start_words) == (
        names,
        datetime(2026, 11, start[0], start[1], start[2], tzinfo=UTC),
        words,
    )
    assert find_in_text(text, now=NOW, tz=CHICAGO, month_first=True) == found


@pytest.mark.parametrize(
    ("text", "message", "word", "allowed", "example"),
    [
        (
            "TRK-101 all front rear",
            "`all` takes a snapshot from every camera; you also named front rear. Say all, or one "
            "camera.",
            "front rear",
            "all, or one of front, driver, left, right, rear",
            "/snapshot TRK-101 all",
        ),
        (
            "TRK-101 front rear",
            "A snapshot takes one camera; you named 2: front rear.",
            "front rear",
            "one of front, driver, left, right, rear",
            "/snapshot TRK-101 front",
        ),
        (
            "TRK-101 front rear left",
            "A snapshot takes one camera; you named 3: front rear left.",
            "front rear left",
            "one of front, driver, left, right, rear",
            "/snapshot TRK-101 front",
        ),
    ],
)
def test_too_many_snapshot_cameras(
    text: str, message: str, word: str, allowed: str, example: str
) -> None:
    with pytest.raises(ParseError) as caught:
        parse_snapshot(text)
    e = caught.value
    assert (e.message, e.word, e.allowed, e.example) == (message, word, allowed, example)


@pytest.mark.parametrize(
    ("command", "text", "suggestions", "allowed", "message"),
    [
        ("/recall", "TRK-999 14:05", (), "a vehicle in the fleet", None),
        ("/snapshot", "asset:Yard9 rear", (), "an asset in the fleet", None),
        (
            "/snapshot",
            "asset:Yard9 rear",
            (FleetUnit("asset", "Yard 9"), FleetUnit("asset", "Yard 19")),
            "an asset in the fleet",
            "There is no asset 'Yard9' in the fleet. Did you mean asset:Yard 9? (or asset:Yard 19)",
        ),
    ],
)
def test_what_a_name_not_in_the_fleet_allows(
    command: str,
    text: str,
    suggestions: tuple[FleetUnit, ...],
    allowed: str,
    message: str | None,
) -> None:
    fields = (
        parse_recall(text, now=NOW, tz=CHICAGO) if command == "/recall" else parse_snapshot(text)
    )
    with pytest.raises(ParseError) as caught:
        adopt_unit(command, fields, Match(None, suggestions))
    assert caught.value.allowed == allowed
    assert message is None or caught.value.message == message
    assert parse_snapshot('asset:"Reefer 12" rear').target == ("asset", "Reefer 12")


@pytest.mark.parametrize(
    ("command", "text", "message", "example"),
    [
        (
            "/recall",
            "TRK-101 VEHICLE:TRK-102 14:05",
            "You gave two vehicles, TRK-101 and VEHICLE:TRK-102; give one.",
            "",  # either unit may be the one meant (issue 24)
        ),
        (
            "/snapshot",
            "TRK-101 front vehicle:TRK-102",
            "You gave two vehicles, TRK-101 and vehicle:TRK-102; give one.",
            "",
        ),
        (
            "/snapshot",
            "asset:Yard asset:Dock rear",
            "You gave two assets, asset:Yard and asset:Dock; give one.",
            "",
        ),
    ],
)
def test_two_units_of_one_kind_are_refused_not_the_last_taken(
    command: str, text: str, message: str, example: str
) -> None:
    # The second name silently replaced the first: a recall for the wrong truck costs quota.
    with pytest.raises(ParseError) as caught:
        if command == "/recall":
            parse_recall(text, now=NOW, tz=CHICAGO)
        else:
            parse_snapshot(text)
    e = caught.value
    second = message.split(" and ")[1].removesuffix("; give one.")
    what = message.split()[3].removesuffix("s,")
    assert (e.message, e.word, e.allowed, e.example) == (message, second, f"one {what}", example)


def test_a_recall_word_error_in_a_second_target_names_it() -> None:
    e = refused("TRK-101 asset:%%% 14:05")
    assert (e.word, e.example) == ("asset:%%%", "")  # no stand-in unit (issue 24)


@pytest.mark.parametrize(
    ("text", "note"), [("TRK-101 14:05 note:cut", "cut"), ('TRK-101 14:05 "note:a" b', "a b")]
)
def test_a_recall_note(text: str, note: str) -> None:
    assert parse_recall(text, now=NOW, tz=CHICAGO).note == note


def test_empty_and_trailing_words() -> None:
    e = refused("")
    assert (e.message, e.example) == ("Say which truck and when.", "/recall TRK-101 14:05 2m")
    # "at" with nothing after it is not a filler.
    assert refused("TRK-101 14:05 at").word == "at"
    # Without the user's zone and no reason given, the reply says the zone is unknown.
    with pytest.raises(ParseError) as caught:
        parse_recall("TRK-101 14:05", now=NOW, tz=None)
    assert caught.value.message.startswith("I do not know your time zone, so I will not guess")


def test_now_at_the_start_of_the_calendar_and_a_zero_duration() -> None:
    dawn = datetime(1, 1, 1, 0, 0, 30, tzinfo=UTC)
    e = refused("TRK-101 now", now=dawn)
    assert (e.message, e.word) == ("now is further back than any footage.", "now")
    # A window of no length ends now (the rules refuse it); it is not stretched to a minute.
    assert parse_recall("TRK-101 now 0m", now=NOW, tz=CHICAGO).start_time == NOW


# --- words next to a start time, and "all" -----------------------------------------------------


def test_the_words_after_a_date_and_time_in_one_word_are_read() -> None:
    f = parse_recall("TRK-101 2026-11-20T14:05Z 2m rear", now=NOW, tz=CHICAGO)
    assert (f.start_time, f.duration, f.camera_positions) == (
        datetime(2026, 11, 20, 14, 5, tzinfo=UTC),
        2,
        [P.REAR],
    )


@pytest.mark.parametrize(
    ("text", "cameras"),
    [("TRK-101 right now", None), ("TRK-101 right now left", [P.SIDE_LEFT]),
     ("TRK-101 just now rear", [P.REAR]), ("TRK-101 now", None)],
)  # fmt: skip
def test_right_now_is_a_time_not_the_right_camera(text: str, cameras: list[P] | None) -> None:
    f = parse_recall(text, now=NOW, tz=CHICAGO)
    # The last minute: a window that ends now.
    assert (f.start_time, f.duration, f.camera_positions) == (
        datetime(2026, 11, 21, 20, 29, tzinfo=UTC),
        1,
        cameras,
    )


def test_right_before_a_clock_is_the_right_camera() -> None:
    f = parse_recall("TRK-101 right 14:05", now=NOW, tz=CHICAGO)
    assert (f.start_time, f.camera_positions) == (
        datetime(2026, 11, 21, 20, 5, tzinfo=UTC),
        [P.SIDE_RIGHT],
    )


@pytest.mark.parametrize(
    ("text", "message", "word", "example"),
    [
        # Either moment may be the one meant: no command (issue 24).
        ("TRK-101 now 14:05", "You gave two times, now and 14:05; give one.", "14:05", ""),
        ("TRK-101 now yesterday 2m", "You gave two days, now and yesterday; give one.",
         "yesterday", ""),
        ("TRK-101 right now Nov 20", "You gave two days, right now and Nov 20; give one.",
         "Nov 20", ""),
    ],
)  # fmt: skip
def test_a_day_or_clock_after_now_is_a_second_start_time(
    text: str, message: str, word: str, example: str
) -> None:
    e = refused(text)
    assert (e.message, e.word, e.example) == (message, word, example)


@pytest.mark.parametrize("word", ["all", "all_cameras", "ALL"])
def test_all_in_a_recall_means_every_camera_and_the_rest_is_read(word: str) -> None:
    f = parse_recall(f"TRK-101 14:05 {word} 2m", now=NOW, tz=CHICAGO)
    assert (f.start_time, f.duration, f.camera_positions) == (
        datetime(2026, 11, 21, 20, 5, tzinfo=UTC),
        2,
        None,
    )


@pytest.mark.parametrize(
    ("text", "word"),
    [('"a" "b', '"b'), ('x "y" z "w', '"w'), ('asset:"Reefer 12', 'asset:"Reefer'),
     ('"a b" c "d e', '"d')],
)  # fmt: skip
def test_the_unclosed_quote_is_the_one_named(text: str, word: str) -> None:
    with pytest.raises(ParseError) as caught:
        tokenize(text)
    assert caught.value.word == word
    assert caught.value.message.startswith(f"A quote is not closed in {word};")


def test_the_unclosed_single_quote_is_the_last_one() -> None:
    with pytest.raises(ParseError) as caught:
        tokenize("asset:'Reefer 12' rear 'oops")
    assert caught.value.word == "'oops"


def test_only_commas_and_semicolons_end_a_word() -> None:
    assert tokenize("TRK-10X Nov 21, 14:05; rear") == ["TRK-10X", "Nov", "21", "14:05", "rear"]
    assert tokenize(", TRK-101") == [",", "TRK-101"]  # a lone comma is kept, to be refused


def test_again_in_the_middle_leaves_the_next_word_read() -> None:
    f = parse_recall("TRK-101 14:05 again 2m", now=NOW, tz=CHICAGO)
    assert (f.insist, f.duration, f.start_time) == (
        True,
        2,
        datetime(2026, 11, 21, 20, 5, tzinfo=UTC),
    )


def test_a_four_word_time_in_a_message_is_read_whole() -> None:
    """ "yesterday at 2:15 am" is not "yesterday at 2:15" (which a message means as 14:15)."""
    found = find_in_text("TRK-101 cut off yesterday at 2:15 am on I-80", now=NOW, tz=CHICAGO)
    assert (found.start, found.start_words) == (
        datetime(2026, 11, 20, 8, 15, tzinfo=UTC),
        "yesterday at 2:15 am",
    )
