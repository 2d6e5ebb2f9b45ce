"""A long message costs the shortcut no more than a short one: it reads the first READ_CHARS
characters, tries at most PHRASES_TRIED phrases for a time and looks up at most NAMES_TRIED
truck-like words in the fleet list. Counted, not timed (bench/long_message.py times it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.grammar import mentions
from bot.grammar.mentions import PHRASES_TRIED, find_in_text
from bot.slack.listeners.shortcuts.get_dashcam_video import NAMES_TRIED, READ_CHARS, readable
from tests.support.stack import Stack

NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
CHICAGO = ZoneInfo("America/Chicago")


def test_a_short_message_is_read_whole() -> None:
    text = "TRK-101 cut off on I-80 around 2:15"
    assert readable(text) == text
    assert readable("x" * READ_CHARS) == "x" * READ_CHARS


def test_a_long_message_is_read_to_the_last_whole_word_within_the_limit() -> None:
    text = "TRK-101 at 2:15 " + "blah " * 10_000
    read = readable(text)
    assert len(read) <= READ_CHARS and text.startswith(read) and read.endswith("blah")
    assert readable("y" * (READ_CHARS * 3)) == "y" * READ_CHARS  # one endless word: cut


class Counted:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real = mentions.parse_recall

        def counting(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(mentions, "parse_recall", counting)


def test_a_text_of_time_like_words_costs_at_most_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    parses = Counted(monkeypatch)
    found = find_in_text("1:99 " * 8_000, now=NOW, tz=CHICAGO)  # 40,000 characters
    assert found.start is None
    # Each phrase is one parse, or two when a bare 12-hour clock is read as pm as well.
    assert PHRASES_TRIED <= parses.calls <= 2 * PHRASES_TRIED


def test_a_time_among_the_first_words_is_still_found(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "1:99 " * 10 + "TRK-101 cut off at 2:15pm " + "1:99 " * 8_000
    found = find_in_text(text, now=NOW, tz=CHICAGO)
    assert found.start == datetime(2026, 11, 20, 20, 15, tzinfo=UTC)  # 2:15 pm Chicago
    assert "TRK-101" in found.names


async def test_the_shortcut_on_a_40000_character_message_reads_its_start(stack: Stack) -> None:
    asked: list[str] = []
    real_find = stack.svc.fleet.find

    async def find(kind: str, name: str, *args: Any, **kwargs: Any) -> Any:
        asked.append(name)
        return await real_find(kind, name, *args, **kwargs)

    stack.svc.fleet.find = find  # type: ignore[method-assign]
    posted = stack.clock.now() - timedelta(minutes=30)
    nobodies = " ".join(f"TRK-{n}" for n in range(5_000, 5_050))  # not in the fleet
    text = f"{nobodies} and then TRK-102 braked hard " + "1:99 " * 8_000
    assert len(text) > 40_000
    ts = f"{int(posted.timestamp())}.000100"
    r = await stack.interact(
        {
            "type": "message_action",
            "callback_id": "get_dashcam_video",
            "trigger_id": "trig-long",
            "channel": {"id": "C0DISPATCH", "name": "dispatch"},
            "message_ts": ts,
            "message": {"type": "message", "user": "U0ALERTS", "text": text, "ts": ts},
            "response_url": f"{stack.slack_url}/respond/long",
        }
    )
    assert r.status_code == 200
    help_ = await stack.command("/recall", "help")  # answered as ever meanwhile
    assert help_.status_code == 200
    await stack.settle()
    assert len(asked) == NAMES_TRIED and asked[0] == "TRK-5000"
    [view] = stack.slack.views.values()
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert "initial_option" not in blocks["target"]["element"]  # TRK-102 is past the names tried
    start = datetime.fromtimestamp(blocks["start"]["element"]["initial_date_time"], UTC)
    assert start == posted.replace(second=0, microsecond=0)  # no time read: the message's own
    [said] = stack.responses()  # the help
    assert "/recall" in said
