"""The connection to the store's database, SQLite or PostgreSQL: the engine and its sessions,
the schema brought up to date, and what every query module beside this one shares.

State lives in the database, not in memory: a restart, a crash or a second replica rebuilds from
its rows (the tables are in `models.py`; the queries in `requests.py`, `opening.py`, `queue.py`
and `deliveries.py`, which `Store` puts together).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from typing import Any

from sqlalchemy import CursorResult, Result, event, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from bot.config import async_database_url
from bot.store.migrate import migrate
from motive.clock import Clock, SystemClock

# What a call to the database fails with when it is away (no answer, a dropped connection).
DATABASE_FAILURES = (SQLAlchemyError, OSError, asyncio.TimeoutError)


def insert_for(sqlite: bool) -> Any:
    """The dialect's INSERT, which has ON CONFLICT; imported on use, so that a SQLite process
    never loads the PostgreSQL dialect (~30 ms of every start)."""
    if sqlite:
        from sqlalchemy.dialects.sqlite import insert

        return insert
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    return pg_insert


def changed_rows(result: Result[Any]) -> int:
    """How many rows an INSERT, UPDATE or DELETE changed. Both drivers count them; a result
    without a count is a mistake in the caller (a SELECT's), not a zero."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"a statement's row count was asked of a {type(result).__name__}")
    return result.rowcount


class Database:
    """One database: its engine (a pool of connections) and a session maker over it. The
    writes are stamped by `clock`."""

    def __init__(self, url: str, *, clock: Clock | None = None, echo: bool = False) -> None:
        self.clock: Clock = clock or SystemClock()
        self.url = async_database_url(url)
        # hide_parameters: a failing statement's error (logged) must not carry its values: the
        # notes people write, user ids, Motive's links.
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
        if self.url.startswith("sqlite"):
            kwargs["connect_args"] = {"timeout": 30, "factory": RollbackOnClose}
        else:
            kwargs["pool_size"] = 10
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.is_sqlite = self.url.startswith("sqlite")
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)

    async def create_schema(self) -> None:
        """Bring the schema up to date (Alembic migrations, under a lock)."""
        await migrate(self.engine)

    async def close(self) -> None:
        await self.engine.dispose()

    async def ping(self) -> None:
        async with self.sessions() as s:
            await s.execute(select(1))


class RollbackOnClose(sqlite3.Connection):
    """A SQLite connection whose close ends its transaction first, whatever its cursors hold.

    A task cancelled while it awaits a statement does not stop the statement: aiosqlite runs it
    in its thread all the same, and SQLAlchemy, taking the cancellation for a lost connection,
    closes the connection. A SELECT with rows left unread (a claim's look for an open or
    overlapping request, after its BEGIN IMMEDIATE) is still active then, and SQLite closes a
    connection with an active statement only when that statement is freed: until then it lives
    on and keeps its transaction, the write lock included. The statement's cursor is held by
    the cancelled call's frames and exception, which outlive the close (a stop keeps every
    cancelled command until all have ended), so the other commands' shielded releases waited
    out the busy timeout and failed with "database is locked", and their askers got the
    generic error instead of "nothing was requested". A ROLLBACK ends the transaction even with
    a statement active, so the lock goes with the close, on every path that closes (the
    graceful close, aiosqlite's forced stop, a dispose); it drops only what the close would.
    Retrying the release, or a longer timeout, would only wait longer for a lock that nothing
    gives back."""

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):  # closed already, or failing: close all the same
            self.rollback()  # nothing to do outside a transaction
        super().close()


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    # WAL: readers do not block the writer, and a commit appends to the log. synchronous=FULL
    # keeps every commit across a power cut; it measured no dearer than NORMAL here.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
