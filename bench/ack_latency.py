"""Ack latency of /recall: the bot against bare Bolt apps on the same stack, in one run.

    python -m bench.ack_latency [--sequential 300] [--rounds 20] [--concurrency 50]

Three Slack-facing servers, each in its own process, on the same stack (Starlette, Bolt's async
handler, uvicorn): the bot (the full app: listeners, store, tracker, post-ack work against the
simulator and the fake Slack, which run in a fourth process); a bare Bolt app in its default mode
whose listener only acks; and the same bare app with `process_before_response=True`.

The load generator is cheap so as not to be the figure: every request is signed beforehand, sent
as prepared bytes on a persistent HTTP/1.1 connection (one per concurrent client) and its response
read with plain asyncio streams. Each server also times itself, from the request reaching the app
to its response starting; that server-side time is reported beside the client's.

- one at a time: requests are sent one after another, and before each the server is asked to be
  idle (the bot's post-ack work for the previous request has finished), as when people type;
- concurrent: rounds of `--concurrency` requests sent at once, each on its own connection.

The apps take turns (rotating order per round), so that the machine's noise falls on all alike.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from slack_sdk.signature import SignatureVerifier

from bench.servers import SECRET

APPS = ("bot", "bare-default", "bare-pbr")
TEXT = ""  # the command's text; by default a valid inline recall, different each time


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


def signed_request(n: int, host: str, slack_url: str) -> bytes:
    """A whole HTTP request for `/recall` with inline text, signed now."""
    vehicle = f"TRK-{200 + n % 120}"
    body = urlencode(
        {
            "command": "/recall",
            "text": TEXT or f"{vehicle} {30 + n % 600}m ago 2m front",
            "user_id": f"U{n % 7}",
            "channel_id": "C0DISPATCH",
            "team_id": "T0FLEET",
            "response_url": f"{slack_url}/respond/{n}",
            "trigger_id": f"t{n}",
        }
    ).encode()
    ts = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
    head = (
        f"POST /slack/events HTTP/1.1\r\nHost: {host}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"X-Slack-Request-Timestamp: {ts}\r\nX-Slack-Signature: {signature}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


# uvicorn closes a connection idle for 5 s (its keep-alive timeout); the other apps' turns can
# take that long on a loaded machine (the bot's post-ack work for a round), so a connection idle
# for this long is opened afresh before it is used, and pinged, outside any timing.
STALE_SECONDS = 4.0


class Connection:
    """One persistent HTTP/1.1 connection that sends prepared requests."""

    def __init__(
        self, url: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.url, self.reader, self.writer = url, reader, writer
        self.last_used = time.monotonic()

    @classmethod
    async def open(cls, url: str) -> Connection:
        parts = urlsplit(url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        return cls(url, reader, writer)

    async def refresh(self) -> None:
        """Reopen if the server may have closed this connection for idling."""
        if self.reader.at_eof() or time.monotonic() - self.last_used > STALE_SECONDS:
            self.close()
            parts = urlsplit(self.url)
            self.reader, self.writer = await asyncio.open_connection(parts.hostname, parts.port)
            await self.get("/_bench/ping", parts.netloc)  # the server has taken it on
        self.last_used = time.monotonic()

    async def send(self, request: bytes) -> tuple[int, bytes]:
        self.last_used = time.monotonic()
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        return status, await self.reader.readexactly(length)

    async def get(self, path: str, host: str) -> object:
        status, body = await self.send(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        if status != 200:
            raise RuntimeError(f"{path}: status {status}")
        return json.loads(body)

    def close(self) -> None:
        self.writer.close()


@dataclass
class Target:
    name: str
    url: str
    control: Connection
    clients: list[Connection]
    client_times: dict[str, list[float]] = field(default_factory=lambda: {"seq": [], "conc": []})
    server_times: dict[str, list[float]] = field(default_factory=lambda: {"seq": [], "conc": []})
    round_p99: list[float] = field(default_factory=list)  # each concurrent round's own p99

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc

    async def idle(self) -> None:
        await self.control.refresh()
        await self.control.get("/_bench/idle", self.host)

    async def ready(self, clients: int) -> None:
        """Idle, and the first `clients` connections fit to use (before the clock starts)."""
        await self.idle()
        for conn in self.clients[:clients]:
            await conn.refresh()

    async def collect_server_times(self, phase: str) -> None:
        await self.control.refresh()
        times = await self.control.get("/_bench/timings", self.host)
        assert isinstance(times, list)
        self.server_times[phase] += times


async def timed_send(conn: Connection, request: bytes) -> float:
    started = time.perf_counter()
    status, _ = await conn.send(request)
    elapsed = time.perf_counter() - started
    if status != 200:
        raise RuntimeError(f"status {status}")
    return elapsed


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(sequential: int, rounds: int, concurrency: int, role: str) -> dict[str, Target]:
    with (
        process("backends") as (sim_url, slack_url),
        process("bot", sim_url, slack_url, role) as (bot_url,),
        process("bare-default", slack_url) as (default_url,),
        process("bare-pbr", slack_url) as (pbr_url,),
    ):
        targets: dict[str, Target] = {}
        for name, url in zip(APPS, (bot_url, default_url, pbr_url), strict=True):
            clients = [await Connection.open(url) for _ in range(concurrency)]
            targets[name] = Target(name, url, await Connection.open(url), clients)
        n = 0

        def next_requests(target: Target, count: int) -> list[bytes]:
            nonlocal n
            n += count
            return [signed_request(n - i, target.host, slack_url) for i in range(count)]

        for target in targets.values():  # warm up: first-request work, connections, caches
            for request in next_requests(target, 5):
                await timed_send(target.clients[0], request)
            await target.idle()
            await target.control.get("/_bench/timings", target.host)

        order = list(targets.values())
        per_turn = max(1, sequential // rounds)
        for r in range(rounds):  # one request at a time
            for target in order[r % 3 :] + order[: r % 3]:
                for request in next_requests(target, per_turn):
                    await target.ready(1)
                    target.client_times["seq"].append(await timed_send(target.clients[0], request))
                await target.collect_server_times("seq")

        for r in range(rounds):  # `concurrency` at once
            for target in order[r % 3 :] + order[: r % 3]:
                requests = next_requests(target, concurrency)
                await target.ready(concurrency)
                times = await asyncio.gather(
                    *(timed_send(c, q) for c, q in zip(target.clients, requests, strict=True))
                )
                target.client_times["conc"] += times
                target.round_p99.append(pct(times, 0.99))
                await target.collect_server_times("conc")
        for target in targets.values():
            for conn in [target.control, *target.clients]:
                conn.close()
        return targets


def report(targets: dict[str, Target], concurrency: int) -> None:
    ms = 1000.0
    for phase, title in (("seq", "one at a time"), ("conc", f"{concurrency} concurrent")):
        print(f"\n{title}: client time (server time), ms")
        print(f"{'app':13s} {'p50':>16s} {'p99':>16s} {'mean':>8s} {'n':>6s}")
        for t in targets.values():
            c, s = t.client_times[phase], t.server_times[phase]
            print(
                f"{t.name:13s} {pct(c, 0.5) * ms:7.2f} ({pct(s, 0.5) * ms:6.2f}) "
                f"{pct(c, 0.99) * ms:7.2f} ({pct(s, 0.99) * ms:6.2f}) "
                f"{statistics.mean(c) * ms:8.2f} {len(c):6d}"
            )
    bot, default = targets["bot"], targets["bare-default"]
    seq50 = pct(bot.client_times["seq"], 0.5)
    speedup = pct(default.client_times["seq"], 0.5) / seq50
    conc99 = pct(bot.client_times["conc"], 0.99) / pct(default.client_times["conc"], 0.99)
    robust99 = statistics.median(bot.round_p99) / statistics.median(default.round_p99)
    print()
    print(f"one at a time: bot p50 {seq50 * ms:.2f} ms (target <= 2 ms: {_met(seq50 <= 0.002)})")
    print(
        f"one at a time: bare default / bot p50 {speedup:.1f}x (target >= 5x: {_met(speedup >= 5)})"
    )
    print(
        f"{concurrency} concurrent: bot p99 / bare default p99 {conc99:.2f}x "
        f"(target <= 0.5x: {_met(conc99 <= 0.5)})"
    )
    pbr = targets["bare-pbr"]
    bot99, pbr99 = pct(bot.client_times["conc"], 0.99), pct(pbr.client_times["conc"], 0.99)
    print(
        f"{concurrency} concurrent: bot p99 {bot99 * ms:.1f} ms / bare process_before_response "
        f"p99 {pbr99 * ms:.1f} ms = {bot99 / pbr99:.2f}x (target <= 1.2x: "
        f"{_met(bot99 <= 1.2 * pbr99)}; under 500 ms: {_met(bot99 < 0.5)}); median of the "
        f"rounds' p99: {statistics.median(bot.round_p99) / statistics.median(pbr.round_p99):.2f}x"
    )
    print(
        f"{concurrency} concurrent, median of each round's p99: "
        + ", ".join(
            f"{t.name} {statistics.median(t.round_p99) * ms:.2f} ms" for t in targets.values()
        )
        + f"; bot / bare default {robust99:.2f}x"
    )


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--sequential", type=int, default=300, help="requests per app, one at a time"
    )
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--text", default="", help="the /recall text (default: an inline recall)")
    parser.add_argument(
        "--role", default="all", choices=["all", "web"], help="the bot's role (web: no poller)"
    )
    args = parser.parse_args()
    global TEXT
    TEXT = args.text
    targets = asyncio.run(run(args.sequential, args.rounds, args.concurrency, args.role))
    print(
        f"/recall with inline text, signed, over loopback: {args.sequential} per app one at a "
        f"time, {args.rounds} rounds x {args.concurrency} concurrent per app; bot role {args.role}"
    )
    report(targets, args.concurrency)


if __name__ == "__main__":
    main()
