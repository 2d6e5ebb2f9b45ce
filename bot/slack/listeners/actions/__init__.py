from __future__ import annotations

import re
from typing import TYPE_CHECKING

from slack_bolt.async_app import AsyncApp

from bot.render import ids
from bot.slack.listeners.actions import (
    home_buttons,
    modal_controls,
    open_video,
    refresh_links,
    safety_buttons,
)

if TYPE_CHECKING:
    from bot.services import Services


def register(app: AsyncApp, svc: Services) -> None:
    app.action(ids.TARGET_KIND_PICK)(modal_controls.modal_changed(svc))
    app.action(ids.RECALL_TYPE_PICK)(modal_controls.modal_changed(svc))
    app.action(ids.TARGET_SELECT)(modal_controls.modal_changed(svc))
    app.action(ids.REFRESH_LINKS)(refresh_links.handler(svc))
    home_buttons.register(app, svc)
    safety_buttons.register(app, svc)
    app.action(re.compile(f"^{re.escape(ids.OPEN_VIDEO_PREFIX)}"))(open_video.handler(svc))
    # Other link buttons open in the browser; Slack still tells us, and wants an ack. So does a
    # button from a message or view built by an older version of the bot. Keep this one last.
    app.action(re.compile(r".*"))(modal_controls.ack_only)
