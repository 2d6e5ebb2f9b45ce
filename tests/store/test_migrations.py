"""Alembic on real SQLite and PostgreSQL: from empty, from every earlier revision, from a database
made before migrations existed, two replicas at once, and the models matching the migrations."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from bot.store.migrate import alembic_config, current, head, migrate
from bot.store.models import Base
from bot.store.requests import Store

NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]
# A row as each revision's schema holds it (from 0002 on, the request is its JSON dump).
INSERT_AT = {
    "0001": "INSERT INTO tracked_requests (kind, dedupe_key, target_kind, target_name, "
    "requester, channel, state, attempts, created_at, updated_at) VALUES "
    "('recall', 'k', 'vehicle', 'TRK-101', 'U1', 'C1', 'done', 0, :t, :t)",
    "0002": "INSERT INTO tracked_requests (kind, dedupe_key, request_data, requester, channel, "
    "state, attempts, created_at, updated_at) VALUES ('recall', 'k', '"
    + json.dumps(
        {
            "target": {"kind": "vehicle", "name": "TRK-101"},
            "start_time": "2026-11-21T14:05:00Z",
            "duration": 1,
            "recall_type": "regular",
            "camera_positions": None,
        }
    )
    + "', 'U1', 'C1', 'done', 0, :t, :t)",
}


def _diffs(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_from_empty_to_head_matches_the_models(any_db_url: str) -> None:
    store = Store(any_db_url)
    before, after = await migrate(store.engine)
    assert (before, after) == (None, head())
    async with store.engine.connect() as conn:
        assert await conn.run_sync(current) == head()
        assert await conn.run_sync(_diffs) == []  # a model change without a migration fails here
    # Running again does nothing.
    assert await migrate(store.engine) == (head(), head())
    await store.close()


async def test_from_every_earlier_revision_keeps_the_data(any_db_url: str) -> None:
    revisions = [r.revision for r in ScriptDirectory.from_config(alembic_config()).walk_revisions()]
    for start in reversed(revisions):  # oldest first
        store = Store(any_db_url)
        async with store.engine.begin() as conn:
            await conn.execute(text("DROP TABLE IF EXISTS motive_rate_bucket"))
            await conn.execute(text("DROP TABLE IF EXISTS safety_event_clips"))
            await conn.execute(text("DROP TABLE IF EXISTS safety_events"))
            await conn.execute(text("DROP TABLE IF EXISTS audit_log"))
            await conn.execute(text("DROP TABLE IF EXISTS webhook_trust"))
            await conn.execute(text("DROP TABLE IF EXISTS deliveries"))
            await conn.execute(text("DROP TABLE IF EXISTS tracked_requests"))
            await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        await migrate(store.engine, start)
        async with store.engine.begin() as conn:
            await conn.execute(
                text(INSERT_AT.get(start, INSERT_AT["0002"])),
                {"t": NOW.replace(tzinfo=None) if store.is_sqlite else NOW},
            )
        assert await migrate(store.engine) == (start, head())
        [row] = await store.all_requests()
        assert row.target_name == "TRK-101" and row.created_at == NOW
        await store.close()


async def test_a_database_made_before_migrations_is_stamped_then_upgraded(any_db_url: str) -> None:
    store = Store(any_db_url)
    # What create_all made before migrations existed: revision 0001's tables, unversioned.
    await migrate(store.engine, "0001")
    async with store.engine.begin() as conn:
        await conn.execute(text("DROP TABLE alembic_version"))
    before, after = await migrate(store.engine)
    assert (before, after) == ("0001", head())
    await store.close()


async def test_two_replicas_starting_together_migrate_once(pg_url: str) -> None:
    stores = [Store(pg_url) for _ in range(4)]
    # Without the lock they fail or block one another: bound the wait so that shows as a failure.
    results = await asyncio.wait_for(asyncio.gather(*(migrate(s.engine) for s in stores)), 60)
    # Exactly one of them did the work; the others waited on the lock and found nothing to do.
    assert sorted(results, key=lambda r: r[0] or "") == [(None, head())] + [(head(), head())] * 3
    async with stores[0].engine.connect() as conn:
        rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
    assert [r[0] for r in rows] == [head()]
    for s in stores:
        await s.close()


def test_migrate_command(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MOTIVE_"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'bot.db'}"
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "migrate"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert f"database schema: empty -> {head()}" in out.stdout
