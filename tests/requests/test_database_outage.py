"""Never lose what Motive made (issue 23): the database goes away right after Motive answered a
create. The id is kept until it is stored; a stop before then leaves it on the anchor and in the
log, and the bot follows it once its database is back. PostgreSQL behind a proxy the test cuts."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from bot.offline.fakeslack import FakeSlack
from bot.store.models import DONE, TRACKING
from bot.tracking.worker import CREATE_LEASE
from motive.clock import ManualClock
from motive.simulator import SimConfig, Simulator
from motive.simulator.state import Fault
from tests.support.dbproxy import database_proxy
from tests.support.stack import OPENAPI, eventually, running_stack, wait_for

RECALL = "TRK-101 30m ago 2m"


def slow_create() -> Fault:
    return Fault(method="POST", path_prefix="/v1/video_recall_requests", delay=0.3)


def store_retries(caplog: pytest.LogCaptureFixture) -> int:
    return sum("could not store" in r.getMessage() for r in caplog.records)


async def test_the_database_away_right_after_a_create_is_stored_and_delivered_once_back(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with database_proxy(pg_url) as proxy, running_stack(proxy.url(pg_url)) as stack:
        stack.sim.faults.append(slow_create())
        await stack.command("/recall", RECALL)
        await wait_for(lambda: stack.sim.stats.requests["recalls.create"] == 1)
        await proxy.cut()  # Motive is making the recall; the database goes away
        await wait_for(lambda: store_retries(caplog) >= 2)
        await proxy.restore()
        await stack.settle(60)
        [made] = stack.sim.recalls.values()
        [row] = await stack.svc.store.all_requests()
        assert (row.state, row.motive_id) == (TRACKING, made.id)
        assert not [r for r in stack.responses() if "nothing was requested" in r]
        stack.clock.advance(30 * 60)
        await stack.poll_all()
        found = await stack.svc.store.get(row.id)
        assert found is not None and found.state == DONE
        assert "Footage is ready" in stack.slack.thread(row.channel, row.anchor_ts or "")[-1].text
        assert stack.sim.stats.recalls_created == 1


async def test_a_stop_before_the_database_is_back_leaves_the_id_and_it_is_followed_later(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    clock = ManualClock()
    sim = Simulator(SimConfig(), clock=clock)
    slack = FakeSlack(openapi=OPENAPI)
    async with (
        database_proxy(pg_url) as proxy,
        running_stack(proxy.url(pg_url), clock=clock, sim=sim, slack=slack) as stack,
    ):
        sim.faults.append(slow_create())
        await stack.command("/recall", RECALL)
        await wait_for(lambda: sim.stats.requests["recalls.create"] == 1)
        await proxy.cut()
        await wait_for(lambda: store_retries(caplog) >= 1)
        await stack.svc.tracker.stop(drain_seconds=0.1)
        [made] = sim.recalls.values()
        [anchor] = stack.anchors()
        said = stack.anchor_text(anchor.channel, anchor.ts)
        assert f"Motive made request {made.id}" in said
        assert "I will follow it when my database is back" in said
        assert any(
            made.id in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records
        )
        assert not [r for r in stack.responses() if "nothing was requested" in r]
        await proxy.restore()
    clock.advance((CREATE_LEASE + timedelta(minutes=1)).total_seconds())
    async with running_stack(pg_url, role="all", clock=clock, sim=sim, slack=slack) as again:

        async def followed() -> bool:
            rows = await again.svc.store.all_requests()
            return len(rows) == 1 and rows[0].motive_id == made.id

        await eventually(followed)
        [row] = await again.svc.store.all_requests()
        assert row.state == TRACKING
        clock.advance(30 * 60)  # the worker's own tick polls it once due, and delivers

        async def delivered() -> bool:
            found = await again.svc.store.get(row.id)
            return found is not None and found.state == DONE

        await eventually(delivered)
        assert sim.stats.recalls_created == 1
