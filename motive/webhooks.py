"""Motive webhooks: signature checks and the request ids a payload names."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from motive.contract import SIGNATURE_HEADER, WEBHOOK_EVENT_ACTIONS, WEBHOOK_TEST_ACTION
from motive.models import parse_time

__all__ = ["SIGNATURE_HEADER", "EventNotice", "WebhookEvent", "parse_event", "sign", "verify"]


def sign(body: bytes, secret: str) -> str:
    """Lowercase hex HMAC-SHA1 of the raw body, keyed with the webhook secret."""
    return hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def verify(body: bytes, signature: str | None, secret: str) -> bool:
    if not signature or not secret:
        return False
    # As bytes: compare_digest refuses str with non-ASCII characters (a TypeError, then a 500).
    given = signature.strip().lower().encode("utf-8", "replace")
    return hmac.compare_digest(sign(body, secret).encode(), given)


@dataclass(frozen=True)
class EventNotice:
    """A safety-event webhook: "look at event N". Its other fields are hints (where to look),
    never what is posted: the event itself is read from Motive's list."""

    id: str
    action: str
    start_time: datetime | None = None
    type: str | None = None
    vehicle_id: str | None = None


@dataclass(frozen=True)
class WebhookEvent:
    action: str
    recall_ids: tuple[str, ...]
    capture_ids: tuple[str, ...]
    safety_events: tuple[EventNotice, ...] = ()

    @property
    def is_test(self) -> bool:
        return self.action == WEBHOOK_TEST_ACTION


def _id(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | str) and str(value).strip():
        return str(value).strip()
    return None


def _one(item: dict[str, Any]) -> tuple[str, list[str], list[str]]:
    action = str(item.get("action") or "")
    recalls: list[str] = []
    captures: list[str] = []
    nested = item.get("video_recall_request")
    if isinstance(nested, dict) and (rid := _id(nested.get("id"))):
        recalls.append(rid)
    capture = item.get("image_capture")
    if isinstance(capture, dict) and (cid := _id(capture.get("request_id") or capture.get("id"))):
        captures.append(cid)
    if "image_capture" in action and (cid := _id(item.get("request_id") or item.get("id"))):
        captures.append(cid)
    elif "video_recall" in action and (rid := _id(item.get("id"))):
        recalls.append(rid)
    return action, recalls, captures


def _notice(item: dict[str, Any], action: str) -> EventNotice | None:
    """A safety-event action naming an event (flat, or under `driver_performance_event`)."""
    if action not in WEBHOOK_EVENT_ACTIONS and not action.startswith("driver_performance_event"):
        return None
    nested = item.get("driver_performance_event")
    source = nested if isinstance(nested, dict) else item
    event_id = _id(source.get("id"))
    if event_id is None:
        return None
    try:
        start = parse_time(source.get("start_time"))
    except ValueError:
        start = None
    kind = source.get("type")
    return EventNotice(
        event_id,
        action,
        start,
        kind if isinstance(kind, str) and kind else None,
        _id(source.get("vehicle_id")),
    )


def parse_event(body: bytes) -> WebhookEvent:
    """The ids a payload names. Its status is never trusted: a named request is fetched anew."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise ValueError("webhook body is not JSON") from e
    items = data if isinstance(data, list) else [data]
    actions: list[str] = []
    recalls: list[str] = []
    captures: list[str] = []
    notices: list[EventNotice] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        action, r, c = _one(item)
        actions.append(action)
        recalls.extend(x for x in r if x not in recalls)
        captures.extend(x for x in c if x not in captures)
        notice = _notice(item, action)
        if notice is not None and all(n.id != notice.id for n in notices):
            notices.append(notice)
    return WebhookEvent(
        actions[0] if actions else "", tuple(recalls), tuple(captures), tuple(notices)
    )
