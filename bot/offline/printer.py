"""What the app does in Slack, printed as a transcript of the channel and its threads."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
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

    def __init__(
        self,
        tz: ZoneInfo,
        out: TextIO,
        channel_names: dict[str, str],
        *,
        file_bytes: Callable[[str], bytes | None] | None = None,
        media_dir: Path | None = None,
    ) -> None:
        self.tz = tz
        self.out = out
        self.names = channel_names
        # Uploaded files are saved here, so that a person can open the snapshot.
        self._file_bytes = file_bytes
        self._media_dir = media_dir
        self._buttons: list[Button] = []
        self._numbers: dict[str, int] = {}
        self._n = itertools.count(1)
        # The Home tab is republished whenever one of the person's requests changes; it is
        # printed only when the person asked to see it (`home`).
        self._home_wanted = False

    def show_home_once(self) -> None:
        self._home_wanted = True

    def button(self, number: int) -> Button | None:
        """Button [number] as printed, if there is one."""
        return self._buttons[number - 1] if 1 <= number <= len(self._buttons) else None

    def line(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def number(self, ts: str) -> int:
        """The number a message is shown with (given on first sight)."""
        return self._num(ts)

    def _num(self, ts: str) -> int:
        if ts not in self._numbers:
            self._numbers[ts] = next(self._n)
        return self._numbers[ts]

    def _save(self, file_id: str, name: str) -> Path | None:
        if self._file_bytes is None or self._media_dir is None:
            return None
        data = self._file_bytes(file_id)
        if not data:
            return None
        self._media_dir.mkdir(parents=True, exist_ok=True)
        path = self._media_dir / f"{file_id}-{Path(name).name}"
        path.write_bytes(data)
        return path

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
        # Every item starts with its own [channel] line naming the message it belongs to, so a
        # thread reply never reads as if it belonged to whatever was printed just before it.
        if kind == "post":
            msg: Message = payload
            if msg.thread_ts:
                self.line(
                    f"[{self._where(msg.channel)}] reply {self._num(msg.ts)} in the thread of "
                    f"message {self._num(msg.thread_ts)}:"
                )
                self._body(msg.blocks, msg.text, "  ", msg)
            else:
                self.line(
                    f"[{self._where(msg.channel)}] message {self._num(msg.ts)} from Motive Clips:"
                )
                self._body(msg.blocks, msg.text, "  ", msg)
        elif kind == "update":
            msg = payload
            where = (
                f"reply {self._num(msg.ts)} in the thread of message {self._num(msg.thread_ts)}"
                if msg.thread_ts
                else f"message {self._num(msg.ts)}"
            )
            self.line(f"[{self._where(msg.channel)}] {where} updated:")
            self._body(msg.blocks, msg.text, "  ", msg)
        elif kind == "file":
            msg = payload
            parent = self._num(msg.thread_ts or msg.ts)
            for f in msg.files:
                self.line(
                    f"[{self._where(msg.channel)}] file in the thread of message {parent}: "
                    f"{f['name']} ({f['size']} bytes)"
                )
                saved = self._save(str(f.get("id", "")), str(f.get("name") or "file"))
                if saved is not None:
                    self.line(f"  saved to {saved}")
            if msg.text:
                self.line(f"  {mrkdwn(msg.text, self.tz)}")
        elif kind == "home":
            if not self._home_wanted:
                return
            self._home_wanted = False
            self.line(f"[App Home of @{payload['user']}] published:")
            self._body(list(payload["view"].get("blocks") or []), "", "  ", None)
        elif kind in ("respond", "ephemeral"):
            self.line("(only you can see this)")
            self._body(list(payload.get("blocks") or []), str(payload.get("text", "")), "  ", None)
