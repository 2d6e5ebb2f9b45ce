"""The one Slack workspace (or Grid org) the bot serves, and the Bolt middleware that turns
everyone else away.

A correctly signed request proves only that Slack sent it for this app, not that it came from the
workspace the app was installed in: an app can be installed in more than one, and its requests all
carry the one signing secret. What the bot was installed in is learnt from `auth.test` at start
(or given as `SLACK_TEAM_ID`), and each request's team and enterprise, as Bolt reads them from
the payload, are held against it. A stranger is told politely where its response_url allows,
and nothing runs: no form, no Motive call, no message.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.background import Background
from bot.slack.ingress.post_ack import start_after_ack
from bot.slack_api.web import SLACK_FAILURES, slack_error

log = logging.getLogger(__name__)

REFUSAL = (
    "Sorry, I only take requests from the Slack workspace I was installed in, "
    "so I can't do anything for you here."
)
UNKNOWN = (
    "I can't tell right now which Slack workspace I belong to, so I can't take this request. "
    "Please try again in a minute."
)


@dataclass(frozen=True)
class Installation:
    """Where the app is installed: a workspace (`team_id`, and its Grid org if it has one), or a
    whole Grid org (`org_wide`: any workspace of `enterprise_id`)."""

    team_id: str | None
    enterprise_id: str | None = None
    org_wide: bool = False

    @classmethod
    def from_auth_test(cls, answer: Any) -> Installation:
        enterprise = answer.get("enterprise_id") or None
        if answer.get("is_enterprise_install") is True and enterprise:
            return cls(None, str(enterprise), org_wide=True)
        team = answer.get("team_id")
        if not isinstance(team, str) or not team:
            raise ValueError("auth.test named no team")
        return cls(team, str(enterprise) if enterprise else None)

    @classmethod
    def from_setting(cls, value: str) -> Installation:
        """SLACK_TEAM_ID: a workspace's id (T…), or an org's (E…) for an org-wide install."""
        value = value.strip()
        if value.startswith("E"):
            return cls(None, value, org_wide=True)
        return cls(value)

    def admits(self, enterprise_id: str | None, team_id: str | None) -> bool:
        if self.org_wide:
            return enterprise_id == self.enterprise_id
        if team_id != self.team_id:
            return False
        # A workspace of a Grid org: the org must be ours too when the request names one.
        return (
            enterprise_id is None
            or self.enterprise_id is None
            or enterprise_id == self.enterprise_id
        )

    def describe(self) -> str:
        if self.org_wide:
            return f"org {self.enterprise_id}"
        return f"team {self.team_id}" + (
            f" of org {self.enterprise_id}" if self.enterprise_id else ""
        )


class Workspace:
    """The installation, learnt once (from the setting, or from auth.test), and the bot's own
    user and bot ids, which the same auth.test answer carries."""

    def __init__(self, client: AsyncWebClient, configured: str | None = None) -> None:
        self._client = client
        self.installation = Installation.from_setting(configured) if configured else None
        self.bot_user_id: str | None = None
        self.bot_id: str | None = None
        self._asked = False
        self._lock = asyncio.Lock()

    @property
    def asked(self) -> bool:
        """Whether auth.test has answered (the bot's ids are known)."""
        return self._asked

    async def learn(self) -> Installation | None:
        """Ask auth.test, and once it has answered never again. The installation: the one set
        (SLACK_TEAM_ID) or the one Slack named; None while neither is known."""
        if self._asked:
            return self.installation
        async with self._lock:
            if not self._asked:
                try:
                    answer = await self._client.auth_test()
                    learnt = Installation.from_auth_test(answer)
                except (*SLACK_FAILURES, ValueError) as e:
                    why = slack_error(e) if not isinstance(e, ValueError) else str(e)
                    log.warning("auth.test failed (%s); asking again on the next request", why)
                    return self.installation
                self.bot_user_id = _text(answer.get("user_id"))
                self.bot_id = _text(answer.get("bot_id"))
                if self.installation is None:
                    self.installation = learnt
                self._asked = True
                log.info("serving Slack %s", self.installation.describe())
        return self.installation


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


@dataclass(eq=False)
class WorkspaceGuard(AsyncMiddleware):
    """Bolt middleware: requests from the installation go on; others are refused politely."""

    workspace: Workspace
    background: Background

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        # Learnt at start; asked again here only if Slack could not answer then.
        installation = self.workspace.installation or await self.workspace.learn()
        enterprise_id, team_id = req.context.enterprise_id, req.context.team_id
        if installation is not None and installation.admits(enterprise_id, team_id):
            return await next()
        kind = _kind(req.body)
        if installation is None:
            log.warning("refused a Slack %s: not known yet which workspace this bot serves", kind)
            return self._refuse(req, kind, UNKNOWN)
        log.warning(
            "refused a Slack %s from team %s (org %s): this bot serves %s",
            kind,
            str(team_id)[:20],
            str(enterprise_id)[:20],
            installation.describe(),
        )
        return self._refuse(req, kind, REFUSAL)

    def _refuse(self, req: AsyncBoltRequest, kind: str, text: str) -> BoltResponse:
        respond = req.context.respond
        if req.context.response_url and respond is not None:
            # Told through the request's response_url once the empty ack has gone.
            async def tell() -> None:
                try:
                    await respond(text=text, response_type="ephemeral", replace_original=False)
                except Exception as e:  # a stranger's reply is worth a log line, no more
                    log.info("could not tell a stranger they were refused (%s)", type(e).__name__)

            start_after_ack(lambda: self.background.spawn(tell()))
            return BoltResponse(status=200, body="")
        if kind == "view_submission":
            return _json({"response_action": "update", "view": _refusal_view(text)})
        if kind == "block_suggestion":
            return _json({"options": []})
        return BoltResponse(status=200, body="")  # nobody to tell: an event, a shortcut


def _kind(body: dict[str, Any]) -> str:
    if isinstance(body.get("command"), str):
        return "command"
    kind = body.get("type")
    return kind if isinstance(kind, str) else "request"


def _json(answer: dict[str, Any]) -> BoltResponse:
    return BoltResponse(
        status=200,
        body=json.dumps(answer),
        headers={"content-type": "application/json;charset=utf-8"},
    )


def _refusal_view(text: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Motive Clips"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [{"type": "section", "text": {"type": "plain_text", "text": text}}],
    }
