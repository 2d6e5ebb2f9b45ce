"""Quick Slack retries for the offline stack: the same retries, with short real-time waits.

The Slack SDK waits between its retries with `asyncio.sleep`, which no injected clock reaches:
its backoff for 5xx (0.5 s, 1 s, 2 s...) and, for a 429, Retry-After plus a random fraction of a
second. Tests and benchmarks that make Slack fail on purpose would spend most of their time
asleep there.
"""

from __future__ import annotations

import asyncio

from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient


class ExactRateLimitRetries(AsyncRateLimitErrorRetryHandler):
    """A 429 retried after exactly Retry-After, then the handler's interval, instead of the
    SDK's random extra fraction of a second."""

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:
            assert error is not None
            raise error
        state.next_attempt_requested = True
        said = [v for k, v in response.headers.items() if k.lower() == "retry-after"]
        # Without the header the SDK waits a second and more; here, the interval alone.
        retry_after = float(said[0][0]) if said and said[0] else 0.0
        interval = self.interval_calculator.calculate_sleep_duration(state.current_attempt)
        await asyncio.sleep(retry_after + interval)
        state.increment_current_attempt()


def quick_slack_retries(client: AsyncWebClient, seconds: float) -> None:
    """Make `client` wait `seconds` between retries (and a 429's Retry-After, no more). The
    retries themselves, and how many, stay. Call before anything copies its handlers (Bolt's
    client does, in `build_bolt_app`)."""
    handlers = client.retry_handlers
    for i, handler in enumerate(handlers):
        if isinstance(handler, AsyncRateLimitErrorRetryHandler):
            handlers[i] = ExactRateLimitRetries(handler.max_retry_count)
        handlers[i].interval_calculator = FixedValueRetryIntervalCalculator(seconds)
