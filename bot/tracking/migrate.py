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
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
LOCK_KEY = 0x6D6F7469  # any constant; the advisory lock that serialises replicas' migrations
FIRST = "0001"
# The newest revision (a test checks it against Alembic's head). A start-up that finds the
# database already there needs no Alembic at all: importing it costs ~70 ms of every start.
HEAD = "0001"


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    from alembic.script import ScriptDirectory

    found = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert found is not None
    return found


def current(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _recorded(connection: Connection) -> str | None:
    """The revision stamped in the database, read without Alembic."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return str(rows[0]) if len(rows) == 1 else None


def _upgrade(connection: Connection, target: str) -> tuple[str | None, str | None]:
    from alembic import command

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
        if target in ("head", HEAD) and await conn.run_sync(_recorded) == HEAD:
            return HEAD, HEAD
        before, after = await conn.run_sync(_upgrade, target)
    if before != after:
        log.info("database schema migrated from %s to %s", before or "empty", after)
    return before, after
