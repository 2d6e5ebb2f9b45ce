"""Opening a request on SQLite and PostgreSQL: one open request per thing asked (its key, an
overlapping recall, a snapshot group), the daily limit decided with it, and a release that frees
the key: what keeps two people, or two replicas, from asking Motive for the same thing twice."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, make_url
from sqlalchemy.util import await_only

from bot.store.models import CREATING, DONE, UNKNOWN, TrackedRequest
from bot.store.opening import DailyLimit, DailyLimitReached
from bot.store.requests import Store
from motive.clock import ManualClock
from motive.rules import validate_recall, validate_snapshot
from tests.store.rows import LEASE, NOW, RECALL

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


async def test_a_claim_cancelled_inside_its_statement_leaves_no_lock_behind(
    sqlite_url: str,
) -> None:
    """A stop cancels a command while its claim's SELECT runs (after BEGIN IMMEDIATE, rows not
    yet read). aiosqlite finishes the statement in its thread and SQLAlchemy closes the
    connection; the write lock must go with it, although the cancelled task (which keeps the
    statement's cursor) is still referenced, as a stop's gather keeps it. It used to stay:
    other commands' shielded releases waited out the 30 s busy timeout and failed with
    "database is locked"."""
    store = Store(sqlite_url, clock=ManualClock(NOW))
    loop = asyncio.get_running_loop()
    armed, entered, go = threading.Event(), asyncio.Event(), threading.Event()

    def trace(statement: str) -> None:  # in aiosqlite's thread, as a statement starts
        if armed.is_set() and statement.lstrip().upper().startswith("SELECT"):
            armed.clear()
            loop.call_soon_threadsafe(entered.set)
            go.wait()

    @event.listens_for(store.engine.sync_engine, "connect")
    def traced(dbapi_connection: Any, record: Any) -> None:
        await_only(record.driver_connection.set_trace_callback(trace))

    try:
        first = await store.open_request(opening(), worker="w1", lease=LEASE)
        armed.set()  # the same request again: its claim's first SELECT finds `first`
        claim = asyncio.create_task(store.open_request(opening(), worker="w2", lease=LEASE))
        await entered.wait()
        claim.cancel()
        go.set()
        with pytest.raises(asyncio.CancelledError):
            await claim
        assert write_lock_free(make_url(sqlite_url).database or "")
        await store.release(first.id)
        assert await store.all_requests() == []
    finally:
        go.set()
        await store.close()


def write_lock_free(path: str) -> bool:
    """Whether another connection can take SQLite's write lock at once (no busy wait)."""
    with contextlib.closing(sqlite3.connect(path, timeout=0)) as probe:
        try:
            probe.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return False
        probe.rollback()
        return True


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


async def test_of_several_overlapping_recalls_the_oldest_is_named(store: Store) -> None:
    """The reply points to the first request's thread. Rewriting the first row after the second
    exists moves it behind the second in PostgreSQL's heap: only the ORDER BY keeps it first."""
    first = await store.open_request(opening(recall_at(59, 2)), worker="w1", lease=LEASE)
    second = await store.open_request(opening(recall_at(61, 2)), worker="w1", lease=LEASE)
    await store.set(first.id, note="rewritten")
    found = await store.open_overlapping(recall_at(60, 3))
    assert found is not None and (found.id, second.id) == (first.id, first.id + 1)


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


async def test_a_released_group_goes_whole_and_alone(store: Store) -> None:
    """Releasing a snapshot group's leader frees every capture of it, and nothing of another
    group or of a request of its own."""

    def group(vehicle: str) -> list[TrackedRequest]:
        return [
            opening(validate_snapshot(vehicle_number=vehicle, position=p))
            for p in ("front_facing", "driver_facing")
        ]

    first = group("TRK-101")
    second = group("TRK-102")
    assert await store.open_group(first, worker="w1", lease=LEASE) is first[0]
    assert await store.open_group(second, worker="w1", lease=LEASE) is second[0]
    alone = await store.open_request(opening(recall_at(50)), worker="w1", lease=LEASE)
    await store.release(first[0].id)
    assert [r.id for r in await store.all_requests()] == [*(r.id for r in second), alone.id]
