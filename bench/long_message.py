"""A message shortcut on a very long message, and the acks of everyone else meanwhile.

    python -m bench.long_message [--sizes 40000,400000]

For each size, a message of that many characters of `1:99 ` (each word looks like a time and is
not one: the costliest text for the reader of times) and one of as many distinct truck-like words
(`TRK-1 TRK-2 …`, each matched against the fleet list):

- parse: the time `find_in_text` takes on the whole text, and on what the shortcut reads of it
  (`get_dashcam_video.readable`), in this process;
- served: `motive-bot serve` in its own process (bench/big_bodies.py's), sent the message
  shortcut, then `/recall help` one after another until the form has been filled: the shortcut's
  ack, the time until the form was filled (its prefill read the message), and the slowest
  `/recall help` ack meanwhile (Slack gives up at 3 s).

Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx

from bench.big_bodies import ServedBot, serving_bot
from bot.grammar.mentions import find_in_text
from bot.offline.signing import Signer, command_body, interaction_body
from bot.offline.stack import SIGNING_SECRET
from bot.slack.listeners.shortcuts import get_dashcam_video

NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
ZONE = ZoneInfo("America/Chicago")
PATIENCE = 600.0  # seconds a step may take before the run gives up (not a figure)


def message(kind: str, size: int) -> str:
    if kind == "times":
        return ("1:99 " * (size // 5 + 1))[:size]
    words: list[str] = []
    n = 0
    while n < size:
        word = f"TRK-{len(words) + 1000}"
        words.append(word)
        n += len(word) + 1
    return " ".join(words)[:size]


def parse_seconds(text: str) -> float:
    started = time.perf_counter()
    find_in_text(text, now=NOW, tz=ZONE)
    return time.perf_counter() - started


async def served(bot: ServedBot, http: httpx.AsyncClient, text: str, n: int) -> str:
    signer = Signer(SIGNING_SECRET)
    slack = bot.backends.slack
    filled_before = len(slack.called("views.update"))
    shortcut = interaction_body(
        {
            "type": "message_action",
            "callback_id": "get_dashcam_video",
            "trigger_id": f"trig-long-{n}",
            "channel": {"id": "C0DISPATCH", "name": "dispatch"},
            "message_ts": "1763740800.000100",
            "message": {
                "type": "message",
                "user": "U0ALERTS",
                "text": text,
                "ts": "1763740800.000100",
            },
            "response_url": f"{bot.backends.slack_url}/respond/long-{n}",
        }
    )
    started = time.perf_counter()
    r = await http.post(
        f"{bot.url}/slack/events", content=shortcut, headers=signer.headers(shortcut)
    )
    shortcut_ack = time.perf_counter() - started
    assert r.status_code == 200, r.status_code
    helps: list[float] = []
    deadline = time.monotonic() + PATIENCE
    while len(slack.called("views.update")) == filled_before and time.monotonic() < deadline:
        body = command_body(
            "/recall",
            "help",
            response_url=f"{bot.backends.slack_url}/respond/h{n}-{len(helps)}",
            trigger_id=f"trig-h{n}-{len(helps)}",
        )
        sent = time.perf_counter()
        h = await http.post(f"{bot.url}/slack/events", content=body, headers=signer.headers(body))
        helps.append(time.perf_counter() - sent)
        assert h.status_code == 200, h.status_code
        await asyncio.sleep(0.02)
    filled = time.perf_counter() - started
    slowest = max(helps) if helps else 0.0
    return (
        f"shortcut ack {shortcut_ack * 1000:.0f} ms, form filled after {filled:.2f} s, "
        f"{len(helps)} /recall help sent meanwhile, slowest ack {slowest * 1000:.0f} ms"
    )


async def main(sizes: list[int]) -> None:
    print(f"{'message':<28}{'parse whole':>13}{'parse as read':>15}   served")
    async with serving_bot() as bot, httpx.AsyncClient(timeout=PATIENCE) as http:
        n = 0
        for size in sizes:
            for kind in ("times", "trucks"):
                text = message(kind, size)
                whole = parse_seconds(text)
                # (Before the shortcut bounded what it reads, it read it all.)
                readable: Callable[[str], str] = getattr(get_dashcam_video, "readable", str)
                as_read = parse_seconds(readable(text))
                n += 1
                result = await served(bot, http, text, n)
                print(f"{size:>8,} chars of {kind:<8}{whole:>11.3f} s{as_read:>13.4f} s   {result}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="40000,400000")
    args = parser.parse_args()
    asyncio.run(main([int(s) for s in args.sizes.split(",")]))
