"""The message shortcut "Get dashcam video": the recall form, prefilled from the message (the
vehicle and time it names, else the message's own time); the result goes into its thread."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.grammar.mentions import find_in_text
from bot.render.modals import Origin
from bot.slack.listeners.forms import Prefill, open_recall_form
from bot.slack.listeners.replies import via_origin

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

# How much of a message the shortcut reads. Slack's messages run to 40,000 characters; an
# incident report names its truck and time near its start. Read whole, a long message held the
# event loop (and every other request's ack) for seconds: each time-like word is a few parses,
# and each truck-like word a fuzzy match against the whole fleet list (BENCHMARKS.md).
READ_CHARS = 2_000
NAMES_TRIED = 10  # truck-like words looked up in the fleet list, in order


def readable(text: str) -> str:
    """The part of a message the shortcut reads: its first READ_CHARS characters, cut after a
    whole word."""
    if len(text) <= READ_CHARS:
        return text
    cut = text[: READ_CHARS + 1]
    words = cut.rsplit(None, 1)
    return words[0] if len(words) == 2 else cut[:READ_CHARS]


def message_time(ts: str) -> datetime | None:
    """A message's ts is its posting time in seconds ("1763740800.000123")."""
    try:
        return datetime.fromtimestamp(int(float(ts)) // 60 * 60, UTC)
    except (ValueError, OverflowError, OSError):
        return None


def handler(svc: Services) -> Callable[..., Awaitable[None]]:
    return partial(shortcut_used, svc)


async def shortcut_used(
    svc: Services, ack: AsyncAck, shortcut: dict[str, Any], client: AsyncWebClient
) -> None:
    await ack()
    user = str(shortcut["user"]["id"])
    channel = str((shortcut.get("channel") or {}).get("id") or "")
    message = shortcut.get("message") or {}
    ts = str(message.get("ts") or shortcut.get("message_ts") or "")
    # A reply's thread is its parent's: the result joins the conversation it came from.
    root = str(message.get("thread_ts") or ts) or None
    text = readable(str(message.get("text") or ""))
    origin = Origin(channel, user, shortcut.get("response_url"), thread_ts=root)
    reply = via_origin(svc, channel, user, shortcut.get("response_url"))
    prefill = partial(prefill_from, svc, user, text, ts)
    open_recall_form(svc, client, str(shortcut["trigger_id"]), origin, reply, prefill)


async def prefill_from(svc: Services, user: str, text: str, ts: str) -> Prefill:
    """The vehicle and time the message names (read in the person's zone), else its own time."""
    zone = await svc.zones.zone(user)
    now = svc.clock.now()
    found = find_in_text(text, now=now, tz=zone.tz, month_first=zone.month_first)
    target = None
    for name in found.names[:NAMES_TRIED]:
        match = await svc.fleet.find("vehicle", name)
        if match is not None and match.unit is not None:
            target = match.unit.label
            break
    return Prefill(target=target, start=found.start or message_time(ts))
