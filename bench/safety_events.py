"""Safety events: a day's catch-up read of 10,000 events, paged, reconciled with the store.

    python -m bench.safety_events [--events 10000] [--database sqlite|postgresql]

The real bot (store, safety-event service, fake Slack on loopback) against the simulator
(in-process), on a manual clock. The simulator holds `--events` events spread over the last day
on the fleet's vehicles; their clips are not ready (so the run measures reading and reconciling,
not uploads: the clip upload is measured in "Video upload" above). Three reads, as a deployment
meets them:

- first: after a day of downtime, every event is new: each is stored and posted;
- again: the next read a few minutes later, nothing changed: each is compared, nothing posted;
- changed: 1% of the events updated (a new severity) and 1% withdrawn (gone from the list): those
  posts are edited, nothing else.

Each read's wall time, the Motive calls it made (pages of 100) and the Slack calls it made.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import tempfile
import time
import uuid
from datetime import timedelta
from typing import Any

from bot.offline.fakeslack import Channel, FakeSlack
from bot.offline.stack import build_stack
from motive.clock import ManualClock
from motive.simulator import SimConfig, Simulator
from motive.simulator.events import TYPES

SAFETY = "C0SAFETY"
SEVERITIES = ("low", "medium", "high", "critical")


async def run(n: int, database: str, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    clock = ManualClock()
    sim = Simulator(SimConfig(rate_limit=(10**9, 1.0)), clock=clock)
    vehicles = [u.label for u in sim.units if u.kind == "vehicle"]
    now = clock.now()
    for i in range(n):
        sim.events.raise_event(
            vehicles[i % len(vehicles)],
            rng.choice(TYPES),
            at=now - timedelta(seconds=rng.uniform(11 * 60, 23.5 * 3600)),
            severity=rng.choice(SEVERITIES),
            media_delay_seconds=10**9,  # clips not ready: this measures the read
            webhook=False,
        )
    slack = FakeSlack()
    slack.channels[SAFETY] = Channel(SAFETY, "fleet-safety")
    admin = None
    if database == "postgresql":
        import asyncpg

        base = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
        name = f"bench_safety_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(base)
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = base.rsplit("/", 1)[0] + "/" + name
    else:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='bench-safety-')}/bot.db"
    out: dict[str, Any] = {"events": n, "database": database}
    try:
        async with build_stack(
            url,
            clock=clock,
            role="web",
            sim=sim,
            slack=slack,
            motive_options={"rate_limit": None},
            settings_overrides={"safety_channel": SAFETY},
        ) as stack:
            safety = stack.svc.safety

            async def read(label: str) -> None:
                calls, slack_calls = sim.stats.requests["events.list"], len(slack.calls)
                t0 = time.perf_counter()
                result = await safety.catch_up()
                seconds = time.perf_counter() - t0
                out[label] = {
                    "seconds": round(seconds, 2),
                    "motive_calls": sim.stats.requests["events.list"] - calls,
                    "slack_calls": len(slack.calls) - slack_calls,
                    "read": result.read,
                    "worked": result.worked,
                    "withdrawn": result.withdrawn,
                }

            await read("first")
            clock.advance(180)
            await read("again")
            ids = list(sim.events.events)
            rng.shuffle(ids)
            for event_id in ids[: n // 100]:
                event = sim.events.events[event_id]
                sim.events.update(
                    event_id,
                    webhook=False,
                    severity="critical" if event.severity != "critical" else "low",
                )
            for event_id in ids[n // 100 : n // 50]:
                sim.events.withdraw(event_id)
            clock.advance(180)
            await read("changed")
            posts = [m for m in slack.messages if m.channel == SAFETY and m.thread_ts is None]
            out["posts"] = len(posts)
            out["edited"] = sum(1 for m in posts if m.edits)
    finally:
        if admin is not None:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.events, args.database, args.seed)), indent=2))


if __name__ == "__main__":
    main()
