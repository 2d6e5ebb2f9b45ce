"""Scale of the polling queue: 1, 2 and 4 worker processes on one PostgreSQL database.

    python -m bench.scale [--in-flight 10000,100000] [--due 20000] [--workers 1,2,4]
                          [--latency-ms 5] [--pg postgresql://postgres@127.0.0.1:5432/postgres]

A fresh database is made on the PostgreSQL server (`bench_scale_<pid>`, dropped at the end) and
filled with `--in-flight` tracked recalls, all waiting on Motive ("processing") with their next
poll hours away. For each worker count, that many `motive-bot` worker processes start on it
(the real services, `role=worker`, the tick every second), each with Motive in-process: an httpx
transport that answers every status GET after a fixed latency with the same "processing" recall
(so no poll delivers anything or calls Slack). Once every worker is up, `--due` of the requests
are made due at the same instant, and the run lasts until every one of them has been polled.
Before that each run warms up (200 other requests due per worker, polled and left out of every
figure): a process's first polls compile its statements and prepare them on its connections.

Reported per run: Motive GETs per due request and the requests fetched more than once (each due
request is due once in the window: its next poll is 2-3 minutes later); useful polls (due
requests polled) per CPU-second of the worker processes plus the database backends serving
them (utime + stime from /proc, for the workers' pids and the backends' pids in pg_stat_activity,
so the benchmark's own connection is left out); each worker's start-up (process spawned to
polling, and the services' start alone); each worker's resident memory (VmRSS) at the end; and
the time from the requests falling due until the last was polled.

The machine is shared: compare ratios within one run, not absolute figures across runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

CLK_TCK = os.sysconf("SC_CLK_TCK")
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
WARM = 200  # requests polled per worker before the measured window


# --- a worker process ------------------------------------------------------------------------


class FixedLatencyMotive(httpx.AsyncBaseTransport):
    """Motive in-process: every recall is still processing, answered after `latency` seconds."""

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.gets: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(self.latency)
        path = request.url.path
        if "/video_recall" in path or "/recall" in path:
            rid = path.rstrip("/").rsplit("/", 1)[1]
            self.gets[rid] += 1
            body: Any = {"id": rid, "status": "processing", "cameras": []}
        else:  # the fleet lists a worker reads at start
            body = {"vehicles": [], "assets": [], "pagination": {"total": 0}}
        return httpx.Response(200, json=body, request=request)


async def worker(db_url: str, latency: float) -> None:
    spawned = float(os.environ["BENCH_SPAWNED"])
    from bot.config import Settings
    from bot.services import build_services
    from bot.store.rate_bucket import StoreBucket
    from bot.store.requests import Store
    from motive.client import MotiveClient
    from motive.clock import SystemClock

    clock = SystemClock()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token="xoxb-bench",
        slack_api_url="http://127.0.0.1:9/api/",
        database_url=db_url,
    )
    transport = FixedLatencyMotive(latency)
    store_for_bucket = Store(db_url, clock=clock)
    motive = MotiveClient(
        base_url="http://127.0.0.1:9",
        transport=transport,
        clock=clock,
        # The shared bucket, as a PostgreSQL deployment runs it, with a limit far above the
        # load: its cost is measured, its waits are not.
        limiter=StoreBucket(store_for_bucket, clock, limit=10**9, period_seconds=60.0),
    )
    svc = build_services(settings, role="worker", clock=clock, motive=motive)
    t0 = time.perf_counter()
    await svc.start()
    started = time.perf_counter() - t0
    print(
        "READY",
        json.dumps({"start_seconds": started, "spawn_to_ready": time.time() - spawned}),
        flush=True,
    )
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.readline)  # "STOP"
    await svc.stop()
    await store_for_bucket.close()
    print(
        "DONE", json.dumps({"gets": dict(transport.gets), "polls": svc.tracker.polls}), flush=True
    )


# --- the benchmark -------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def with_db(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


async def load(db_url: str, n: int) -> None:
    """`n` tracked recalls, processing, none due for hours (the bot's own row model)."""
    from bot.store.models import TrackedRequest, answer_dump
    from bot.store.requests import Store
    from motive.models import Recall
    from motive.rules import validate_recall

    store = Store(db_url)
    await store.create_schema()
    await store.close()
    now = datetime.now(UTC)
    request = validate_recall(
        vehicle_number="TRK-1", start_time=now - timedelta(hours=1), duration=1, now=now
    )
    template = TrackedRequest.new(
        request, requester="U1", channel="C1", now=now, deadline=now + timedelta(hours=36)
    )
    answer = json.dumps(answer_dump(Recall.model_validate({"id": "0", "status": "processing"})))
    far = now + timedelta(hours=3)
    columns = [
        "kind", "dedupe_key", "request_data", "requester", "channel", "anchor_ts", "state",
        "motive_id", "motive_status", "answer_data", "attempts", "next_poll_at", "deadline",
        "created_at", "updated_at",
    ]  # fmt: skip
    data, deadline = json.dumps(template.request_data), now + timedelta(hours=36)
    records = [
        (
            *("recall", f"bench-{i}", data, "U1", "C1", f"1.{i}", "tracking", str(10**6 + i)),
            *("processing", answer, 0, far, deadline, now, now),
        )
        for i in range(n)
    ]
    conn = await asyncpg.connect(db_url)
    try:
        await conn.copy_records_to_table("tracked_requests", records=records, columns=columns)
        await conn.execute("ANALYZE tracked_requests")
    finally:
        await conn.close()


async def until_polled(conn: asyncpg.Connection, since: datetime) -> None:
    """Until no request is left with a poll time at or before `since`."""
    while True:
        left = await conn.fetchval(
            "SELECT count(*) FROM tracked_requests WHERE next_poll_at <= $1", since
        )
        if not left:
            return
        await asyncio.sleep(0.1)


def start_workers(
    db_url: str, workers: int, latency: float
) -> tuple[list[subprocess.Popen[str]], list[dict[str, float]]]:
    """Spawn the worker processes at once and wait until each is polling."""
    env = {**os.environ, "BENCH_SPAWNED": str(time.time())}
    command = [sys.executable, "-m", "bench.scale", "worker", "--db", db_url]
    procs = [
        subprocess.Popen(
            [*command, "--latency-ms", str(latency * 1000)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(workers)
    ]
    starts = []
    for p in procs:
        assert p.stdout is not None
        line = p.stdout.readline().split(" ", 1)
        if line[0] != "READY":
            raise RuntimeError("a worker did not start")
        starts.append(json.loads(line[1]))
    return procs, starts


async def run(db_url: str, workers: int, due: int, latency: float) -> dict[str, Any]:
    conn = await asyncpg.connect(db_url)
    own_pid = await conn.fetchval("SELECT pg_backend_pid()")
    far = datetime.now(UTC) + timedelta(hours=3)
    await conn.execute(
        "UPDATE tracked_requests SET next_poll_at = $1, attempts = 0, claimed_by = NULL, "
        "claimed_until = NULL",
        far,
    )
    procs, starts = start_workers(db_url, workers, latency)
    # Warm up: a few requests due per worker, from the end of the table (never in the due set),
    # so every process has compiled its statements and prepared them on its connections.
    warm = datetime.now(UTC)
    await conn.execute(
        "UPDATE tracked_requests SET next_poll_at = $1 WHERE id IN "
        "(SELECT id FROM tracked_requests ORDER BY id DESC LIMIT $2)",
        warm,
        WARM * workers,
    )
    await until_polled(conn, warm)
    await asyncio.sleep(1.5)  # all idle now
    backends = [
        r["pid"]
        for r in await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> $1",
            own_pid,
        )
    ]
    pids = [p.pid for p in procs]
    cpu0 = {pid: cpu_seconds(pid) for pid in pids + backends}
    t0 = time.perf_counter()
    # Every due request falls due at this instant.
    marked = datetime.now(UTC)
    await conn.execute(
        "UPDATE tracked_requests SET next_poll_at = $1 WHERE id IN "
        "(SELECT id FROM tracked_requests ORDER BY id LIMIT $2)",
        marked,
        due,
    )
    await until_polled(conn, marked)
    elapsed = time.perf_counter() - t0
    # Backends that connected during the run count too.
    for r in await conn.fetch(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> $1",
        own_pid,
    ):
        if r["pid"] not in cpu0:
            cpu0[r["pid"]] = 0.0
            backends.append(r["pid"])
    cpu1 = {pid: cpu_seconds(pid) for pid in cpu0}
    rss = [rss_mb(pid) for pid in pids]
    worker_cpu = sum(cpu1[p] - cpu0[p] for p in pids)
    db_cpu = sum(cpu1[p] - cpu0[p] for p in backends)
    gets: Counter[str] = Counter()
    for p in procs:
        assert p.stdin is not None and p.stdout is not None
        p.stdin.write("STOP\n")
        p.stdin.flush()
    for p in procs:
        assert p.stdout is not None
        for line in p.stdout:
            if line.startswith("DONE "):
                got = json.loads(line[5:])["gets"]
                gets.update({k: v for k, v in got.items() if int(k) < 10**6 + due})
        p.wait(timeout=60)
    await conn.close()
    polled = len(gets)
    return {
        "workers": workers,
        "due": due,
        "gets": sum(gets.values()),
        "gets_per_due": sum(gets.values()) / due,
        "polled": polled,
        "polled_twice": sum(1 for c in gets.values() if c > 1),
        "worker_cpu": worker_cpu,
        "db_cpu": db_cpu,
        "useful_per_cpu_second": polled / max(1e-9, worker_cpu + db_cpu),
        "seconds_until_all_polled": elapsed,
        "start_seconds": max(s["start_seconds"] for s in starts),
        "spawn_to_ready": max(s["spawn_to_ready"] for s in starts),
        "rss_mb": max(rss),
    }


async def bench(pg: str, sizes: list[int], counts: list[int], due: int, latency: float) -> None:
    name = f"bench_scale_{os.getpid()}"
    admin = await asyncpg.connect(pg)
    await admin.execute(f'CREATE DATABASE "{name}"')
    db_url = with_db(pg, name)
    results = []
    try:
        for size in sizes:
            # Start afresh for each size, on a new schema.
            conn = await asyncpg.connect(db_url)
            await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
            await conn.close()
            t0 = time.perf_counter()
            await load(db_url, size)
            print(
                f"loaded {size} requests in flight in {time.perf_counter() - t0:.1f} s", flush=True
            )
            for workers in counts:
                # The warm-up's requests (the table's last) are never in the due set.
                got = await run(db_url, workers, min(due, size - WARM * max(counts)), latency)
                got["in_flight"] = size
                results.append(got)
                print(json.dumps(got), flush=True)
    finally:
        with contextlib.suppress(Exception):
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
            )
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.close()
    print()
    print(
        "| in flight | workers | GETs per due request | polled twice | useful polls per CPU-s "
        "(workers + DB) | vs 1 worker | worker CPU s / DB CPU s | start-up (spawn→polling; "
        "services) | RSS per worker | all due polled after |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        one = next(
            x for x in results if x["in_flight"] == r["in_flight"] and x["workers"] == min(counts)
        )
        print(
            f"| {r['in_flight']:,} | {r['workers']} | {r['gets_per_due']:.4f} | "
            f"{r['polled_twice']} | {r['useful_per_cpu_second']:,.0f} | "
            f"{r['useful_per_cpu_second'] / one['useful_per_cpu_second']:.2f}× | "
            f"{r['worker_cpu']:.1f} / {r['db_cpu']:.1f} | {r['spawn_to_ready']:.2f} s; "
            f"{r['start_seconds']:.3f} s | {r['rss_mb']:.0f} MB | "
            f"{r['seconds_until_all_polled']:.1f} s |"
        )
    ratios = [r["gets_per_due"] for r in results]
    print(f"\nGETs per due request, spread over every run: {min(ratios):.4f} to {max(ratios):.4f}")
    print(
        f"median time until all polled: {statistics.median(r['seconds_until_all_polled'] for r in results):.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what")
    w = sub.add_parser("worker")
    w.add_argument("--db", required=True)
    w.add_argument("--latency-ms", type=float, default=5.0)
    parser.add_argument("--in-flight", default="10000,100000")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--due", type=int, default=20_000)
    parser.add_argument("--latency-ms", type=float, default=5.0)
    parser.add_argument("--pg", default=DEFAULT_PG)
    args = parser.parse_args()
    if args.what == "worker":
        asyncio.run(worker(args.db, args.latency_ms / 1000))
        return
    sizes = [int(x) for x in args.in_flight.split(",")]
    counts = [int(x) for x in args.workers.split(",")]
    asyncio.run(bench(args.pg, sizes, counts, args.due, args.latency_ms / 1000))


if __name__ == "__main__":
    main()
