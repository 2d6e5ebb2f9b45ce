"""Guards a one-line bug must trip, end to end through signed Slack requests, the simulator and the
HTTP routes. Each test names the bug it was seen to catch (planted, run, reverted: TESTING.md)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import asyncpg
import httpx
import pytest
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.logs import setup_logging
from bot.offline.fakeslack import BOT_USER
from bot.offline.signing import command_body
from bot.slack.app import build_bolt_app
from bot.slack.ingress.socket_mode import SocketModeHandler
from bot.store.models import DONE, FAILED, TRACKING, TrackedRequest
from motive.clock import ManualClock
from motive.simulator import Fault
from motive.webhooks import SIGNATURE_HEADER, sign
from tests.support.stack import PG_URL, WEBHOOK_SECRET, Stack, running_stack, wait_for


async def ask(stack: Stack, command: str, text: str, **kw: Any) -> TrackedRequest:
    """Send a command, let the post-ack work finish, return the request it started tracking."""
    before = {r.id for r in await stack.svc.store.all_requests()}
    await stack.command(command, text, **kw)
    await stack.settle()
    rows = await stack.svc.store.all_requests()
    [row] = [r for r in rows if r.id not in before and r.state == TRACKING] or [stack.responses()]
    assert isinstance(row, TrackedRequest), row
    return row


async def row_now(stack: Stack, row: TrackedRequest) -> TrackedRequest:
    found = await stack.svc.store.get(row.id)
    assert found is not None
    return found


def replies(stack: Stack, row: TrackedRequest) -> list[Any]:
    return stack.thread(row.channel, row.anchor_ts)


def anchor_text(stack: Stack, row: TrackedRequest) -> str:
    return stack.anchor_text(row.channel, row.anchor_ts)


async def post_webhook(
    stack: Stack, payload: Any, *, secret: str | None = WEBHOOK_SECRET, signature: str | None = None
) -> httpx.Response:
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    if signature is None and secret is not None:
        signature = sign(body, secret)
    if signature is not None:
        headers[SIGNATURE_HEADER] = signature
    return await stack.http.post(f"{stack.url}/motive/webhooks", content=body, headers=headers)


def completed(row: TrackedRequest) -> dict[str, Any]:
    return {"action": "video_recall_request_completed", "id": row.motive_id}


# --- the webhook receiver ---------------------------------------------------------------------
# Planted: accept every webhook when MOTIVE_WEBHOOK_SECRET is unset; compare signatures with
# startswith instead of compare_digest.


async def test_without_a_webhook_secret_every_webhook_is_refused(stack: Stack) -> None:
    row = await ask(stack, "/recall", "TRK-101 40m ago 1m")
    stack.clock.advance(20 * 60)  # Motive has the footage: a fetch now would deliver it
    gets = stack.sim.recalls[row.motive_id or ""].gets
    stack.svc.settings.motive_webhook_secret = None  # as if the variable were not set
    for attempt in (
        await post_webhook(stack, completed(row)),
        await post_webhook(stack, completed(row), secret=None),
        await post_webhook(stack, {"action": "test"}, secret=None),
        await post_webhook(stack, completed(row), signature=""),
    ):
        assert attempt.status_code == 403, attempt.text
    await stack.settle()
    assert stack.sim.recalls[row.motive_id or ""].gets == gets
    assert replies(stack, row) == [] and (await row_now(stack, row)).state == TRACKING


async def test_only_the_whole_signature_is_accepted(stack: Stack) -> None:
    row = await ask(stack, "/recall", "TRK-101 40m ago 1m")
    stack.clock.advance(20 * 60)
    body = json.dumps(completed(row)).encode()
    good = sign(body, WEBHOOK_SECRET)
    other = "0" if good[-1] != "0" else "1"
    forged = [good[:1], good[:20], good[:-1], good + "0", good[1:], good[:-1] + other, "-"]
    for signature in forged:
        r = await stack.http.post(
            f"{stack.url}/motive/webhooks", content=body, headers={SIGNATURE_HEADER: signature}
        )
        assert r.status_code == 403, signature
    await stack.settle()
    assert replies(stack, row) == []
    # The same body with its whole signature (any case) goes through and delivers.
    r = await stack.http.post(
        f"{stack.url}/motive/webhooks", content=body, headers={SIGNATURE_HEADER: good.upper()}
    )
    assert r.status_code == 200
    await stack.settle()
    [reply] = replies(stack, row)
    assert "Footage is ready" in reply.text


async def test_webhook_test_action_wrong_secret_and_bad_bodies(stack: Stack) -> None:
    assert (await post_webhook(stack, {"action": "test"})).status_code == 200
    wrong = await post_webhook(stack, {"action": "test"}, secret="another-secret-000000")
    unsigned = await post_webhook(stack, {"action": "test"}, secret=None)
    assert (wrong.status_code, unsigned.status_code) == (403, 403)
    body = b"not json"
    r = await stack.http.post(
        f"{stack.url}/motive/webhooks",
        content=body,
        headers={SIGNATURE_HEADER: sign(body, WEBHOOK_SECRET)},
    )
    assert r.status_code == 400 and "not JSON" in r.text
    await stack.settle()
    assert stack.slack.messages == [] and stack.motive_calls() == {}


async def test_unknown_webhook_ids_leave_requests_in_flight_alone(stack: Stack) -> None:
    row = await ask(stack, "/recall", "TRK-101 40m ago 1m")
    snap = await ask(stack, "/snapshot", "TRK-101 front")
    stack.clock.advance(20 * 60)  # both are finished at Motive: any fetch would deliver
    recall_gets = stack.sim.recalls[row.motive_id or ""].gets
    capture_gets = stack.sim.captures[snap.motive_id or ""].gets
    unknown = str(max(int(row.motive_id or 0), int(snap.motive_id or 0)) + 1000)
    for payload in (
        {"action": "video_recall_request_completed", "id": unknown},
        {"action": "video_recall_request_updated", "video_recall_request": {"id": unknown}},
        {"action": "image_capture_completed", "request_id": unknown},
        # Real ids under the other kind: a recall id is not a capture id, nor the reverse.
        {"action": "image_capture_completed", "request_id": row.motive_id},
        {"action": "video_recall_request_completed", "id": snap.motive_id},
        {"action": "vehicle_location_updated", "id": row.motive_id},
    ):
        assert (await post_webhook(stack, payload)).status_code == 200
    await stack.settle()
    assert stack.sim.recalls[row.motive_id or ""].gets == recall_gets
    assert stack.sim.captures[snap.motive_id or ""].gets == capture_gets
    assert replies(stack, row) == [] and replies(stack, snap) == []
    assert [r.state for r in await stack.svc.store.all_requests()] == [TRACKING, TRACKING]
    # The same route does touch a request it knows: the recall's own id delivers it.
    assert (await post_webhook(stack, completed(row))).status_code == 200
    await stack.settle()
    assert stack.sim.recalls[row.motive_id or ""].gets == recall_gets + 1
    assert len(replies(stack, row)) == 1 and replies(stack, snap) == []


async def test_snapshot_completion_webhook_uploads_the_image_into_the_thread(stack: Stack) -> None:
    row = await ask(stack, "/snapshot", 'asset:"Reefer 12" rear')
    stack.clock.advance(90)  # the capture is done at Motive; this stack runs no poller
    assert replies(stack, row) == []
    r = await post_webhook(
        stack, {"action": "image_capture_completed", "request_id": int(row.motive_id or 0)}
    )
    assert r.status_code == 200
    await stack.settle()
    [reply] = replies(stack, row)
    assert reply.thread_ts == row.anchor_ts and reply.files
    [upload] = stack.slack.uploads.values()
    assert upload["data"][:3] == b"\xff\xd8\xff" and upload["filename"].endswith(".jpg")
    assert stack.sim.captures[row.motive_id or ""].gets == 1
    done = await row_now(stack, row)
    assert done.state == DONE and done.motive_status == "success"
    [delivery] = await stack.svc.store.deliveries(row.id)
    assert (delivery.key, delivery.status) == ("image", "posted")


# --- polling ------------------------------------------------------------------------------------


async def test_a_poll_answered_404_ends_the_request_and_says_why(stack: Stack) -> None:
    row = await ask(stack, "/recall", "TRK-101 40m ago 1m")
    stack.sim.faults.append(
        Fault(status=404, method="GET", path_prefix=f"/v1/video_recall_requests/{row.motive_id}")
    )
    stack.clock.advance(4 * 60)
    await stack.poll_all()
    [reply] = replies(stack, row)
    assert "Motive no longer knows this request" in reply.text
    # Marked, so that a restart finds it in the thread instead of posting it again.
    assert reply.blocks[0]["block_id"] == f"delivery-{row.id}-final"
    ended = await row_now(stack, row)
    assert ended.state == FAILED and ended.next_poll_at is None
    assert "Failed" in anchor_text(stack, row)
    # Ended means ended: nothing is polled or posted again.
    assert await stack.svc.store.in_flight() == []
    await stack.poll_all()
    assert len(replies(stack, row)) == 1


@pytest.mark.parametrize(
    "retry_after",
    [42, 120],
    ids=["inside_the_backoff_jitter_band", "beyond_the_clients_own_retries"],
)
async def test_retry_after_sets_the_next_poll_exactly(stack: Stack, retry_after: int) -> None:
    row = await ask(stack, "/recall", "TRK-101 40m ago 1m")
    stack.clock.advance(4 * 60)
    # Every status poll is refused, so the client's own retries run out and the tracker decides.
    stack.sim.faults.append(Fault(status=429, method="GET", count=100, retry_after=retry_after))
    await stack.poll_all()
    stack.sim.faults.clear()
    polled = await row_now(stack, row)
    assert polled.state == TRACKING and polled.next_poll_at is not None
    # The still clock has not moved since Motive's last answer: the wait is Retry-After, exactly.
    assert (polled.next_poll_at - stack.clock.now()).total_seconds() == retry_after


# --- the ack ------------------------------------------------------------------------------------
# Planted: Motive's quota asked before ack() on /recall.


class MotiveHeld:
    """Wraps the client's rate limiter: every Motive call waits here until opened."""

    def __init__(self, limiter: Any) -> None:
        self.limiter = limiter
        self.opened = asyncio.Event()
        self.calls = 0

    async def acquire(self, urgent: bool = False) -> None:
        self.calls += 1
        await self.opened.wait()
        await self.limiter.acquire(urgent=urgent)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.limiter, name)


