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

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run `coro` in the group."""
        task: asyncio.Task[Any] = asyncio.create_task(self._gated(coro))
        self._tasks.add(task)
        self._idle.clear()
        task.add_done_callback(self._done)
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
        """Wait, at most `timeout` seconds, for the tasks running now (not for ones they start)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    async def stop(self, drain_seconds: float = 10.0) -> None:
        """Let running work finish (briefly), then cancel the rest. Nothing is lost either way:
        what did not finish is still in the store."""
        await self.wait_current(drain_seconds)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
