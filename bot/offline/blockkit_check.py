"""Would real Slack take this payload? Every message, view and response body the fake Slack
receives is judged by slack_sdk's Block Kit models and Slack's documented limits, so a payload
Slack would refuse (`invalid_blocks`, `msg_too_long`) or render wrongly fails a test here first.

Beyond what slack_sdk's validators check, it looks at the mrkdwn itself: no broadcast mention the
bot did not mean (`<!channel>` from a truck's name), no `<` left unclosed, no entity cut in half.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

# Slack's documented limits (docs.slack.dev block and method references).
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
TEXT_ADVISED = 4000  # top-level `text`: Slack truncates at 40,000 and advises about 4,000
SECTION_TEXT = 3000
URL_MAX = 3000
OPTION_VALUE = 150
OPTION_TEXT = 75
OPTIONS_MAX = 100

MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral"})
VIEW_METHODS = frozenset({"views.open", "views.update", "views.publish", "views.push"})

# The `<…>` tokens the bot means to write: a user or channel, a date, a link.
_TOKEN = re.compile(r"<([^<>]*)>")
_INTENDED = re.compile(
    r"^(@[UW][A-Z0-9]+|#[CG][A-Z0-9]+|!date\^[^|]+\|[^|]*|https?://[^|\s]+(\|.*)?)$"
)
_ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")


def problems(method: str, params: dict[str, Any]) -> list[str]:
    """What real Slack would refuse, or show wrongly, in one Web API call."""
    if method in MESSAGE_METHODS:
        return message_problems(params, where=method)
    if method in VIEW_METHODS:
        view = params.get("view")
        return view_problems(view if isinstance(view, dict) else {}, where=method)
    if method == "files.completeUploadExternal" and "initial_comment" in params:
        return _mrkdwn_problems(str(params["initial_comment"]), f"{method} initial_comment")
    return []


def message_problems(payload: dict[str, Any], *, where: str = "response_url") -> list[str]:
    """A message body: chat.* parameters or a response_url post."""
    out: list[str] = []
    text = payload.get("text")
    blocks = payload.get("blocks")
    if not text and not blocks:
        out.append(f"{where}: neither text nor blocks")
    if text is not None:
        text = str(text)
        if len(text) > TEXT_ADVISED:
            out.append(f"{where}: text fallback is {len(text)} characters (> {TEXT_ADVISED})")
        out += _mrkdwn_problems(text, f"{where} text")
    if blocks is not None:
        if not blocks:
            # An empty list removes the blocks; only chat.update may mean that.
            if where != "chat.update":
                out.append(f"{where}: empty blocks list")
        else:
            out += blocks_problems(blocks, MESSAGE_BLOCKS, where)
    return out


def view_problems(view: dict[str, Any], *, where: str = "view") -> list[str]:
    out: list[str] = []
    blocks = view.get("blocks") or []
    out += blocks_problems(blocks, VIEW_BLOCKS, where)
    fields = {k: v for k, v in view.items() if k not in ("id", "hash", "state")}
    out += _model_problems(lambda: View(**fields), where)
    if (
        view.get("type") == "modal"
        and any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
        and not view.get("submit")
    ):
        out.append(f"{where}: a modal with input blocks needs a submit button")
    return out


def options_problems(options: list[dict[str, Any]], *, where: str = "options") -> list[str]:
    """An options (typeahead) answer: Slack's limits, and one value per option."""
    out: list[str] = []
    if len(options) > OPTIONS_MAX:
        out.append(f"{where}: {len(options)} options (> {OPTIONS_MAX})")
    values = [str(o.get("value", "")) for o in options]
    for o, value in zip(options, values, strict=True):
        if len(value) > OPTION_VALUE:
            out.append(f"{where}: option value of {len(value)} characters (> {OPTION_VALUE})")
        label = str((o.get("text") or {}).get("text", ""))
        if not label or len(label) > OPTION_TEXT:
            out.append(f"{where}: option text of {len(label)} characters (1..{OPTION_TEXT})")
    if len(set(values)) != len(values):
        out.append(f"{where}: two options share a value")
    return out