@pytest.mark.parametrize(
    ("command", "text"),
    [("/recall", "TRK-101 30m ago 2m"), ("/snapshot", "TRK-101 front"), ("/recall", "")],
    ids=["recall", "snapshot", "recall_modal"],
)
async def test_the_ack_comes_back_while_motive_cannot_answer(
    stack: Stack, command: str, text: str
) -> None:
    """With Motive held silent, the ack must still come back: a Motive call made before ack()
    would hold it (no response, or Bolt's 404 when it gives up waiting), whatever the timing."""
    held = MotiveHeld(stack.svc.motive.limiter)
    stack.svc.motive.limiter = held  # type: ignore[assignment]
    try:
        r = await stack.command(command, text)
        assert (r.status_code, r.text) == (200, "")
        assert stack.motive_calls() == {}
    finally:
        held.opened.set()
    await stack.settle()
    # Held, not bypassed: the work after the ack went through it to Motive.
    assert held.calls >= 1 and stack.motive_calls()
    if text:
        assert len(stack.anchors()) == 1
    else:
        assert stack.slack.called("views.open") and stack.slack.called("views.update")


class Acks:
    """Stands in for the WebSocket: the acks Bolt's Socket Mode handler sends back."""

    def __init__(self) -> None:
        self.logger = logging.getLogger("acks")
        self.sent: list[SocketModeResponse] = []

    async def send_socket_mode_response(self, response: SocketModeResponse) -> None:
        self.sent.append(response)


