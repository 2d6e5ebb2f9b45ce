"""A truck and a time inside a message (`bot.grammar.mentions`), written against the mutants that
survived `scripts/mutation-scores parser`: what is not a time in a message, and the bound on the
phrases tried."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.grammar.mentions import find_in_text

NOW = datetime(2026, 11, 21, 20, 30, tzinfo=UTC)  # Saturday 14:30 in Chicago
CHICAGO = ZoneInfo("America/Chicago")


def test_now_in_a_message_is_not_a_time() -> None:
    # A message is read later than it was written: its "now" is not the reader's.
    found = find_in_text("TRK-101 stopped right now", now=NOW, tz=CHICAGO)
    assert (found.names, found.start, found.start_words) == (("TRK-101",), None, "")


def test_a_time_still_ahead_in_a_message_is_not_taken() -> None:
    found = find_in_text("TRK-101 due at 2026-12-25T14:05", now=NOW, tz=CHICAGO)
    assert (found.names, found.start) == (("TRK-101",), None)


def test_past_the_bound_the_names_are_still_read() -> None:
    found = find_in_text("TRK-101 " + "1:99 " * 200 + "TRK-102 at 2:15pm", now=NOW, tz=CHICAGO)
    assert (found.names, found.start) == (("TRK-101", "TRK-102"), None)


def test_a_time_within_the_bound_is_found() -> None:
    # Each 1:99 opens up to four phrases (of 4, 3, 2 and 1 words), far fewer than the bound.
    found = find_in_text("TRK-101 " + "1:99 " * 5 + "at 2:15pm", now=NOW, tz=CHICAGO)
    assert found.start_words == "at 2:15pm"
    assert found.start == datetime(2026, 11, 21, 20, 15, tzinfo=UTC)  # 2:15 pm today
