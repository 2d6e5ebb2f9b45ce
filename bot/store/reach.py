"""Can the store's database be opened? Asked once at start, so that a wrong host, a stopped
server or an unopenable file stops the start with one line (which database, and why) instead of
a driver's traceback from inside the server's start-up."""

from __future__ import annotations

import asyncio
import socket
import sqlite3

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import async_database_url

CONNECT_SECONDS = 10.0


def where(url: str) -> str:
    """The database named the way a person would look for it: a file, or a host and port."""
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        return f"the SQLite file {parsed.database or '(in memory)'}"
    host = parsed.host or "localhost"
    return f"PostgreSQL at {host}:{parsed.port or 5432}"


def reason(error: BaseException) -> str:
    """A driver's failure in a few words."""
    if isinstance(error, DBAPIError) and error.orig is not None:
        error = error.orig
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, socket.gaierror):
        return "host name not found"
    if isinstance(error, TimeoutError):
        return f"no answer within {CONNECT_SECONDS:g} s"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    words = str(error).strip().splitlines()
    return words[0] if words and words[0] else type(error).__name__


def _open_sqlite(path: str) -> None:
    # The standard library's driver, not aiosqlite: a file aiosqlite fails to open leaves its
    # worker thread behind to complain once the event loop has closed.
    connection = sqlite3.connect(path, timeout=CONNECT_SECONDS)
    try:
        connection.execute("SELECT 1")
    finally:
        connection.close()


def sqlite_problem(url: str) -> str | None:
    """For a SQLite URL: None when its file opens; otherwise one line naming it and the reason.
    Blocking (a local file): for the start, before any event loop runs."""
    try:
        _open_sqlite(make_url(url).database or ":memory:")
    except sqlite3.Error as e:
        return f"DATABASE_URL: cannot open {where(url)} ({reason(e)})"
    return None


async def unreachable(url: str) -> str | None:
    """None when the database answers; otherwise one line naming it and the reason."""
    if make_url(url).drivername.startswith("sqlite"):
        return await asyncio.to_thread(sqlite_problem, url)
    engine = create_async_engine(async_database_url(url))
    try:
        async with asyncio.timeout(CONNECT_SECONDS):
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError, TimeoutError) as e:
        return f"DATABASE_URL: cannot open {where(url)} ({reason(e)})"
    finally:
        await engine.dispose()
    return None
