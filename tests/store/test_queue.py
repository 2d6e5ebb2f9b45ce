"""The store's claims and delivery reservations, one request among others, at the lease's edges,
on SQLite and PostgreSQL: what keeps two workers from polling or posting the same thing twice."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.store.database import (
    CREATING,
    DONE,
    TRACKING,
    UNKNOWN,
    DailyLimit,
    DailyLimitReached,
    Progress,
    Store,
    TrackedRequest,
)
from motive.clock import ManualClock
from motive.rules import validate_recall, validate_snapshot

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
    assert await store.claim_due("w2", end, LEASE, 10) == []
    assert await store.count_due(end) == 0
    later = end + timedelta(microseconds=1)
    assert await store.count_due(later) == 1
    assert [r.id for r in await store.claim_due("w2", later, LEASE, 10)] == [one.id]


async def test_claim_rows_records_the_lease(store: Store) -> None:
    one, two = await store.add(row()), await store.add(row(state=CREATING))
    got = await store.claim_rows([one.id, two.id], "w1", NOW, LEASE)
    assert [(r.id, r.claimed_by, r.claimed_until) for r in got] == [(one.id, "w1", NOW + LEASE)]
    stored = await store.get(one.id)
    assert stored is not None and (stored.claimed_by, stored.claimed_until) == ("w1", NOW + LEASE)


async def test_claim_due_takes_due_free_tracked_rows_most_overdue_first(store: Store) -> None:
    at_now = await store.add(row(next_poll_at=NOW))  # exactly at the edge: due
    early = await store.add(row(next_poll_at=NOW - timedelta(seconds=5)))
    await store.add(row(next_poll_at=NOW + timedelta(microseconds=1)))  # not yet
    await store.add(row(state=CREATING, next_poll_at=NOW))
    await store.add(row(state=DONE, next_poll_at=NOW))
    await store.add(row(next_poll_at=None))
    held = await store.add(row(next_poll_at=NOW))
    assert await store.claim(held.id, "w1", NOW, LEASE)
    assert await store.count_due(NOW) == 2
    [first] = await store.claim_due("w2", NOW, LEASE, 1)
    assert (first.id, first.claimed_by, first.claimed_until) == (early.id, "w2", NOW + LEASE)
    assert [r.id for r in await store.claim_due("w3", NOW, LEASE, 10)] == [at_now.id]
    assert await store.claim_due("w3", NOW, LEASE, 10) == [] and await store.count_due(NOW) == 0


async def test_a_polled_request_is_not_claimed_again_before_its_next_due_time(store: Store) -> None:
    """Released with its next poll time, a request waits for it, whichever worker asks: it is
    polled once per due time (a claim by id, too, needs the row to be due)."""
    one = await store.add(row(next_poll_at=NOW))
    [got] = await store.claim_due("w1", NOW, LEASE, 10)
    await store.release_many("w1", [(got.id, Progress(next_poll_at=NOW + timedelta(seconds=60)))])
    soon = NOW + timedelta(seconds=59)
    assert await store.claim_due("w2", soon, LEASE, 10) == []
    assert await store.claim_rows([one.id], "w2", soon, LEASE) == []
    [again] = await store.claim_due("w2", NOW + timedelta(seconds=60), LEASE, 10)
    assert again.id == one.id


async def test_a_request_made_due_now_is_claimed_at_once(store: Store) -> None:
    """A webhook said it is done: its poll comes now, not at its next poll time."""
    one = await store.add(row(next_poll_at=NOW + timedelta(minutes=20)))
    [got] = await store.claim_rows([one.id], "w1", NOW, LEASE, due_now=True)
    assert (got.id, got.next_poll_at, got.claimed_by) == (one.id, NOW, "w1")
    # Held: made due again by another worker's webhook, it is still not taken twice.
    assert await store.claim_rows([one.id], "w2", NOW, LEASE, due_now=True) == []
    stored = await store.get(one.id)
    assert stored is not None and stored.claimed_by == "w1"


async def test_workers_claiming_together_take_different_rows(pg_url: str) -> None:
    """PostgreSQL, five workers' claims at once (`FOR UPDATE SKIP LOCKED`): every due row is
    claimed by exactly one, and none waits for another's rows."""
    stores = [Store(pg_url, clock=ManualClock(NOW)) for _ in range(5)]
    await stores[0].create_schema()
    try:
        async with stores[0].sessions() as s, s.begin():
            s.add_all(row(next_poll_at=NOW - timedelta(seconds=n % 50)) for n in range(600))
        rounds = await asyncio.gather(
            *(
                st.claim_due(f"w{i}", NOW, LEASE, 100)
                for _ in range(2)
                for i, st in enumerate(stores)
            )
        )
        claimed = [r.id for rows in rounds for r in rows]
        assert len(claimed) == len(set(claimed))
        assert await stores[0].count_due(NOW) == 600 - len(claimed)
        rest = await stores[0].claim_due("w9", NOW, LEASE, 1000)
        assert len(claimed) + len(rest) == 600
    finally:
        for st in stores:
            await st.close()


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


