"""POST /motive/webhooks: verify, answer 200 at once, then fetch the named requests."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from motive.webhooks import SIGNATURE_HEADER, parse_event, verify

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)


def handler(svc: Services) -> Callable[[Request], Awaitable[Response]]:
    async def motive_webhook(request: Request) -> Response:
        body = await request.body()
        secret = svc.settings.motive_webhook_secret
        if secret is None or not verify(
            body, request.headers.get(SIGNATURE_HEADER), secret.get_secret_value()
        ):
            return JSONResponse({"error": "bad signature"}, status_code=403)
        try:
            event = parse_event(body)
        except ValueError:
            return JSONResponse({"error": "body is not JSON"}, status_code=400)
        if event.is_test:
            return JSONResponse({"ok": True})
        # Fetch after answering: Motive wants its 200 within 3 seconds.
        if event.recall_ids:
            # Signed and naming a recall: the webhook works, so recalls may rely on it.
            svc.background.spawn(svc.tracker.trust.verified())
        for recall_id in event.recall_ids:
            svc.background.spawn(svc.tracker.poll_motive_id("recall", recall_id))
        for capture_id in event.capture_ids:
            svc.background.spawn(svc.tracker.poll_motive_id("snapshot", capture_id))
        for notice in event.safety_events:
            svc.safety.notice(notice)  # "look at event N": read from Motive, then posted once
        return JSONResponse({"ok": True})

    return motive_webhook
