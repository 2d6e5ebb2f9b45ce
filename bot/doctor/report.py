"""The doctor's report: one line per guess, shapes instead of values, and a redaction net."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from motive import contract as c
from motive.models import parse_time, time_form

OK, DIFFERS, FAILS, SKIPPED = "ok", "DIFFERS", "FAILS", "skipped"
# A check that could not run for a reason the person running doctor can fix (an option not
# given, a setting not set, an id Motive does not know): the run is not a pass.
NOT_RUN = "NOT RUN"
REPORT_HINT = (
    "To report: paste this whole output (it holds no keys, names, ids or links) into an issue for "
    "the motive-bot maintainers, with the date and which Motive plan the account is on. Each "
    "DIFFERS or FAILS line names the guess in motive/contract.py to change; "
    "docs/motive-assumptions.md says what the bot does meanwhile."
)


@dataclass
class Check:
    key: str
    verdict: str
    called: str
    got: str
    note: str = ""


@dataclass
class Options:
    recall_ids: list[str] = field(default_factory=list)
    vehicle: str | None = None
    create_test_snapshot: str | None = None
    position: str = "front_facing"
    bot_url: str | None = None
    manifest: Path | None = None
    # The moment "today" is read from (the safety events' days); None: the system clock.
    now: datetime | None = None


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    hidden: set[str] = field(default_factory=set)

    def add(self, key: str, verdict: str, called: str, got: str, note: str = "") -> Check:
        check = Check(key, verdict, called, got, note)
        self.checks.append(check)
        return check

    def verdict(self, key: str) -> str | None:
        return next((ch.verdict for ch in self.checks if ch.key == key), None)

    def hide(self, *values: Any) -> None:
        # Short numbers would blot out counts and page sizes; they are never printed anyway.
        for v in values:
            text = "" if v is None else str(v).strip()
            if len(text) >= 5 or (len(text) >= 3 and not text.isdigit()):
                self.hidden.add(text)

    @property
    def exit_code(self) -> int:
        return 1 if any(ch.verdict in (DIFFERS, FAILS, NOT_RUN) for ch in self.checks) else 0

    def render(self) -> str:
        lines = []
        for ch in self.checks:
            lines.append(f"{ch.verdict:<8} {ch.key:<18} {ch.called}")
            lines.append(f"{'':<27}→ {ch.got}")
            if ch.note:
                lines.append(f"{'':<27}{ch.note}")
        counts = {
            v: sum(1 for ch in self.checks if ch.verdict == v)
            for v in (OK, DIFFERS, FAILS, NOT_RUN, SKIPPED)
        }
        lines.append("")
        lines.append(
            f"{counts[OK]} ok, {counts[DIFFERS]} differ, {counts[FAILS]} fail, "
            f"{counts[NOT_RUN]} not run, {counts[SKIPPED]} skipped."
        )
        if counts[NOT_RUN]:
            lines.append(
                "Each NOT RUN line says what to give doctor so that the check can run "
                "(an option or a setting); run it again with that."
            )
        lines.append(REPORT_HINT)
        return self.redact("\n".join(lines))

    def redact(self, text: str) -> str:
        # A safety net: the checks print shapes, but a message from Motive may echo a value.
        for value in sorted(self.hidden, key=len, reverse=True):
            text = text.replace(value, "<hidden>")
        return text


# --- shapes ---------------------------------------------------------------------------------------

TIME_KEY = re.compile(r"(_time|_at)$")


def shape(value: Any, depth: int = 0, key: str = "") -> str:
    """Keys and types, never values; timestamps show their form (digits as 9)."""
    if isinstance(value, dict):
        if depth >= 4:
            return "{…}"
        items = list(value.items())
        parts = [f"{k}: {shape(v, depth + 1, k)}" for k, v in items[:10]]
        if len(items) > 10:
            parts.append(f"+{len(items) - 10} more")
        return "{" + ", ".join(parts) + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        return f"[{len(value)} × {shape(value[0], depth + 1, key)}]"
    if isinstance(value, str) and TIME_KEY.search(key):
        return f"time {time_form(value)}"
    if value is None:
        return "null"
    return type(value).__name__


def reply(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def got(response: httpx.Response, body: Any = None) -> str:
    body = reply(response) if body is None else body
    return f"{response.status_code} {shape(body) if body is not None else '(not JSON)'}"


def message(body: Any) -> str:
    if isinstance(body, dict):
        for key in (*c.ERROR_MESSAGE_FIELDS, c.ERROR_LIST_FIELD):
            if body.get(key):
                return json.dumps(body[key])[:200]
    return ""


def time_forms(values: Iterable[Any]) -> tuple[str, set[str]]:
    """The verdict for a set of timestamps, and their forms."""
    forms: set[str] = set()
    verdict = OK
    for value in values:
        if value is None:
            continue
        forms.add(time_form(value))
        text = str(value)
        try:
            parse_time(value)
        except ValueError:
            verdict = FAILS
            continue
        if not (text.endswith("Z") or re.search(r"[+-]\d\d:?\d\d$", text)) and verdict == OK:
            verdict = DIFFERS
    return verdict, forms


def unit_items(body: Any, key: str, wrapper: str) -> list[dict[str, Any]]:
    items = body.get(key) if isinstance(body, dict) else None
    if not isinstance(items, list):
        return []
    out = []
    for item in items:
        if isinstance(item, dict):
            inner = item.get(wrapper)
            out.append(inner if isinstance(inner, dict) else item)
    return out
