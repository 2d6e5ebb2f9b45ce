"""The store's tests: a fresh store on SQLite and on PostgreSQL, its clock stopped at NOW."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.store.requests import Store
from motive.clock import ManualClock
from tests.store.rows import NOW


@pytest.fixture
async def store(any_db_url: str) -> AsyncIterator[Store]:
    s = Store(any_db_url, clock=ManualClock(NOW))
    await s.create_schema()
    yield s
    await s.close()
