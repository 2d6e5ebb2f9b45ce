"""The store on real SQLite and real PostgreSQL: the URL forms, rows that come back typed and in
UTC, due rows and duplicates, the clock's stamps, rows migrated from before the typed request."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.config import async_database_url
from bot.store.database import changed_rows
from bot.store.models import CREATING, DONE, TRACKING, TrackedRequest
from bot.store.queue import Progress
from bot.store.requests import Store
from motive.clock import ManualClock
from motive.models import ImageCapture, Recall
from motive.rules import RecallRequest, validate_recall, validate_snapshot

NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)


RECALL = validate_recall(
    vehicle_number="TRK-101",
    start_time=NOW - timedelta(hours=1),
    duration=2,
    camera_positions=["front_facing", "rear"],
    now=NOW,
)


def row(**kw: Any) -> TrackedRequest:
    made = TrackedRequest.new(
        kw.pop("request", RECALL),
        requester="U1",
        channel="C1",
        now=NOW,
        deadline=NOW + timedelta(hours=36),
        state=TRACKING,
    )
    values: dict[str, Any] = {
        "dedupe_key": "recall|vehicle|trk-101|x",
        "anchor_ts": "1.1",
        "motive_id": "81234",
        "next_poll_at": NOW,
    }
    values.update(kw)
    for key, value in values.items():
        setattr(made, key, value)
    return made


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///bot.db", "sqlite+aiosqlite:///bot.db"),
        ("sqlite:////abs/bot.db", "sqlite+aiosqlite:////abs/bot.db"),
        ("postgresql://u@h:5432/db", "postgresql+asyncpg://u@h:5432/db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ],
)
def test_plain_urls_get_the_async_driver(given: str, expected: str) -> None:
    assert async_database_url(given) == expected


async def test_times_come_back_aware_utc(any_db_url: str) -> None:
    store = Store(any_db_url)
    await store.create_schema()
    added = await store.add(row(next_poll_at=NOW - timedelta(hours=1)))
    got = await store.get(added.id)
    assert got is not None and got.next_poll_at == NOW - timedelta(hours=1)
    assert got.next_poll_at.tzinfo is not None
    request = got.request
    assert isinstance(request, RecallRequest)
    assert request.start_time == NOW - timedelta(hours=1) and request.start_time.utcoffset() == (
        timedelta(0)
    )
    await store.close()


async def test_the_request_and_motives_answer_come_back_typed(any_db_url: str) -> None:
    store = Store(any_db_url)
    await store.create_schema()
    snapshot = validate_snapshot(asset_name="Reefer 12", position="rear")
    recall_row = await store.add(row())
    snap_row = await store.add(row(request=snapshot, dedupe_key=snapshot.dedupe_key()))
    answer = Recall.model_validate(
        {
            "id": "81234",
            "status": "completed",
            "cameras": [
                {
                    "position": "rear",
                    "camera_type": "omnicam",
                    "download_url": "https://media.example/1.mp4",
                    "expires_at": "2026-11-21T16:00:00Z",
                }
            ],
        }
    )
    await store.record_answer(recall_row.id, answer, motive_done_at=NOW)
    got = await store.get(recall_row.id)
    assert got is not None and got.request == RECALL and got.kind == "recall"
    assert got.answer == answer and got.motive_status == "completed"
    assert got.motive_done_at == NOW
    got_snap = await store.get(snap_row.id)
    assert got_snap is not None and got_snap.request == snapshot and got_snap.kind == "snapshot"
    assert got_snap.answer is None and got_snap.camera_type == "omnicam"
    capture = ImageCapture.model_validate({"request_id": "c1", "camera_type": "dashcam"})
    await store.record_answer(snap_row.id, capture)
    got_snap = await store.get(snap_row.id)
    assert got_snap is not None and got_snap.answer == capture
    assert got_snap.camera_type == "dashcam"  # Motive's own word wins over the request's
    [claimed] = await store.claim_rows([recall_row.id], "w", NOW, timedelta(minutes=2))
    assert claimed.request == RECALL and claimed.answer == answer
    await store.close()


async def test_due_and_duplicates(any_db_url: str) -> None:
    store = Store(any_db_url)
    await store.create_schema()
    soon = await store.add(row(next_poll_at=NOW + timedelta(seconds=5)))
    await store.add(row(next_poll_at=NOW + timedelta(hours=1), dedupe_key="other"))
    await store.add(row(state=CREATING, dedupe_key="creating", next_poll_at=None))
    due = await store.claim_due("w", NOW + timedelta(seconds=10), timedelta(minutes=2), 10)
    assert [d.id for d in due] == [soon.id]
    dup = await store.in_flight_duplicate("recall|vehicle|trk-101|x")
    assert dup is not None and dup.id == soon.id
    assert await store.in_flight_duplicate("creating") is not None
    assert await store.count_in_flight() == 3
    await store.set(soon.id, state=DONE)
    assert await store.count_in_flight() == 2
    assert await store.by_motive_id("recall", "81234") is not None
    assert await store.by_motive_id("snapshot", "81234") is None
    await store.close()


async def test_writes_are_stamped_by_the_injected_clock(any_db_url: str) -> None:
    # A date far from today's: a stamp from the wall clock would not match it.
    clock = ManualClock(datetime(2031, 3, 4, 5, 6, tzinfo=UTC))
    store = Store(any_db_url, clock=clock)
    await store.create_schema()
    r = await store.add(row())
    clock.advance(90)
    await store.set(r.id, last_error="x")
    got = await store.get(r.id)
    assert got is not None and got.updated_at == clock.now()
    [claimed] = await store.claim_rows([r.id], "w1", clock.now(), timedelta(minutes=2))
    clock.advance(30)
    await store.release_many("w1", [(claimed.id, Progress(next_poll_at=clock.now(), attempts=1))])
    got = await store.get(r.id)
    assert got is not None and got.updated_at == clock.now() and got.attempts == 1
    await store.close()


async def test_a_statement_counts_the_rows_it_changed_and_a_select_has_no_count(
    any_db_url: str,
) -> None:
    store = Store(any_db_url, clock=ManualClock(NOW))
    await store.create_schema()
    first = await store.add(row(dedupe_key="a"))
    second = await store.add(row(dedupe_key="b"))
    async with store.sessions() as s, s.begin():
        moved = await s.execute(
            update(TrackedRequest)
            .where(TrackedRequest.id.in_([first.id, second.id]))
            .values(last_error="x")
        )
        assert changed_rows(moved) == 2
        none = await s.execute(
            update(TrackedRequest).where(TrackedRequest.id == -1).values(last_error="x")
        )
        assert changed_rows(none) == 0
        read = await s.execute(select(TrackedRequest))
        # Counted as 0, a SELECT would read as "nothing changed": a claim lost, silently.
        with pytest.raises(TypeError, match="row count was asked of a"):
            changed_rows(read)
    await store.close()


async def test_rows_from_before_the_typed_request_migrate_to_it(any_db_url: str) -> None:
    from sqlalchemy import text

    from bot.store.migrate import head, migrate

    store = Store(any_db_url)
    await migrate(store.engine, "0001")
    t = NOW.replace(tzinfo=None) if store.is_sqlite else NOW
    start = (
        (NOW - timedelta(hours=1)).replace(tzinfo=None)
        if store.is_sqlite
        else NOW - timedelta(hours=1)
    )
    answer = {"request_id": "45780", "camera_type": "omnicam", "status": "pending"}
    async with store.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO tracked_requests (kind, dedupe_key, target_kind, target_name, "
                "start_time, duration, recall_type, cameras, requester, channel, state, attempts, "
                "created_at, updated_at) VALUES ('recall', 'k1', 'vehicle', 'TRK-101', :s, 2, "
                "'regular', '[\"front_facing\", \"rear\"]', 'U1', 'C1', 'tracking', 0, :t, :t)"
            ),
            {"s": start, "t": t},
        )
        await conn.execute(
            text(
                "INSERT INTO tracked_requests (kind, dedupe_key, target_kind, target_name, "
                "position, camera_type, result, requester, channel, state, attempts, created_at, "
                "updated_at) VALUES ('snapshot', 'k2', 'asset', 'Reefer 12', 'rear', 'omnicam', "
                ":r, 'U1', 'C1', 'tracking', 0, :t, :t)"
            ),
            {"r": json.dumps(answer), "t": t},
        )
    assert await migrate(store.engine) == ("0001", head())
    recall_row, snap_row = await store.all_requests()
    assert recall_row.request == RECALL and recall_row.answer is None
    assert snap_row.request == validate_snapshot(asset_name="Reefer 12", position="rear")
    assert snap_row.answer == ImageCapture.model_validate(answer)
    assert snap_row.camera_type == "omnicam"
    await store.close()
