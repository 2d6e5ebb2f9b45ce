"""Slack's side of a conversation with the running bot, over HTTP (signed) or as Socket Mode
envelopes, with payloads from tests/support/slack_corpus.py; and the bot installed where a test says
(the fake Slack's auth.test answers for that workspace, Grid workspace or org)."""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from bot.offline.fakeslack import FakeSlack
from bot.offline.signing import JSON
from bot.offline.socket_mode import FakeSocketMode
from bot.slack.app import build_bolt_app
from bot.slack.ingress.socket_mode import SocketModeHandler
from tests.support import slack_corpus as corpus
from tests.support.slack_corpus import Install
from tests.support.stack import OPENAPI, Stack, running_stack

ACK_PATIENCE = 60.0  # seconds: how long an ack is awaited, not a bound on its speed


@dataclass
class Via:
    """Slack's side of the conversation, over HTTP (signed) or as Socket Mode envelopes. Each
    call returns what the bot acked with: a dict, or None for an empty ack."""

    stack: Stack
    where: Install
    socket: FakeSocketMode | None = None
    _n: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def trigger(self) -> str:
        return f"trig-{next(self._n)}"

    def response_url(self) -> str:
        return self.stack.response_url(f"r{next(self._n)}")

    async def command(self, command: str, text: str) -> Any:
        fields = corpus.command_fields(
            self.where,
            command,
            text,
            response_url=self.response_url(),
            trigger_id=self.trigger(),
        )
        if self.socket is not None:
            return await self._envelope("slash_commands", fields)
        return self._ack(await self.stack.post(corpus.command_body(fields)))

    async def interact(self, payload: dict[str, Any]) -> Any:
        if self.socket is not None:
            return await self._envelope("interactive", payload)
        return self._ack(await self.stack.post(corpus.interaction_body(payload)))

    async def event(self, body: dict[str, Any]) -> Any:
        if self.socket is not None:
            return await self._envelope("events_api", body)
        return self._ack(await self.stack.post(json.dumps(body), content_type=JSON))

    async def _envelope(self, kind: str, payload: dict[str, Any]) -> Any:
        assert self.socket is not None
        envelope = await self.socket.send(kind, payload)
        ack = await self.socket.ack(envelope, timeout=ACK_PATIENCE)
        assert ack["envelope_id"] == envelope
        return ack.get("payload") or None

    @staticmethod
    def _ack(response: Any) -> Any:
        assert response.status_code == 200, response.text
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        assert response.text == "", response.text
        return None


def installed_in(where: Install) -> FakeSlack:
    """A fake Slack whose auth.test says the app is installed where `where` comes from."""
    slack = FakeSlack(openapi=OPENAPI)
    slack.team_id = where.team_id
    if where.grid:
        slack.enterprise_id = where.enterprise_id
        slack.org_wide = where.org_wide
    return slack


@contextlib.asynccontextmanager
async def talking(
    database_url: str, installed: Install, transport: str, **stack_options: Any
) -> AsyncIterator[Via]:
    """The bot installed as `installed` says, and Slack talking to it over `transport` ("http"
    or "socket") as a user of that installation."""
    slack = installed_in(installed)
    async with running_stack(database_url, slack=slack, **stack_options) as stack:
        if transport == "http":
            yield Via(stack, installed)
        else:
            async with FakeSocketMode().serving() as fake:
                stack.slack.socket_mode = fake
                handler = SocketModeHandler(build_bolt_app(stack.svc, socket_mode=True), "xapp-1")
                await handler.connect_async()
                await fake.wait_connected(ACK_PATIENCE)
                try:
                    yield Via(stack, installed, fake)
                finally:
                    await handler.close_async()
    assert not stack.slack.violations, stack.slack.violations
