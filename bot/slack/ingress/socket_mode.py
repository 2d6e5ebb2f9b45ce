"""Socket Mode: Bolt's handler, except that work a listener hands over after its ack starts only
once the ack has been sent over the WebSocket (as the HTTP route does after the response)."""

from __future__ import annotations

import time

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.socket_mode.async_internals import run_async_bolt_app, send_async_response
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.slack.ingress.post_ack import holding


class SocketModeHandler(AsyncSocketModeHandler):
    async def handle(self, client: AsyncBaseSocketModeClient, req: SocketModeRequest) -> None:
        started = time.time()  # only for Bolt's own debug line about response time
        with holding() as held:
            response = await run_async_bolt_app(self.app, req)
        try:
            await send_async_response(client, req, response, started)
        finally:
            # Even if the ack could not be sent, what the listener took on still runs: Slack
            # may have it anyway, and nothing handed over is ever dropped silently.
            held.release()
