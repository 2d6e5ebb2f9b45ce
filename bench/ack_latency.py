"""Ack latency of /recall with inline text, 50 concurrent signed requests, bot vs a bare Bolt app.

    python -m bench.ack_latency [--rounds 20] [--concurrency 50]

Both apps run in their own processes on the same stack (Starlette, Bolt's async handler,
uvicorn); the Motive simulator and the fake Slack Web API run in a third. Rounds alternate between
the two apps so that the machine's noise falls on both alike; the result is their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

from bench.servers import SECRET


@contextlib.contextmanager
def process(*args: str) -> Iterator[list[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.servers", *args], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().split()
        if not line or line[0] != "READY":
            raise RuntimeError(f"bench server {args[0]} did not start")
        yield line[1:]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def signed_command(n: int, slack_url: str) -> tuple[str, dict[str, str]]:
    vehicle = f"TRK-{200 + n % 120}"
    body = urlencode(
        {
            "command": "/recall",
            "text": f"{vehicle} {30 + n % 600}m ago 2m front",
            "user_id": f"U{n % 7}",
            "channel_id": "C0DISPATCH",
            "team_id": "T0FLEET",
            "response_url": f"{slack_url}/respond/{n}",
            "trigger_id": f"t{n}",
        }
    )
    ts = str(int(time.time()))
    headers = {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    return body, headers


async def round_of(
    http: httpx.AsyncClient, url: str, slack_url: str, start: int, n: int
) -> list[float]:
    async def one(i: int) -> float:
        body, headers = signed_command(start + i, slack_url)
        t0 = time.perf_counter()
        r = await http.post(f"{url}/slack/events", content=body, headers=headers)
        elapsed = time.perf_counter() - t0
        if r.status_code != 200:
            raise RuntimeError(f"status {r.status_code}")
        return elapsed

    return list(await asyncio.gather(*(one(i) for i in range(n))))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(rounds: int, concurrency: int) -> None:
    with (
        process("backends") as (sim_url, slack_url),
        process("bot", sim_url, slack_url) as (bot_url,),
        process("bare", slack_url) as (bare_url,),
    ):
        limits = httpx.Limits(max_connections=concurrency * 2)
        async with httpx.AsyncClient(timeout=30, limits=limits) as http:
            results: dict[str, list[float]] = {"bot": [], "bare": []}
            await round_of(http, bot_url, slack_url, 10**6, 5)  # warm both up
            await round_of(http, bare_url, slack_url, 10**6, 5)
            for r in range(rounds):
                for name, url in (("bot", bot_url), ("bare", bare_url))[:: 1 if r % 2 == 0 else -1]:
                    results[name] += await round_of(
                        http, url, slack_url, r * concurrency, concurrency
                    )
                    await asyncio.sleep(0.3)  # let the bot's post-ack work drain between rounds
    print(f"{rounds} rounds x {concurrency} concurrent signed /recall requests on loopback")
    for name, values in results.items():
        print(
            f"{name:5s} p50 {pct(values, 0.5) * 1000:7.1f} ms   p99 {pct(values, 0.99) * 1000:7.1f} ms"
            f"   mean {statistics.mean(values) * 1000:7.1f} ms   n={len(values)}"
        )
    ratio50 = pct(results["bot"], 0.5) / pct(results["bare"], 0.5)
    ratio99 = pct(results["bot"], 0.99) / pct(results["bare"], 0.99)
    print(f"ratio bot/bare: p50 {ratio50:.2f}x   p99 {ratio99:.2f}x   (target p99 <= 1.2x)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(run(args.rounds, args.concurrency))


if __name__ == "__main__":
    main()
