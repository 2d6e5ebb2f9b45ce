"""Socket Mode end to end: the real Bolt app and slack_sdk's Socket Mode client against a local
fake of Slack's Socket Mode server, acks checked with their payloads, reconnects in the middle."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.offline.socket_mode import FakeSocketMode
from bot.server import Health
from bot.slack.app import build_bolt_app
from bot.slack.ingress.socket_mode import SocketModeHandler  # the handler `motive-bot serve` uses
from tests.support.stack import Stack, eventually, running_stack

_n = itertools.count(1)


@dataclass
class SocketStack:
    stack: Stack
    fake: FakeSocketMode
    handler: AsyncSocketModeHandler
    health: Health

    async def command(self, command: str, text: str) -> str:
        n = next(_n)
        payload = {
            "token": "legacy",
            "team_id": "T0FLEET",
            "team_domain": "fleet",
            "channel_id": "C0DISPATCH",
            "channel_name": "dispatch",
            "user_id": "U0DISPATCH",
            "user_name": "dispatcher",
            "command": command,
            "text": text,
            "response_url": f"{self.stack.slack_url}/respond/s{n}",
            "trigger_id": f"strig-{n}",
            "api_app_id": "A0MOTIVE",
        }
        return await self.fake.send("slash_commands", payload)

    async def interact(self, payload: dict[str, Any]) -> str:
        payload.setdefault("team", {"id": "T0FLEET"})
        payload.setdefault("user", {"id": "U0DISPATCH"})
        payload.setdefault("api_app_id", "A0MOTIVE")
        payload.setdefault("token", "legacy")
        return await self.fake.send("interactive", payload)


@pytest.fixture
async def sock(sqlite_url: str) -> AsyncIterator[SocketStack]:
    async with running_stack(sqlite_url) as stack, FakeSocketMode().serving() as fake:
        stack.slack.socket_mode = fake
        bolt = build_bolt_app(stack.svc, socket_mode=True)
        # A short ping interval: the client notices a lost connection and retries quickly.
        handler = SocketModeHandler(bolt, "xapp-1-test", ping_interval=0.2)
        health = Health(stack.svc, "web")
        health.socket = handler
        await handler.connect_async()
        await fake.wait_connected()
        try:
            yield SocketStack(stack, fake, handler, health)
        finally:
            await handler.close_async()
    assert not stack.slack.violations, stack.slack.violations


async def test_inline_recall_is_acked_then_requested_once(sock: SocketStack) -> None:
    eid = await sock.command("/recall", "TRK-101 40m ago 2m front")
    ack = await sock.fake.ack(eid)
    assert ack == {"envelope_id": eid}
    await sock.stack.settle()
    [anchor] = sock.stack.anchors()
    assert "TRK-101" in anchor.text
    assert sock.stack.sim.stats.recalls_created == 1
    assert sock.fake.unknown_acks == [] and sock.fake.envelopes[eid].sent == 1


async def test_bad_command_is_answered_privately_through_response_url(sock: SocketStack) -> None:
    eid = await sock.command("/recall", "TRK-101 14:05 4m")
    assert (await sock.fake.ack(eid)) == {"envelope_id": eid}
    await sock.stack.settle()
    [reply] = sock.stack.responses()
    assert "1, 2 or 3 minutes" in reply and sock.stack.sim.stats.recalls_created == 0


async def test_modal_errors_come_back_in_the_ack_and_a_good_submission_posts(
    sock: SocketStack,
) -> None:
    eid = await sock.command("/recall", "")
    await sock.fake.ack(eid)
    await sock.stack.settle()
    [view] = sock.stack.slack.views.values()

    def submitted(**values: dict[str, Any]) -> dict[str, Any]:
        out = dict(view)
        out["state"] = {"values": {b: {"a": v} for b, v in values.items()}}
        return out

    def opt(value: str) -> dict[str, Any]:
        return {"selected_option": {"value": value, "text": {"type": "plain_text", "text": value}}}

    future = int((sock.stack.clock.now() + timedelta(hours=2)).timestamp())
    eid = await sock.interact(
        {
            "type": "view_submission",
            "view": submitted(
                target_kind=opt("vehicle"),
                target=opt("TRK-102"),
                start={"selected_date_time": future},
                recall_type=opt("regular"),
                duration_regular=opt("2"),
                cameras={"selected_options": [{"value": "rear"}]},
            ),
        }
    )
    ack = await sock.fake.ack(eid)
    assert ack["payload"]["response_action"] == "errors"
    assert "future" in ack["payload"]["errors"]["start"]
    assert sock.stack.sim.stats.recalls_created == 0

    past = int((sock.stack.clock.now() - timedelta(minutes=40)).timestamp())
    eid = await sock.interact(
        {
            "type": "view_submission",
            "view": submitted(
                target_kind=opt("vehicle"),
                target=opt("TRK-102"),
                start={"selected_date_time": past},
                recall_type=opt("regular"),
                duration_regular=opt("2"),
                cameras={"selected_options": [{"value": "rear"}]},
            ),
        }
    )
    assert (await sock.fake.ack(eid)) == {"envelope_id": eid}
    await sock.stack.settle()
    [anchor] = sock.stack.anchors()
    assert "TRK-102" in anchor.text and sock.stack.sim.stats.recalls_created == 1


async def test_refresh_requested_then_a_dropped_socket_lose_and_double_nothing(
    sock: SocketStack,
) -> None:
    fake, stack = sock.fake, sock.stack
    first = await sock.command("/recall", "TRK-101 40m ago 1m")
    await fake.ack(first)

    # Slack asks for a new connection: the client opens one and carries on.
    await fake.ask_to_reconnect()
    await eventually(lambda: _true(fake.connects == 2 and fake.connected))
    second = await sock.command("/recall", "TRK-102 40m ago 1m")
    await fake.ack(second)

    # Slack drops the socket and cannot hand out a new one for a while.
    fake.accepting = False
    await fake.drop()
    await eventually(lambda: _problem(sock.health, "socket mode connection down"))
    third = await sock.command("/recall", "TRK-103 40m ago 1m")  # queued until the app is back
    assert fake.envelopes[third].sent == 0
    fake.accepting = True
    await eventually(lambda: _no_problems(sock.health))
    await fake.ack(third)

    await stack.settle()
    targets = sorted(r.target_name for r in await stack.svc.store.all_requests())
    assert targets == ["TRK-101", "TRK-102", "TRK-103"]
    assert stack.sim.stats.recalls_created == 3 and len(stack.anchors()) == 3
    assert all(len(e.acks) == 1 for e in fake.envelopes.values())


async def _true(value: bool) -> bool:
    return value


async def _problem(health: Health, problem: str) -> bool:
    return problem in await health.problems()


async def _no_problems(health: Health) -> bool:
    return await health.problems() == []
