"""Prometheus metrics, served at GET /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter(
    "motive_bot_requests_total", "Dispatcher requests by kind and outcome", ["kind", "outcome"]
)
IN_FLIGHT = Gauge("motive_bot_requests_in_flight", "Requests waiting on Motive")
POLL_BACKLOG = Gauge(
    "motive_bot_polls_due",
    "Requests whose poll time has come and that no worker is polling yet (the backlog: above "
    "a few hundred for long, the workers or Motive's rate limit cannot keep up); read from the "
    "store at scrape time",
)
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

WEBHOOK_TRUSTED = Gauge(
    "motive_bot_webhook_trusted",
    "1 while Motive's completion webhook is trusted (recalls polled only as a safety net), "
    "0 while recalls are polled at the fitted cadence; read from the store at scrape time",
)
WEBHOOK_LAST_VERIFIED = Gauge(
    "motive_bot_webhook_last_verified_timestamp_seconds",
    "When the last verified webhook naming a recall arrived (Unix time; 0: never)",
)
WEBHOOK_TRUST_CHANGES = Counter(
    "motive_bot_webhook_trust_changes_total",
    "Switches of the webhook trust made by this process: to=distrusted when a poll found a recall "
    "finished that no webhook announced",
    ["to"],
)
SAFETY_EVENTS = Counter(
    "motive_bot_safety_events_total",
    "Safety events: received (webhooks), posted, withdrawn, clips_uploaded",
    ["what"],
)