# --- the dedupe claim: one open request per key, decided by the database ------------------------


def opening(request: Any = RECALL, at: datetime = NOW) -> TrackedRequest:
    """A row as /recall makes it: its own dedupe key, not yet inserted."""
    return TrackedRequest.new(
        request, requester="U1", channel="C1", now=at, deadline=at + timedelta(hours=36)
    )


def recall_at(minutes_ago: int, duration: int = 2, **kw: Any) -> Any:
    kw.setdefault("vehicle_number", "TRK-101")
    return validate_recall(
        start_time=NOW - timedelta(minutes=minutes_ago), duration=duration, now=NOW, **kw
    )


async def test_of_identical_requests_opened_together_exactly_one_gets_its_own_row(
    store: Store,
) -> None:
    rows = [opening() for _ in range(6)]
    got = await asyncio.gather(*(store.open_request(r, worker="w1", lease=LEASE) for r in rows))
    winners = [r for r, g in zip(rows, got, strict=True) if g is r]
    assert len(winners) == 1
    [winner] = winners
    assert {g.id for g in got} == {winner.id}
    [stored] = await store.all_requests()
    assert (stored.id, stored.state) == (winner.id, CREATING)
    assert (stored.claimed_by, stored.claimed_until) == ("w1", NOW + LEASE)
    # Another key is not a duplicate; a finished request frees its key.
    other = opening(recall_at(50))
    assert await store.open_request(other, worker="w2", lease=LEASE) is other
    await store.finish(winner.id, DONE, NOW, None)
    again = opening()
    assert await store.open_request(again, worker="w2", lease=LEASE) is again
    assert again.id not in {winner.id, other.id}


async def test_an_unresolved_ambiguous_create_still_holds_its_key(store: Store) -> None:
    first = await store.open_request(opening(), worker="w1", lease=LEASE)
    await store.set(first.id, state=UNKNOWN)
    assert (await store.in_flight_duplicate(RECALL.dedupe_key())).id == first.id  # type: ignore[union-attr]
    assert (await store.open_request(opening(), worker="w2", lease=LEASE)).id == first.id
    assert await store.in_flight_duplicate(recall_at(50).dedupe_key()) is None
    await store.finish(first.id, UNKNOWN, NOW, "lapsed")
    assert await store.in_flight_duplicate(RECALL.dedupe_key()) is None


async def test_a_released_request_frees_its_key_and_only_its_own(store: Store) -> None:
    one = await store.open_request(opening(), worker="w1", lease=LEASE)
    two = await store.open_request(opening(recall_at(50)), worker="w1", lease=LEASE)
    await store.release(one.id)
    assert [r.id for r in await store.all_requests()] == [two.id]
    assert await store.in_flight_duplicate(RECALL.dedupe_key()) is None
    fresh = opening()
    assert await store.open_request(fresh, worker="w2", lease=LEASE) is fresh


async def test_an_overlapping_recall_is_the_same_recall(store: Store) -> None:
    """RECALL is 60 minutes ago for 2 minutes: [-60, -58)."""
    held = await store.open_request(opening(), worker="w1", lease=LEASE)
    same = {
        "the same key": RECALL,
        "starting inside it": recall_at(59, 3),
        "ending inside it": recall_at(61, 2),
        "covering it": recall_at(61, 3),
        "its name in another case": recall_at(59, vehicle_number="trk-101"),
    }
    for why, request in same.items():
        found = await store.open_overlapping(request)
        assert found is not None and found.id == held.id, why
    other = {
        "ending where it starts": recall_at(62, 2),
        "starting where it ends": recall_at(58, 2),
        "another vehicle": recall_at(59, vehicle_number="TRK-102"),
        "an asset of that name": recall_at(59, vehicle_number=None, asset_name="TRK-101"),
        "another camera set": recall_at(59, camera_positions=["front_facing"]),
        "another type": recall_at(59, recall_type="timelapse", duration=5),
    }
    for why, request in other.items():
        assert await store.open_overlapping(request) is None, why
    await store.finish(held.id, DONE, NOW, None)
    assert await store.open_overlapping(recall_at(59, 3)) is None


