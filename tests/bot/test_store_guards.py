"""The store's claims and delivery reservations, one request among others, at the lease's edges,
on SQLite and PostgreSQL: what keeps two workers from polling or posting the same thing twice."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.tracking.store import CREATING, DONE, TRACKING, Store, TrackedRequest
from motive.clock import ManualClock
from motive.rules import validate_recall

NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)


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


@pytest.fixture
async def store(any_db_url: str) -> AsyncIterator[Store]:
    s = Store(any_db_url, clock=ManualClock(NOW))
    await s.create_schema()
    yield s
    await s.close()


async def test_a_claim_takes_only_its_own_request(store: Store) -> None:
    one, two = await store.add(row()), await store.add(row())
    assert await store.claim(one.id, "w1", NOW, LEASE)
    assert await store.claim(two.id, "w2", NOW, LEASE)
    assert not await store.claim(one.id, "w2", NOW, LEASE)
    held = {r.id: (r.claimed_by, r.claimed_until) for r in await store.all_requests()}
    assert held == {one.id: ("w1", NOW + LEASE), two.id: ("w2", NOW + LEASE)}


async def test_a_lease_holds_until_its_end_and_not_after(store: Store) -> None:
    one = await store.add(row())
    assert await store.claim(one.id, "w1", NOW, LEASE)
    end = NOW + LEASE
    assert not await store.claim(one.id, "w2", end, LEASE)
    assert [r.id for r in await store.claim_rows([one.id], "w2", end, LEASE)] == []
    assert await store.due(end, timedelta(0)) == []
    later = end + timedelta(microseconds=1)
    assert [r.id for r in await store.due(later, timedelta(0))] == [one.id]
    assert await store.claim(one.id, "w2", later, LEASE)


async def test_claim_rows_records_the_lease(store: Store) -> None:
    one, two = await store.add(row()), await store.add(row(state=CREATING))
    got = await store.claim_rows([one.id, two.id], "w1", NOW, LEASE)
    assert [(r.id, r.claimed_by, r.claimed_until) for r in got] == [(one.id, "w1", NOW + LEASE)]
    stored = await store.get(one.id)
    assert stored is not None and (stored.claimed_by, stored.claimed_until) == ("w1", NOW + LEASE)


async def test_due_is_tracked_unclaimed_in_time_order_and_bounded(store: Store) -> None:
    horizon = timedelta(seconds=10)
    late = await store.add(row(next_poll_at=NOW + horizon))  # exactly at the edge: due
    early = await store.add(row(next_poll_at=NOW - timedelta(seconds=5)))
    await store.add(row(next_poll_at=NOW + horizon + timedelta(microseconds=1)))
    await store.add(row(state=CREATING, next_poll_at=NOW))
    await store.add(row(state=DONE, next_poll_at=NOW))
    held = await store.add(row(next_poll_at=NOW))
    assert await store.claim(held.id, "w1", NOW, LEASE)
    assert [r.id for r in await store.due(NOW, horizon)] == [early.id, late.id]
    assert [r.id for r in await store.due(NOW, horizon, limit=1)] == [early.id]


async def test_each_request_reserves_its_own_deliveries(store: Store) -> None:
    one, two = await store.add(row()), await store.add(row())
    first, fresh = await store.begin_delivery(one.id, "links", NOW)
    assert first is not None and fresh and first.status == "posting"
    other, other_fresh = await store.begin_delivery(two.id, "links", NOW)
    assert other is not None and other_fresh and other.id != first.id
    final, final_fresh = await store.begin_delivery(one.id, "final", NOW)
    assert final is not None and final_fresh
    # Half-done: the same reservation again, not fresh (the caller looks in the thread first).
    again, again_fresh = await store.begin_delivery(one.id, "links", NOW)
    assert again is not None and again.id == first.id and not again_fresh
    posted_at = NOW + timedelta(seconds=3)
    await store.finish_delivery(first.id, "1.5", posted_at)
    assert await store.begin_delivery(one.id, "links", NOW) == (None, False)
    found = await store.delivery(one.id, "links")
    assert found is not None and (found.status, found.ts, found.posted_at) == (
        "posted",
        "1.5",
        posted_at,
    )
    untouched = await store.delivery(two.id, "links")
    assert untouched is not None and (untouched.status, untouched.ts) == ("posting", None)
    assert await store.delivery(two.id, "final") is None
    assert [d.key for d in await store.deliveries(one.id)] == ["links", "final"]
    assert [(d.request_id, d.key) for d in await store.deliveries()] == [
        (one.id, "links"),
        (two.id, "links"),
        (one.id, "final"),
    ]


async def test_clearing_claims_counts_and_frees_them(sqlite_url: str) -> None:
    store = Store(sqlite_url, clock=ManualClock(NOW))
    await store.create_schema()
    try:
        one, two = await store.add(row()), await store.add(row())
        await store.add(row())
        assert await store.claim(one.id, "w1", NOW, LEASE)
        assert await store.claim(two.id, "w1", NOW, LEASE)
        assert await store.clear_claims() == 2
        assert {(r.claimed_by, r.claimed_until) for r in await store.all_requests()} == {
            (None, None)
        }
        assert await store.clear_claims() == 0
    finally:
        await store.close()
