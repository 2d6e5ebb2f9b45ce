"""Processes and replicas: two workers on one PostgreSQL, and a SIGKILL with 20 requests in flight."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar

import httpx

from bot.offline.stack import serve_backends
from bot.store.models import DONE, TRACKING, TrackedRequest
from bot.store.requests import Store
from bot.tracking.worker import Tracker
from motive.clock import ManualClock, SystemClock
from motive.simulator import SimConfig, Simulator
from tests.support.stack import Stack, eventually, running_stack

ROOT = Path(__file__).resolve().parents[2]


async def submit_many(stack: Stack, n: int) -> list[TrackedRequest]:
    for i in range(n):
        await stack.command("/recall", f"TRK-{200 + i} {5 + i}m ago 1m")
    await stack.settle(30)
    # Accepted by Motive: tracking, or (uploads being quick here) already delivered.
    rows = [r for r in await stack.svc.store.all_requests() if r.state in (TRACKING, DONE)]
    assert len(rows) == n, stack.responses()
    return rows


class ProbedTracker(Tracker):
    """Records any moment at which two workers fetch the same request at once, and every fetch
    with the due time it was claimed for."""

    active: ClassVar[set[int]] = set()
    overlaps: ClassVar[list[int]] = []
    fetches: ClassVar[list[tuple[str, int, Any]]] = []

    async def fetch(self, row: TrackedRequest) -> Any:
        self.fetches.append((self.worker_id, row.id, row.next_poll_at))
        if row.id in self.active:
            self.overlaps.append(row.id)
        self.active.add(row.id)
        try:
            await asyncio.sleep(0.005)
            return await super().fetch(row)
        finally:
            self.active.discard(row.id)


async def test_two_workers_share_postgres_without_double_polls_or_posts(pg_url: str) -> None:
    async with running_stack(
        pg_url,
        role="web",
        clock=ManualClock(ticking=True),  # real scheduler timing; one clock for every part
        # On a ticking clock the rate limiter really waits; this test is about sharing the work.
        # Uploads finish by themselves within a second (6 to 14 simulated minutes, at 1000x):
        # jumping the clock instead would expire the leases of polls in flight, and let the
        # other worker fetch the same request.
        sim_config=SimConfig(rate_limit=(100_000, 60.0), time_factor=1000.0),
        settings_overrides={"poll_first_seconds": 0.05, "poll_max_seconds": 0.1},
    ) as stack:
        workers = []
        for name in ("worker-a", "worker-b"):
            store = Store(pg_url, clock=stack.clock)
            motive = stack.motive_client(rate_limit=None)
            workers.append(
                ProbedTracker(
                    settings=stack.svc.settings,
                    store=store,
                    motive=motive,
                    slack=stack.svc.slack,
                    clock=stack.clock,
                    worker_id=name,
                    sweep_seconds=0.2,
                    tick_seconds=0.05,
                )
            )
        await asyncio.gather(*(w.start() for w in workers))
        try:
            rows = await submit_many(stack, 30)

            async def all_done() -> bool:
                return all(r.state == DONE for r in await stack.svc.store.all_requests())

            await eventually(all_done, timeout=60)
        finally:
            for w in workers:
                await w.stop()
                await w.store.close()
                await w.motive.aclose()
        assert ProbedTracker.overlaps == []
        # Each due time of each request was polled once, by one worker; both took a share.
        fetches = ProbedTracker.fetches
        due_times = [(rid, due) for _, rid, due in fetches]
        assert len(due_times) == len(set(due_times)) >= 30
        assert {worker for worker, _, _ in fetches} == {"worker-a", "worker-b"}
        for r in rows:
            assert len(stack.slack.thread(r.channel, r.anchor_ts or "")) == 1
        assert len(await stack.svc.store.deliveries()) == 30


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_sigkill_with_20_in_flight_then_restart_delivers_each_once(tmp_path: Path) -> None:
    from bot.offline.fakeslack import FakeSlack
    from tests.support.stack import OPENAPI

    # The simulator's clock keeps pace with the bot's (the system clock) until the test moves it
    # on: every upload (10 to 12 minutes) is still running when the process dies, and all finish
    # at once after the restart, with no real-time wait for them.
    sim_clock = ManualClock(SystemClock().now(), ticking=True)
    sim = Simulator(
        SimConfig(
            processing_minutes=(10.0, 12.0),
            # Polls every 0.3 s would exceed a real company's limit; the test is about crashes.
            rate_limit=(100_000, 60.0),
        ),
        clock=sim_clock,
    )
    slack = FakeSlack(openapi=OPENAPI)
    db = tmp_path / "bot.db"
    port = _free_port()
    async with serve_backends(sim=sim, slack=slack) as backends:
        sim_url, slack_url = backends.sim_url, backends.slack_url
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MOTIVE_"))}
        env.update(
            backends.serve_env(
                f"sqlite:///{db}", port=port, POLL_FIRST_SECONDS="0.3", POLL_MAX_SECONDS="0.5"
            )
        )

        def start() -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1"],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )

        async def healthy(http: httpx.AsyncClient) -> bool:
            try:
                return (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200
            except httpx.HTTPError:
                return False

        proc = start()
        try:
            async with httpx.AsyncClient(timeout=10) as http:
                await eventually(lambda: healthy(http), timeout=30)
                stack = Stack(
                    sim,
                    slack,
                    None,
                    f"http://127.0.0.1:{port}",
                    slack_url,
                    sim_url,
                    ManualClock(),
                    http,
                )  # type: ignore[arg-type]
                for i in range(20):
                    r = await stack.command("/recall", f"TRK-{200 + i} {5 + i}m ago 1m")
                    assert r.status_code == 200
                store = Store(f"sqlite:///{db}")

                async def all_tracking() -> bool:
                    rows = await store.all_requests()
                    return len(rows) == 20 and all(r.state == TRACKING for r in rows)

                await eventually(all_tracking, timeout=30)
                assert sim.stats.recalls_created == 20
                assert sum(1 for m in slack.messages if m.thread_ts) == 0
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=10)

                proc = start()
                await eventually(lambda: healthy(http), timeout=30)
                sim_clock.advance(15 * 60)  # every upload has finished

                async def all_done() -> bool:
                    return all(r.state == DONE for r in await store.all_requests())

                await eventually(all_done, timeout=90)
                rows = await store.all_requests()
                for row in rows:
                    assert len(slack.thread(row.channel, row.anchor_ts or "")) == 1, row.id
                assert sim.stats.recalls_created == 20  # no request was created twice
                assert not slack.violations, slack.violations
                await store.close()
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
