"""The grammar's tables (`bot.grammar.words`): every example parses to what its entry says, and a
new word is one line: added to a table, the parser reads it, the help lists it, a misspelling of
it is corrected to it, and a message that says it is read."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.grammar import words
from bot.grammar.recall import RecallFields, parse_recall
from bot.grammar.tokens import ParseError
from bot.grammar.words import Word

NOW = datetime(2026, 11, 21, 20, 30, tzinfo=UTC)  # Saturday 14:30 in Chicago
CHICAGO = ZoneInfo("America/Chicago")
TODAY = NOW.astimezone(CHICAGO).date()


def _local(f: RecallFields) -> datetime:
    assert f.start_time is not None
    return f.start_time.astimezone(CHICAGO)


def _day_part(f: RecallFields, means: tuple[int, str]) -> bool:
    days, half = means
    local = _local(f)
    if half == "night":  # the evening before, or the small hours after midnight
        return (local.hour >= 18 and local.date() == TODAY - timedelta(days=days)) or (
            local.hour < 6 and local.date() == TODAY - timedelta(days=days - 1)
        )
    return local.date() == TODAY - timedelta(days=days) and (local.hour < 12) == (half == "am")


def _length(f: RecallFields, seconds: int, example: str) -> bool:
    if example.endswith(" ago"):
        return f.start_time == NOW.replace(second=0) - timedelta(seconds=seconds)
    return f.duration is not None and f.duration * 60 == seconds


def _zone(f: RecallFields, hours: int, example: str) -> bool:
    assert f.start_time is not None
    clock = f.start_time.astimezone(timezone(timedelta(hours=hours)))
    return f"{clock:%H:%M}" in example


# What each table's examples must parse to: (fields, the entry's meaning, the example) -> bool.
CHECKS: dict[str, Callable[[RecallFields, Any, str], bool]] = {
    "TIMES_OF_DAY": lambda f, means, _: _local(f).time() == means,
    "DAYS": lambda f, means, _: _local(f).date() == TODAY - timedelta(days=means),
    "DAY_PARTS": lambda f, means, _: _day_part(f, means),
    "PARTS_AFTER_A_DAY": lambda f, means, _: (_local(f).hour < 12) == (means == "am"),
    "WEEKDAYS": lambda f, means, _: _local(f).weekday() == means,
    "MONTHS": lambda f, means, _: _local(f).month == means,
    "ZONES": _zone,
    "LENGTHS": _length,
    "CAMERAS": lambda f, means, _: f.camera_positions == [means],
    "TYPES": lambda f, means, _: f.recall_type == means,
}


def _tables() -> dict[str, tuple[Word[Any], ...]]:
    return {
        name: value
        for name, value in vars(words).items()
        if isinstance(value, tuple) and value and all(isinstance(w, Word) for w in value)
    }


EXAMPLES = [
    pytest.param(name, entry, example, id=f"{name}:{example}")
    for name, table in _tables().items()
    for entry in table
    for example in entry.examples
]


def test_every_table_with_examples_says_what_its_examples_must_parse_to() -> None:
    with_examples = {name for name, table in _tables().items() if words.examples(table)}
    assert with_examples <= set(CHECKS)
    assert {"TIMES_OF_DAY", "DAYS", "DAY_PARTS", "WEEKDAYS", "MONTHS", "ZONES", "LENGTHS"} <= (
        with_examples
    )


@pytest.mark.parametrize(("table", "entry", "example"), EXAMPLES)
def test_every_example_in_the_tables_parses_to_what_its_entry_says(
    table: str, entry: Word[Any], example: str
) -> None:
    # A length alone needs a moment to go with; anything else is the moment itself.
    moment = "14:05 " if table == "LENGTHS" and not example.endswith(" ago") else ""
    fields = parse_recall(f"TRK-101 {moment}{example}", now=NOW, tz=CHICAGO)
    assert CHECKS[table](fields, entry.means, example)
    # And the help lists it: as a way of saying when, or of saying how long.
    assert example in (*words.WHEN_EXAMPLES, *words.DURATION_EXAMPLES)


def test_every_spelling_is_read_by_the_lookups() -> None:
    assert words.NAMED_TIMES["midday"] == time(12)
    assert words.DAY_PART_NAMES["last night"] == (1, "night")
    assert words.WEEKDAY_NAMES["thurs"] == 3 and words.MONTH_NAMES["sept"] == 9
    assert words.UNIT_SECONDS["hrs"] == 3600 and words.NUMBER_WORDS["an"] == 1
    assert words.ZONE_HOURS["z"] == 0 and words.KIND_WORDS["trailer"] == "asset:"
    assert words.LENGTH_SECONDS["a quarter of an hour"] == 900
    # Longest first: "an hour and a half" is tried before any shorter phrase.
    lengths = [len(p.split()) for p in words.LENGTH_SECONDS]
    assert lengths == sorted(lengths, reverse=True)


# In a fresh interpreter, words.py with one more line, then the rest of the grammar and the help
# imported on top of it, as they would be after the line was written into the file.
CHILD = r"""
import json, sys, types
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

