"""A rule violation mapped back to the words (`bot.grammar.corrections`), written against the
mutants that survived `scripts/mutation-scores parser`: a length of several words replaced whole,
and a window past now corrected only when the time now is known."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.grammar.corrections import corrected_example
from bot.grammar.recall import RecallFields, parse_recall
from motive.rules import RuleViolation

NOW = datetime(2026, 11, 21, 20, 30, tzinfo=UTC)  # Saturday 14:30 in Chicago
CHICAGO = ZoneInfo("America/Chicago")


def violation(text: str) -> tuple[RecallFields, RuleViolation]:
    f = parse_recall(text, now=NOW, tz=CHICAGO)
    with pytest.raises(RuleViolation) as caught:
        f.request(NOW)
    return f, caught.value


def test_a_length_of_several_words_is_replaced_whole() -> None:
    f, err = violation("TRK-101 14:05 half an hour")  # a regular recall lasts 1 to 3 minutes
    assert corrected_example("/recall", f, err) == "/recall TRK-101 14:05 3m"


def test_a_window_past_now_is_shortened_only_when_now_is_known() -> None:
    f, err = violation("TRK-101 14:05 half an hour timelapse")  # 25 minutes ago, for 30
    assert err.field == "start_time"
    assert corrected_example("/recall", f, err, now=NOW) == "/recall TRK-101 14:05 15m timelapse"
    assert corrected_example("/recall", f, err) == ""
