"""Motive webhooks: signature checks and the request ids a payload names."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from motive.contract import SIGNATURE_HEADER, WEBHOOK_TEST_ACTION

__all__ = ["SIGNATURE_HEADER", "WebhookEvent", "parse_event", "sign", "verify"]


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
class WebhookEvent:
    action: str
    recall_ids: tuple[str, ...]
    capture_ids: tuple[str, ...]

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
    for item in items:
        if not isinstance(item, dict):
            continue
        action, r, c = _one(item)
        actions.append(action)
        recalls.extend(x for x in r if x not in recalls)
        captures.extend(x for x in c if x not in captures)
    return WebhookEvent(actions[0] if actions else "", tuple(recalls), tuple(captures))
