"""The audit trail's own guarantees (issue 28): the retention prune counts from the trail, not
the host's clock; a failing statement never carries its values into the logs."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.access.audit import Audit, Event, Subject
from bot.cli import main
from bot.logs import quiet_noisy
from bot.store.requests import Store
from motive.clock import ManualClock

SUBJECT = Subject("snapshot", "TRK-101", "front_facing")


async def test_a_clock_far_ahead_prunes_nothing(sqlite_url: str) -> None:
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    store = Store(sqlite_url, clock=clock)
    trail = Audit(store, clock)
    for outcome in ("a", "b"):
        await trail.record("request", user="U1", channel="C1", subject=SUBJECT, outcome=outcome)
        clock.advance(timedelta(days=10).total_seconds())
    # The host's clock jumps 400 days ahead (a bad NTP answer, a restored VM): the bot starts.
    clock.advance(timedelta(days=400).total_seconds())
    assert await trail.prune(400) == 0
    assert [e.outcome for e in await trail.entries()] == ["a", "b"]
    await store.close()


async def test_rows_older_than_the_retention_before_the_newest_are_pruned(
    sqlite_url: str,
) -> None:
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    store = Store(sqlite_url, clock=clock)
    trail = Audit(store, clock)
    for outcome, days in (("old", 10), ("kept", 395), ("newest", 0)):
        await trail.record("request", user="U1", channel="C1", subject=SUBJECT, outcome=outcome)
        clock.advance(timedelta(days=days).total_seconds())
    # The newest row is 405 days after the first: only the first is past 400 days.
    assert await trail.prune(400) == 1
    assert [e.outcome for e in await trail.entries()] == ["kept", "newest"]
    assert await trail.prune(400) == 0
    await store.close()


async def test_an_empty_trail_prunes_nothing(sqlite_url: str) -> None:
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    store = Store(sqlite_url, clock=clock)
    assert await Audit(store, clock).prune(1) == 0
    await store.close()


async def test_a_failing_statement_logs_no_parameters(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """SQLAlchemy puts a failing statement's parameters in its error, which is logged: a note
    or a user id must not reach the logs that way."""
    store = Store(sqlite_url)
    secret = "driver was on the phone, U0SECRET"
    quiet_noisy(logging.DEBUG)  # as the bot's logging set-up does, at its most verbose
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(DBAPIError) as failed:
            async with store.sessions() as s:
                await s.execute(text("INSERT INTO no_such_table VALUES (:note)"), {"note": secret})
        logging.getLogger("test").error("statement failed: %s", failed.value)
    assert secret not in str(failed.value) and secret not in caplog.text
    assert "hide_parameters" in str(failed.value)
    await store.close()


def test_motive_bot_audit_shows_every_kind_of_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    clock = ManualClock(datetime(2026, 10, 30, 12, 0, tzinfo=UTC))
    kinds: list[Event] = ["request", "refusal", "refresh", "delivery", "link_open"]

    async def fill() -> None:
        store = Store(url, clock=clock)
        await store.create_schema()
        trail = Audit(store, clock)
        for n, event in enumerate(kinds):
            channel = "DU0SAFE" if event == "delivery" else "C0DISPATCH"
            await trail.record(event, user=f"U{n}", channel=channel, subject=SUBJECT, outcome=event)
        await store.close()

    asyncio.run(fill())
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["audit", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["event"], r["channel"]) for r in rows] == [
        ("request", "C0DISPATCH"),
        ("refusal", "C0DISPATCH"),
        ("refresh", "C0DISPATCH"),
        ("delivery", "DU0SAFE"),
        ("link_open", "C0DISPATCH"),
    ]
