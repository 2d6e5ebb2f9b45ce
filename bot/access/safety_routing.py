"""Where a safety event is posted: the policy file's `[safety_events]` section, pure.

`SAFETY_CHANNEL` turns the feature on and receives every event no route takes. A route sends the
types it names (or every type), at or above its minimum severity, to its own channel; the first
route that matches wins. `leave_out` types and events below `min_severity` are not posted at all.
An event whose severity Motive did not give is never dropped for it: a safety event is posted
rather than lost to a missing field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator

from motive.models import SEVERITIES, SafetyEvent

Severity = Literal["low", "medium", "high", "critical"]
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
_TYPE = re.compile(r"^[a-z0-9_]+$")


def _types(values: list[str] | None) -> list[str] | None:
    for v in values or ():
        if not _TYPE.match(v):
            raise ValueError(f"{v!r} is not a Motive event type (lowercase words joined by _)")
    return values


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EventRoute(_Section):
    channel: str
    types: list[str] | None = None  # None: every type
    min_severity: Severity | None = None

    @field_validator("channel")
    @classmethod
    def _channel(cls, v: str) -> str:
        if not _CHANNEL_ID.match(v):
            raise ValueError(f"{v!r} is not a Slack channel ID (C… or G…)")
        return v

    @field_validator("types")
    @classmethod
    def _event_types(cls, v: list[str] | None) -> list[str] | None:
        return _types(v)


class SafetyEventsPolicy(_Section):
    min_severity: Severity | None = None
    leave_out: list[str] = []
    routes: list[EventRoute] = []

    @field_validator("leave_out")
    @classmethod
    def _event_types(cls, v: list[str]) -> list[str]:
        return _types(v) or []


@dataclass(frozen=True)
class Routed:
    channel: str | None  # None: not posted
    why: str  # in words, for the log and `policy check`


def _at_least(event: SafetyEvent, minimum: Severity | None) -> bool:
    rank = event.severity_rank
    return minimum is None or rank is None or rank >= SEVERITIES.index(minimum)


def route(section: SafetyEventsPolicy, event: SafetyEvent, default_channel: str) -> Routed:
    if event.type in section.leave_out:
        return Routed(None, f"{event.type} events are left out")
    if not _at_least(event, section.min_severity):
        return Routed(None, f"severity {event.severity} is below {section.min_severity}")
    for n, r in enumerate(section.routes, start=1):
        if (r.types is None or event.type in r.types) and _at_least(event, r.min_severity):
            return Routed(r.channel, f"route {n}")
    return Routed(default_channel, "the safety channel")


def describe(section: SafetyEventsPolicy) -> list[str]:
    """The section in words, one sentence a line (for `motive-bot policy check`); nothing when
    the file has no such section (every event then goes to SAFETY_CHANNEL, when it is set)."""
    if section == SafetyEventsPolicy():
        return []
    lines = []
    if section.min_severity:
        lines.append(
            f"Safety events below {section.min_severity} severity are not posted "
            "(an event without a severity is)."
        )
    if section.leave_out:
        lines.append("Safety events of type " + ", ".join(section.leave_out) + " are not posted.")
    for r in section.routes:
        what = (
            "Every safety event"
            if r.types is None
            else "Safety events of type " + ", ".join(r.types)
        )
        floor = f" of {r.min_severity} severity or above" if r.min_severity else ""
        verb = "goes" if r.types is None else "go"
        lines.append(f"{what}{floor} {verb} to channel {r.channel}.")
    rest = "The other safety events go" if section.routes else "Safety events go"
    lines.append(f"{rest} to SAFETY_CHANNEL (when it is set; without it none are posted).")
    return lines
