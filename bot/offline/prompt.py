"""The console's input: typed at a terminal (with line editing and history), or read from a
pipe and echoed, so that a scripted session's transcript shows what was typed.

At a terminal the lines are read by the main thread (`TerminalLines.serve`) while the app runs
on an event loop in another: Python delivers Ctrl-C to the main thread only, so there it can do
what it does in a shell, cancel the line being typed and ask again, instead of interrupting the
event loop (a traceback, and a reader thread left holding the next line).
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import os
import queue
from collections.abc import Callable
from typing import TextIO

HISTORY = "~/.motive_bot_history"


class TerminalLines:
    """Lines asked for by the event loop's thread and typed on the main thread."""

    def __init__(self, read_line: Callable[[str], str] = input) -> None:
        self._asks: queue.Queue[tuple[str, concurrent.futures.Future[str | None]]] = queue.Queue()
        self._read_line = read_line
        # Called (on the main thread) for a Ctrl-C while nothing is being typed.
        self.on_interrupt: Callable[[], None] = lambda: None

    async def read(self, prompt: str) -> str | None:
        answer: concurrent.futures.Future[str | None] = concurrent.futures.Future()
        self._asks.put((prompt, answer))
        return await asyncio.wrap_future(answer)

    def serve(self, finished: Callable[[], bool]) -> None:
        """Answer the loop's asks until `finished()`; run this on the main thread."""
        while not finished():
            try:
                prompt, answer = self._asks.get(timeout=0.1)
            except queue.Empty:
                continue
            except KeyboardInterrupt:
                print(flush=True)  # past the terminal's ^C
                self.on_interrupt()
                continue
            answer.set_result(self._line(prompt))

    def _line(self, prompt: str) -> str | None:
        while True:
            try:
                return self._read_line(prompt)
            except KeyboardInterrupt:
                # As a shell does: the line typed so far is dropped, and a fresh prompt shown.
                print(flush=True)
            except EOFError:
                return None


class Prompt:
    def __init__(
        self,
        stdin: TextIO,
        echo: Callable[[str], None],
        terminal: TerminalLines | None = None,
    ) -> None:
        self.stdin = stdin
        self.echo = echo
        self.terminal = terminal
        self.interactive = stdin.isatty()
        if self.interactive:
            enable_history()

    async def read(self, prompt: str) -> str | None:
        """One line without its newline; None when the input has ended."""
        if self.terminal is not None:
            return await self.terminal.read(prompt)
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
