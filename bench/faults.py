"""Fault figures (issue: One request, one create, nothing stuck).

    python -m bench.faults motive [--requests 60] [--seed 1]   Motive failing under the bot
    python -m bench.faults slack  [--requests 60] [--seed 1]   Slack failing under the bot
    python -m bench.faults claims [--rounds 5] [--database-url postgresql://…]   requests at once
    python -m bench.faults database [--requests 30] [--outage 30]   the database away mid-run
    python -m bench.faults refusals [--requests 10]   Slack refusing deliveries for good
    (the last three: bench/outages.py)

The real bot (Bolt app, store on SQLite, tracker, delivery) on loopback, against the Motive
simulator and the fake Slack Web API, on a manual clock. Signed `/recall` and `/snapshot` commands
go in one after another; then time jumps forward and every open request is polled until none is
left (bounded). In between:

- `motive`: an httpx transport between the bot's Motive client and the simulator fails a share of
  calls: 5xx before the simulator sees them (500/502/503/504), 5xx after it acted (502/504),
  bursts of 429 with Retry-After, a connect timeout (nothing sent), a read timeout after the
  simulator acted, and a 200 whose body is not JSON.
- `slack`: the fake Slack answers `chat.postMessage`, `chat.update` and
  `files.completeUploadExternal` with 429 (Retry-After: 0) or 500 for a share of calls, and a
  third of those 500s come after it carried the call out (the message posted, the file shared).

Every command is then accounted for: delivered (its result in the thread), reported (a failure or
"outcome unknown" on its anchor, or a private answer), or lost. Duplicate creates are create
bodies that reached the simulator more than once; duplicate thread replies are deliveries whose
block id shows twice in a thread. `tests/tracking/test_faults.py` runs the same with a few requests.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import logging
import random
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.config import Settings
from bot.offline.fakeslack import FakeSlack
from bot.offline.loopback import serve_on_loopback
from bot.offline.retries import quick_slack_retries
from bot.offline.signing import Signer, command_body
from bot.server import build_server
from bot.services import Services, build_services
from bot.slack.app import build_bolt_app
from bot.store.models import DONE, FAILED, UNKNOWN
from motive.client import MotiveClient
from motive.clock import ManualClock
from motive.simulator import SimConfig, Simulator, build_app

SECRET = "faults-signing-secret"
# The share of Motive calls failed each way: 20% 5xx (half before the simulator acts, half
# after), then 429 bursts, timeouts before and after sending, and unreadable 200s.
MOTIVE_FAULTS = (
    ("5xx_before", 0.10),
    ("5xx_after", 0.10),
    ("429_burst", 0.04),
    ("connect_timeout", 0.03),
    ("read_timeout_after", 0.03),
    ("malformed_json", 0.03),
)
# How an anchor says a request ended without media (bot.render.blocks.STATUS_LABELS).
ENDED_WORDS = ("Failed", "Motive refused", "Gave up", "Cancelled at Motive")
SLACK_METHODS = ("chat.postMessage", "chat.update", "files.completeUploadExternal")


class FaultyMotive(httpx.AsyncBaseTransport):
    """Fails calls to Motive each way a network and a proxy can (`MOTIVE_FAULTS`, scaled by
    `scale`); counts what reached the simulator."""

    def __init__(self, rng: random.Random, scale: float) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.rng = rng
        self.scale = scale
        self.burst = 0  # 429s still to come in the current burst
        self.injected: collections.Counter[str] = collections.Counter()
        self.creates: collections.Counter[str] = collections.Counter()  # body -> times it arrived

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.startswith("/v1/"):
            return await self.inner.handle_async_request(request)  # media downloads
        if self.burst:
            self.burst -= 1
            return self._429(request)
        fault, roll = None, self.rng.random()
        for name, share in MOTIVE_FAULTS:
            roll -= share * self.scale
            if roll < 0:
                fault = name
                break
        if fault is not None:
            self.injected[fault] += 1
        if fault == "connect_timeout":
            raise httpx.ConnectTimeout("injected: nothing was sent", request=request)
        if fault == "5xx_before":
            status = self.rng.choice((500, 502, 503, 504))
            return httpx.Response(status, json={"error_message": "injected"}, request=request)
        if fault == "429_burst":
            self.burst = self.rng.randint(1, 4)
            return self._429(request)
        if request.method == "POST":
            self.creates[request.content.decode()] += 1
        response = await self.inner.handle_async_request(request)
        await response.aread()
        await response.aclose()
        if fault == "read_timeout_after":
            raise httpx.ReadTimeout("injected: the answer was lost", request=request)
        if fault == "5xx_after":
            status = self.rng.choice((502, 504))
            return httpx.Response(status, text="<html>Bad gateway</html>", request=request)
        if fault == "malformed_json":
            return httpx.Response(200, content=b'{"id": 8123', request=request)
        return response

    def _429(self, request: httpx.Request) -> httpx.Response:
        self.injected["429"] += 1
        return httpx.Response(
            429,
            headers={"Retry-After": str(self.rng.randint(1, 5))},
            json={"error_message": "Rate limit exceeded."},
            request=request,
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


class FaultySlack(FakeSlack):
    """The fake Slack, answering 429 or 500 to a share of the calls that carry results; some
    500s after doing what was asked (Slack posted, then failed: the bot cannot know)."""

    def __init__(self, rng: random.Random, rate: float, **kw: Any) -> None:
        super().__init__(**kw)
        self.rng = rng
        self.rate = rate
        self.injected: collections.Counter[str] = collections.Counter()

    async def api(self, request: Request) -> Response:
        method = request.path_params["method"]
        if method in SLACK_METHODS and self.rng.random() < self.rate:
            fault = self.rng.choice(("429", "500", "500 after"))
            self.injected[f"{method} {fault}"] += 1
            if fault == "500 after":
                await super().api(request)  # carried out; the answer is the failure
            headers = {"Retry-After": "0"} if fault == "429" else {}
            error = "ratelimited" if fault == "429" else "internal_error"
            status = 429 if fault == "429" else 500
            return JSONResponse({"ok": False, "error": error}, status_code=status, headers=headers)
        return await super().api(request)


@dataclass
class Figures:
    requests: int = 0
    delivered: int = 0
    reported_failed: int = 0
    reported_unknown: int = 0
    answered_privately: int = 0
    lost: list[str] = field(default_factory=list)
    duplicate_creates: int = 0
    duplicate_replies: int = 0
    duplicate_anchors: int = 0  # top-level posts beyond one per request (a retried anchor)
    unhandled_errors: int = 0
    injected: dict[str, int] = field(default_factory=dict)
    # What the privately answered requests were told (the first words of each answer).
    answers: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def line(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["lost"] = len(self.lost)
        return out


class _Errors(logging.Handler):
    """Counts log records carrying a traceback: an error nothing handled."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.count += 1