path, anchor, line = sys.argv[1:4]
source = Path(path).read_text()
assert source.count(anchor) == 1, anchor
module = types.ModuleType("bot.grammar.words")
module.__file__ = path
sys.modules["bot.grammar.words"] = module
exec(compile(source.replace(anchor, anchor + "\n    " + line), path, "exec"), module.__dict__)

from bot.grammar.mentions import find_in_text
from bot.grammar.recall import parse_recall
from bot.grammar.tokens import ParseError
from bot.grammar.words import WHEN_EXAMPLES
from bot.render.blocks import help_message

now, tz = datetime(2026, 11, 21, 20, 30, tzinfo=UTC), ZoneInfo("America/Chicago")
out = {}
out["read"] = parse_recall(sys.argv[4], now=now, tz=tz).start_time.isoformat()
out["listed"] = sys.argv[5] in help_message("/recall")[0]
try:
    parse_recall(sys.argv[6], now=now, tz=tz)
except ParseError as e:
    out["misspelled"] = [e.message, e.example]
out["examples_parse"] = all(parse_recall(f"TRK-101 {w}", now=now, tz=tz) for w in WHEN_EXAMPLES)
found = find_in_text(sys.argv[7], now=now, tz=tz)
out["message"] = [found.names, found.start and found.start.isoformat(), found.start_words]
print(json.dumps(out))
"""


def test_a_new_time_word_is_one_line_in_the_tables() -> None:
    words_py = Path(words.__file__)
    anchor = 'Word(("midnight",), time(0), ("midnight",)),'
    line = 'Word(("lunchtime",), time(12, 30), ("yesterday lunchtime",)),'
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            str(words_py),
            anchor,
            line,
            "TRK-101 yesterday lunchtime 2m",
            "`yesterday lunchtime`",
            "TRK-101 yesterday lunchtme 2m",
            "TRK-101 ran the light at lunchtime",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=words_py.parents[2],
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["read"] == "2026-11-20T18:30:00+00:00"  # Friday 12:30 in Chicago
    assert out["listed"] is True
    assert out["misspelled"] == [
        "I don't understand 'lunchtme'. Did you mean lunchtime? When is said like 14:05, 2:15pm, "
        "noon, yesterday 3pm, this morning 9, last night 11pm, Sat 14:05, 20m ago or half an "
        "hour ago.",
        "/recall TRK-101 yesterday lunchtime 2m",
    ]
    assert out["examples_parse"] is True
    assert out["message"] == [["TRK-101"], "2026-11-21T18:30:00+00:00", "at lunchtime"]


def test_without_the_line_the_word_is_not_read() -> None:
    # The control for the test above: today's tables do not know the word.
    with pytest.raises(ParseError, match="lunchtime"):
        parse_recall("TRK-101 yesterday lunchtime 2m", now=NOW, tz=CHICAGO)


def test_a_tables_lookup_and_examples_keep_its_order() -> None:
    table = (Word(("b", "bee"), 2, ("b 1", "bee 2")), Word(("a",), 1), Word(("c",), 3, ("c 3",)))
    assert list(words.lookup(table).items()) == [("b", 2), ("bee", 2), ("a", 1), ("c", 3)]
    assert words.examples(table, (Word(("d",), 4, ("d 4",)),)) == ("b 1", "bee 2", "c 3", "d 4")
    assert words.examples() == ()
