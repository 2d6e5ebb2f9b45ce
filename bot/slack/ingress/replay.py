"""Refuse a signed Slack request seen before.

Slack's signature covers the body and a timestamp, and Bolt refuses timestamps more than five
minutes off; within those five minutes a captured request could be sent again and would pass.
Slack never sends the same signature twice (a retry is signed anew), so a repeat is a replay.
Kept per process: with several web replicas behind a balancer a replay could still reach a
replica that has not seen it, which is why creates are also deduplicated in the store.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

log = logging.getLogger(__name__)

WINDOW_SECONDS = 6 * 60  # Bolt's five minutes, and a margin for clock skew


class ReplayGuard(AsyncMiddleware):
    def __init__(self, window: float = WINDOW_SECONDS, limit: int = 200_000) -> None:
        self._window = window
        self._limit = limit
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()

    def first_time(self, timestamp: str, signature: str, now: float) -> bool:
        while self._seen and (
            len(self._seen) >= self._limit or next(iter(self._seen.values())) < now - self._window
        ):
            del self._seen[next(iter(self._seen))]  # the oldest
        key = (timestamp, signature)
        if key in self._seen:
            return False
        self._seen[key] = now
        return True

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        # A typeahead query only reads, and the same letters typed twice within a second may
        # well be the same bytes: let it through.
        suggestion = isinstance(req.body, dict) and req.body.get("type") == "block_suggestion"
        if req.mode == "http" and not suggestion:
            timestamp = req.headers.get("x-slack-request-timestamp", [""])[0]
            signature = req.headers.get("x-slack-signature", [""])[0]
            if not self.seen_first(timestamp, signature):
                return self.refusal()
        return await next()

    def seen_first(self, timestamp: str, signature: str) -> bool:
        """False (and a warning) if this signature has been seen before."""
        # The wall clock on purpose: Slack's timestamps are, and Bolt checks them against it.
        if signature and not self.first_time(timestamp, signature, time.time()):
            log.warning("refused a replayed Slack request (timestamp %s)", timestamp)
            return False
        return True

    @staticmethod
    def refusal() -> BoltResponse:
        return BoltResponse(status=401, body='{"error": "replayed request"}')
