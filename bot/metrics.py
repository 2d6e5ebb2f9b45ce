"""Prometheus metrics, served at GET /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter(
    "motive_bot_requests_total", "Dispatcher requests by kind and outcome", ["kind", "outcome"]
)
IN_FLIGHT = Gauge("motive_bot_requests_in_flight", "Requests waiting on Motive")
MOTIVE_CALLS = Counter(
    "motive_bot_motive_calls_total",
    "Motive API calls by endpoint and status",
    ["endpoint", "status"],
)
DELIVERY_LAG = Histogram(
    "motive_bot_delivery_lag_seconds",
    "From Motive finishing (as first seen) to the result posted in Slack",
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900),
)
SLACK_ERRORS = Counter(
    "motive_bot_slack_api_errors_total",
    "Slack Web API errors by method and error",
    ["method", "error"],
)


def observe_motive(endpoint: str, outcome: str) -> None:
    MOTIVE_CALLS.labels(endpoint=endpoint, status=outcome).inc()


UNKNOWN_STATUS = Counter(
    "motive_bot_unknown_status_total",
    "Status words from Motive the bot does not know, by kind (counted once per request and word)",
    ["kind", "status"],
)
