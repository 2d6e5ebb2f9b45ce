from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt.async_app import AsyncApp

from bot.slack.listeners.shortcuts import get_dashcam_video, open_recall_form

if TYPE_CHECKING:
    from bot.services import Services

GET_DASHCAM_VIDEO = "get_dashcam_video"  # the message shortcut's callback_id (manifest.yml)
OPEN_RECALL_FORM = "open_recall_form"  # the global shortcut's callback_id (manifest.yml)
CALLBACK_IDS = frozenset({GET_DASHCAM_VIDEO, OPEN_RECALL_FORM})


def register(app: AsyncApp, svc: Services) -> None:
    app.shortcut(GET_DASHCAM_VIDEO)(get_dashcam_video.handler(svc))
    app.shortcut(OPEN_RECALL_FORM)(open_recall_form.handler(svc))
