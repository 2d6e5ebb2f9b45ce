"""Fault figures for issue 23 (quota spent once, the truth told, nothing stuck), run through
`python -m bench.faults claims|database|refusals`:

- `claims`: pairs of overlapping recalls (same truck and cameras, windows a minute apart) sent
  at the same instant, several trucks at once, then bursts of four 2-minute recalls by one person
  under a 6-minute daily limit; on SQLite, or on PostgreSQL with `--database-url`.
- `database`: the bot on a PostgreSQL server of its own (initdb and pg_ctl under a temporary
  directory, loopback only, another port), commands sent one after another; right after Motive
  answers one create the server is stopped for `--outage` seconds (30), commands keep coming,
  then it is started again and every request is followed to its end.
- `refusals`: requests whose channel Slack then refuses for good (archived, the bot removed from
  a private channel, a public channel it may not join) while their media is being made.

The real bot (Bolt app, store, tracker, delivery) on loopback against the Motive simulator and
the fake Slack Web API, as the other kinds of `bench.faults`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.faults import SECRET, bot
from bot.offline.fakeslack import Channel, FakeSlack
from bot.offline.signing import Signer, command_body
from bot.store.models import DONE, FAILED
from motive.clock import ManualClock
from motive.simulator import SimConfig, Simulator
from motive.simulator.state import Fault


class Sender:
    """Signed slash commands into the bot, as Slack sends them."""

    def __init__(self, http: httpx.AsyncClient, url: str, slack_url: str) -> None:
        self.http, self.url, self.slack_url = http, url, slack_url
        self.n = 0

    async def command(
        self, command: str, text: str, user: str = "U0DISPATCH", channel: str = "C0DISPATCH"
    ) -> int:
        self.n += 1
        body = command_body(
            command,
            text,
            response_url=f"{self.slack_url}/respond/{self.n}",
            trigger_id=f"trig-{self.n}",
            user=user,
            channel=channel,
        )
        headers = Signer(SECRET).headers(body)
        answer = await self.http.post(f"{self.url}/slack/events", content=body, headers=headers)
        return answer.status_code


def said(slack: FakeSlack, words: str) -> int:
    """Private answers holding `words`."""
    return sum(words in str(r.get("text", "")) for r in slack.responses)


# --- claims ----------------------------------------------------------------------------------


@dataclass
class ClaimFigures:
    database: str = ""
    pairs: int = 0
    pair_creates: int = 0
    pairs_pointed: int = 0
    bursts: int = 0
    burst_recalls: int = 0
    burst_creates_most: int = 0
    burst_creates: int = 0
    told_limit: int = 0
    snapshot_all_pairs: int = 0
    snapshot_all_anchors: int = 0
    stuck_anchors: int = 0
    went_wrong: int = 0
    seconds: float = 0.0


async def claims(database_url: str | None, rounds: int = 5) -> ClaimFigures:
    figures = ClaimFigures(database="postgresql" if database_url else "sqlite")
    started = time.monotonic()
    clock = ManualClock()
    sim = Simulator(
        SimConfig(rate_limit=(10**9, 1.0), quota_minutes={"regular": 10**9}), clock=clock
    )
    slack = FakeSlack()
    tmp = Path(tempfile.mkdtemp(prefix="bench-claims-"))
    policy = tmp / "policy.toml"
    policy.write_text("[limits]\ndaily_recall_minutes_per_user = 6\n")
    db = database_url or f"sqlite:///{tmp}/bot.db"
    async with (
        bot(db, clock, sim, slack, None, policy_file=policy) as (svc, url, slack_url),
        httpx.AsyncClient(timeout=60) as http,
    ):
        send = Sender(http, url, slack_url)
        # Pairs: five trucks at once, each asked for twice with overlapping windows.
        for r in range(rounds):
            before = sim.stats.recalls_created
            sends = []
            for t in range(5):
                truck = f"TRK-{200 + 5 * r + t}"
                sends.append(send.command("/recall", f"{truck} 30m ago 3m front", f"U0A{r}{t}"))
                sends.append(send.command("/recall", f"{truck} 29m ago 2m front", f"U0B{r}{t}"))
            await asyncio.gather(*sends)
            await svc.background.wait_idle(120)
            figures.pairs += 5
            figures.pair_creates += sim.stats.recalls_created - before
        figures.pairs_pointed = said(slack, "already")
        # Bursts: four 2-minute recalls of four trucks by one person at once, 6 minutes a day.
        for r in range(rounds):
            before = sim.stats.recalls_created
            user = f"U0LIMIT{r}"
            sends = [
                send.command("/recall", f"TRK-{260 + 4 * r + t} 40m ago 2m", user) for t in range(4)
            ]
            await asyncio.gather(*sends)
            await svc.background.wait_idle(120)
            made = sim.stats.recalls_created - before
            figures.bursts += 1
            figures.burst_recalls += 4
            figures.burst_creates += made
            figures.burst_creates_most = max(figures.burst_creates_most, made)
        figures.told_limit = said(slack, "recall minutes left")
        # Two identical `/snapshot … all` at once, on several trucks.
        anchors_before = len([m for m in slack.messages if m.thread_ts is None])
        for r in range(rounds):
            truck = f"TRK-{290 + r}"
            await asyncio.gather(
                send.command("/snapshot", f"{truck} all", "U0SNAP1"),
                send.command("/snapshot", f"{truck} all", "U0SNAP2"),
            )
            await svc.background.wait_idle(120)
            figures.snapshot_all_pairs += 1
        anchors = [m for m in slack.messages if m.thread_ts is None]
        figures.snapshot_all_anchors = len(anchors) - anchors_before
        figures.stuck_anchors = sum("Asking Motive" in m.text for m in anchors)
        figures.went_wrong = said(slack, "went wrong")
        await svc.stop()
    shutil.rmtree(tmp, ignore_errors=True)
    figures.seconds = round(time.monotonic() - started, 1)
    return figures


# --- the database going away ------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not found:
        raise SystemExit("no PostgreSQL server binaries under /usr/lib/postgresql")
    return found[-1].parent


class OwnPostgres:
    """A PostgreSQL server of the benchmark's own: a fresh cluster in a temporary directory,
    listening on 127.0.0.1 only, on a port of its own; run as the postgres user when root."""

    def __init__(self, port: int) -> None:
        self.port = port or _free_port()
        self.bin = _pg_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="bench-pg-"))
        self.data = self.dir / "data"

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        done = subprocess.run([*prefix, *args], capture_output=True, text=True)
        if done.returncode:
            log = self.dir / "server.log"
            said = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{args[0]} failed: {done.stderr}{done.stdout}{said}")

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir}"
        log = str(self.dir / "server.log")
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", log, "-w", "start"
        )

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def remove(self) -> None:
        with contextlib.suppress(RuntimeError):  # already stopped
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def own_postgres(port: int) -> Iterator[OwnPostgres]:
    pg = OwnPostgres(port)
    pg.init()
    pg.start()
    try:
        yield pg
    finally:
        pg.remove()


@dataclass
class OutageFigures:
    requests: int = 0
    outage_seconds: float = 0.0
    creates_answered_during_outage: int = 0
    asked_during_outage: int = 0
    delivered: int = 0
    reported_failed: int = 0
    answered_privately: int = 0
    told_nothing_requested_after_a_create: int = 0
    lost: list[str] = field(default_factory=list)
    duplicate_creates: int = 0
    seconds: float = 0.0

    def line(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["lost"] = len(self.lost)
        return out


async def database(n: int, outage: float, port: int) -> OutageFigures:
    figures = OutageFigures(requests=n, outage_seconds=outage)
    started = time.monotonic()
    clock = ManualClock()
    sim = Simulator(
        SimConfig(rate_limit=(10**9, 1.0), quota_minutes={"regular": 10**9}), clock=clock
    )
    slack = FakeSlack()
    trucks: dict[str, str] = {}  # each command's response_url key -> its truck (one each)
    with own_postgres(port) as pg:
        async with (
            bot(pg.url, clock, sim, slack, None) as (svc, url, slack_url),
            httpx.AsyncClient(timeout=120) as http,
        ):
            send = Sender(http, url, slack_url)

            async def recall(truck: str) -> None:
                trucks[str(send.n + 1)] = truck
                await send.command("/recall", f"{truck} 30m ago 1m")

            cut_at = n // 3
            for i in range(n):
                if i != cut_at:
                    await recall(f"TRK-{200 + i}")
                    await svc.background.wait_idle(180)
                    continue
                # This create takes a moment; the database stops while Motive makes it.
                sim.faults.append(
                    Fault(method="POST", path_prefix="/v1/video_recall_requests", delay=0.5)
                )
                before = sim.stats.requests["recalls.create"]
                await recall(f"TRK-{200 + i}")
                while sim.stats.requests["recalls.create"] <= before:  # noqa: ASYNC110
                    await asyncio.sleep(0.01)  # the simulator has no event to wait on
                await asyncio.to_thread(pg.stop)
                down = time.monotonic()
                figures.creates_answered_during_outage += 1
                # Commands keep coming while it is away: each is answered as it can be.
                for j in range(3):
                    figures.asked_during_outage += 1
                    await recall(f"TRK-{300 + j}")
                await asyncio.sleep(max(0.0, outage - (time.monotonic() - down)))
                await asyncio.to_thread(pg.start)
                await svc.background.wait_idle(180)
            for _ in range(30):
                open_rows = [r for r in await svc.store.in_flight() if r.state != "creating"]
                if not open_rows:
                    break
                clock.advance(15 * 60)
                for row in open_rows:
                    await svc.tracker.poll(row.id)
                await svc.background.wait_idle(120)
            rows = await svc.store.all_requests()
            made = [r.request.target.name for r in sim.recalls.values()]
            _tally_outage(figures, rows, slack, trucks, made)
            await svc.stop()
    figures.seconds = round(time.monotonic() - started, 1)
    return figures


def _tally_outage(
    figures: OutageFigures,
    rows: Any,
    slack: FakeSlack,
    trucks: dict[str, str],
    made: list[str],
) -> None:
    figures.requests = len(trucks)
    by_truck = {r.target_name: r for r in rows}
    told: dict[str, list[str]] = collections.defaultdict(list)
    for r in slack.responses:
        told[str(r.get("_key"))].append(str(r.get("text", "")))
    for key, truck in trucks.items():
        row = by_truck.get(truck)
        if truck in made and any("nothing was requested" in t for t in told[key]):
            figures.told_nothing_requested_after_a_create += 1
        if row is None:
            if truck in made:
                figures.lost.append(f"{truck}: Motive made it, no row")
            elif told[key]:
                figures.answered_privately += 1
            else:
                figures.lost.append(f"{truck}: no row and no answer")
        elif row.state == DONE and slack.thread(row.channel, row.anchor_ts or ""):
            figures.delivered += 1
        elif row.state == FAILED:
            figures.reported_failed += 1
        else:
            figures.lost.append(f"{truck}: {row.state}, {row.last_error}")
    figures.duplicate_creates = len(made) - len(set(made))


# --- permanent refusals -----------------------------------------------------------------------


@dataclass
class RefusalFigures:
    requests: int = 0
    refused_for_good: int = 0
    ended: int = 0
    told_by_dm: int = 0
    audit_rows: int = 0
    motive_gets_after_refusal: int = 0
    posts_after_refusal: int = 0
    delivered_elsewhere: int = 0
    still_open: int = 0
    seconds: float = 0.0


async def refusals(n: int) -> RefusalFigures:
    """`n` snapshots in each of four channels: one is archived, the bot is removed from a
    private one and from a public one it may not rejoin (its join refused), one stays fine."""
    figures = RefusalFigures()
    started = time.monotonic()
    clock = ManualClock()
    sim = Simulator(SimConfig(rate_limit=(10**9, 1.0)), clock=clock)
    slack = FakeSlack()
    for cid, name, private in (
        ("C0ARCHIVED", "old-dispatch", False),
        ("G0REMOVED", "safety", True),
        ("C0NOJOIN", "yard-2", False),
    ):
        slack.channels[cid] = Channel(cid, name, private=private)
    channels = ("C0DISPATCH", "C0ARCHIVED", "G0REMOVED", "C0NOJOIN")
    tmp = Path(tempfile.mkdtemp(prefix="bench-refusals-"))
    async with (
        bot(f"sqlite:///{tmp}/bot.db", clock, sim, slack, None) as (svc, url, slack_url),
        httpx.AsyncClient(timeout=60) as http,
    ):
        send = Sender(http, url, slack_url)
        for i in range(n):
            for c, channel in enumerate(channels):
                await send.command("/snapshot", f"TRK-{200 + 4 * i + c} front", channel=channel)
        await svc.background.wait_idle(120)
        figures.requests = n * len(channels)
        # While the images are being made, Slack's side changes.
        slack.channels["C0ARCHIVED"].archived = True
        slack.channels["G0REMOVED"].bot_member = False
        slack.channels["C0NOJOIN"].bot_member = False
        slack.fail_next("conversations.join", 403, count=100)  # may not join
        figures.refused_for_good = 3 * n
        clock.advance(5 * 60)
        for row in await svc.store.in_flight():
            await svc.tracker.poll(row.id)
        await svc.background.wait_idle(120)
        gets = sum(c for name, c in sim.stats.requests.items() if name.endswith("retrieve"))
        posts = len(slack.called("chat.postMessage")) + len(
            slack.called("files.completeUploadExternal")
        )
        # Hours later: nothing is tried again.
        for _ in range(8):
            clock.advance(30 * 60)
            for row in await svc.store.in_flight():
                await svc.tracker.poll(row.id)
            await svc.background.wait_idle(120)
        figures.motive_gets_after_refusal = (
            sum(c for name, c in sim.stats.requests.items() if name.endswith("retrieve")) - gets
        )
        figures.posts_after_refusal = (
            len(slack.called("chat.postMessage"))
            + len(slack.called("files.completeUploadExternal"))
            - posts
        )
        rows = await svc.store.all_requests()
        refused = [r for r in rows if r.state == FAILED and "Slack refused" in (r.last_error or "")]
        figures.ended = len(refused)
        figures.delivered_elsewhere = sum(r.state == DONE for r in rows)
        figures.still_open = sum(r.finished_at is None for r in rows)
        figures.told_by_dm = sum(
            m.channel.startswith("D") and "could not deliver" in m.text for m in slack.messages
        )
        entries = await svc.privacy.audit.entries()
        figures.audit_rows = sum("refused by Slack" in e.outcome for e in entries)
        await svc.stop()
    shutil.rmtree(tmp, ignore_errors=True)
    figures.seconds = round(time.monotonic() - started, 1)
    return figures


def report(figures: Any) -> str:
    line = figures.line() if hasattr(figures, "line") else dict(figures.__dict__)
    return json.dumps(line, indent=2)
