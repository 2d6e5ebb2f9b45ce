"""Safety events end to end: the simulator raises an event and signs its webhook, the running bot
reads it from Motive and posts it in the fake Slack, its clips in the thread; duplicates, the
catch-up read, updates, withdrawn crashes, restarts, the policy's routes and in-cab rule, and
replicas sharing PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from bot.offline.fakeslack import Channel, FakeSlack, Message
from bot.store.models import LEFT_OUT, POSTED, WITHDRAWN
from motive.clock import ManualClock
from motive.simulator import SimConfig, Simulator, send_event_webhooks
from motive.simulator.events import SimEvent
from tests.support.stack import OPENAPI, WEBHOOK_SECRET, Stack, running_stack, wait_for

SAFETY, CRASHES = "C0SAFETY", "C0CRASH"


def fake_slack() -> FakeSlack:
    slack = FakeSlack(openapi=OPENAPI)
    slack.channels[SAFETY] = Channel(SAFETY, "fleet-safety")
    slack.channels[CRASHES] = Channel(CRASHES, "crashes")
    return slack


@contextlib.asynccontextmanager
async def safety_stack(
    db: str,
    *,
    policy: str | None = None,
    tmp_path: Path | None = None,
    sim: Simulator | None = None,
    slack: FakeSlack | None = None,
    clock: ManualClock | None = None,
    role: str = "web",
    served: bool = False,
) -> AsyncIterator[Stack]:
    overrides: dict[str, Any] = {"safety_channel": SAFETY}
    if policy is not None:
        assert tmp_path is not None
        path = tmp_path / "policy.toml"
        path.write_text(policy)
        overrides["policy_file"] = path
    async with running_stack(
        db,
        slack=slack or fake_slack(),
        sim=sim,
        clock=clock,
        role=role,
        sim_config=SimConfig(),
        settings_overrides=overrides,
        served=served,
    ) as stack:
        yield stack
    assert not stack.slack.violations, stack.slack.violations


async def deliver_webhooks(stack: Stack, *, times: int = 1) -> None:
    """What the simulator would send, posted to the bot as Motive does (each `times` times)."""
    assert stack.sim is not None
    stack.sim.config.webhook_secret = WEBHOOK_SECRET  # as the account's webhook is set up
    for body, signature in stack.sim.events.due_webhooks():
        for _ in range(times):
            answer = await stack.http.post(
                f"{stack.url}/motive/webhooks",
                content=body,
                headers={"Content-Type": "application/json", "X-KT-Webhook-Signature": signature},
            )
            assert answer.status_code == 200, answer.text
    await stack.settle()


def posts(stack: Stack, channel: str = SAFETY) -> list[Message]:
    return [m for m in stack.slack.messages if m.channel == channel and m.thread_ts is None]


def post_of(stack: Stack, event: SimEvent) -> Message:
    """The one post of `event` (posts of events worked on together come in any order)."""
    [message] = [m for m in posts(stack) if f"Motive event {event.id}" in shown(m)]
    return message


def thread_of(stack: Stack, message: Message) -> list[Message]:
    return stack.slack.thread(message.channel, message.ts)


def shown(message: Message) -> str:
    return json.dumps(message.blocks)


def raise_event(stack: Stack, *args: Any, **kwargs: Any) -> SimEvent:
    assert stack.sim is not None
    return stack.sim.events.raise_event(*args, **kwargs)


async def test_a_webhook_gives_one_post_with_the_road_clip_in_its_thread(sqlite_url: str) -> None:
    async with safety_stack(sqlite_url) as stack:
        event = raise_event(stack, "TRK-101", "hard_brake", severity="high", place=0)
        await deliver_webhooks(stack)
        [message] = posts(stack)
        text = shown(message)
        for words in (
            "Hard brake",
            "high severity",
            "*TRK-101*",
            "Dana Driver",
            f"<!date^{int(event.start.timestamp())}^",
            "Sparks, NV",
            "openstreetmap.org/?mlat=39.53490&mlon=-119.75270",
            "54 mph",
            "All cameras, 1 minute either side",
            "Snapshot every camera now",
            f"Motive event {event.id}",
        ):
            assert words in text, words
        assert "Unconfirmed" not in text
        # Both clips streamed into the thread (no policy: in-cab goes to the thread too).
        files = [f["name"] for m in thread_of(stack, message) for f in m.files]
        assert sorted(files) == [
            f"event-{event.id}-driver_facing.mp4",
            f"event-{event.id}-front_facing.mp4",
        ]
        # No recall quota spent: Motive was only read.
        assert stack.motive_calls().keys() <= {"events.list"}
        [row] = await stack.svc.safety.events.all()
        assert (row.state, row.channel, row.post_ts) == (POSTED, SAFETY, message.ts)


async def test_the_same_event_twice_and_the_catch_up_give_one_post(sqlite_url: str) -> None:
    async with safety_stack(sqlite_url) as stack:
        raise_event(stack, "TRK-102", "tailgating")
        await deliver_webhooks(stack, times=3)
        await stack.svc.safety.catch_up()
        await stack.svc.safety.catch_up()
        [message] = posts(stack)
        assert "Close following" in shown(message) and message.edits == 0
        assert len([f for m in thread_of(stack, message) for f in m.files]) == 2


async def test_an_update_edits_the_post(sqlite_url: str) -> None:
    async with safety_stack(sqlite_url) as stack:
        event = raise_event(stack, "TRK-101", "cell_phone", severity="low")
        await deliver_webhooks(stack)
        assert stack.sim is not None
        stack.sim.events.update(event.id, severity="critical")
        await deliver_webhooks(stack)
        [message] = posts(stack)
        assert message.edits == 1 and "critical severity" in shown(message)
        assert "Phone in hand" in shown(message)


async def test_a_crash_is_unconfirmed_until_an_update_keeps_it(sqlite_url: str) -> None:
    async with safety_stack(sqlite_url) as stack:
        event = raise_event(stack, "TRK-102", "crash", severity="critical")
        await deliver_webhooks(stack)
        [message] = posts(stack)
        assert "Unconfirmed: Motive reviews crash alerts" in shown(message)
        assert stack.sim is not None
        stack.sim.events.update(event.id, severity="critical")  # Motive's update, still a crash
        await deliver_webhooks(stack)
        assert "Unconfirmed" not in shown(message) and "Crash" in shown(message)


async def test_a_crash_still_listed_after_review_is_confirmed_by_the_catch_up(
    sqlite_url: str,
) -> None:
    async with safety_stack(sqlite_url) as stack:
        raise_event(stack, "TRK-102", "crash")
        await stack.svc.safety.catch_up()
        [message] = posts(stack)
        assert "Unconfirmed" in shown(message)
        stack.clock.advance(3 * 3600)
        await stack.svc.safety.catch_up()
        assert "Unconfirmed" not in shown(message) and message.edits == 1


async def test_a_crash_withdrawn_by_review_edits_the_post(sqlite_url: str) -> None:
    async with safety_stack(sqlite_url) as stack:
        gone = raise_event(stack, "TRK-102", "crash", withdraw_after_seconds=1800)
        retyped = raise_event(
            stack, "TRK-104", "crash", withdraw_after_seconds=1800, retype_to="hard_brake"
        )
        await deliver_webhooks(stack)
        first, second = (post_of(stack, e) for e in (gone, retyped))
        stack.clock.advance(1801)
        # The retype is announced; the vanished crash is found by the catch-up read.
        await deliver_webhooks(stack)
        await stack.svc.safety.catch_up()
        assert "withdrawn" in shown(first) and "Motive's review removed it" in shown(first)
        assert "Motive now reports it as Hard brake" in shown(second)
        assert "Unconfirmed" not in shown(first) + shown(second)
        rows = {r.motive_id: r for r in await stack.svc.safety.events.all()}
        assert rows[gone.id].state == rows[retyped.id].state == WITHDRAWN
        # Withdrawn once: a later read changes nothing.
        edits = (first.edits, second.edits)
        await stack.svc.safety.catch_up()
        assert (first.edits, second.edits) == edits and len(posts(stack)) == 2


async def test_without_the_webhook_the_catch_up_posts_it(sqlite_url: str) -> None:
    async with safety_stack(sqlite_url) as stack:
        raise_event(stack, "TRK-101", "drowsiness", webhook=False)
        raise_event(
            stack, "TRK-102", "hard_corner", webhook=False, at=stack.clock.now() - timedelta(days=2)
        )
        result = await stack.svc.safety.catch_up()
        [message] = posts(stack)
        assert "Drowsiness" in shown(message) and result.read == 1


async def test_a_clip_not_ready_yet_is_fetched_by_a_later_read(sqlite_url: str) -> None:
    async with safety_stack(sqlite_url) as stack:
        event = raise_event(stack, "TRK-101", "hard_brake", media_delay_seconds=300)
        await deliver_webhooks(stack)
        [message] = posts(stack)
        assert thread_of(stack, message) == []
        stack.clock.advance(301)
        await stack.svc.safety.catch_up()
        names = sorted(f["name"] for m in thread_of(stack, message) for f in m.files)
        assert names == [
            f"event-{event.id}-driver_facing.mp4",
            f"event-{event.id}-front_facing.mp4",
        ]
        assert message.edits == 0


async def test_after_a_restart_nothing_is_posted_twice(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'bot.db'}"
    clock, slack = ManualClock(), fake_slack()
    sim = Simulator(SimConfig(), clock=clock)
    async with safety_stack(db, sim=sim, slack=slack, clock=clock) as stack:
        raise_event(stack, "TRK-101", "hard_brake")
        await deliver_webhooks(stack)
    # Meanwhile (the bot down), another event, whose webhook nobody received.
    sim.events.raise_event("TRK-102", "distraction", webhook=False)
    # A restart as a worker: its scheduler's catch-up read runs at start, and again here.
    async with safety_stack(db, sim=sim, slack=slack, clock=clock, role="all") as stack:
        await wait_for(lambda: len(posts(stack)) == 2)
        await stack.svc.background.wait_idle(10)
        await stack.svc.safety.catch_up()
        assert [("Hard brake" in shown(m), "Distraction" in shown(m)) for m in posts(stack)] == [
            (True, False),
            (False, True),
        ]
        assert len([f for m in stack.slack.messages for f in m.files]) == 4


POLICY = """
[in_cab]
deliver_to = "requester"