def blocks_problems(blocks: Any, limit: int, where: str) -> list[str]:
    if not isinstance(blocks, list):
        return [f"{where}: blocks is not a list"]
    out: list[str] = []
    if len(blocks) > limit:
        out.append(f"{where}: {len(blocks)} blocks (> {limit})")
    ids = [b.get("block_id") for b in blocks if isinstance(b, dict) and b.get("block_id")]
    if len(set(ids)) != len(ids):
        out.append(f"{where}: repeated block_id")
    for i, block in enumerate(blocks):
        at = f"{where} block {i}"
        if not isinstance(block, dict):
            out.append(f"{at}: not an object")
            continue
        out += _model_problems(lambda b=block: _parse_block(b), at)
        out += _walk_problems(block, at)
    return out


def _parse_block(raw: dict[str, Any]) -> Block:
    block = Block.parse(raw)
    if block is None:
        raise SlackObjectFormationError(f"unknown block type {raw.get('type')!r}")
    # A block slack_sdk does not model stays a plain Block; its type must still be a real one.
    if type(block) is Block:
        raise SlackObjectFormationError(f"unknown block type {raw.get('type')!r}")
    return block


def _model_problems(build: Any, where: str) -> list[str]:
    out: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            build().validate_json()
        except (SlackObjectFormationError, TypeError, ValueError, KeyError) as e:
            out.append(f"{where}: {e}")
    out += [f"{where}: {w.message}" for w in caught if "unknown" in str(w.message).lower()]
    return out


def _walk(node: Any) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value, node
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def _walk_problems(block: dict[str, Any], where: str) -> list[str]:
    """Limits slack_sdk does not check everywhere, and what mrkdwn would show wrongly."""
    out: list[str] = []
    for key, value, parent in _walk(block):
        # Buttons and images take 3,000; a rich text link (what Slack makes of a long link a
        # person posts) has no documented limit.
        long_url = isinstance(value, str) and len(value) > URL_MAX
        if long_url and (key == "image_url" or (key == "url" and parent.get("type") == "button")):
            out.append(f"{where}: {key} of {len(value)} characters (> {URL_MAX})")
        if key == "text" and isinstance(value, str) and parent.get("type") == "mrkdwn":
            if len(value) > SECTION_TEXT:
                out.append(f"{where}: mrkdwn text of {len(value)} characters (> {SECTION_TEXT})")
            out += _mrkdwn_problems(value, where)
        if key == "options" and isinstance(value, list):
            out += options_problems(value, where=where)
    return out


def _mrkdwn_problems(text: str, where: str) -> list[str]:
    out: list[str] = []
    outside = _TOKEN.sub("", text)
    if "<" in outside or ">" in outside:
        out.append(f"{where}: unclosed or stray '<'/'>' in {_clip(text)!r}")
    for token in _TOKEN.findall(text):
        if not _INTENDED.match(token):
            out.append(f"{where}: unintended Slack token <{_clip(token)}>")
    if _ENTITY.search(outside):
        out.append(f"{where}: unescaped '&' or a cut entity in {_clip(text)!r}")
    return out


def _clip(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n // 2] + "…" + text[-n // 2 :]


def ack_problems(payload: dict[str, Any], answer: Any) -> list[str]:
    """What the app answered an interaction with, in the ack body: a typeahead's options, or a
    view submission's `response_action` (errors only on the view's input blocks)."""
    if not isinstance(answer, dict):
        return []
    where = f"ack to {payload.get('type')}"
    if payload.get("type") == "block_suggestion" and "options" in answer:
        options = answer.get("options")
        if not isinstance(options, list):
            return [f"{where}: options is not a list"]
        return options_problems(options, where=where)
    action = answer.get("response_action")
    if action == "errors":
        errors = answer.get("errors")
        if not isinstance(errors, dict) or not errors:
            return [f"{where}: errors is not a non-empty object"]
        view = payload.get("view")
        blocks = view.get("blocks") if isinstance(view, dict) else None
        inputs = {
            b.get("block_id")
            for b in (blocks if isinstance(blocks, list) else [])
            if isinstance(b, dict) and b.get("type") == "input"
        }
        if not inputs:
            return []  # a made-up view (a fuzz test's): nothing to hold the keys against
        # Slack shows errors only on input blocks; a state a test filled in stands for the
        # blocks a rebuilt view would hold.
        state = view.get("state") if isinstance(view, dict) else None
        values = state.get("values") if isinstance(state, dict) else None
        inputs |= set(values) if isinstance(values, dict) else set()
        return [
            f"{where}: error on {key!r}, not an input block of the view"
            for key in errors
            if key not in inputs
        ]
    if action in ("update", "push"):
        view = answer.get("view")
        return view_problems(view if isinstance(view, dict) else {}, where=where)
    return []
