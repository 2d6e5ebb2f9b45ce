"""Peak memory of the bot while it is sent a huge body, on each route; /healthz meanwhile.

    python -m bench.big_bodies [--megabytes 64]

Starts `motive-bot serve` (HTTP, SQLite, the fake Slack and the Motive simulator on loopback) in
a process of its own, then, for /slack/events and /motive/webhooks, with the length declared
(Content-Length) and streamed in chunks (Transfer-Encoding: chunked), sends `--megabytes` of
zeros, as fast as the server takes them, and reports: the status it answered, the time to it, the
bytes the client got to send before the answer, the growth of the server's peak resident memory
(VmHWM, reset before each send through /proc/PID/clear_refs) and /healthz right after.
Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from bot.offline.stack import Backends

CHUNK = 64 * 1024


@dataclass
class Sent:
    status: int | None  # None: the server closed without answering
    seconds: float
    bytes_sent: int


async def post_zeros(
    url: str, path: str, total: int, *, chunked: bool, pause_after: int | None = None
) -> Sent:
    """POST `total` zero bytes to `url` + `path` on a raw HTTP/1.1 connection, stopping as soon
    as the server answers (an HTTP client library would write the whole body first).

    `pause_after`: write no more than that many bytes of the body, then wait for the answer. A
    server that closes with part of a body unread resets the connection, and the reset can
    overtake its answer; a test that must see the answer sends no more than the server reads."""
    parts = urlsplit(url)
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}"
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\n{framing}\r\n\r\n".encode()
    )
    answer = asyncio.ensure_future(reader.readline())
    block, sent = b"0" * CHUNK, 0
    try:
        limit = total if pause_after is None else min(total, pause_after)
        while sent < limit and not answer.done():
            n = min(CHUNK, limit - sent)
            writer.write(f"{n:x}\r\n".encode() + block[:n] + b"\r\n" if chunked else block[:n])
            await writer.drain()
            sent += n
        if chunked and sent == total and not answer.done():
            writer.write(b"0\r\n\r\n")
            await writer.drain()
    except OSError:
        pass  # the server answered and closed while we were still writing
    try:
        line = await asyncio.wait_for(answer, 60)
    except (OSError, TimeoutError):
        line = b""
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    fields = line.split()
    status = int(fields[1]) if len(fields) >= 2 and fields[1].isdigit() else None
    return Sent(status, time.perf_counter() - started, sent)


def peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # 5: reset the peak resident set size


@dataclass
class ServedBot:
    url: str
    pid: int
    backends: Backends  # the simulator and the fake Slack it talks to, in this process


@contextlib.asynccontextmanager
async def serving_bot() -> AsyncIterator[ServedBot]:
    """`motive-bot serve` in a process of its own, against the simulator and the fake Slack."""
    from bench.cold_start import free_port
    from bot.offline.stack import serve_backends

    async with serve_backends() as backends:
        port = free_port()
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, **backends.serve_env(f"sqlite:///{tmp}/bot.db", port=port)}
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", env=env
            )
            url = f"http://127.0.0.1:{port}"
            try:
                async with httpx.AsyncClient() as http:
                    for _ in range(600):
                        with contextlib.suppress(httpx.TransportError):
                            if (await http.get(f"{url}/healthz")).status_code == 200:
                                break
                        await asyncio.sleep(0.1)
                    else:
                        raise RuntimeError("the bot did not start")
                yield ServedBot(url, proc.pid, backends)
            finally:
                proc.terminate()
                await asyncio.wait_for(proc.wait(), 30)


async def main(megabytes: int) -> None:
    total = megabytes * 1024 * 1024
    async with serving_bot() as bot, httpx.AsyncClient() as http:
        url, pid = bot.url, bot.pid
        print(f"{megabytes} MB of zeros to each route; the bot's peak RSS growth (VmHWM)")
        print(
            f"{'route':<18}{'framing':<10}{'status':>7}{'seconds':>9}{'client sent':>13}"
            f"{'peak growth':>13}{'healthz':>9}"
        )
        for path in ("/slack/events", "/motive/webhooks"):
            for chunked in (False, True):
                await asyncio.sleep(0.5)  # let the previous request's work settle
                reset_peak(pid)
                base = peak_kib(pid)
                sent = await post_zeros(url, path, total, chunked=chunked)
                grown = peak_kib(pid) - base
                health = (await http.get(f"{url}/healthz")).status_code
                print(
                    f"{path:<18}{'chunked' if chunked else 'length':<10}{sent.status!s:>7}"
                    f"{sent.seconds:>9.3f}{sent.bytes_sent / 1048576:>10.1f} MB"
                    f"{grown / 1024:>10.1f} MB{health:>9}"
                )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=64)
    asyncio.run(main(parser.parse_args().megabytes))
