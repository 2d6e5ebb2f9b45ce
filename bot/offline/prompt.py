"""The console's input: typed at a terminal (with line editing and history), or read from a
pipe and echoed, so that a scripted session's transcript shows what was typed."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
from collections.abc import Callable
from typing import TextIO

HISTORY = "~/.motive_bot_history"


class Prompt:
    def __init__(self, stdin: TextIO, echo: Callable[[str], None]) -> None:
        self.stdin = stdin
        self.echo = echo
        self.interactive = stdin.isatty()
        if self.interactive:
            enable_history()

    async def read(self, prompt: str) -> str | None:
        """One line without its newline; None when the input has ended."""
        loop = asyncio.get_running_loop()
        if self.interactive:
            try:
                return await loop.run_in_executor(None, input, prompt)
            except EOFError:
                return None
        line = await loop.run_in_executor(None, self.stdin.readline)
        if not line:
            return None
        self.echo(f"{prompt}{line.rstrip()}")
        return line.rstrip("\n")


def enable_history() -> None:
    """Line editing and a history kept between sessions, as Hubot's shell does."""
    try:
        import readline
    except ImportError:  # not on every platform; the console works without it
        return
    path = os.path.expanduser(HISTORY)
    with contextlib.suppress(OSError):
        readline.read_history_file(path)
    readline.set_history_length(1000)

    def save() -> None:
        with contextlib.suppress(OSError):
            readline.write_history_file(path)

    atexit.register(save)