def commands(n: int) -> list[tuple[str, str]]:
    """Distinct valid requests: recalls of recent minutes and snapshots, on the fleet's trucks."""
    out = []
    for i in range(n):
        if i % 4 == 3:  # one snapshot per truck: a second would (rightly) be pointed to the first
            out.append(("/snapshot", f"TRK-{200 + (i // 4) % 120} front"))
        else:
            out.append(("/recall", f"TRK-{200 + i % 120} {5 + i}m ago 1m"))
    return out


@asynccontextmanager
async def bot(
    db: str,
    clock: ManualClock,
    sim: Simulator,
    slack: FakeSlack,
    transport: Any,
    slack_retry_seconds: float | None = None,
    **settings: Any,
) -> AsyncIterator[tuple[Services, str, str]]:
    """The bot on loopback (`settings`: more of its settings, a policy file say)."""
    async with (
        serve_on_loopback(build_app(sim, tick_seconds=3600)) as sim_url,
        serve_on_loopback(slack.app()) as slack_url,
    ):
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            slack_bot_token="xoxb-faults",
            slack_signing_secret=SECRET,
            slack_api_url=f"{slack_url}/api/",
            motive_api_url=sim_url,
            database_url=db,
            **settings,
        )
        # No client-side bucket: the faults are Motive's own 429s, not ones we would avoid.
        motive = MotiveClient(
            base_url=sim_url,
            clock=clock,
            retry_base_seconds=0.01,
            transport=transport,
            rate_limit=None,
        )
        svc = build_services(settings, role="web", clock=clock, motive=motive)
        if slack_retry_seconds is not None:
            quick_slack_retries(svc.slack, slack_retry_seconds)
        server = build_server(svc, build_bolt_app(svc), role="web")
        async with serve_on_loopback(server) as url:
            yield svc, url, slack_url