@pytest.mark.parametrize(
    ("command", "text"),
    [("/recall", "TRK-101 30m ago 2m"), ("/snapshot", "TRK-101 front"), ("/recall", "")],
    ids=["recall", "snapshot", "recall_modal"],
)
async def test_the_socket_mode_ack_comes_back_while_motive_cannot_answer(
    stack: Stack, command: str, text: str
) -> None:
    """In Socket Mode, as over HTTP, the ack goes out when the listener returns, so a Motive
    call made before ack() holds it for as long as Motive is silent: here, until the guard
    below gives up."""
    held = MotiveHeld(stack.svc.motive.limiter)
    stack.svc.motive.limiter = held  # type: ignore[assignment]
    handler = SocketModeHandler(build_bolt_app(stack.svc, socket_mode=True), "xapp-test")
    acks = Acks()
    body = command_body(command, text, response_url=stack.response_url("sm"), trigger_id="trig-sm")
    request = SocketModeRequest(
        type="slash_commands", envelope_id="env-1", payload=dict(parse_qsl(body))
    )
    try:
        try:
            await asyncio.wait_for(handler.handle(acks, request), 10)  # type: ignore[arg-type]
        except TimeoutError:
            pytest.fail("the Socket Mode ack waited on Motive")
        assert [a.envelope_id for a in acks.sent] == ["env-1"]
        assert stack.motive_calls() == {}
    finally:
        held.opened.set()
        await handler.client.close()
    await stack.settle()
    assert held.calls >= 1 and stack.motive_calls()


