"""Bring the store's schema up to date with Alembic: `motive-bot migrate`, and at every start.

Replicas starting together must migrate once: on PostgreSQL the upgrade runs inside one
transaction that first takes an advisory lock, so a second replica waits, then finds nothing to
do (PostgreSQL's DDL is transactional). SQLite serves a single process. A database created before
migrations existed (by `create_all`) is recognised and stamped with the first revision, so its
upgrade starts from where it really is.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
LOCK_KEY = 0x6D6F7469  # any constant; the advisory lock that serialises replicas' migrations
FIRST = "0001"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    found = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert found is not None
    return found


def current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _upgrade(connection: Connection, target: str) -> tuple[str | None, str | None]:
    config = alembic_config(connection)
    before = current(connection)
    if before is None and inspect(connection).has_table("tracked_requests"):
        log.info("database predates migrations: marking it as revision %s", FIRST)
        command.stamp(config, FIRST)
        before = FIRST
    command.upgrade(config, target)
    return before, current(connection)


async def migrate(engine: AsyncEngine, target: str = "head") -> tuple[str | None, str | None]:
    """Upgrade to `target`; returns the revisions before and after."""
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        before, after = await conn.run_sync(_upgrade, target)
    if before != after:
        log.info("database schema migrated from %s to %s", before or "empty", after)
    return before, after
