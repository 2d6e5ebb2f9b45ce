"""`note: …` is free text to the end of the command, on /recall and /snapshot alike."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.grammar.recall import parse_recall
from bot.grammar.snapshot import parse_snapshot
from tests.support.stack import Stack

NOW = datetime(2026, 11, 21, 21, 0, tzinfo=UTC)
CHICAGO = ZoneInfo("America/Chicago")


def test_a_note_may_hold_quotes_and_apostrophes() -> None:
    fields = parse_recall(
        'TRK-101 14:05 2m front note: driver\'s side, "cut off" at exit 4', now=NOW, tz=CHICAGO
    )
    assert fields.note == 'driver\'s side, "cut off" at exit 4'


def test_a_snapshot_takes_a_note_too() -> None:
    fields = parse_snapshot("TRK-101 front note: check the mirror's damage")
    assert (fields.position, fields.note) == ("front_facing", "check the mirror's damage")
    assert parse_snapshot("TRK-101 rear").note is None


async def test_the_snapshot_note_reaches_the_anchor(stack: Stack) -> None:
    await stack.command("/snapshot", "TRK-101 front note: driver's mirror")
    await stack.settle()
    [anchor] = stack.anchors()
    assert "*Note:* driver's mirror" in str(anchor.blocks)


def test_help_says_how_to_insist_on_an_overlapping_recall() -> None:
    from bot.render.blocks import help_message

    text, _ = help_message("/recall")
    assert "add `again` to ask anyway" in text