# --- the duplicate check ------------------------------------------------------------------------
# Planted: the start time dropped from the recall dedupe key.


async def test_recalls_differing_in_one_field_are_not_duplicates(stack: Stack) -> None:
    base = "TRK-102 40m ago 1m front"
    variants = [
        base,
        "TRK-102 50m ago 1m front",  # another start time
        # Another length: its window overlaps the first, which counts as the same request
        # unless the user insists.
        "TRK-102 40m ago 2m front again",
        "TRK-102 40m ago 1m driver",  # another camera
        "TRK-102 40m ago 1m",  # all cameras
        "TRK-101 40m ago 1m front",  # another truck
        "TRK-102 40m ago timelapse 5m front",  # another type
    ]
    for text in variants:
        await stack.command("/recall", text)
        await stack.settle()
    assert not any("already in flight" in t for t in stack.responses()), stack.responses()
    assert stack.sim.stats.recalls_created == len(variants) == len(stack.anchors())
    # The same request again (camera words in another order count as the same) is a duplicate.
    for text in (base, "TRK-102 40m ago 1m front driver", "TRK-102 40m ago 1m driver front"):
        await stack.command("/recall", text)
        await stack.settle()
    assert stack.sim.stats.recalls_created == len(variants) + 1
    assert sum("already in flight" in t for t in stack.responses()) == 2


# --- camera words -------------------------------------------------------------------------------
# Planted: `right` mapped to side_left.

CAMERA_WORDS = {
    "front": "front_facing",
    "driver": "driver_facing",
    "narrow": "front_narrow_facing",
    "left": "side_left",
    "right": "side_right",
    "rear": "rear",
    **{name: name for name in ("front_facing", "driver_facing", "front_narrow_facing")},
    **{name: name for name in ("side_left", "side_right")},
}


async def test_each_camera_word_asks_motive_for_that_camera(stack: Stack) -> None:
    # TRK-102 carries all six cameras, so Motive records exactly what was asked for.
    for n, (word, position) in enumerate(CAMERA_WORDS.items()):
        # A window of its own each time, so that none is a duplicate of another at Motive.
        row = await ask(stack, "/recall", f"TRK-102 {40 + 2 * n}m ago 1m {word}")
        assert row.camera_list == [position], word
        asked = stack.sim.recalls[row.motive_id or ""].request.camera_positions
        assert [p.value for p in asked or ()] == [position], word
    row = await ask(stack, "/recall", "TRK-102 40m ago 1m left right rear")
    assert row.camera_list == ["side_left", "side_right", "rear"]


