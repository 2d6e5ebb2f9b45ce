"""Cold start of `motive-bot serve`: from exec to the first `/healthz` 200, and the first request.

    python -m bench.cold_start [--runs 9]

`--baseline DIR` starts another checkout in turn with this one (same machine, same moment).

Each run starts a fresh `python -m bot.cli serve` (HTTP mode, role all) against
the Motive simulator and the fake Slack Web API (started once, in their own process), polls
`/healthz` every 2 ms on a persistent connection until it answers 200, then sends one signed
`/recall help` and times its ack, then a second one: a first request much slower than the
second would mean start-up cost had only been moved onto it. Figures are medians over the runs.

By default every run restarts on the same SQLite file (created by an uncounted first run), as a
restarted or added replica finds its database; `--fresh-db` gives each run a new file (the
schema is created during start-up).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from bench.ack_latency import process

SECRET = "cold-start-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def http(sock: socket.socket, request: bytes) -> tuple[int, bytes]:
    sock.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    while len(rest) < length:
        rest += sock.recv(65536)
    return int(head.split(b" ", 2)[1]), rest


def command(port: int, slack_url: str, n: int) -> bytes:
    body = urlencode(
        {
            "command": "/recall",
            "text": "help",
            "user_id": "U0DISPATCH",
            "channel_id": "C0DISPATCH",
            "team_id": "T0FLEET",
            "response_url": f"{slack_url}/respond/cold{n}",
            "trigger_id": f"cold{n}",
        }
    ).encode()
    ts = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
    head = (
        f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"X-Slack-Request-Timestamp: {ts}\r\nX-Slack-Signature: {signature}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def one_run(
    sim_url: str, slack_url: str, n: int, db: str, tree: str | None = None
) -> tuple[float, float, float]:
    """One start of `motive-bot serve`, from this checkout or from the one at `tree`."""
    port = free_port()
    env = {
        **os.environ,
        **({"PYTHONPATH": tree} if tree else {}),
        "SLACK_BOT_TOKEN": "xoxb-cold",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": f"{slack_url}/api/",
        "MOTIVE_API_URL": sim_url,
        "DATABASE_URL": f"sqlite:///{db}/bot.db",
        "PORT": str(port),
    }
    env.pop("SLACK_APP_TOKEN", None)
    health = f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1"],
        env=env,
        cwd=tree,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        sock: socket.socket | None = None
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"motive-bot serve exited with {proc.returncode}")
            try:
                if sock is None:
                    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
                status, _ = http(sock, health)
                if status == 200:
                    break
            except OSError:
                if sock is not None:
                    sock.close()
                sock = None
            time.sleep(0.002)
        ready = time.perf_counter() - started
        acks = []
        for i in range(2):
            request = command(port, slack_url, n * 2 + i)
            t0 = time.perf_counter()
            status, _ = http(sock, request)
            acks.append(time.perf_counter() - t0)
            if status != 200:
                raise RuntimeError(f"/recall help: status {status}")
            time.sleep(0.2)  # let the first one's reply go out before the second
        sock.close()
        return ready, acks[0], acks[1]
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--fresh-db", action="store_true", help="a new SQLite file for each run")
    parser.add_argument(
        "--baseline",
        metavar="DIR",
        help="another checkout (e.g. `git worktree add /tmp/base main`), started in turn with "
        "this one, so that both see the same machine",
    )
    args = parser.parse_args()
    trees: dict[str, str | None] = {"this": None}
    if args.baseline:
        trees["baseline"] = os.path.abspath(args.baseline)
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in trees}
    with process("backends") as (sim_url, slack_url):
        dbs = {name: tempfile.mkdtemp(prefix="bench-cold-") for name in trees}
        if not args.fresh_db:
            for name, tree in trees.items():  # creates the schema; not counted
                one_run(sim_url, slack_url, args.runs, dbs[name], tree)
        for n in range(args.runs):
            for name, tree in trees.items():
                if args.fresh_db:
                    dbs[name] = tempfile.mkdtemp(prefix="bench-cold-")
                r, f, s = one_run(sim_url, slack_url, n, dbs[name], tree)
                results[name].append((r, f, s))
                print(
                    f"{name} run {n + 1}: ready {r:.3f} s, first ack {f * 1000:.1f} ms, "
                    f"second {s * 1000:.1f} ms"
                )
    med = statistics.median
    for name, runs in results.items():
        ready = [r for r, _, _ in runs]
        print(
            f"{name}: median of {args.runs}: exec -> /healthz 200 {med(ready):.3f} s "
            f"(min {min(ready):.3f}, max {max(ready):.3f}); "
            f"first ack {med(f for _, f, _ in runs) * 1000:.1f} ms, "
            f"second {med(s for _, _, s in runs) * 1000:.1f} ms"
        )
    ours = med(r for r, _, _ in results["this"])
    print(f"target <= 1 s: {'met' if ours <= 1.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
