"""What the app does in Slack, printed as a transcript of the channel and its threads."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot.offline.fakeslack import Message
from bot.offline.transcript import blocks_text, mrkdwn


@dataclass(frozen=True)
class Button:
    """A button shown as [n] under a message; `message` is where it was (None: a private reply)."""

    element: dict[str, Any]
    message: Message | None


class Printer:
    """Listens to the fake Slack and prints each post, edit, file and private reply; messages and
    buttons get numbers, so that the reader can say which button to press."""

    def __init__(self, tz: ZoneInfo, out: TextIO, channel_names: dict[str, str]) -> None:
        self.tz = tz
        self.out = out
        self.names = channel_names
        self._buttons: list[Button] = []
        self._numbers: dict[str, int] = {}
        self._n = itertools.count(1)

    def button(self, number: int) -> Button | None:
        """Button [number] as printed, if there is one."""
        return self._buttons[number - 1] if 1 <= number <= len(self._buttons) else None

    def line(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def _num(self, ts: str) -> int:
        if ts not in self._numbers:
            self._numbers[ts] = next(self._n)
        return self._numbers[ts]

    def _where(self, channel: str) -> str:
        return "DM" if channel.startswith("D") else "#" + self.names.get(channel, channel)

    def _body(
        self, blocks: list[dict[str, Any]], text: str, indent: str, origin: Message | None
    ) -> None:
        # blocks_text numbers the buttons it appends after those already in the list.
        shown = [b.element for b in self._buttons]
        first = len(shown)
        lines = blocks_text(blocks, self.tz, shown) if blocks else [mrkdwn(text, self.tz)]
        self._buttons.extend(Button(e, origin) for e in shown[first:])
        for ln in lines:
            self.line(indent + ln)

    def on_event(self, kind: str, payload: Any) -> None:
        """A FakeSlack listener."""
        if kind == "post":
            msg: Message = payload
            if msg.thread_ts:
                self.line(
                    f"  └ reply in thread of message {self._num(msg.thread_ts)} ({self._where(msg.channel)}):"
                )
                self._body(msg.blocks, msg.text, "    ", msg)
            else:
                self.line(
                    f"[{self._where(msg.channel)}] message {self._num(msg.ts)} from Motive Clips:"
                )
                self._body(msg.blocks, msg.text, "  ", msg)
        elif kind == "update":
            msg = payload
            where = (
                f"thread reply {self._num(msg.ts)}"
                if msg.thread_ts
                else f"message {self._num(msg.ts)}"
            )
            self.line(f"[{self._where(msg.channel)}] {where} updated:")
            self._body(msg.blocks, msg.text, "  ", msg)
        elif kind == "file":
            msg = payload
            for f in msg.files:
                self.line(
                    f"  └ file in thread of message {self._num(msg.thread_ts or msg.ts)}: {f['name']} ({f['size']} bytes)"
                )
            if msg.text:
                self.line(f"    {mrkdwn(msg.text, self.tz)}")
        elif kind in ("respond", "ephemeral"):
            self.line("(only you can see this)")
            self._body(list(payload.get("blocks") or []), str(payload.get("text", "")), "  ", None)
