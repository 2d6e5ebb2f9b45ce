"""Tracking benchmarks (issue: Tracking to completion).

    python -m bench.tracking polls [--recalls 100]      GETs per recall and notification lag
    python -m bench.tracking capacity [--requests 10000] memory and CPU per poll, one worker

`polls` runs the real tracker, store (SQLite) and Slack delivery against the simulator over
loopback, on a virtual clock: completion times are drawn from 2 to 90 minutes, time jumps to the
next poll the store has scheduled, and each poll is a real HTTP GET. The fixed 10-second poller it
is compared with is computed on the same completion times (first poll at 10 s, then every 10 s).
With webhooks, the simulator's completion webhook is posted to the bot at the moment the upload
finishes, and the wall time until the thread reply is the lag. The webhook runs start with it
known to work (one verified webhook received just before, as in a running deployment); in the
silent run it stops after half the recalls have finished, and the rest must be found by polls.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import resource
import statistics
import tempfile
import time
from datetime import timedelta
from typing import Any

import httpx

from bot.config import Settings
from bot.offline.fakeslack import FakeSlack
from bot.offline.stack import WEBHOOK_SECRET, build_stack
from bot.services import build_services
from bot.store.models import DONE, TRACKING, TrackedRequest, answer_dump
from motive.client import MotiveClient
from motive.clock import ManualClock, SystemClock
from motive.models import Recall
from motive.rules import validate_recall
from motive.simulator import SimConfig, Simulator, send_due_webhooks


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def polls(n: int, webhooks: str, seed: int) -> dict[str, Any]:
    """webhooks: "off" (polling only), "on" (every completion announced), or "silent" (the
    webhook stops after half the recalls have finished)."""
    rng = random.Random(seed)
    clock = ManualClock()
    sim = Simulator(
        SimConfig(rate_limit=(10**9, 1.0), quota_minutes={"regular": 10**9, "timelapse": 10**9}),
        clock=clock,
    )
    slack = FakeSlack()
    tmp = tempfile.mkdtemp(prefix="bench-polls-")
    async with build_stack(
        f"sqlite:///{tmp}/bot.db",
        clock=clock,
        role="web",
        served=True,
        sim=sim,
        slack=slack,
        motive_options={"rate_limit": None},
        sim_webhooks=webhooks != "off",  # sent by hand below, when the upload finishes
    ) as stack:
        svc, motive, http = stack.svc, stack.svc.motive, stack.http
        svc.tracker.rng = random.Random(seed)  # the same jitter in both runs: a fair comparison
        first_rng = random.Random(seed + 1)
        if webhooks != "off":
            await _prime_trust(http, stack.url)
            await svc.background.wait_idle()
        # n recalls, each with its own completion time, created through the client
        for i in range(n):
            minutes = rng.uniform(2, 90)
            sim.config.processing_minutes = (minutes, minutes)
            req = validate_recall(
                vehicle_number=f"TRK-{200 + i % 120}",
                start_time=clock.now() - timedelta(minutes=5 + i % 40),
                duration=1,
                now=clock.now(),
            )
            created = await motive.recalls.create(req)
            now = clock.now()
            row = TrackedRequest.new(
                req,
                requester="U1",
                channel="C0DISPATCH",
                now=now,
                deadline=now + timedelta(hours=36),
            )
            row.dedupe_key = f"b{i}"
            anchor = await svc.slack.chat_postMessage(channel="C0DISPATCH", text="anchor")
            row.anchor_ts = anchor["ts"]
            row.motive_id, row.state = created.id, TRACKING
            row.next_poll_at = now + timedelta(seconds=_first(first_rng))
            await svc.store.add(row)
            await svc.tracker.track(row)  # the hand-over a created request gets
        lags: list[float] = []
        polled_lags: list[float] = []  # of the recalls no webhook announced
        wall: list[float] = []
        delivered: set[str] = set()
        silent_after = n // 2 if webhooks == "silent" else None
        while True:
            rows = [r for r in await svc.store.in_flight() if r.state == TRACKING]
            if not rows:
                break
            next_poll = min(r.next_poll_at for r in rows if r.next_poll_at)
            pending = [s for s in sim.recalls.values() if not s.notified and s.id not in delivered]
            next_done = min((s.ready_at for s in pending), default=None)
            if silent_after is not None and sim.stats.webhooks_sent >= silent_after:
                next_done = None  # the webhook has gone silent
            if webhooks != "off" and next_done is not None and next_done <= next_poll:
                clock.set(max(clock.now(), next_done))
                t0 = time.perf_counter()
                await send_due_webhooks(sim, http)
                # the bot fetches after answering 200: wait for its thread replies
                await svc.background.wait_idle()
                wall.append(time.perf_counter() - t0)
            else:
                clock.set(max(clock.now(), next_poll))
                for r in rows:
                    if r.next_poll_at and r.next_poll_at <= clock.now():
                        await svc.tracker.poll(r.id)
            for r in await svc.store.all_requests():
                if r.state == DONE and r.motive_id not in delivered:
                    delivered.add(r.motive_id or "")
                    motive_recall = sim.recalls[r.motive_id or ""]
                    lag = (clock.now() - motive_recall.ready_at).total_seconds()
                    lags.append(lag)
                    if not motive_recall.notified:
                        polled_lags.append(lag)
        gets = [s.gets for s in sim.recalls.values()]
        uploads = [(s.ready_at - s.created_at).total_seconds() for s in sim.recalls.values()]
        replies = sum(1 for m in slack.messages if m.thread_ts)
        trusted_at_end = await svc.tracker.trust.trusted()
    fixed_gets = [math.floor(u / 10) + 1 for u in uploads]  # first poll at 10 s, then every 10 s
    fixed_lag = [(10 - u % 10) % 10 for u in uploads]
    return {
        "gets": gets,
        "lags": lags,
        "polled_lags": polled_lags,
        "wall": wall,
        "fixed_gets": fixed_gets,
        "fixed_lag": fixed_lag,
        "replies": replies,
        "webhooks_sent": sim.stats.webhooks_sent,
        "trusted_at_end": trusted_at_end,
    }


async def _prime_trust(http: httpx.AsyncClient, bot_url: str) -> None:
    """One verified webhook for a recall from before the run: the webhook is known to work."""
    from motive.webhooks import sign

    body = json.dumps({"action": "video_recall_request_completed", "id": "1"}).encode()
    r = await http.post(
        f"{bot_url}/motive/webhooks",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-KT-Webhook-Signature": sign(body, WEBHOOK_SECRET),
        },
    )
    r.raise_for_status()


def _first(rng: random.Random) -> float:
    from bot.tracking.schedule import next_delay

    return next_delay("recall", 0, rng=rng)


async def run_polls(n: int, seed: int, modes: list[str]) -> None:
    runs = {mode: await polls(n, webhooks=mode, seed=seed) for mode in modes}
    print(
        f"{n} recalls, completion times uniform 2-90 min (seed {seed}); real tracker, store and HTTP"
    )
    first = next(iter(runs.values()))
    fixed = sum(first["fixed_gets"])
    print(
        f"fixed 10 s poller: {statistics.mean(first['fixed_gets']):.1f} GETs/recall, "
        f"lag median {statistics.median(first['fixed_lag']):.1f} s"
    )
    names = {"off": "polling only", "on": "with webhooks", "silent": "webhook silent halfway"}
    for mode, run in runs.items():
        lags = run["lags"] or [math.nan]
        line = (
            f"{names[mode]:<23}: {sum(run['gets']) / n:.2f} GETs/recall "
            f"({sum(run['gets']) / fixed:.1%} of fixed), delivered {len(run['lags'])}/{n}, "
            f"lag median {statistics.median(lags):.1f} s, p90 {pct(lags, 0.9):.1f} s, "
            f"max {max(lags):.1f} s (virtual); thread replies {run['replies']}"
        )
        if mode == "silent" and run["polled_lags"]:
            found = run["polled_lags"]
            line += (
                f"; the {len(found)} found by polls after the silence: lag median "
                f"{statistics.median(found):.1f} s, max {max(found):.1f} s"
            )
        if mode != "off":
            wall = run["wall"] or [math.nan]
            line += (
                f"; {run['webhooks_sent']} webhooks, wall lag p50 {pct(wall, 0.5) * 1000:.1f} ms, "
                f"p99 {pct(wall, 0.99) * 1000:.1f} ms (webhook posted -> thread reply); "
                f"trusted at the end: {run['trusted_at_end']}"
            )
        print(line)


async def capacity(n: int, sample: int, database_url: str | None = None) -> None:
    """n requests in flight on one worker: resident memory, and CPU per poll with Motive answered
    in-process (httpx.MockTransport), so the network is excluded."""

    def pending(request: httpx.Request) -> httpx.Response:
        rid = request.url.path.rsplit("/", 1)[1]
        return httpx.Response(200, json={"id": rid, "status": "processing", "cameras": []})

    clock = SystemClock()
    tmp = tempfile.mkdtemp(prefix="bench-capacity-")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token="xoxb-bench",
        slack_api_url="http://127.0.0.1:9/api/",
        database_url=database_url or f"sqlite:///{tmp}/bot.db",
    )
    motive = MotiveClient(
        base_url="http://motive.invalid", transport=httpx.MockTransport(pending), rate_limit=None
    )
    svc = build_services(settings, role="worker", clock=clock, motive=motive, sweep_seconds=3600)
    await svc.store.create_schema()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    now = clock.now()
    far = now + timedelta(hours=2)  # in flight but not due while we measure
    pending_answer = Recall.model_validate({"id": "0", "status": "processing"})

    def tracked(i: int) -> TrackedRequest:
        request = validate_recall(
            vehicle_number=f"TRK-{i}", start_time=now - timedelta(hours=1), duration=1, now=now
        )
        row = TrackedRequest.new(
            request,
            requester="U1",
            channel="C1",
            now=now,
            deadline=now + timedelta(hours=36),
            state=TRACKING,
        )
        row.dedupe_key, row.anchor_ts, row.motive_id = f"k{i}", f"1.{i}", str(10**6 + i)
        # Unchanged by the poll: no Slack call is measured.
        row.motive_status, row.answer_data = "processing", answer_dump(pending_answer)
        row.next_poll_at = far
        return row

    async with svc.store.sessions() as s, s.begin():
        s.add_all(tracked(i) for i in range(n))
    await svc.tracker.start()  # nothing per request: the store is the queue
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ids = [r.id for r in (await svc.store.in_flight())[: sample * 2]]
    for rid in ids[:20]:  # warm up
        await svc.tracker.poll(rid)
    # One at a time (a quiet worker: each poll its own batch of one)...
    alone = ids[20:sample]
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for rid in alone:
        await svc.tracker.poll(rid)
    cpu_alone = (time.process_time() - cpu0) / len(alone)
    # ...and due together, as 10,000 requests on ~80 s intervals are (about 125 a second).
    together = ids[sample:]
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for start in range(0, len(together), 125):
        await asyncio.gather(*(svc.tracker.poll(rid) for rid in together[start : start + 125]))
    cpu = (time.process_time() - cpu0) / len(together)
    wall = (time.perf_counter() - wall0) / len(together)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    backend = "PostgreSQL" if svc.store.url.startswith("postgresql") else "SQLite"
    await svc.stop()
    print(f"{n} requests in flight on one worker, {backend}")
    print(
        f"resident memory (max RSS): {rss_before:.0f} MB before loading, {rss:.0f} MB started, {rss_after:.0f} MB after polling"
    )
    print(
        f"CPU per poll (claim, fetch, parse, record, release): {cpu * 1000:.3f} ms "
        f"when due together in waves of 125 (wall {wall * 1000:.3f} ms; {len(together)} polls); "
        f"{cpu_alone * 1000:.3f} ms one at a time ({len(alone)} polls)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("polls")
    p.add_argument("--recalls", type=int, default=100)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--modes",
        default="off,on,silent",
        help="webhook modes to run: off (polling only), on, silent (stops halfway)",
    )
    c = sub.add_parser("capacity")
    c.add_argument("--requests", type=int, default=10_000)
    c.add_argument("--sample", type=int, default=1000)
    c.add_argument("--database-url", default=None, help="a fresh database (default: SQLite file)")
    args = parser.parse_args()
    if args.what == "polls":
        asyncio.run(run_polls(args.recalls, args.seed, args.modes.split(",")))
    else:
        asyncio.run(capacity(args.requests, args.sample, args.database_url))


if __name__ == "__main__":
    main()
