"""Work a listener hands over once it has acked, started only after the ack is on its way.

The Bolt app runs with `process_before_response=True`: a listener runs inline and its ack is the
request's response, sent when the listener returns (no 10 ms polling for `ack()`). Whatever the
listener hands over here is held until the transport (the HTTP route or the Socket Mode handler)
has sent that response, so no Motive, Slack or database call can start ahead of the ack.
Outside such a scope (a listener run some other way) the work starts at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator
from contextvars import ContextVar

log = logging.getLogger(__name__)


class Held:
    """Starters waiting for one request's ack; once released, new ones start at once (a
    listener still running after its scope ended, e.g. in Bolt's default mode, loses nothing)."""

    def __init__(self) -> None:
        self._starters: list[Callable[[], object]] = []
        self._released = False

    def add(self, start: Callable[[], object]) -> None:
        if self._released:
            start()
        else:
            self._starters.append(start)

    def release(self) -> None:
        self._released = True
        starters, self._starters = self._starters, []
        for start in starters:
            try:
                start()
            except Exception:
                log.exception("could not start work after the ack")


_current: ContextVar[Held | None] = ContextVar("post_ack_held", default=None)


# When the last Slack request arrived, on the event loop's clock (scheduling, not domain time).
_last_arrival = float("-inf")


def arrived() -> None:
    """Note that a Slack request has arrived: background work waits for the burst to pass."""
    global _last_arrival
    _last_arrival = asyncio.get_running_loop().time()


@contextlib.contextmanager
def holding() -> Iterator[Held]:
    """Hold what listeners hand over while the request is dispatched; the caller releases it
    once the response has been sent."""
    arrived()
    held = Held()
    token = _current.set(held)
    try:
        yield held
    finally:
        _current.reset(token)


def start_after_ack(start: Callable[[], object]) -> None:
    """Call `start` once this request's ack has been sent (at once outside a holding scope)."""
    held = _current.get()
    if held is None:
        start()
    else:
        held.add(start)


async def acks_first(quiet: float = 0.005, longest: float = 0.25) -> None:
    """Wait until no Slack request has arrived for `quiet` seconds (at most `longest`).

    Background work shares the event loop with the acks still to be sent: during a burst of
    requests, every step of it would delay them. Work waits for the burst to pass, then runs;
    under a steady stream it waits at most `longest`. The Slack app makes this the background
    group's gate."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + longest
    while True:
        now = loop.time()
        delay = min(quiet - (now - _last_arrival), deadline - now)
        if delay <= 0:
            return
        await asyncio.sleep(delay)
