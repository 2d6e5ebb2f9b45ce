"""The words of the /recall and /snapshot grammar, as tables. Data only: no parsing here.

Each entry is one line: how it is written (its first spelling is the name help and refusals use),
what it means, and the phrases that show it in use. Everything else reads these tables: the
parser's lookups, the help text's lists of examples, the vocabularies a misspelling is corrected
from, and the test that parses every example to what its entry says. A new word is a new line
here (`tests/grammar/test_words.py` adds one and watches the rest follow).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Any, Generic, TypeVar

from motive.rules import CameraPosition, RecallType

M = TypeVar("M")


@dataclass(frozen=True)
class Word(Generic[M]):
    """One entry of a vocabulary: its spellings, its meaning, and phrases that use it (each is
    shown in the help where its table's examples are shown, and parsed by a test)."""

    spellings: tuple[str, ...]
    means: M
    examples: tuple[str, ...] = ()


def lookup(table: tuple[Word[M], ...]) -> dict[str, M]:
    """Every spelling of a table to its meaning, in the table's order."""
    return {spelling: entry.means for entry in table for spelling in entry.spellings}


def examples(*tables: tuple[Word[Any], ...]) -> tuple[str, ...]:
    return tuple(example for table in tables for entry in table for example in entry.examples)


# --- when ------------------------------------------------------------------------------------

# Times of day said as words: a clock on the 24-hour dial, never ambiguous.
TIMES_OF_DAY: tuple[Word[time], ...] = (
    Word(("noon", "midday"), time(12), ("noon",)),
    Word(("midnight",), time(0), ("midnight",)),
)
# Days said as words: how many days back from today.
DAYS: tuple[Word[int], ...] = (
    Word(("today",), 0, ("today 9:30",)),
    Word(("yesterday",), 1, ("yesterday 3pm", "yesterday at 3")),
)
# Parts of the day, each: which day (days back from today) and which half of the dial a clock
# without am/pm is read on ("am", "pm", or "night": evening hours yesterday, small hours today).
DAY_PARTS: tuple[Word[tuple[int, str]], ...] = (
    Word(("this morning",), (0, "am"), ("this morning 9",)),
    Word(("this afternoon",), (0, "pm"), ("this afternoon 1:30",)),
    Word(("this evening",), (0, "pm")),
    Word(("tonight",), (0, "pm")),
    Word(("last night",), (1, "night"), ("last night 11pm",)),
    Word(("yesterday morning",), (1, "am")),
    Word(("yesterday afternoon",), (1, "pm")),
    Word(("yesterday evening",), (1, "pm")),
)
# A part of the day after a named day ("Sat morning"): the half of the dial a clock is read on.
PARTS_AFTER_A_DAY: tuple[Word[str], ...] = (
    Word(("morning",), "am"),
    Word(("afternoon", "evening", "night"), "pm"),
)
WEEKDAYS: tuple[Word[int], ...] = (
    Word(("mon", "monday"), 0),
    Word(("tue", "tues", "tuesday"), 1),
    Word(("wed", "weds", "wednesday"), 2),
    Word(("thu", "thur", "thurs", "thursday"), 3),
    Word(("fri", "friday"), 4),
    Word(("sat", "saturday"), 5, ("Sat 14:05",)),
    Word(("sun", "sunday"), 6),
)
MONTHS: tuple[Word[int], ...] = (
    Word(("jan", "january"), 1),
    Word(("feb", "february"), 2),
    Word(("mar", "march"), 3),
    Word(("apr", "april"), 4),
    Word(("may",), 5),
    Word(("jun", "june"), 6),
    Word(("jul", "july"), 7),
    Word(("aug", "august"), 8),
    Word(("sep", "sept", "september"), 9),
    Word(("oct", "october"), 10),
    Word(("nov", "november"), 11, ("Nov 21 14:05",)),
    Word(("dec", "december"), 12),
)
# Fixed-offset abbreviations a dispatcher may write after a time (hours east of UTC). `CDT` names
# one of the two 01:30s of the autumn change on its own.
ZONES: tuple[Word[int], ...] = (
    Word(("utc", "gmt", "z"), 0, ("14:05 UTC",)),
    Word(("est",), -5),
    Word(("edt",), -4),
    Word(("cst",), -6),
    Word(("cdt",), -5),
    Word(("mst",), -7),
    Word(("mdt",), -6),
    Word(("pst",), -8),
    Word(("pdt",), -7),
    Word(("akst",), -9),
    Word(("akdt",), -8),
    Word(("hst",), -10),
    Word(("bst",), 1),
    Word(("cet",), 1),
    Word(("cest",), 2),
    Word(("eet",), 2),
    Word(("eest",), 3),
)
# The halves of the dial, written after a clock ("2:15 pm").
AMPM = {"am": "am", "a.m.": "am", "pm": "pm", "p.m.": "pm"}
# Words that say the moment is ahead: recalls are for the past.
FUTURE_WORDS = frozenset({"tomorrow", "later", "upcoming", "next"})

# --- how long --------------------------------------------------------------------------------

# Units of a length, in seconds. A one-letter unit is only read joined to its number (`2m`).
UNITS: tuple[Word[int], ...] = (
    Word(("s", "sec", "secs", "second", "seconds"), 1),
    Word(("m", "min", "mins", "minute", "minutes"), 60),
    Word(("h", "hr", "hrs", "hour", "hours"), 3600),
)
# Numbers said as words before a unit ("ten minutes ago").
NUMBERS: tuple[Word[int], ...] = (
    Word(("a", "an", "one"), 1),
    Word(("two",), 2),
    Word(("three",), 3),
    Word(("four",), 4),
    Word(("five",), 5),
    Word(("six",), 6),
    Word(("seven",), 7),
    Word(("eight",), 8),
    Word(("nine",), 9),
    Word(("ten",), 10),
    Word(("fifteen",), 15),
    Word(("twenty",), 20),
    Word(("thirty",), 30),
    Word(("forty",), 40),
    Word(("forty-five",), 45),
    Word(("fifty",), 50),
    Word(("sixty",), 60),
    Word(("ninety",), 90),
)
# Lengths said as phrases, in seconds: read wherever a length may stand (a duration, or before
# `ago`). An example ending in `ago` is a way of saying when; the others, a way of saying how long.
LENGTHS: tuple[Word[int], ...] = (
    Word(("half an hour", "half hour", "a half hour"), 1800, ("half an hour ago", "half an hour")),
    Word(("half a minute",), 30),
    Word(("quarter of an hour", "a quarter of an hour", "quarter hour", "a quarter hour"), 900),
    Word(("an hour and a half", "one and a half hours"), 5400, ("an hour and a half ago",)),
    Word(("an hour and a quarter",), 4500),
    Word(("a minute and a half",), 90),
    Word(("a couple of minutes", "a couple minutes"), 120),
    Word(("a few minutes",), 180),
)

# --- what and which ----------------------------------------------------------------------------

# Camera words; each position's full name (`front_facing`) is read as well, after these.
CAMERAS: tuple[Word[CameraPosition], ...] = (
    Word(("front", "road"), CameraPosition.FRONT_FACING),
    Word(("driver", "cab"), CameraPosition.DRIVER_FACING),
    Word(("narrow",), CameraPosition.FRONT_NARROW_FACING),
    Word(("left",), CameraPosition.SIDE_LEFT),
    Word(("right",), CameraPosition.SIDE_RIGHT),
    Word(("rear", "back"), CameraPosition.REAR),
)
TYPES: tuple[Word[RecallType], ...] = (
    Word(("timelapse",), RecallType.TIMELAPSE),
    Word(("regular",), RecallType.REGULAR),
)
# The first word naming the kind of unit before its name ("truck 101"): what it is prefixed with.
KINDS: tuple[Word[str], ...] = (
    Word(("truck", "vehicle", "unit"), ""),
    Word(("trailer", "asset"), "asset:"),
)
DEFAULT_DURATION = {RecallType.REGULAR: 1, RecallType.TIMELAPSE: 15}
# `all`, `all cameras`, `all the cameras`, `every camera`: every camera the unit has.
ALL_WORDS = frozenset({"all", "every", "all_cameras", "everything"})
CAMERA_NOUNS = frozenset({"camera", "cameras", "cams"})
# Words that join camera words: "front and driver", "front, driver", "front + driver".
CAMERA_JOINERS = frozenset({"and", "&", "+", ",", "plus"})

# --- words around the others -------------------------------------------------------------------

# Words read and passed over: "at 14:05", "for 2 min".
FILLERS = frozenset({"at", "on", "from", "for", "around", "about", "last", "starting"})
# Fillers that stand before a time, and need one after them.
TIME_FILLERS = frozenset({"at", "on", "around", "about", "last", "starting", "from"})
# Words after which a lone hour is a time of day ("at 3").
CLOCK_LEADS = frozenset({"at", "around", "about", "by"})
# Words that ask for a list of requests, which these commands do not show (yet).
LISTING_WORDS = frozenset({"list", "status", "mine", "requests", "history"})
HELP_WORDS = frozenset({"help", "?", "-h", "--help"})

# --- the lookups the parser reads, from the tables above -----------------------------------------

NAMED_TIMES = lookup(TIMES_OF_DAY)
DAYS_BACK = lookup(DAYS)
DAY_PART_NAMES = lookup(DAY_PARTS)
PART_WORDS = lookup(PARTS_AFTER_A_DAY)
WEEKDAY_NAMES = lookup(WEEKDAYS)
MONTH_NAMES = lookup(MONTHS)
ZONE_HOURS = lookup(ZONES)
UNIT_SECONDS = lookup(UNITS)
NUMBER_WORDS = lookup(NUMBERS)
# Longest first, so "an hour and a half" is not read as "an hour".
LENGTH_SECONDS = dict(sorted(lookup(LENGTHS).items(), key=lambda row: -len(row[0].split())))
CAMERA_WORDS: dict[str, CameraPosition] = {
    **lookup(CAMERAS),
    **{p.value: p for p in CameraPosition},
}
TYPE_WORDS = lookup(TYPES)
KIND_WORDS = lookup(KINDS)

# --- the examples the help shows and a test parses -----------------------------------------------

RECALL_EXAMPLES = (
    "/recall TRK-101 14:05 2m",
    "/recall TRK-101 2026-11-20 14:05 3m front driver",
    '/recall asset:"Reefer 12" 20m ago timelapse 15m left rear',
    "/recall TRK-102 yesterday 2:15pm 2 min front rear",
)
SNAPSHOT_EXAMPLES = ("/snapshot TRK-101 front", '/snapshot asset:"Reefer 12" rear')
# The ways of saying when, as `/recall help` lists them (and a refusal with no time quotes them):
# first in the order they have always been said, then every other example of the time words'
# tables, so that a new word's example is listed without a line of its own here.
WHEN_EXAMPLES = tuple(
    dict.fromkeys(
        (
            "14:05",
            "2:15pm",
            "at 2:15 pm",
            "yesterday 3pm",
            "today 9:30",
            "Sat 14:05",
            "11/21 14:05",
            "Nov 21 14:05",
            "2026-11-20 14:05",
            "14:05 UTC",
            "20m ago",
            "1h30m ago",
            "now",
            # as people say them (issue 24)
            "noon",
            "midnight",
            "this morning 9",
            "this afternoon 1:30",
            "last night 11pm",
            "yesterday at 3",
            "1405",
            "half an hour ago",
            "an hour and a half ago",
            *examples(TIMES_OF_DAY, DAYS, DAY_PARTS, PARTS_AFTER_A_DAY, WEEKDAYS, MONTHS, ZONES),
            *(e for e in examples(LENGTHS) if e.endswith(" ago")),
        )
    )
)
# The ways of saying when that a refusal names, where a time was expected: each is one of the
# above, so the help test parses it.
WHEN_HINTS = (
    "14:05",
    "2:15pm",
    "noon",
    "yesterday 3pm",
    "this morning 9",
    "last night 11pm",
    "Sat 14:05",
    "20m ago",
    "half an hour ago",
)
DURATION_EXAMPLES = tuple(
    dict.fromkeys(
        (
            "2m",
            "2 min",
            "3 minutes",
            "120s",
            "1h",
            *(e for e in examples(LENGTHS) if not e.endswith(" ago")),
        )
    )
)
# Cameras joined as people join them; a test parses each.
CAMERA_EXAMPLES = ("front driver", "front and driver", "left, right and rear", "all cameras")
