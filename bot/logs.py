"""Logging set-up for every entry point: plain or JSON lines, and the HTTP clients kept quiet."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out)


def setup_logging(level: str = "INFO", as_json: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if as_json:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    quiet_noisy(root.level)
    quiet_bolt_token_warning()


# Alembic names each plugin and step at INFO; the store logs one line for a migration itself.
NOISY = ("httpx", "httpcore", "slack_sdk", "slack_bolt", "apscheduler", "aiosqlite", "alembic")


def quiet_noisy(level: int) -> None:
    """Request bodies and URLs can carry tokens at DEBUG, and aiosqlite logs each statement with
    its values (notes, user ids): those libraries log warnings and errors only."""
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, level))


class _NotAbout(logging.Filter):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != self.text


def quiet_bolt_token_warning() -> None:
    """Bolt warns "`token` will be unused" whenever SLACK_BOT_TOKEN is in the environment and
    an app is given its client, which the bot always does on purpose (bot/slack/app.py): the
    warning says nothing a reader can act on."""
    from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped

    bolt = logging.getLogger("slack_bolt.AsyncApp")
    text = warning_client_prioritized_and_token_skipped()
    if not any(isinstance(f, _NotAbout) and f.text == text for f in bolt.filters):
        bolt.addFilter(_NotAbout(text))
