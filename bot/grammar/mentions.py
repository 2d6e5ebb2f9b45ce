"""A vehicle and a time inside free text, for the message shortcut: "TRK-101 cut off on I-80
around 2:15". Reads as the command reads, never raises. Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.grammar.recall import parse_recall
from bot.grammar.tokens import ParseError, unescape
from bot.grammar.words import NAMED_TIMES

# What makes a phrase worth a parse: a clock, an am/pm, `ago`, a date, or a time of day said as a
# word (the table's: noon, midnight, …).
_TIME_LIKE = re.compile(
    r"\d:\d\d|\d\s?(?:am|pm|a\.m\.|p\.m\.)(?:\W|$)|\bago\b|\d[/.]\d|\d{4}-\d"
    + "".join(rf"|\b{re.escape(word)}\b" for word in NAMED_TIMES),
    re.I,
)
_UNIT_NAME = re.compile(r"[A-Za-z0-9][\w-]*")


# Each phrase tried for a time is a whole parse (or two): a message names its time among its
# first few time-like words, and a text of nothing but time-like words must not cost a parse per
# word (40,000 characters of `1:99 ` took seconds).
PHRASES_TRIED = 100


@dataclass(frozen=True)
class Mention:
    """What a message says about a truck and a time: the words that may be vehicle numbers (for
    the fleet list to judge), and the first time in it, as an instant (None if none)."""

    names: tuple[str, ...]
    start: datetime | None
    start_words: str = ""


def find_in_text(
    text: str, *, now: datetime, tz: ZoneInfo | None, month_first: bool = True
) -> Mention:
    """Read a message the way a dispatcher would: "TRK-101 cut off on I-80 around 2:15".
    Never raises: what cannot be read is left out. A bare 2:15 is the latest past of 2:15 and
    14:15, since a message about an incident speaks of the last few hours."""
    # "(TRK-101):" is TRK-101: the colon goes with the other punctuation around a word.
    words = [w for w in (w.strip(".,;:!?()[]{}\"'") for w in unescape(text).split()) if w]
    names = tuple(
        dict.fromkeys(
            w
            for w in words
            if _UNIT_NAME.fullmatch(w) and any(c.isdigit() for c in w) and not _TIME_LIKE.search(w)
        )
    )
    if tz is None:
        return Mention(names, None)
    tried = 0
    for i in range(len(words)):
        for k in (4, 3, 2, 1):
            phrase = " ".join(words[i : i + k])
            if len(words[i : i + k]) < k or not _TIME_LIKE.search(phrase):
                continue
            if tried == PHRASES_TRIED:
                return Mention(names, None)
            tried += 1
            found = _when_in(phrase, now=now, tz=tz, month_first=month_first)
            if found is not None:
                return Mention(names, found, phrase)
    return Mention(names, None)


def _when_in(phrase: str, *, now: datetime, tz: ZoneInfo, month_first: bool) -> datetime | None:
    """The moment a phrase names, read as the command reads it (a bare 2:15 is the latest of
    2:15 and 14:15 that has passed), or None."""
    try:
        fields = parse_recall(f"_ {phrase}", now=now, tz=tz, month_first=month_first, hints=False)
    except ParseError:
        return None
    if set(fields.words) - {"target", "start_time"} or fields.start_time is None:
        return None
    return fields.start_time if fields.start_time <= now else None