@pytest.mark.parametrize(
    ("word", "position"),
    [
        ("front", "front_facing"),
        ("driver", "driver_facing"),
        ("left", "side_left"),
        ("right", "side_right"),
        ("rear", "rear"),
        ("side_right", "side_right"),
    ],
)
async def test_each_snapshot_camera_word(stack: Stack, word: str, position: str) -> None:
    row = await ask(stack, "/snapshot", f"TRK-102 {word}")
    assert row.position == position
    assert stack.sim.captures[row.motive_id or ""].request.position.value == position


# --- logs ---------------------------------------------------------------------------------------
# Planted: the whole slash-command payload logged at INFO.


@pytest.fixture
def debug_log_lines() -> Iterator[list[str]]:
    """Logging set up as `LOG_LEVEL=DEBUG` sets it up, and every line any logger writes kept
    (Bolt's, slack_sdk's, uvicorn's, ours), with tracebacks; restored afterwards."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    saved_levels = {
        name: logger.level
        for name, logger in logging.root.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    keep = Keep(logging.DEBUG)
    keep.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    setup_logging("DEBUG")
    root.addHandler(keep)
    # Loggers that do not hand their records to the root get the same handler of their own.
    quiet = [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger) and not logger.propagate
    ]
    for logger in quiet:
        logger.addHandler(keep)
    try:
        yield lines
    finally:
        for logger in quiet:
            logger.removeHandler(keep)
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)


async def test_no_command_text_or_note_reaches_the_logs_at_debug(
    debug_log_lines: list[str], sqlite_url: str
) -> None:
    marker = f"mk{uuid.uuid4().hex}"
    async with running_stack(sqlite_url) as stack:
        # A recall with the marker in its note, followed to its links in the thread.
        row = await ask(stack, "/recall", f"TRK-102 40m ago 1m front note: {marker} cut off")
        # A snapshot followed to the uploaded image, and one with the marker as its camera.
        snap = await ask(stack, "/snapshot", "TRK-101 front")
        await stack.command("/snapshot", f"TRK-101 {marker}")
        stack.clock.advance(20 * 60)
        await stack.poll_all()
        # The marker as a word that cannot be read, answered privately.
        await stack.command("/recall", f"TRK-101 {marker} 2m")
        # Slack refusing the anchor of a request whose note carries the marker.
        stack.slack.fail_next("chat.postMessage", 500, count=10)
        await stack.command("/recall", f"TRK-102 50m ago 1m rear note: {marker}")
        await stack.settle()
    # The marker went all the way through: into the anchors, and back to the user.
    assert marker in anchor_text(stack, row)
    assert replies(stack, row) and replies(stack, snap)[0].files
    assert sum(marker in json.dumps(r) for r in stack.slack.responses) == 2
    assert any("Slack refused" in t for t in stack.responses())
    assert debug_log_lines, "nothing was logged: the capture is not working"
    leaked = [line for line in debug_log_lines if marker in line]
    assert leaked == [], leaked[:3]


async def test_the_bots_own_message_events_reach_no_log_at_debug(
    debug_log_lines: list[str], sqlite_url: str
) -> None:
    """Bolt's middleware logs whole events at DEBUG (the bot's own anchors, notes and all, as
    "Skipped self event"): the logging set-up must keep that out."""
    marker = f"mk{uuid.uuid4().hex}"
    async with running_stack(sqlite_url) as stack:
        await stack.command("/recall", f"TRK-101 40m ago 1m note: {marker}")
        await stack.settle()
        [anchor] = stack.anchors()
        # Slack's event for that anchor, as it comes back to the bot that posted it.
        body = json.dumps(
            {
                "type": "event_callback",
                "team_id": "T0FLEET",
                "api_app_id": "A0MOTIVE",
                "event_id": "Ev0001",
                "event_time": 1763740800,
                "event": {
                    "type": "message",
                    "user": BOT_USER,
                    "channel": anchor.channel,
                    "ts": anchor.ts,
                    "text": anchor.text,
                    "blocks": anchor.blocks,
                },
            }
        )
        headers = {**stack.signed(body), "Content-Type": "application/json"}
        r = await stack.http.post(f"{stack.url}/slack/events", content=body, headers=headers)
        assert r.status_code == 200
        await stack.settle()
    assert marker in json.dumps(anchor.blocks)
    leaked = [line for line in debug_log_lines if marker in line]
    assert leaked == [], leaked[:3]


# --- health ----------------------------------------------------------------------------------


def _move_sqlite_away(path: Path) -> list[tuple[Path, Path]]:
    moved = []
    for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if part.exists():
            aside = part.with_name(part.name + ".aside")
            part.rename(aside)
            moved.append((aside, part))
    path.mkdir()  # a directory where the database was: SQLite cannot open it
    return moved


async def test_healthz_reports_an_unreachable_sqlite_database(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    async with running_stack(f"sqlite:///{db}", role="all") as stack:
        assert (await stack.http.get(f"{stack.url}/healthz")).status_code == 200
        await stack.svc.store.engine.dispose()  # no pooled connection to an already-open file
        moved = _move_sqlite_away(db)
        try:
            r = await stack.http.get(f"{stack.url}/healthz")
            assert r.status_code == 503
            # The scheduler runs: the one problem is the store.
            assert r.json()["problems"] == ["store unreachable: OperationalError"]
        finally:
            shutil.rmtree(db)
            for aside, original in moved:
                aside.rename(original)
        assert (await stack.http.get(f"{stack.url}/healthz")).status_code == 200
        assert stack.svc.tracker.scheduler is not None
        stack.svc.tracker.scheduler.shutdown(wait=False)
        r = await stack.http.get(f"{stack.url}/healthz")
        assert r.status_code == 503 and r.json()["problems"] == ["scheduler not running"]


async def test_healthz_reports_an_unreachable_postgres_database(pg_url: str) -> None:
    name = pg_url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(PG_URL)
    try:
        async with running_stack(pg_url, role="all") as stack:
            assert (await stack.http.get(f"{stack.url}/healthz")).status_code == 200
            await admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
            )
            try:
                for _ in range(2):  # the dropped pooled connection, then a refused new one
                    r = await stack.http.get(f"{stack.url}/healthz")
                    assert r.status_code == 503
                    [problem] = r.json()["problems"]
                    assert problem.startswith("store unreachable: ")
            finally:
                await admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
            assert (await stack.http.get(f"{stack.url}/healthz")).status_code == 200
    finally:
        await admin.close()


# --- the scheduler --------------------------------------------------------------------------


@pytest.fixture
async def scheduled(sqlite_url: str) -> AsyncIterator[Stack]:
    # Real APScheduler timing with short waits: a clock that ticks, shared by every component.
    async with running_stack(
        sqlite_url,
        role="all",
        clock=ManualClock(ticking=True),
        settings_overrides={"poll_first_seconds": 0.05, "poll_max_seconds": 0.1},
    ) as stack:
        yield stack


async def test_scheduler_polls_until_the_links_are_delivered(scheduled: Stack) -> None:
    stack = scheduled
    row = await ask(stack, "/recall", "TRK-102 40m ago 1m front rear")
    stack.clock.advance(20 * 60)  # the simulator's upload finishes
    await wait_for(lambda: replies(stack, row))
    await stack.settle()
    [reply] = replies(stack, row)
    assert "Footage is ready" in reply.text and "2 of 2 cameras" in json.dumps(reply.blocks)
    links = [b["accessory"]["url"] for b in reply.blocks if b.get("accessory", {}).get("url")]
    expected = {f"/media/recalls/{row.motive_id}/{p}.mp4" for p in ("front_facing", "rear")}
    assert {urlsplit(u).path for u in links} == expected and len(links) == 2
    for link in links:  # each one opens the video
        assert (await stack.svc.motive.fetch_media(link))[4:8] == b"ftyp"
    done = await row_now(stack, row)
    assert done.state == DONE and done.motive_status == "completed"
    [delivery] = await stack.svc.store.deliveries(row.id)
    assert (delivery.key, delivery.status, delivery.ts) == ("links", "posted", reply.ts)


async def test_a_tick_under_way_when_the_poller_stops_is_let_finish(
    scheduled: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stop drains work already started: a tick in the middle of a store call is let finish,
    not cancelled there. (Cancelled inside an aiosqlite call, SQLAlchemy closes the connection
    under a shield whose close never returns: the event loop could then never close, and a
    test run or a SIGTERM'd bot hung.)"""
    stack = scheduled
    store = stack.svc.store
    entered, release = asyncio.Event(), asyncio.Event()
    finished: list[int] = []
    real_claim = store.claim_due

    async def held_claim(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        await release.wait()
        rows = await real_claim(*args, **kwargs)
        finished.append(len(rows))
        return rows

    monkeypatch.setattr(store, "claim_due", held_claim)
    await asyncio.wait_for(entered.wait(), 20)  # the scheduler's tick is in the store
    stopping = asyncio.create_task(stack.svc.tracker.stop(drain_seconds=20))
    await wait_for(lambda: not stack.svc.tracker.running)  # the scheduler is shut down
    release.set()
    await asyncio.wait_for(stopping, 30)
    assert finished == [0]


# --- the Refresh links button -------------------------------------------------------------------


async def press_refresh(stack: Stack, value: str, message_ts: str = "1.1") -> None:
    await stack.interact(
        {
            "type": "block_actions",
            "trigger_id": "t-refresh",
            "response_url": f"{stack.slack_url}/respond/refresh",
            "container": {"type": "message", "channel_id": "C0DISPATCH", "message_ts": message_ts},
            "channel": {"id": "C0DISPATCH"},
            "actions": [
                {"action_id": "refresh_links", "block_id": f"refresh:{value}", "type": "button"}
                | {"value": value}
            ],
        }
    )
    await stack.settle()


async def delivered(stack: Stack) -> tuple[TrackedRequest, Any]:
    row = await ask(stack, "/recall", "TRK-102 40m ago 1m front rear")
    stack.clock.advance(20 * 60)
    await stack.poll_all()
    [reply] = replies(stack, row)
    return row, reply


async def test_refresh_rewrites_the_links_message_and_keeps_its_marker(stack: Stack) -> None:
    row, reply = await delivered(stack)
    old = [b["accessory"]["url"] for b in reply.blocks if "accessory" in b]
    stack.clock.advance(61 * 60)
    await press_refresh(stack, str(row.id), reply.ts)
    [same] = replies(stack, row)
    new = [b["accessory"]["url"] for b in same.blocks if "accessory" in b]
    assert same.ts == reply.ts and len(new) == 2 and set(new).isdisjoint(old)
    assert "Fresh links" in json.dumps(same.blocks) and "2 of 2 cameras" in json.dumps(same.blocks)
    # Still findable after a crash: the first block keeps the delivery's marker.
    assert same.blocks[0]["block_id"] == f"delivery-{row.id}-links"
    assert any(b.get("block_id") == f"refresh:{row.id}" for b in same.blocks)
    assert stack.slack.responses == []  # nothing to complain about
    for link in new:
        assert (await stack.svc.motive.fetch_media(link))[4:8] == b"ftyp"


async def test_refresh_without_a_recorded_message_rewrites_the_pressed_one(stack: Stack) -> None:
    row, reply = await delivered(stack)
    [delivery] = await stack.svc.store.deliveries(row.id)
    await stack.svc.store.finish_delivery(delivery.id, None, stack.clock.now())
    await press_refresh(stack, str(row.id), reply.ts)
    [same] = replies(stack, row)
    assert same.ts == reply.ts and "Fresh links" in json.dumps(same.blocks)


async def test_refresh_with_no_message_behind_it_posts_the_links_in_the_thread(
    stack: Stack,
) -> None:
    row, reply = await delivered(stack)
    [delivery] = await stack.svc.store.deliveries(row.id)
    await stack.svc.store.finish_delivery(delivery.id, None, stack.clock.now())
    await press_refresh(stack, str(row.id), "")  # no message_ts: nothing to rewrite
    first, second = replies(stack, row)
    assert first.ts == reply.ts and second.thread_ts == row.anchor_ts
    assert second.channel == row.channel and "Fresh links" in json.dumps(second.blocks)
    assert len([b for b in second.blocks if "accessory" in b]) == 2


@pytest.mark.parametrize(
    ("problem", "said"),
    [
        ("unknown", "That request is not one I know."),
        ("snapshot", "That request is not one I know."),
        ("not_a_number", "That button does not name a request I know."),
        ("gone_at_motive", "Motive did not give fresh links: "),
        ("no_video", "Motive has no downloadable video for this request any more."),
        ("slack_refuses", "Slack would not take the fresh links (internal_error)."),
    ],
)
async def test_a_refresh_that_cannot_happen_says_why(stack: Stack, problem: str, said: str) -> None:
    row, reply = await delivered(stack)
    value = str(row.id)
    if problem == "unknown":
        value = str(row.id + 100)
    elif problem == "snapshot":
        value = str((await ask(stack, "/snapshot", "TRK-101 front")).id)
    elif problem == "not_a_number":
        value = "links"
    elif problem == "gone_at_motive":
        stack.sim.recalls.pop(row.motive_id or "")
    elif problem == "no_video":
        recall = stack.sim.recalls[row.motive_id or ""]
        stack.sim.recalls[row.motive_id or ""] = dataclasses.replace(
            recall, fail_reason="overwritten"
        )
    elif problem == "slack_refuses":
        stack.slack.fail_next("chat.update", 500, count=10)
    updates = len(stack.slack.called("chat.update"))
    await press_refresh(stack, value, reply.ts)
    [answer] = stack.slack.responses
    assert said in answer["text"] and answer["response_type"] == "ephemeral"
    if problem != "slack_refuses":
        assert len(stack.slack.called("chat.update")) == updates
    [same] = replies(stack, row)
    assert same.ts == reply.ts and "Fresh links" not in json.dumps(same.blocks)


# --- when to poll, and when to give up ---------------------------------------------------------


async def test_poll_max_seconds_caps_every_wait(sqlite_url: str) -> None:
    overrides = {"poll_first_seconds": 60.0, "poll_max_seconds": 10.0}
    async with running_stack(sqlite_url, settings_overrides=overrides) as stack:
        row = await ask(stack, "/recall", "TRK-101 40m ago 1m")
        assert row.next_poll_at is not None
        assert (row.next_poll_at - row.created_at).total_seconds() == pytest.approx(60, rel=0.11)
        for _ in range(3):
            stack.clock.advance(60)
            await stack.poll_all()
            polled = await row_now(stack, row)
            assert polled.state == TRACKING and polled.next_poll_at is not None
            assert 0 < (polled.next_poll_at - stack.clock.now()).total_seconds() <= 10


async def test_a_poll_at_the_deadline_gives_up(sqlite_url: str) -> None:
    async with running_stack(
        sqlite_url, settings_overrides={"recall_deadline_hours": 1.0}
    ) as stack:
        row = await ask(stack, "/recall", "TRK-105 3h ago 1m")  # parked: never uploads
        assert row.deadline is not None
        stack.clock.set(row.deadline)
        await stack.poll_all()
        [reply] = replies(stack, row)
        assert "had not finished after 1 hours (last status: pending)" in reply.text
        assert (await row_now(stack, row)).state == FAILED