async def test_a_snapshot_overlaps_only_by_its_key(store: Store) -> None:
    front = validate_snapshot(vehicle_number="TRK-101", position="front_facing")
    held = await store.open_request(opening(front), worker="w1", lease=LEASE)
    found = await store.open_overlapping(front)
    assert found is not None and found.id == held.id
    rear = validate_snapshot(vehicle_number="TRK-101", position="driver_facing")
    assert await store.open_overlapping(rear) is None


# --- poll claims: extended, found orphaned, given back -----------------------------------------


async def test_only_the_holder_extends_a_claim(store: Store) -> None:
    one, two = await store.add(row()), await store.add(row())
    assert await store.claim(one.id, "w1", NOW, LEASE)
    assert await store.claim(two.id, "w1", NOW, LEASE)
    later = NOW + 3 * LEASE
    assert not await store.extend_claim(one.id, "w2", later)
    assert await store.extend_claim(one.id, "w1", later)
    held = {r.id: (r.claimed_by, r.claimed_until) for r in await store.all_requests()}
    assert held == {one.id: ("w1", later), two.id: ("w1", NOW + LEASE)}


async def test_orphans_are_creates_whose_holder_is_gone(store: Store) -> None:
    quiet = timedelta(minutes=5)
    lapsed = await store.add(row(state=CREATING, claimed_by="w", claimed_until=NOW - SECOND))
    await store.add(row(state=CREATING, claimed_by="w", claimed_until=NOW))  # ends now: held
    await store.add(row(state=TRACKING, claimed_by="w", claimed_until=NOW - SECOND))
    still = await store.add(row(state=CREATING, updated_at=NOW - quiet - SECOND))
    await store.add(row(state=CREATING, updated_at=NOW - quiet))  # quiet exactly that long
    # Claimed, and long quiet: the claim decides, and it holds.
    await store.add(
        row(state=CREATING, claimed_by="w", claimed_until=NOW + SECOND, updated_at=NOW - 9 * quiet)
    )
    assert [r.id for r in await store.orphans(NOW, quiet)] == [lapsed.id, still.id]


async def test_release_gives_back_only_the_workers_own_claims(store: Store) -> None:
    clock = store.clock
    assert isinstance(clock, ManualClock)
    mine, moved, theirs = await store.add(row()), await store.add(row()), await store.add(row())
    for r, worker in ((mine, "w1"), (moved, "w1"), (theirs, "w2")):
        assert await store.claim(r.id, worker, NOW, LEASE)
    clock.advance(30)
    later = NOW + timedelta(minutes=7)
    await store.release_many(
        "w1",
        [
            (mine.id, None),
            (moved.id, Progress(next_poll_at=later, last_error="slow", attempts=3)),
            (theirs.id, Progress(next_poll_at=later, attempts=9)),
        ],
    )
    got = {r.id: r for r in await store.all_requests()}
    assert (got[mine.id].claimed_by, got[mine.id].claimed_until) == (None, None)
    assert (got[mine.id].next_poll_at, got[mine.id].updated_at) == (NOW, NOW)  # nothing else
    m = got[moved.id]
    assert (m.claimed_by, m.claimed_until, m.next_poll_at) == (None, None, later)
    assert (m.last_error, m.attempts, m.updated_at) == ("slow", 3, clock.now())
    t = got[theirs.id]
    assert (t.claimed_by, t.claimed_until, t.attempts) == ("w2", NOW + LEASE, 0)
    assert t.next_poll_at == NOW


async def test_of_several_overlapping_recalls_the_oldest_is_named(store: Store) -> None:
    """The reply points to the first request's thread. Rewriting the first row after the second
    exists moves it behind the second in PostgreSQL's heap: only the ORDER BY keeps it first."""
    first = await store.open_request(opening(recall_at(59, 2)), worker="w1", lease=LEASE)
    second = await store.open_request(opening(recall_at(61, 2)), worker="w1", lease=LEASE)
    await store.set(first.id, note="rewritten")
    found = await store.open_overlapping(recall_at(60, 3))
    assert found is not None and (found.id, second.id) == (first.id, first.id + 1)


async def test_orphans_come_oldest_first(store: Store) -> None:
    gone = NOW - SECOND
    first = await store.add(row(state=CREATING, claimed_by="w", claimed_until=gone))
    second = await store.add(row(state=CREATING, claimed_by="w", claimed_until=gone))
    # Out of its state and back: new index entries and a new tuple, behind the second's.
    await store.set(first.id, state=TRACKING)
    await store.set(first.id, state=CREATING)
    assert [r.id for r in await store.orphans(NOW, timedelta(minutes=5))] == [first.id, second.id]


