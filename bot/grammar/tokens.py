"""Text to tokens, and the simple words among them: the target (truck or asset), a note, the
camera words, help and listing words; and a command rebuilt from its tokens, for a correction.
Pure.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.grammar.words import (
    ALL_WORDS,
    CAMERA_NOUNS,
    CAMERA_WORDS,
    HELP_WORDS,
    KIND_WORDS,
    LISTING_WORDS,
    RECALL_EXAMPLES,
    SNAPSHOT_EXAMPLES,
)
from motive.rules import CameraPosition

if TYPE_CHECKING:
    from bot.grammar.recall import RecallFields
    from bot.grammar.snapshot import SnapshotFields


@dataclass(frozen=True)
class ParseError(Exception):
    """A word we could not read. `word` is what the user typed, `allowed` what would work."""

    message: str
    word: str = ""
    allowed: str = ""
    example: str = ""
    # Nothing was wrong with the words given; a part was missing (no time, no clock after a day).
    missing: bool = False

    def __str__(self) -> str:
        return self.message


def one_target(vehicle: str | None, asset: str | None) -> tuple[str, str] | None:
    if vehicle and not asset:
        return ("vehicle", vehicle)
    if asset and not vehicle:
        return ("asset", asset)
    return None


def unescape(text: str) -> str:
    """Slack delivers `&`, `<`, `>` as entities; a name is matched as the user typed it."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


_NOTE = re.compile(r"(?:^|\s)(note:)", re.IGNORECASE)


def tokenize(text: str, command: str = "/recall") -> list[str]:
    # Slack sends smart quotes from some clients; shlex only knows straight ones.
    text = (
        unescape(text)
        .replace("\u201c", '"')
        .replace("\u201d", '"')
        .replace("\u2018", "'")
        .replace("\u2019", "'")
    )
    # A note is free text to its end ("driver's side" has an apostrophe): keep it out of shlex.
    found = _NOTE.search(text)
    note = text[found.start(1) :].strip() if found else None
    text = text[: found.start(1)] if found else text
    try:
        tokens = shlex.split(text)
    except ValueError:
        opened = max(text.rfind('"'), text.rfind("'"))
        word = text[text.rfind(" ", 0, opened) + 1 :].split()[0]
        raise ParseError(
            f"A quote is not closed in {word}; put names with spaces in quotes, like "
            'asset:"Reefer 12".',
            word=word,
            # No command: a stand-in would ask for another unit's footage (issue 24).
        ) from None
    # `asset: "Flatbed 7"`: the quoted name after a space is still the asset's.
    joined: list[str] = []
    for token in tokens:
        if joined and joined[-1].lower() in ("asset:", "vehicle:") and " " in token:
            joined[-1] += token
        else:
            joined.append(token)
    tokens = joined
    # "Nov 21, 14:05": a comma ends a word, it is not part of it.
    return [t.rstrip(",;") or t for t in tokens] + ([note] if note else [])


def read_target(token: str, index: int, fields: RecallFields | SnapshotFields) -> None:
    lowered = token.lower()
    if lowered.startswith("asset:"):
        kind, name = "asset", token[6:].strip()
    elif lowered.startswith("vehicle:"):
        kind, name = "vehicle", token[8:].strip()
    else:
        kind, name = "vehicle", token.strip()
    if name and not re.search(r"\w", name):
        raise ParseError(
            f"I can't read {token!r} as a truck or trailer: say a vehicle number (like TRK-101) "
            'or asset:"NAME" first, then the rest.',
            word=token,
            allowed="a vehicle number, or asset:NAME",
            # No command: the truck is not known, and a stand-in would be another unit.
        )
    key = "target" if "target" not in fields.spans else "target2"
    if key == "target2" and (fields.asset_name if kind == "asset" else fields.vehicle_number):
        # Two of one kind: the second would silently replace the first (the wrong truck).
        raise ParseError(
            f"You gave two {kind}s, {fields.words['target']} and {token}; give one.",
            word=token,
            allowed=f"one {kind}",
            # No command: either unit may be the one meant.
        )
    if kind == "asset":
        fields.asset_name = name
    else:
        fields.vehicle_number = name
    fields.spans[key] = [index]
    # A second target is what a "not both" violation should point at.
    fields.words["target"] = token


# --- the kind word and the cameras -------------------------------------------------------------


def kind_word(tokens: list[str]) -> list[str]:
    """`truck 101` is the vehicle 101 and `trailer 7` the asset 7: the kind word is not a name."""
    if len(tokens) > 1 and tokens[0].lower() in KIND_WORDS and ":" not in tokens[1]:
        return [KIND_WORDS[tokens[0].lower()] + tokens[1], *tokens[2:]]
    return tokens


def camera_words(low: str) -> list[CameraPosition]:
    """The cameras one word names: `front`, or several joined like `front,driver` / `left+rear`."""
    if low in CAMERA_WORDS:
        return [CAMERA_WORDS[low]]
    parts = [p for p in re.split(r"[,+&]", low) if p]
    if len(parts) > 1 and all(p in CAMERA_WORDS for p in parts):
        return [CAMERA_WORDS[p] for p in parts]
    return []


def is_camera(tokens: list[str], j: int) -> bool:
    return 0 < j < len(tokens) and bool(camera_words(tokens[j].lower()))


def every_camera(tokens: list[str], i: int) -> int:
    """`all`, `all cameras`, `all the cameras`, `every camera`: how many words (0: none)."""
    words = [t.lower() for t in tokens[i : i + 3]]
    if not words or words[0] not in ALL_WORDS:
        return 0
    if words[1:2] == ["the"] and words[2:3] and words[2] in CAMERA_NOUNS:
        return 3
    return 2 if words[1:2] and words[1] in CAMERA_NOUNS else 1


def span(tokens: list[str], i: int, taken: int) -> str:
    return " ".join(tokens[i : i + taken])


def span_at(tokens: list[str], at: list[int]) -> str:
    return " ".join(tokens[j] for j in at)


def no_listing(command: str, tokens: list[str]) -> None:
    if len(tokens) == 1 and tokens[0].lower() in LISTING_WORDS:
        example = (RECALL_EXAMPLES if command == "/recall" else SNAPSHOT_EXAMPLES)[0]
        what = "a truck and a time" if command == "/recall" else "a truck and a camera"
        raise ParseError(
            f"`{command} {tokens[0]}` is not something I can show here: {command} takes {what} "
            f"(`{example}`), `{command}` alone opens the form, and `{command} help` lists every "
            "form.",
            word=tokens[0],
            allowed=what,
            example=example,
        )


def fix(command: str, tokens: list[str], changes: dict[int, list[str]]) -> str:
    """The user's command with the words at some positions replaced (or dropped, with [])."""
    out: list[str] = []
    for j, tok in enumerate(tokens):
        out.extend(changes.get(j, [tok]))
    # A note runs to the end of the command: it stays last, as typed (quoting it would not
    # survive a quote inside it), or the words added after it would become part of it.
    note = [out.pop()] if out and out[-1].lower().startswith("note:") else []
    out.extend(changes.get(len(tokens), []))
    return f"{command} " + " ".join([*(_quote(t) for t in out), *note])


def is_help(text: str) -> bool:
    return text.strip().lower() in HELP_WORDS


def is_listing(text: str) -> bool:
    """`/recall mine` (or list, status…): the person's own requests, not a new one."""
    return text.strip().lower() in LISTING_WORDS


def _quote(token: str) -> str:
    if " " not in token:
        return token
    head, sep, tail = token.partition(":")
    return f'{head}:"{tail}"' if sep and head.lower() in ("asset", "vehicle") else f'"{token}"'