[safety_events]
leave_out = ["seat_belt_violation"]

[[safety_events.routes]]
types = ["crash"]
channel = "C0CRASH"
"""


async def test_the_policy_routes_leaves_out_and_keeps_in_cab_clips_out(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'bot.db'}"
    async with safety_stack(db, policy=POLICY, tmp_path=tmp_path) as stack:
        brake = raise_event(stack, "TRK-101", "hard_brake")
        raise_event(stack, "TRK-102", "crash")
        belt = raise_event(stack, "TRK-104", "seat_belt_violation")
        await deliver_webhooks(stack)
        [message] = posts(stack)
        [crash] = posts(stack, CRASHES)
        assert "Hard brake" in shown(message) and "Crash" in shown(crash)
        rows = {r.motive_id: r for r in await stack.svc.safety.events.all()}
        assert rows[belt.id].state == LEFT_OUT
        # The in-cab clip never reaches the channel; the road clip does, and a line says why.
        everything = [f["name"] for m in stack.slack.messages for f in m.files]
        assert not [n for n in everything if "driver_facing" in n]
        replies = thread_of(stack, message)
        assert [f["name"] for m in replies for f in m.files] == [
            f"event-{brake.id}-front_facing.mp4"
        ]
        assert any("in_cab.deliver_to" in shown(m) for m in replies)
        withheld = [e for e in await stack.svc.privacy.audit.entries() if e.kind == "safety_event"]
        assert {(r.cameras, r.decision, r.rule) for r in withheld} == {
            ("driver_facing", "refused", "in_cab.deliver_to")
        }


async def test_in_cab_clips_posted_in_the_thread_are_audited(sqlite_url: str) -> None:
    async with safety_stack(sqlite_url) as stack:
        event = raise_event(stack, "TRK-101", "cell_phone")
        await deliver_webhooks(stack)
        entries = await stack.svc.privacy.audit.entries()
        [row] = [e for e in entries if e.kind == "safety_event"]
        assert (row.cameras, row.motive_id, row.target) == ("driver_facing", event.id, "TRK-101")
        assert row.outcome.startswith("in-cab clip uploaded into the thread")


async def test_two_web_replicas_and_two_workers_on_postgresql_post_each_event_once(
    pg_url: str,
) -> None:
    clock, slack = ManualClock(), fake_slack()
    sim = Simulator(SimConfig(), clock=clock)
    sim.config.webhook_secret = WEBHOOK_SECRET
    async with (
        safety_stack(pg_url, sim=sim, slack=slack, clock=clock) as web1,
        safety_stack(pg_url, sim=sim, slack=slack, clock=clock) as web2,
        safety_stack(pg_url, sim=sim, slack=slack, clock=clock, role="worker") as worker1,
        safety_stack(pg_url, sim=sim, slack=slack, clock=clock, role="worker") as worker2,
    ):
        events = [
            sim.events.raise_event(("TRK-101", "TRK-102", "TRK-104")[n % 3], "hard_brake")
            for n in range(6)
        ]
        sent = []
        # Motive's webhook reaches both web replicas (a retry, a second webhook) while both
        # workers run their catch-up read.
        for body, signature in sim.events.due_webhooks():
            headers = {"Content-Type": "application/json", "X-KT-Webhook-Signature": signature}
            for web in (web1, web2):
                sent.append(
                    web.http.post(f"{web.url}/motive/webhooks", content=body, headers=headers)
                )
        answers = await asyncio.gather(
            *sent, worker1.svc.safety.catch_up(), worker2.svc.safety.catch_up()
        )
        assert all(a.status_code == 200 for a in answers[: len(sent)])  # type: ignore[union-attr]
        for stack in (web1, web2, worker1, worker2):
            await stack.settle()
        await worker1.svc.safety.catch_up()
        assert sorted(post_of(web1, e).ts for e in events) == sorted(m.ts for m in posts(web1))
        assert len(posts(web1)) == 6
        assert len([f for m in slack.messages for f in m.files]) == 12


def counted(text: str, what: str) -> float:
    line = f'motive_bot_safety_events_total{{what="{what}"}} '
    found = [ln for ln in text.splitlines() if ln.startswith(line)]
    return float(found[0].split()[-1]) if found else 0.0


async def test_metrics_count_received_posted_withdrawn_and_clips(sqlite_url: str) -> None:
    async with safety_stack(sqlite_url) as stack:
        whats = ("received", "posted", "withdrawn", "clips_uploaded")
        before = (await stack.http.get(f"{stack.url}/metrics")).text
        raise_event(stack, "TRK-101", "hard_brake")
        raise_event(stack, "TRK-102", "crash", withdraw_after_seconds=1800)
        await deliver_webhooks(stack, times=2)
        stack.clock.advance(1801)
        await stack.svc.safety.catch_up()
        after = (await stack.http.get(f"{stack.url}/metrics")).text
        assert [counted(after, w) - counted(before, w) for w in whats] == [4, 2, 1, 4]


async def test_the_simulators_own_webhook_over_loopback(sqlite_url: str) -> None:
    async with safety_stack(sqlite_url, served=True) as stack:
        sim = stack.sim
        assert sim is not None
        sim.config.webhook_url = f"{stack.url}/motive/webhooks"
        sim.config.webhook_secret = WEBHOOK_SECRET
        event = raise_event(stack, "TRK-104", "forward_collision_warning")
        async with httpx.AsyncClient() as http:
            assert await send_event_webhooks(sim, http) == 1
        await stack.settle()
        [message] = posts(stack)
        assert "Forward collision warning" in shown(message)
        names = [f["name"] for m in thread_of(stack, message) for f in m.files]
        assert names[0] == f"event-{event.id}-front_facing.mp4" and len(names) == 2


async def test_a_post_whose_answer_was_lost_is_found_not_posted_again(sqlite_url: str) -> None:
    async with safety_stack(sqlite_url) as stack:
        raise_event(stack, "TRK-101", "hard_brake")
        # Slack posts it, then answers 500 (or the bot dies before it records the answer).
        stack.slack.fail_next("chat.postMessage", 500, after=True)
        await deliver_webhooks(stack)
        [message] = posts(stack)
        assert thread_of(stack, message) == []  # nothing recorded: no clips yet
        await stack.svc.safety.catch_up()
        assert posts(stack) == [message]
        [row] = await stack.svc.safety.events.all()
        assert (row.state, row.post_ts) == (POSTED, message.ts)
        assert len([f for m in thread_of(stack, message) for f in m.files]) == 2


async def test_clips_not_everyone_may_see_stay_out_of_the_channel(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'bot.db'}"
    policy = '[requesters]\nroad_video = ["S0DISPATCH"]\nin_cab = ["S0SAFETY"]\n'
    async with safety_stack(db, policy=policy, tmp_path=tmp_path) as stack:
        raise_event(stack, "TRK-101", "hard_brake")
        await deliver_webhooks(stack)
        [message] = posts(stack)
        replies = thread_of(stack, message)
        assert [f for m in stack.slack.messages for f in m.files] == []
        assert sorted(json.dumps(m.blocks).count("Policy rule") for m in replies) == [1, 1]
        rules = {
            (e.cameras, e.rule)
            for e in await stack.svc.privacy.audit.entries()
            if e.kind == "safety_event" and e.decision == "refused"
        }
        assert rules == {
            ("front_facing", "requesters.road_video"),
            ("driver_facing", "requesters.in_cab"),
        }