async def run(
    kind: str, n: int, seed: int, rate: float = 0.2, slack_retry_seconds: float | None = None
) -> Figures:
    """`rate`: the share of Slack calls failed (`slack`); Motive's mix is `MOTIVE_FAULTS`.
    `slack_retry_seconds`: a short fixed wait between the Slack SDK's retries (see
    bot/offline/retries.py) instead of its backoff and jitter, for the tests."""
    rng = random.Random(seed)
    clock = ManualClock()
    sim = Simulator(
        SimConfig(
            seed=seed,
            rate_limit=(10**9, 1.0),
            quota_minutes={"regular": 10**9, "timelapse": 10**9},
        ),
        clock=clock,
    )
    transport = FaultyMotive(rng, 1.0 if kind == "motive" else 0.0)
    slack: FakeSlack = FaultySlack(rng, rate) if kind == "slack" else FakeSlack()
    errors = _Errors()
    logging.getLogger().addHandler(errors)
    figures = Figures()
    started = time.monotonic()
    db = f"sqlite:///{tempfile.mkdtemp(prefix='bench-faults-')}/bot.db"
    try:
        async with bot(db, clock, sim, slack, transport, slack_retry_seconds) as (
            svc,
            url,
            slack_url,
        ):
            # Each command: its text, the private answers it got, the row it made (if any).
            sent: list[tuple[str, int, int | None]] = []
            known: set[int] = set()
            async with httpx.AsyncClient(timeout=60) as http:
                for i, (command, text) in enumerate(commands(n)):
                    before = len(slack.responses)
                    body = command_body(
                        command,
                        text,
                        response_url=f"{slack_url}/respond/{i}",
                        trigger_id=f"trig-{i}",
                    )
                    headers = Signer(SECRET).headers(body)
                    answer = await http.post(f"{url}/slack/events", content=body, headers=headers)
                    if answer.status_code != 200:
                        figures.lost.append(f"{text}: HTTP {answer.status_code}")
                    await svc.background.wait_idle(120)
                    ids = {r.id for r in await svc.store.all_requests()} - known
                    known |= ids
                    sent.append((text, len(slack.responses) - before, min(ids, default=None)))
                    if not ids:
                        for said in slack.responses[before:]:
                            words = " ".join(str(said.get("text", "")).split()[:7])
                            figures.answers[words] = figures.answers.get(words, 0) + 1
            # Follow everything to its end: jump the clock, poll what is open, again.
            for _ in range(60):
                open_rows = [r for r in await svc.store.in_flight() if r.state != "creating"]
                if not open_rows:
                    break
                clock.advance(15 * 60)
                for row in open_rows:
                    await svc.tracker.poll(row.id)
                await svc.background.wait_idle(120)
            _tally(figures, sent, await svc.store.all_requests(), slack, transport)
            await svc.stop()
    finally:
        logging.getLogger().removeHandler(errors)
    figures.unhandled_errors = errors.count
    injected = transport.injected if kind == "motive" else getattr(slack, "injected", {})
    figures.injected = dict(sorted(injected.items()))
    figures.seconds = round(time.monotonic() - started, 1)
    return figures


def _tally(
    figures: Figures,
    sent: list[tuple[str, int, int | None]],
    rows: Any,
    slack: FakeSlack,
    transport: FaultyMotive,
) -> None:
    figures.requests = len(sent)
    by_id = {r.id: r for r in rows}
    for text, answers, row_id in sent:
        row = by_id.get(row_id) if row_id is not None else None
        if row is None:
            if answers:
                figures.answered_privately += 1
            else:
                figures.lost.append(f"{text}: no row and no answer")
            continue
        thread = slack.thread(row.channel, row.anchor_ts or "")
        anchor = slack.message(row.channel, row.anchor_ts or "")
        shown = json.dumps(anchor.blocks) if anchor is not None else ""
        markers = [
            b.get("block_id")
            for m in thread
            for b in m.blocks
            if str(b.get("block_id", "")).startswith("delivery-")
        ]
        files = [f["id"] for m in thread for f in m.files]
        figures.duplicate_replies += len(markers) - len(set(markers))
        figures.duplicate_replies += len(files) - len(set(files))
        if row.state == DONE and (markers or files):
            figures.delivered += 1
        elif row.state == FAILED and (thread or any(w in shown for w in ENDED_WORDS)):
            figures.reported_failed += 1
        elif row.state == UNKNOWN and "Motive dashboard" in shown:
            figures.reported_unknown += 1
        else:
            figures.lost.append(f"{text}: {row.state}, {row.last_error}")
    figures.duplicate_creates = sum(c - 1 for c in transport.creates.values() if c > 1)
    anchors = {(r.channel, r.anchor_ts) for r in rows if r.anchor_ts}
    places = {r.channel for r in rows}
    posted = [m for m in slack.messages if m.thread_ts is None and m.channel in places]
    figures.duplicate_anchors = len(posted) - len(anchors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=("motive", "slack", "claims", "database", "refusals"))
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate", type=float, default=0.2, help="slack: share of calls failed")
    parser.add_argument(
        "--database-url", help="claims: a PostgreSQL database to run on (default: SQLite)"
    )
    parser.add_argument("--rounds", type=int, default=5, help="claims: rounds of each case")
    parser.add_argument("--outage", type=float, default=30.0, help="database: seconds away")
    parser.add_argument(
        "--port", type=int, default=0, help="database: its own server's port (default: a free one)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    if args.kind in ("claims", "database", "refusals"):
        from bench import outages

        if args.kind == "claims":
            found: Any = asyncio.run(outages.claims(args.database_url, args.rounds))
        elif args.kind == "database":
            found = asyncio.run(outages.database(args.requests, args.outage, args.port))
        else:
            found = asyncio.run(outages.refusals(args.requests))
        print(outages.report(found))
        return
    figures = asyncio.run(run(args.kind, args.requests, args.seed, args.rate))
    print(json.dumps(figures.line(), indent=2))


if __name__ == "__main__":
    main()
