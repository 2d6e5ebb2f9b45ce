"""Rows for the store's tests: one tracked recall each, due now, with a dedupe key of its own."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.store.models import TRACKING, TrackedRequest
from motive.rules import validate_recall

NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)
SECOND = timedelta(seconds=1)


RECALL = validate_recall(
    vehicle_number="TRK-101", start_time=NOW - timedelta(hours=1), duration=2, now=NOW
)


_ROWS = itertools.count(1)


def row(**kw: Any) -> TrackedRequest:
    made = TrackedRequest.new(
        RECALL,
        requester="U1",
        channel="C1",
        now=NOW,
        deadline=NOW + timedelta(hours=36),
        state=kw.pop("state", TRACKING),
    )
    # Each row a request of its own: one open request per dedupe key (revision 0006).
    made.dedupe_key = f"{made.dedupe_key}#{next(_ROWS)}"
    values: dict[str, Any] = {"anchor_ts": "1.1", "motive_id": "81234", "next_poll_at": NOW}
    values.update(kw)
    for key, value in values.items():
        setattr(made, key, value)
    return made
