"""bot/grammar/tokens.py word for word: the camera words, `all cameras`, and a command rebuilt
with some words changed (the corrections' examples). Written against the survivors of issue
26's parser run."""

from __future__ import annotations

import pytest

from bot.grammar.tokens import camera_words, every_camera, fix, is_camera
from motive.rules import CameraPosition as P


@pytest.mark.parametrize(
    ("word", "cameras"),
    [
        ("front", [P.FRONT_FACING]),
        ("left+rear", [P.SIDE_LEFT, P.REAR]),
        ("front,driver", [P.FRONT_FACING, P.DRIVER_FACING]),
        # Joined words are cameras only if every one of them is.
        ("front,truck", []),
        ("truck", []),
        (",", []),
    ],
)
def test_the_cameras_one_word_names(word: str, cameras: list[P]) -> None:
    assert camera_words(word) == cameras


def test_the_first_word_is_the_target_never_a_camera() -> None:
    assert not is_camera(["front"], 0)
    assert is_camera(["TRK-101", "front"], 1)
    assert not is_camera(["TRK-101", "front"], 2)


@pytest.mark.parametrize(
    ("words", "taken"),
    [
        (["all"], 1),
        (["all", "cameras", "front"], 2),
        (["every", "camera"], 2),
        (["all", "the", "cameras"], 3),
        (["all", "the"], 1),  # `the` alone is no camera noun
        (["all", "front", "cameras"], 1),  # `cameras` two words on belongs to someone else
        (["some", "cameras"], 0),
        ([], 0),
    ],
)
def test_how_many_words_say_every_camera(words: list[str], taken: int) -> None:
    assert every_camera(words, 0) == taken


@pytest.mark.parametrize(
    ("tokens", "changes", "command"),
    [
        # A word added at the end goes at the end...
        (["TRK-101", "2m"], {2: ["14:05"]}, "/recall TRK-101 2m 14:05"),
        # ...but before a note, which runs to the end of the command.
        (["TRK-101", "2m", "note:hard brake"], {3: ["14:05"]}, "/recall TRK-101 2m 14:05 note:hard brake"),
        (["TRK-101", "fornt"], {1: ["front"]}, "/recall TRK-101 front"),
        (["TRK-101", "at", "14:05"], {1: []}, "/recall TRK-101 14:05"),
        ([], {0: ["TRK-101"]}, "/recall TRK-101"),
    ],
)  # fmt: skip
def test_a_command_rebuilt_with_some_words_changed(
    tokens: list[str], changes: dict[int, list[str]], command: str
) -> None:
    assert fix("/recall", tokens, changes) == command
