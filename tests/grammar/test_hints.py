"""Issue 24's findings, each as it was met in the console: hints that changed the footage, loops,
nonsense, words dropped, and the 12-hour time read two ways. Written failing, before the fix."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.grammar.hints import closest, expected, lexical, or_list, slips, unknown_word
from bot.grammar.mentions import find_in_text
from bot.grammar.recall import RecallFields, parse_recall
from bot.grammar.snapshot import parse_snapshot
from bot.grammar.tokens import ParseError

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 21, 20, 30, tzinfo=UTC)  # Saturday 14:30 in Chicago
EVENING = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)  # Saturday 21:00 in Chicago


def read(text: str, now: datetime = NOW) -> RecallFields:
    return parse_recall(text, now=now, tz=CHICAGO)


def refused(text: str, now: datetime = NOW) -> ParseError:
    with pytest.raises(ParseError) as caught:
        read(text, now)
    return caught.value


def local(fields: RecallFields) -> str:
    assert fields.start_time is not None
    return fields.start_time.astimezone(CHICAGO).strftime("%Y-%m-%d %H:%M")


def test_last_night_11pm_is_a_time_not_the_right_camera() -> None:
    f = read("TRK-101 last night 11pm")
    assert (local(f), f.camera_positions) == ("2026-11-20 23:00", None)
    # Misspelled, the hint is the time word, never the right camera.
    e = refused("TRK-101 last nigth 11pm")
    assert "right" not in e.example.split()
    assert e.example == "/recall TRK-101 last night 11pm"


def test_half_an_hour_ago_is_not_an_hour_ago() -> None:
    assert local(read("TRK-101 half an hour ago")) == "2026-11-21 14:00"
    e = refused("TRK-101 hlf an hour ago")
    assert e.example != "/recall TRK-101 an hour ago"
    assert e.example in ("", "/recall TRK-101 half an hour ago")


def test_midnight_is_a_time_never_side_right() -> None:
    assert local(read("TRK-101 midnight")) == "2026-11-21 00:00"
    e = refused("TRK-101 midnite")
    assert "side_right" not in e.message and "side_right" not in e.example


def test_this_is_never_corrected_to_thursday() -> None:
    assert local(read("TRK-101 this morning 9")) == "2026-11-21 09:00"
    e = refused("TRK-101 this 14:05")
    assert "thurs" not in e.message.lower() and "thurs" not in e.example


def test_and_between_cameras_is_read_and_never_corrected_to_january() -> None:
    f = read("TRK-101 14:05 front and driver")
    assert [p.value for p in f.camera_positions or ()] == ["front_facing", "driver_facing"]
    e = refused("TRK-101 14:05 and")
    assert "jan" not in e.message.split() and "jan" not in e.example.split()


def test_inside_is_not_a_misspelled_mins() -> None:
    e = refused("TRK-101 inside 14:05")
    assert "mins" not in e.message and "mins" not in e.example


def test_a_decimal_length_is_read_and_no_hint_repeats_the_command() -> None:
    f = read("TRK-101 14:05 1.5 min")
    assert f.duration == 1.5  # the rules then ask for a whole minute
    assert local(read("TRK-101 1.5 min ago")) == "2026-11-21 14:28"


def test_yesterday_at_3_is_read_and_no_chain_of_hints() -> None:
    assert local(read("TRK-101 yesterday at 3")) == "2026-11-20 15:00"
    e = refused("TRK-101 yesterday at")
    assert "sat" not in e.example.lower().split()


def test_a_clock_without_a_colon_and_a_truck_word_keep_their_words() -> None:
    assert local(read("TRK-101 1405")) == "2026-11-21 14:05"
    f = read("truck 101 14:05")
    assert (f.vehicle_number, local(f)) == ("101", "2026-11-21 14:05")


def test_a_clock_with_a_dot_is_a_time_not_a_date() -> None:
    assert local(read("TRK-101 14.05")) == "2026-11-21 14:05"


def test_an_unclosed_quote_on_snapshot_offers_a_snapshot() -> None:
    with pytest.raises(ParseError) as caught:
        parse_snapshot('asset:"Reefer 12 rear')
    # Named, with how to quote; no stand-in command (it would be another unit's footage).
    assert "timelapse" not in caught.value.example and caught.value.example == ""
    assert caught.value.message.startswith('A quote is not closed in asset:"Reefer;')


def test_a_future_time_is_answered_recalls_are_for_the_past() -> None:
    e = refused("TRK-101 in 10 min")
    assert "Recalls are for the past" in e.message and e.word == "in 10 min"
    assert e.example == ""


def test_asset_with_a_space_after_the_colon() -> None:
    f = read('asset: "Flatbed 7" 20m ago')
    assert (f.asset_name, f.vehicle_number) == ("Flatbed 7", None)


def test_a_12_hour_time_is_the_latest_that_has_passed_and_the_anchor_says_so() -> None:
    # At 9 pm, "2:15" is this afternoon's, not last night's.
    f = read("TRK-102 2:15 front", EVENING)
    assert local(f) == "2026-11-21 14:15"
    assert f.anchor_note == "2:15 → 14:15 today"


def test_the_message_shortcut_reads_2_15_as_the_command_does() -> None:
    for now in (NOW, EVENING, datetime(2026, 11, 21, 9, 0, tzinfo=UTC)):
        command = read("TRK-102 2:15", now).start_time
        message = find_in_text("TRK-102 cut off around 2:15", now=now, tz=CHICAGO).start
        assert message == command, now


def test_cameras_joined_on_a_snapshot_are_two_cameras() -> None:
    with pytest.raises(ParseError) as caught:
        parse_snapshot("TRK-101 front and driver")
    assert caught.value.message == "A snapshot takes one camera; you named 2: front driver."
    assert caught.value.example == "/snapshot TRK-101 front"


def test_for_with_no_length_after_it_says_so() -> None:
    e = refused("TRK-101 14:05 for")
    assert e.message == (
        "After 'for' comes how long, like for 2 min or for half an hour; I found no length "
        "after it."
    )
    assert (e.word, e.example) == ("for", "")


def test_a_list_in_a_refusal_is_said_with_commas_then_or() -> None:
    assert or_list(("14:05", "noon", "20m ago")) == "14:05, noon or 20m ago"
    assert or_list(["front", "rear"]) == "front or rear"


# --- word for word, against the mutants that survived `scripts/mutation-scores parser` ----------


@pytest.mark.parametrize(
    ("text", "word", "message", "allowed"),
    [
        ("TRK-101 14:05 and", "and", "'and' joins camera words, like front and driver; I found no "
         "camera on both sides of it.", "camera words joined by and, a comma or +"),
        ("TRK-101 14:05 for", "for", "After 'for' comes how long, like for 2 min or for half an "
         "hour; I found no length after it.", "a length after it"),
        ("TRK-101 at", "at", "After 'at' comes when, like at 14:05, at 2:15pm or at noon; I found "
         "no time after it.", "a time after it"),
        # The word after `at` is read (a camera), so `at` is the word that lacks its time.
        ("TRK-101 14:05 at front", "at", "After 'at' comes when, like at 14:05, at 2:15pm or at "
         "noon; I found no time after it.", "a time after it"),
    ],
)  # fmt: skip
def test_a_filler_with_nothing_after_it_is_answered_whole(
    text: str, word: str, message: str, allowed: str
) -> None:
    e = refused(text)
    assert (e.message, e.word, e.allowed, e.example) == (message, word, allowed, "")


DAY_WHY = (
    "When is said like 14:05, 2:15pm, noon, yesterday 3pm, this morning 9, last night 11pm, "
    "Sat 14:05, 20m ago or half an hour ago."
)


def test_a_misspelled_day_after_a_filler_keeps_the_clock_in_the_users_zone() -> None:
    # The word after `on` is judged where it stands; yesterday at the same clock is offered.
    e = refused("TRK-101 on yestrday 14:05")
    assert e.message == f"I don't understand 'yestrday'. Did you mean yesterday? {DAY_WHY}"
    assert e.example == "/recall TRK-101 on yesterday 14:05"


def test_without_the_users_zone_a_day_word_is_offered_only_for_the_same_instant() -> None:
    def unzoned(text: str) -> ParseError:
        with pytest.raises(ParseError) as caught:
            parse_recall(text, now=NOW, tz=None)
        return caught.value

    # 14:05 UTC is today's: `today` names the same instant, `yesterday` another.
    assert unzoned("TRK-101 tday 14:05 UTC").example == "/recall TRK-101 today 14:05 UTC"
    assert "Did you mean" not in unzoned("TRK-101 yestrday 14:05 UTC").message
    assert unzoned("TRK-101 yestrday 14:05 UTC").example == ""


def test_a_word_beside_a_relative_time_is_offered_when_it_keeps_the_moment() -> None:
    e = refused("TRK-101 about arund 20m ago")
    assert e.message == f"I don't understand 'arund'. Did you mean around? {DAY_WHY}"
    assert e.example == "/recall TRK-101 about around 20m ago"


def test_a_camera_correction_keeps_the_cameras_after_it() -> None:
    e = refused("TRK-101 14:05 fornt driver")
    assert e.example == "/recall TRK-101 14:05 front driver"


def test_a_camera_word_read_as_a_time_is_not_offered() -> None:
    # `right now` is a time: `rigt` corrected to `right` would not be the right camera.
    e = refused("TRK-101 rigt now")
    assert (e.example, "Did you mean" in e.message) == ("", False)


@pytest.mark.parametrize(
    ("words", "kind"),
    [
        ("front", "camera"), ("front,driver", "camera"), ("and", "camera"), ("all", "camera"),
        ("cameras", "camera"), ("Timelapse", "type"), ("note:gate", "other"),
        ("asset:R12", "other"), ("vehicle:T1", "other"), ("AGAIN", "other"), ("2m", "length"),
        ("5", "length"), ("1.5", "length"), ("ten", "length"), ("ago", "length"),
        ("now", "length"), ("half", "length"), ("quarter", "length"), ("mins", "length"),
        ("14:05", "time"), ("2:15 pm", "time"), ("yesterday", "time"), ("UTC", "time"),
        ("-06:00", "time"), ("this", "time"), ("tonight", "time"), ("morning", "time"),
        ("tomorrow", "time"), ("in", "time"), ("for", "time"), ("at", "time"), ("roof", None),
        ("xnow", None),
    ],
)  # fmt: skip
def test_what_kind_of_word_stands_in_a_place(words: str, kind: str | None) -> None:
    assert lexical(["TRK-101", *words.split()], 1, True) == kind


def test_no_word_stands_before_the_truck_or_after_the_last_word() -> None:
    assert lexical(["TRK-101", "front"], 0, True) == "edge"
    assert lexical(["TRK-101", "front"], 2, True) == "edge"
    assert lexical(["TRK-101", "front"], 1, True) == "camera"


ALL_KINDS = ("camera", "day", "unit", "ago", "filler", "joiner", "type")


@pytest.mark.parametrize(
    ("words", "kinds"),
    [
        ("xx", ALL_KINDS),  # nothing either side to go by
        ("101 xx", ALL_KINDS),  # the truck's name is not a number before a unit
        ("25:00", ("day",)),  # shaped like a time
        ("at xx", ("day",)), ("this xx", ("day",)), ("today xx", ("day",)),
        ("yesterday xx", ("day",)), ("Sat xx", ("day",)),
        ("5 xx", ("unit",)), ("ten xx", ("unit",)), ("half xx", ("unit",)), ("xx ago", ("unit",)),
        ("xx 14:05", ("day", "camera", "filler", "joiner")),
        ("xx front", ("camera", "joiner")), ("front xx", ("camera", "joiner")),
        ("2m xx", ("ago", "camera", "type", "day")),
        ("now xx", ALL_KINDS),  # a length that is already a time
        ("xx 2m", ("filler", "camera", "type")),
    ],
)  # fmt: skip
def test_what_a_place_expects_from_the_words_either_side(
    words: str, kinds: tuple[str, ...]
) -> None:
    tokens = ["TRK-101", *words.split()] if not words.startswith("101") else words.split()
    assert expected(tokens, tokens.index("xx") if "xx" in tokens else 1, True) == kinds


@pytest.mark.parametrize(
    ("a", "b", "count"),
    [
        ("fornt", "front", 1), ("rfont", "front", 1), ("frnt", "front", 1),
        ("froont", "front", 1), ("fromt", "front", 1), ("ab", "ba", 1), ("", "abc", 3),
        ("abc", "", 3), ("abc", "ca", 3), ("kitten", "sitting", 3), ("front", "front", 0),
    ],
)  # fmt: skip
def test_keyboard_slips_between_two_words(a: str, b: str, count: int) -> None:
    assert slips(a, b) == count


@pytest.mark.parametrize(
    ("word", "kinds", "close"),
    [
        ("fron", ("camera",), ("front", "camera")),  # a letter left out
        ("fxoxt", ("camera",), None),  # two slips in a short word: too far
        ("drivxx", ("camera",), ("driver", "camera")),  # two in a longer word: near enough
        ("drxvxx", ("camera",), None),  # three: too far
        ("yesturday", ("day",), ("yesterday", "day")),
        ("aameras", ("camera",), ("cameras", "camera")),  # the nearest, not the first
        ("lest", ("camera",), ("left", "camera")),
        ("lest", ("day", "camera"), None),  # last and left, as near: neither
        ("front", ("camera",), None),  # a word of the grammar is not misspelled
    ],
)  # fmt: skip
def test_the_closest_word_of_the_expected_vocabularies(
    word: str, kinds: tuple[str, ...], close: tuple[str, str] | None
) -> None:
    assert closest(word, kinds) == close


# --- unknown_word and expected, word for word (the survivors of issue 26's hints run) -----------

NOW_H = datetime(2026, 11, 21, 20, 30, tzinfo=UTC)


def refusal(text: str) -> ParseError:
    with pytest.raises(ParseError) as caught:
        parse_recall(text, now=NOW_H, tz=ZoneInfo("America/Chicago"))
    return caught.value


def test_an_unknown_word_checked_without_hints_is_only_named() -> None:
    e = unknown_word(["TRK-101", "xyz"], 1)
    assert (e.message, e.word, e.example) == ("I don't understand 'xyz'.", "xyz", "")


@pytest.mark.parametrize(
    ("text", "example"),
    [
        ("TRK-101 20m ago UTC", "/recall TRK-101 20m ago"),
        ("TRK-101 now UTC 2m", "/recall TRK-101 now 2m"),
        # Dropped alone: the word after the zone stays (without `ago`, 20m is no time at all).
        ("TRK-101 20m UTC ago", "/recall TRK-101 20m ago"),
    ],
)
def test_a_zone_after_a_relative_time_is_left_out_of_the_example(text: str, example: str) -> None:
    e = refusal(text)
    assert e.message == (
        "I don't understand 'UTC'. A time zone goes right after a time of day, like 14:05 UTC."
    )
    assert (e.word, e.example) == ("UTC", example)


@pytest.mark.parametrize(
    ("text", "word"), [("TRK-101 14:05 2m front xyz", "xyz"), ("TRK-101 14:05 2m qqq front", "qqq")]
)
def test_a_word_among_the_cameras_is_told_the_camera_words(text: str, word: str) -> None:
    assert refusal(text).message == (
        f"I don't understand {word!r}. Camera words are front, driver, narrow, left, right or "
        "rear (or all cameras); join them like front and driver."
    )


@pytest.mark.parametrize(
    ("text", "at", "kinds"),
    [
        ("TRK-101 quarter qqq", 2, ("unit",)),  # a quarter of what: a unit comes next
        ("TRK-101 half qqq", 2, ("unit",)),
        ("TRK-101 2m qqq", 2, ("ago", "camera", "type", "day")),  # 2m may still become 2m ago
        # After `ago` or `now` the time is whole: anything may come.
        ("TRK-101 20m ago qqq", 3, ("camera", "day", "unit", "ago", "filler", "joiner", "type")),
        ("TRK-101 14:05 2m qqq front", 3, ("camera", "joiner")),
    ],
)
def test_what_a_place_expects(text: str, at: int, kinds: tuple[str, ...]) -> None:
    assert expected(text.split(), at, True) == kinds
