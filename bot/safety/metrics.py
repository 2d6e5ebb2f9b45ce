"""The safety events' counters on /metrics."""

from __future__ import annotations

from prometheus_client import Counter

SAFETY_EVENTS = Counter(
    "motive_bot_safety_events_total",
    "Safety events: received (webhooks), posted, withdrawn, clips_uploaded",
    ["what"],
)
