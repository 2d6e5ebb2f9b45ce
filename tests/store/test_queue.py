"""The polling queue's claims on SQLite and PostgreSQL, one request among others, at the lease's
edges: what keeps two workers from polling the same request at once, or a dead one's requests
from waiting forever."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.store.models import CREATING, DONE, TRACKING
from bot.store.queue import Progress
from bot.store.requests import Store
from motive.clock import ManualClock
from tests.store.rows import LEASE, NOW, SECOND, row


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


async def test_made_due_now_are_the_named_rows_tracked_free_and_not_yet_due(store: Store) -> None:
    """A webhook names its requests: only those move to now, and only when they are tracked,
    nobody holds them and their poll was to come later (or was never set); one already overdue
    keeps its place in the queue."""
    later = NOW + timedelta(minutes=20)
    overdue_at = NOW - timedelta(minutes=5)
    named = await store.add(row(next_poll_at=later))
    unset = await store.add(row(next_poll_at=None))
    overdue = await store.add(row(next_poll_at=overdue_at))
    creating = await store.add(row(state=CREATING, next_poll_at=later))
    held = await store.add(row(next_poll_at=later))
    unnamed = await store.add(row(next_poll_at=later))
    assert await store.claim(held.id, "w2", NOW, LEASE)
    names = [named.id, unset.id, overdue.id, creating.id, held.id]
    got = await store.claim_rows(names, "w1", NOW, LEASE, due_now=True)
    assert sorted(r.id for r in got) == [named.id, unset.id, overdue.id]
    polls = {r.id: r.next_poll_at for r in await store.all_requests()}
    assert polls == {
        named.id: NOW,
        unset.id: NOW,
        overdue.id: overdue_at,
        creating.id: later,
        held.id: later,
        unnamed.id: later,
    }


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


async def test_only_one_worker_holds_a_claim(any_db_url: str) -> None:
    store = Store(any_db_url)
    await store.create_schema()
    r = await store.add(row())
    results = await asyncio.gather(
        *(store.claim(r.id, f"w{i}", NOW, timedelta(minutes=2)) for i in range(8))
    )
    assert results.count(True) == 1
    winner = f"w{results.index(True)}"
    assert not await store.claim(r.id, "late", NOW + timedelta(minutes=1), timedelta(minutes=2))
    assert not await store.claim(r.id, winner, NOW + timedelta(minutes=1), timedelta(minutes=2))
    assert await store.claim(
        r.id, "late", NOW + timedelta(minutes=4), timedelta(minutes=2)
    )  # expired
    await store.release_many("late", [(r.id, None)])
    assert await store.claim(r.id, "again", NOW + timedelta(minutes=4), timedelta(minutes=2))
    await store.close()


async def test_finished_requests_cannot_be_claimed(any_db_url: str) -> None:
    store = Store(any_db_url)
    await store.create_schema()
    r = await store.add(row(state=DONE))
    assert not await store.claim(r.id, "w", NOW, timedelta(minutes=2))
    await store.close()


async def test_sqlite_claims_left_by_a_crash_are_cleared(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    await store.create_schema()
    r = await store.add(row())
    assert await store.claim(r.id, "dead-process", NOW, timedelta(minutes=2))
    assert await store.clear_claims() == 1
    assert await store.claim(r.id, "new-process", NOW, timedelta(minutes=2))
    await store.close()
