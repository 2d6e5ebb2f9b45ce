"""The Bolt app: listeners registered on an AsyncApp that uses our Web client."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.services import Services
from bot.slack.listeners import register
from bot.slack.payload_guard import PayloadGuard
from bot.slack.replay import ReplayGuard

log = logging.getLogger(__name__)


def build_bolt_app(svc: Services, *, socket_mode: bool = False) -> AsyncApp:
    secret = svc.settings.slack_signing_secret
    app = AsyncApp(
        client=svc.slack,
        signing_secret=secret.get_secret_value() if secret else "unused-in-socket-mode",
        # Socket Mode traffic is authenticated by the connection, not a signature.
        request_verification_enabled=not socket_mode,
        # Each listener runs inline and its ack is the response, sent as soon as it returns:
        # Bolt's default mode would poll every 10 ms for ack(). Listeners return right after
        # acking and hand the rest to `after_ack`, which starts it once the ack has been sent.
        process_before_response=True,
    )

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        log.error("unhandled error in a listener: %s", type(error).__name__, exc_info=error)

    # Bolt logs whole request bodies at DEBUG; never let them reach the logs.
    app.logger.setLevel(max(logging.INFO, app.logger.getEffectiveLevel()))
    app.use(ReplayGuard())  # after Bolt's own signature and timestamp checks
    app.use(PayloadGuard())
    register(app, svc)
    return app