async def test_claims_are_never_cleared_wholesale_on_postgresql(pg_url: str) -> None:
    """Other workers may be alive there, holding what they claimed: their leases must run out."""
    store = Store(pg_url, clock=ManualClock(NOW))
    await store.create_schema()
    try:
        held = await store.add(row())
        assert await store.claim(held.id, "w1", NOW, LEASE)
        with pytest.raises(AssertionError, match=r"^with PostgreSQL other workers may be alive"):
            await store.clear_claims()
        [kept] = await store.all_requests()
        assert (kept.claimed_by, kept.claimed_until) == ("w1", NOW + LEASE)
    finally:
        await store.close()


async def test_claim_rows_takes_a_lapsed_claim_over(store: Store) -> None:
    one = await store.add(row())
    assert await store.claim(one.id, "w1", NOW, LEASE)
    later = NOW + LEASE + SECOND  # w1 is gone: its lease ran out
    [taken] = await store.claim_rows([one.id], "w2", later, LEASE)
    assert (taken.id, taken.claimed_by, taken.claimed_until) == (one.id, "w2", later + LEASE)


# --- every rule that counts decided with the claim (issue 23) -----------------------------------


async def test_of_overlapping_recalls_opened_together_exactly_one_gets_its_own_row(
    store: Store,
) -> None:
    # Five different keys, every window holding [-59, -58), so each overlaps every other: one
    # create is all they need, whichever comes first.
    requests = [RECALL, recall_at(59, 1), recall_at(61, 3), recall_at(60, 3), recall_at(59, 2)]
    rows = [opening(r) for r in requests]
    got = await asyncio.gather(*(store.open_request(r, worker="w1", lease=LEASE) for r in rows))
    winners = [r for r, g in zip(rows, got, strict=True) if g is r]
    assert len(winners) == 1
    assert {g.id for g in got} == {winners[0].id}
    assert [r.id for r in await store.all_requests()] == [winners[0].id]
    # Asked for with `again` (no overlap check) it stands beside the open one. A window none of
    # the five had: whichever of them won (the order the five reach the database in is the
    # machine's), this one's key is its own.
    again = opening(recall_at(59, 3))
    assert await store.open_request(again, worker="w1", lease=LEASE, overlap=False) is again


async def test_the_daily_limit_is_decided_with_the_claim(store: Store) -> None:
    limit = DailyLimit(minutes=6, since=NOW - timedelta(hours=10))
    # Four 2-minute recalls of different trucks, one person, at once: three fit in 6 minutes.
    rows = [opening(recall_at(30, 2, vehicle_number=f"TRK-{n}")) for n in range(4)]
    got = await asyncio.gather(
        *(store.open_request(r, worker="w1", lease=LEASE, limit=limit) for r in rows),
        return_exceptions=True,
    )
    assert sum(g is r for r, g in zip(rows, got, strict=True)) == 3
    [refused] = [g for g in got if isinstance(g, DailyLimitReached)]
    assert refused.used == 6
    assert len(await store.all_requests()) == 3
    # Another person's day is their own; a request released gives its minutes back.
    other = opening(recall_at(30, 2, vehicle_number="TRK-9"))
    other.requester = "U2"
    assert await store.open_request(other, worker="w1", lease=LEASE, limit=limit) is other
    await store.release(next(r for r in rows if r.id is not None and r in got).id)
    fresh = opening(recall_at(30, 2, vehicle_number="TRK-8"))
    assert await store.open_request(fresh, worker="w1", lease=LEASE, limit=limit) is fresh
    assert await store.recall_minutes("U1", limit.since) == 6


async def test_of_identical_snapshot_groups_opened_together_one_is_opened(store: Store) -> None:
    def group() -> list[TrackedRequest]:
        return [
            opening(validate_snapshot(vehicle_number="TRK-101", position=p))
            for p in ("front_facing", "driver_facing")
        ]

    groups = [group() for _ in range(4)]
    got = await asyncio.gather(*(store.open_group(g, worker="w1", lease=LEASE) for g in groups))
    winners = [g for g, leader in zip(groups, got, strict=True) if leader is g[0]]
    assert len(winners) == 1
    [won] = winners
    assert {leader.id for leader in got} == {won[0].id}
    stored = await store.all_requests()
    assert [r.id for r in stored] == [r.id for r in won]
    assert {r.group_id for r in stored} == {won[0].id}
    assert stored[0].group_positions == ["front_facing", "driver_facing"]
