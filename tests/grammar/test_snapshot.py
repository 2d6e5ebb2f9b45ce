"""/snapshot's words (`bot.grammar.snapshot`) word for word, written against the mutants that
survived `scripts/mutation-scores parser`: every part of a refusal (the message, the word named,
what may stand there, the corrected command), `and` between cameras, and the ways of saying every
camera."""

from __future__ import annotations

import pytest

from bot.grammar.snapshot import parse_snapshot
from bot.grammar.tokens import ParseError

WHY = (
    "After the truck comes one camera word (front, driver, left, right or rear), or all for "
    "every camera."
)


@pytest.mark.parametrize(
    ("text", "message", "word", "example"),
    [
        ("TRK-101 fornt", f"I don't understand 'fornt'. Did you mean front? {WHY}", "fornt",
         "/snapshot TRK-101 front"),
        # Nothing close: no stand-in camera; with one already named, the word is dropped.
        ("TRK-101 zzz", f"I don't understand 'zzz'. {WHY}", "zzz", ""),
        ("TRK-101 front zzz", f"I don't understand 'zzz'. {WHY}", "zzz", "/snapshot TRK-101 front"),
        ("TRK-101 all zzz", f"I don't understand 'zzz'. {WHY}", "zzz", "/snapshot TRK-101 all"),
        # `and` joins a camera before it to one after it: first, it joins nothing.
        ("TRK-101 and front", f"I don't understand 'and'. {WHY}", "and", "/snapshot TRK-101 front"),
        # `cameras` is read only after all or every.
        ("TRK-101 cameras", f"I don't understand 'cameras'. {WHY}", "cameras", ""),
    ],
)  # fmt: skip
def test_an_unknown_snapshot_word_is_answered_whole(
    text: str, message: str, word: str, example: str
) -> None:
    with pytest.raises(ParseError) as caught:
        parse_snapshot(text)
    e = caught.value
    assert (e.message, e.word, e.allowed, e.example) == (
        message,
        word,
        "one camera word, or all",
        example,
    )


@pytest.mark.parametrize(
    "text", ["TRK-101 all cameras", "TRK-101 all the cameras", "TRK-101 EVERY Camera"]
)
def test_every_camera_is_said_several_ways(text: str) -> None:
    f = parse_snapshot(text)
    assert (f.all_cameras, f.position, f.words["position"]) == (True, None, text.split()[1])


def test_the_words_after_all_are_read_to_the_end() -> None:
    f = parse_snapshot("TRK-101 every camera note: gate 4")
    assert (f.all_cameras, f.note) == (True, "gate 4")
    with pytest.raises(ParseError) as caught:
        parse_snapshot("TRK-101 all the cameras front")
    assert caught.value.word == "front"
    assert caught.value.example == "/snapshot TRK-101 all the cameras"


def test_and_after_the_camera_joins_nothing_and_is_passed_over() -> None:
    f = parse_snapshot("TRK-101 front and")
    assert (f.position, f.spans["position"]) == ("front_facing", [1])
