"""Work that runs after Slack has had its ack, or after a webhook has had its 200.

One small task group per process: listeners, the webhook receiver and the poller's batches hand it
coroutines; it keeps them referenced until they end (asyncio holds tasks only weakly), lets a
graceful stop drain them, and lets the console and the tests wait until nothing is running
instead of sleeping.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any


class Background:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        # Tasks that dispatch requests already acked, and the tasks those dispatches start: the
        # work an inline request has started by the time its response goes out.
        self._handing_over: set[asyncio.Task[Any]] = set()
        self._handed: set[asyncio.Task[Any]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        # What each task waits for before it starts (set by the Slack app: acks go first).
        self.gate: Callable[[], Awaitable[object]] | None = None

    async def _gated(self, coro: Coroutine[Any, Any, Any]) -> Any:
        if self.gate is not None:
            try:
                await self.gate()
            except BaseException:
                coro.close()
                raise
        return await coro

    def spawn(
        self, coro: Coroutine[Any, Any, Any], *, hands_over: bool = False
    ) -> asyncio.Task[Any]:
        """Run `coro` in the group. `hands_over`: it dispatches requests already acked (see
        bot/slack/fast_ack.py), and what it starts here is their work (see `wait_current`)."""
        parent = asyncio.current_task()
        task: asyncio.Task[Any] = asyncio.create_task(self._gated(coro))
        self._tasks.add(task)
        self._idle.clear()
        task.add_done_callback(self._done)
        group = self._handing_over if hands_over else None
        if parent is not None and parent in self._handing_over:
            group = self._handed
        if group is not None:
            group.add(task)
            task.add_done_callback(group.discard)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not self._tasks:
            self._idle.set()

    @property
    def busy(self) -> int:
        """How many tasks are running now."""
        return len(self._tasks)

    async def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no task is running (work may spawn more work: that is waited for too).
        False if `timeout` seconds passed first."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def wait_current(self, timeout: float) -> None:
        """Wait, at most `timeout` seconds, for the tasks running now (not for ones they start).
        A request acked ahead of its dispatch counts as running until its dispatch, and the work
        that starts, have ended, as an inline request's work had started before its response."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        for tasks in (self._handing_over, self._handed, self._tasks):
            if tasks:
                await asyncio.wait(set(tasks), timeout=max(0.0, deadline - loop.time()))

    async def stop(self, drain_seconds: float = 10.0) -> None:
        """Let running work finish (briefly), then cancel the rest. Nothing is lost either way:
        what did not finish is still in the store. A request acked just before the stop is
        worked on like one acked earlier (see `wait_current`)."""
        await self.wait_current(drain_seconds)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
