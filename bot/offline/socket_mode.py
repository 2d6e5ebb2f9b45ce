"""A local fake of Slack's Socket Mode server, on loopback.

What Slack does, as far as a Socket Mode app can see it: `apps.connections.open` (answered by the
fake Web API with this server's `ws://127.0.0.1` URL) hands out a WebSocket URL; on connect the
server sends `hello`; then it sends envelopes (`slash_commands`, `interactive`, `events_api`) and
expects each to be acknowledged with its `envelope_id` (and, where Slack accepts one, a response
payload) within 3 seconds. It may ask the app to reconnect (`disconnect`, reason
`refresh_requested`) or simply drop the socket. An envelope that was not acknowledged is sent
again on the next connection, as Slack retries it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web


@dataclass
class Envelope:
    envelope_id: str
    type: str
    payload: dict[str, Any]
    accepts_response_payload: bool
    acks: list[dict[str, Any]] = field(default_factory=list)
    sent: int = 0  # times put on a socket (more than once when Slack had to retry it)

    def wire(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "envelope_id": self.envelope_id,
            "type": self.type,
            "payload": self.payload,
            "accepts_response_payload": self.accepts_response_payload,
        }
        if self.type == "events_api":
            body["retry_attempt"] = self.sent
            body["retry_reason"] = "timeout" if self.sent else ""
        return body


# How long a test waits for a connection or an ack before calling it a failure (seconds). Slack
# itself gives up on an ack after 3 s; a test judges what the ack says, not how fast it came
# (speed is benchmarked), so it waits as long as a busy machine may need.
PATIENCE = 120.0


class FakeSocketMode:
    def __init__(self, app_id: str = "A0MOTIVE") -> None:
        self.app_id = app_id
        self.url = ""
        self.connects = 0
        self.accepting = True  # False: apps.connections.open fails, as during a Slack outage
        self.envelopes: dict[str, Envelope] = {}
        self.unknown_acks: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._socket: web.WebSocketResponse | None = None
        self._connected = asyncio.Event()
        self._acked: dict[str, asyncio.Event] = {}

    # --- the server -------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[FakeSocketMode]:
        app = web.Application()
        app.router.add_get("/link/", self._link)
        runner = web.AppRunner(app, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        self.url = f"ws://{host}:{port}/link/"
        try:
            yield self
        finally:
            if self._socket is not None:
                await self._socket.close()
            await runner.cleanup()

    def connection_url(self) -> str:
        """What `apps.connections.open` answers: a fresh ticket each time, as Slack's are."""
        return f"{self.url}?ticket={next(self._ids)}&app_id={self.app_id}"

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        old, self._socket = self._socket, ws
        self.connects += 1
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": 1,
                "debug_info": {"host": "fake-socket-mode", "approximate_connection_time": 3600},
                "connection_info": {"app_id": self.app_id},
            }
        )
        if old is not None and not old.closed:
            await old.close()
        # Slack re-sends what was never acknowledged once the app is back.
        for envelope in self.envelopes.values():
            if not envelope.acks:
                envelope.sent += 1
                await ws.send_json(envelope.wire())
        self._connected.set()
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._on_ack(json.loads(message.data))
        finally:
            if self._socket is ws:
                self._socket = None
                self._connected.clear()
        return ws

    def _on_ack(self, ack: dict[str, Any]) -> None:
        envelope = self.envelopes.get(str(ack.get("envelope_id")))
        if envelope is None:
            self.unknown_acks.append(ack)
            return
        envelope.acks.append(ack)
        self._acked[envelope.envelope_id].set()

    # --- what a test does ---------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._socket is not None and not self._socket.closed

    async def wait_connected(self, timeout: float = PATIENCE) -> None:
        await asyncio.wait_for(self._connected.wait(), timeout)

    async def send(
        self, kind: str, payload: dict[str, Any], *, accepts_response_payload: bool | None = None
    ) -> str:
        """Put an envelope on the socket (or queue it until the app is connected)."""
        envelope_id = f"env-{next(self._ids)}"
        accepts = (
            kind != "events_api" if accepts_response_payload is None else accepts_response_payload
        )
        envelope = Envelope(envelope_id, kind, payload, accepts)
        self.envelopes[envelope_id] = envelope
        self._acked[envelope_id] = asyncio.Event()
        if self._socket is not None and not self._socket.closed:
            envelope.sent += 1
            await self._socket.send_json(envelope.wire())
        return envelope_id

    async def ack(self, envelope_id: str, timeout: float = PATIENCE) -> dict[str, Any]:
        """The app's first acknowledgement of an envelope."""
        await asyncio.wait_for(self._acked[envelope_id].wait(), timeout)
        return self.envelopes[envelope_id].acks[0]

    async def ask_to_reconnect(self) -> None:
        """Slack's `disconnect` with `refresh_requested`: the app should open a new connection."""
        assert self._socket is not None, "not connected"
        await self._socket.send_json(
            {"type": "disconnect", "reason": "refresh_requested", "debug_info": {"host": "fake"}}
        )

    async def drop(self) -> None:
        """Close the socket from Slack's side without asking."""
        if self._socket is not None:
            socket, self._socket = self._socket, None
            self._connected.clear()
            await socket.close(code=1011, message=b"server going away")
