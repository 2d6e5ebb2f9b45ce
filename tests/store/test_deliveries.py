"""Delivery reservations on SQLite and PostgreSQL: each post into a thread reserved once, per
request and per key, and a half-done one found again: what keeps a post from going out twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.store.requests import Store
from tests.store.rows import NOW, row


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


async def test_a_delivery_is_reserved_once(any_db_url: str) -> None:
    store = Store(any_db_url)
    await store.create_schema()
    r = await store.add(row())
    got = await asyncio.gather(*(store.begin_delivery(r.id, "links", NOW) for _ in range(6)))
    assert [fresh for _, fresh in got].count(True) == 1
    first = got[0][0]
    assert first is not None
    await store.finish_delivery(first.id, "9.9", NOW)
    assert await store.begin_delivery(r.id, "links", NOW) == (None, False)
    assert (await store.delivery(r.id, "links")).ts == "9.9"  # type: ignore[union-attr]
    await store.close()
