"""The Bolt app: listeners registered on an AsyncApp that uses our Web client."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.ingress.payload_guard import PayloadGuard
from bot.slack.ingress.post_ack import acks_first, start_after_ack
from bot.slack.ingress.replay import ReplayGuard
from bot.slack.ingress.workspace import Workspace, WorkspaceGuard
from bot.slack.listeners import register

if TYPE_CHECKING:
    from bot.background import Background
    from bot.services import Services

log = logging.getLogger(__name__)
# The logger of Bolt's signature check (get_bolt_logger names it after RequestVerification).
VERIFICATION_LOGGER = "slack_bolt.RequestVerification"


class BotIdentity:
    """Who the bot is, for Bolt's authorization step: the token, and the bot's user and bot ids
    from the auth.test answer the workspace learnt at start (Bolt's single-workspace default asks
    on the first request, ahead of its ack). If Slack could not answer then, it is asked again
    after an ack; meanwhile the token and the request's team are all a listener needs."""

    def __init__(
        self, client: AsyncWebClient, background: Background, workspace: Workspace | None = None
    ) -> None:
        self._client = client
        self._background = background
        self._workspace = workspace or Workspace(client)
        self._asking = False

    async def __call__(self, enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        workspace = self._workspace
        if not workspace.asked and not self._asking:
            self._asking = True
            start_after_ack(lambda: self._background.spawn(self._ask()))
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id,
            bot_token=self._client.token,
            bot_user_id=workspace.bot_user_id,
            bot_id=workspace.bot_id,
        )

    async def _ask(self) -> None:
        try:
            await self._workspace.learn()  # logs a failure; asked again on the next request
        finally:
            self._asking = False


def build_bolt_app(svc: Services, *, socket_mode: bool = False) -> AsyncApp:
    secret = svc.settings.slack_signing_secret
    signing_secret = secret.get_secret_value() if secret else None
    # Socket Mode traffic is authenticated by its connection; over HTTP only the signature tells
    # Slack's requests from anyone's, and Bolt checks it (and the five-minute timestamp) itself.
    if not socket_mode and not signing_secret:
        raise ValueError("Slack over HTTP needs SLACK_SIGNING_SECRET to verify its requests")
    identity = BotIdentity(svc.slack, svc.background, svc.workspace)
    # Background work (post-ack work, polls, webhook fetches) shares the event loop with the
    # acks: during a burst of Slack requests it waits for the burst to pass.
    svc.background.gate = acks_first

    async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        return await identity(enterprise_id, team_id)

    app = AsyncApp(
        # Named, or Bolt walks the call stack (inspect.stack) to name it: 15 ms of start-up.
        name="motive-bot",
        # The per-request clients Bolt makes from this one get the token from `authorize`.
        client=AsyncWebClient(
            token=None,
            base_url=svc.slack.base_url,
            timeout=svc.slack.timeout,
            retry_handlers=list(svc.slack.retry_handlers),
        ),
        authorize=authorize,
        # Bolt's own signature check over HTTP; in Socket Mode it is never asked (and a
        # Socket Mode app may have no secret at all).
        signing_secret=signing_secret or "",
        request_verification_enabled=not socket_mode,
        # Each listener runs inline and its ack is the response, sent as soon as it returns:
        # Bolt's default mode would poll every 10 ms for ack(). Listeners return right after
        # acking and hand the rest to `after_ack`, which starts it once the ack has been sent.
        process_before_response=True,
    )

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        log.error("unhandled error in a listener: %s", type(error).__name__, exc_info=error)

    app.use(ReplayGuard())  # after Bolt's signature and timestamp checks
    app.use(PayloadGuard())
    # Only the workspace (or Grid org) the bot is installed in; read from what Bolt extracted.
    app.use(WorkspaceGuard(svc.workspace, svc.background))
    register(app, svc)
    # Bolt logs whole events and response bodies at DEBUG; never let them reach the logs. Its
    # loggers (one per middleware, runner and listener matcher) took the root's level when they
    # were made, the matchers' while the listeners were registered just now: cap them all.
    for name, logger in logging.Logger.manager.loggerDict.items():
        if name.startswith("slack_bolt") and isinstance(logger, logging.Logger):
            logger.setLevel(max(logging.INFO, logger.getEffectiveLevel()))
    app.logger.setLevel(max(logging.INFO, app.logger.getEffectiveLevel()))
    # Bolt's signature check logs a refused request's whole body at INFO: only its warnings
    # pass (the HTTP route logs the refusal itself, without the body).
    logging.getLogger(VERIFICATION_LOGGER).setLevel(logging.WARNING)
    return app
