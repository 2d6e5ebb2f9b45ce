"""Bring the store's schema up to date with Alembic: `motive-bot migrate`, and at every start.

Replicas starting together must migrate once: on PostgreSQL the upgrade runs inside one
transaction that first takes an advisory lock, so a second replica waits, then finds nothing to
do (PostgreSQL's DDL is transactional). SQLite serves a single process. A database created before
migrations existed (by `create_all`) is recognised and stamped with the first revision, so its
upgrade starts from where it really is.
"""

from __future__ import annotations

import logging
import re
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
_REVISION = re.compile(r"^revision(?:: *str)? *= *[\"']([\w-]+)[\"'] *$", re.M)
_DOWN = re.compile(r"^down_revision(?:[^=\n]*)= *(?:None|[\"']([\w-]+)[\"']) *$", re.M)


def plain_head() -> str | None:
    """The newest revision read from the migration files without Alembic (importing it costs
    ~70 ms of every start), for the common start that finds the database already there. None
    when the files are not a plain chain (a merge, an unusual header): then Alembic decides."""
    revisions: dict[str, str | None] = {}
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text()
        found, down = _REVISION.findall(source), _DOWN.findall(source)
        if not found and not down:
            continue  # not a migration (__init__.py)
        if len(found) != 1 or len(down) != 1:
            return None
        revisions[found[0]] = down[0] or None
    tips = set(revisions) - set(revisions.values())
    return tips.pop() if len(tips) == 1 else None


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
        newest = plain_head() if target == "head" else None
        if newest is not None and await conn.run_sync(_recorded) == newest:
            return newest, newest
        before, after = await conn.run_sync(_upgrade, target)
    if before != after:
        log.info("database schema migrated from %s to %s", before or "empty", after)
    return before, after
