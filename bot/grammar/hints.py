"""A word the grammar does not read: named, with the words its place expects, and a corrected
command only when that command asks for exactly what the other words said (a hint never changes
the footage). The vocabularies are the tables of `bot.grammar.words`. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeAlias
from zoneinfo import ZoneInfo

from bot.grammar.times import amount, starts_time, zone_word
from bot.grammar.tokens import ParseError, camera_words, fix
from bot.grammar.words import (
    ALL_WORDS,
    CAMERA_EXAMPLES,
    CAMERA_JOINERS,
    CAMERA_NOUNS,
    CAMERA_WORDS,
    DAY_PART_NAMES,
    DAYS_BACK,
    DURATION_EXAMPLES,
    FILLERS,
    FUTURE_WORDS,
    MONTH_NAMES,
    NAMED_TIMES,
    NUMBER_WORDS,
    PART_WORDS,
    TIME_FILLERS,
    TYPE_WORDS,
    UNIT_SECONDS,
    WEEKDAY_NAMES,
    WHEN_HINTS,
)
from motive.rules import CameraPosition

if TYPE_CHECKING:
    from bot.grammar.recall import RecallFields

# How a hint asks the parser whether other words parse, and to what: the fields, or the refusal.
# The recall parser hands one in (this module sits below it, so it cannot call it itself).
Check: TypeAlias = "Callable[[list[str]], RecallFields | ParseError]"

# The first word for each position: what help and refusals call it.
_SHORT_CAMERA_WORDS = tuple(
    next(w for w, p in CAMERA_WORDS.items() if p is position) for position in CameraPosition
)


def dangling(
    tokens: list[str], i: int, *, check: Check | None, tz: ZoneInfo | None, month_first: bool
) -> ParseError:
    """A filler (`at`, `last`) with no time after it, or `and` with no camera on each side."""
    word = tokens[i]
    j = i + 1
    if j < len(tokens) and lexical(tokens, j, month_first) is None:
        # The next word is the one not understood: it is judged where it stands.
        return unknown_word(tokens, j, check=check, tz=tz, month_first=month_first)
    if word.lower() in CAMERA_JOINERS:
        return ParseError(
            f"{word!r} joins camera words, like front and driver; I found no camera on both "
            "sides of it.",
            word=word,
            allowed="camera words joined by and, a comma or +",
        )
    if word.lower() == "for":
        return ParseError(
            f"After {word!r} comes how long, like for 2 min or for half an hour; I found no "
            "length after it.",
            word=word,
            allowed="a length after it",
        )
    return ParseError(
        f"After {word!r} comes when, like {word} 14:05, {word} 2:15pm or {word} noon; "
        "I found no time after it.",
        word=word,
        allowed="a time after it",
    )


# Each vocabulary a position may expect, as data: the words the parser reads there.
VOCABULARIES: dict[str, tuple[str, ...]] = {
    "camera": (*CAMERA_WORDS, *sorted(ALL_WORDS), *sorted(CAMERA_NOUNS)),
    "day": tuple(
        dict.fromkeys(
            (
                *DAYS_BACK,
                *WEEKDAY_NAMES,
                *MONTH_NAMES,
                *NAMED_TIMES,
                *PART_WORDS,
                # the first word of each part of the day ("this", "last", "tonight")
                *(phrase.split()[0] for phrase in DAY_PART_NAMES),
                "now",
                "at",
                "around",
            )
        )
    ),
    "unit": tuple(u for u in UNIT_SECONDS if len(u) > 1),
    "ago": ("ago", "now"),
    "filler": tuple(sorted(FILLERS)),
    "joiner": ("and", "plus"),
    "type": tuple(TYPE_WORDS),
}


def or_list(words: tuple[str, ...] | list[str]) -> str:
    """`a, b or c`. (Called while this module is imported; a test calls it too.)"""
    return f"{', '.join(words[:-1])} or {words[-1]}"


# What a refusal says may stand where a word was not understood, read from the same data as
# the parser and the help.
_WHY = {
    "day": f"When is said like {or_list(WHEN_HINTS)}.",
    "camera": f"Camera words are {or_list(list(dict.fromkeys(_SHORT_CAMERA_WORDS)))} (or all "
    f"cameras); join them like {CAMERA_EXAMPLES[1]}.",
    "unit": f"A length is said like {or_list(DURATION_EXAMPLES)}.",
}
_RECALL_WHY = (
    "After the truck come a time, a duration like 2m, timelapse, and camera words "
    f"({', '.join(_SHORT_CAMERA_WORDS)})."
)
_KNOWN = frozenset(w for words in VOCABULARIES.values() for w in words)
_NUMBERISH = re.compile(r"^\d{1,6}(?:\.\d{1,3})?$")


def lexical(tokens: list[str], j: int, month_first: bool) -> str | None:
    """What kind of word stands at `j`, read alone: "camera", "type", "other" (a note, a target,
    again), "length", "time", "edge" (no word there), or None (a word nothing reads)."""
    if not 0 < j < len(tokens):
        return "edge"
    low = tokens[j].lower()
    if camera_words(low) or low in CAMERA_JOINERS or low in ALL_WORDS or low in CAMERA_NOUNS:
        return "camera"
    if low in TYPE_WORDS:
        return "type"
    if low.startswith(("note:", "asset:", "vehicle:")) or low == "again":
        return "other"
    if amount(tokens, j) or _NUMBERISH.match(low) or low in NUMBER_WORDS:
        return "length"
    if low in ("ago", "now", "half", "quarter") or low in UNIT_SECONDS:
        return "length"
    # (A clock, a day, a part of the day or a filler begins a time: `starts_time` reads them.)
    if starts_time(tokens, j, month_first) or zone_word(tokens[j]) is not None:
        return "time"
    if low in ("this", *FUTURE_WORDS, "in", "for"):
        return "time"
    return None


def expected(tokens: list[str], i: int, month_first: bool) -> tuple[str, ...]:
    """The vocabularies the position of word `i` expects, from the words either side of it."""
    prev = tokens[i - 1].lower() if i > 1 else ""
    if any(c.isdigit() for c in tokens[i]):
        return ("day",)  # shaped like a time (25:00, 13pm): read as one, or named as not one
    before = lexical(tokens, i - 1, month_first) if i > 1 else "edge"
    after = lexical(tokens, i + 1, month_first)
    if prev in TIME_FILLERS or prev in ("this", "yesterday", "today") or prev in WEEKDAY_NAMES:
        return ("day",)
    if _NUMBERISH.match(prev) or prev in NUMBER_WORDS or prev in ("half", "quarter"):
        return ("unit",)
    if i + 1 < len(tokens) and tokens[i + 1].lower() == "ago":
        return ("unit",)
    if after == "time":
        return ("day", "camera", "filler", "joiner")
    if "camera" in (before, after):
        return ("camera", "joiner")
    if before == "length" and prev not in ("ago", "now"):
        return ("ago", "camera", "type", "day")
    if after == "length":
        return ("filler", "camera", "type")  # "for 2 min"
    return tuple(VOCABULARIES)


def closest(word: str, kinds: tuple[str, ...]) -> tuple[str, str] | None:
    """The one word of the expected vocabularies a typo is nearest to (one slip of the keyboard
    away, two for a longer word), and its vocabulary; None when nothing is that near, the word is
    itself one of the grammar's (out of place, not misspelled), or two words of different
    meaning are equally near."""
    if word in _KNOWN:
        return None
    reach = 1 if len(word) <= 5 else 2
    scored: list[tuple[int, str, str]] = []
    for kind in kinds:
        for candidate in VOCABULARIES[kind]:
            if abs(len(candidate) - len(word)) <= reach:
                distance = slips(word, candidate)
                if distance <= reach:
                    scored.append((distance, candidate, kind))
    if not scored:
        return None
    scored.sort(key=lambda s: s[0])
    best = scored[0]
    rivals = [s for s in scored[1:] if s[0] == best[0] and _meaning(s[1]) != _meaning(best[1])]
    return None if rivals else (best[1], best[2])


def slips(a: str, b: str) -> int:
    """Keyboard slips between two words: letters left out, added, wrong, or two swapped (the
    optimal string alignment distance). Words here are short; this is at most a few hundred steps."""
    previous = list(range(len(b) + 1))
    before: list[int] = []
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            cost = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, before[j - 2] + 1)
            row.append(cost)
        before, previous = previous, row
    return previous[-1]


def _meaning(word: str) -> object:
    for table in (CAMERA_WORDS, UNIT_SECONDS, WEEKDAY_NAMES, MONTH_NAMES):
        if word in table:
            return (id(table), table[word])
    return word


def _safe_correction(
    tokens: list[str],
    i: int,
    word: str,
    kind: str,
    *,
    check: Check,
    tz: ZoneInfo | None,
) -> str | None:
    """The command with word `i` replaced by `word`, if it asks for what the other words said:
    the same unit, the same cameras (plus the one `word` names, when it is a camera word) and
    the same moment (a day word may only name the day of the clock already given). None when it
    does not parse, or parses to anything else."""
    fixed = [*tokens[:i], word, *tokens[i + 1 :]]
    got = check(fixed)
    if isinstance(got, ParseError):
        # Only a part still missing (no time yet) is left for the next answer to ask for.
        return fix("/recall", tokens, {i: [word]}) if got.missing else None
    if kind == "camera" and i not in got.spans.get("camera_positions", []):
        return None  # the word was read as something else ("right now")
    if kind != "camera" and i in got.spans.get("camera_positions", []):
        return None
    others = check([*tokens[:i], *tokens[i + 1 :]])
    if not isinstance(others, ParseError):
        if got.target != others.target or got.duration != others.duration:
            return None
        if kind == "camera":
            added = set(camera_words(word))
            if got.start_time != others.start_time:
                return None
            if set(got.camera_positions or ()) != set(others.camera_positions or ()) | added:
                return None
        elif got.camera_positions != others.camera_positions:
            return None
        if kind == "day" and not _same_clock(got, others, tz):
            return None
    return fix("/recall", tokens, {i: [word]})


def _same_clock(a: RecallFields, b: RecallFields, tz: ZoneInfo | None) -> bool:
    if a.start_time is None or b.start_time is None or tz is None:
        return a.start_time == b.start_time
    clock = b.words.get("start_time", "").lower().split()
    if "ago" in clock or "now" in clock:
        return a.start_time == b.start_time
    try:
        return a.start_time.astimezone(tz).time() == b.start_time.astimezone(tz).time()
    except OverflowError:  # a time past year 9999 in the zone: compare the instants instead
        return a.start_time == b.start_time


def unknown_word(
    tokens: list[str],
    i: int,
    *,
    zone_word: bool = False,
    check: Check | None = None,
    tz: ZoneInfo | None = None,
    month_first: bool = True,
) -> ParseError:
    """A word nothing reads: named, with the words its position expects; a corrected command
    only when it asks for exactly what the other words said (never a word dropped: it may have
    been the camera or the half hour that was meant)."""
    tok = tokens[i]
    low = tok.lower()
    if check is None:
        # Only whether the words parse is asked (checking a correction, reading a message).
        return ParseError(f"I don't understand {tok!r}.", word=tok)
    example = ""
    hint = ""
    if zone_word:
        why = "A time zone goes right after a time of day, like 14:05 UTC."
        # A zone means nothing to a relative time: without it, the same moment.
        rest = check([*tokens[:i], *tokens[i + 1 :]])
        if not isinstance(rest, ParseError):
            said = rest.words.get("start_time", "").lower().split()
            if "ago" in said or "now" in said:
                example = fix("/recall", tokens, {i: []})
        return ParseError(
            f"I don't understand {tok!r}. {why}",
            word=tok,
            allowed="time, duration, timelapse, camera words",
            example=example,
        )
    kinds = expected(tokens, i, month_first)
    close = closest(low, kinds)
    if close:
        fixed = _safe_correction(tokens, i, close[0], close[1], check=check, tz=tz)
        if fixed is not None:
            hint, example = f" Did you mean {close[0]}?", fixed
    why = _WHY[kinds[0]] if len(kinds) == 1 or kinds == ("camera", "joiner") else _RECALL_WHY
    if kinds[:2] == ("day", "camera"):
        why = f"{_WHY['day']} {_WHY['camera']}"
    return ParseError(
        f"I don't understand {tok!r}.{hint} {why}",
        word=tok,
        allowed="time, duration, timelapse, camera words",
        example=example,
    )


def unknown_snapshot_word(tokens: list[str], i: int) -> ParseError:
    tok = tokens[i]
    close = closest(tok.lower(), ("camera",))
    hint = f" Did you mean {close[0]}?" if close else ""
    why = (
        "After the truck comes one camera word (front, driver, left, right or rear), or "
        "all for every camera."
    )
    if close:
        example = fix("/snapshot", tokens, {i: [close[0]]})
    elif any(t.lower() in CAMERA_WORDS or t.lower() in ALL_WORDS for t in tokens[1:]):
        # One camera is already named, and a snapshot takes one: the word adds nothing to it.
        example = fix("/snapshot", tokens, {i: []})
    else:
        example = ""
    return ParseError(
        f"I don't understand {tok!r}.{hint} {why}",
        word=tok,
        allowed="one camera word, or all",
        example=example,
    )
