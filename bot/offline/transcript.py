"""Block Kit to terminal text, for the console. Pure."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

_DATE = re.compile(r"<!date\^(\d+)\^([^|>]*)\|([^>]*)>")
_USER = re.compile(r"<@([A-Z0-9]+)>")
_CHANNEL = re.compile(r"<#([A-Z0-9]+)(?:\|[^>]*)?>")
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_EMOJI = {
    ":hourglass_flowing_sand:": "…",
    ":satellite_antenna:": "📡",
    ":gear:": "⚙",
    ":white_check_mark:": "✔",
    ":warning:": "⚠",
    ":x:": "✘",
    ":no_entry:": "⛔",
    ":no_entry_sign:": "⛔",
    ":hourglass:": "⌛",
    ":grey_question:": "?",
    ":movie_camera:": "🎥",
    ":camera_with_flash:": "📷",
    ":clapper:": "🎬",
    ":film_frames:": "🎞",
    ":repeat:": "🔁",
    ":lock:": "🔒",
    ":frame_with_picture:": "🖼",
    ":arrows_counterclockwise:": "🔄",
    ":bar_chart:": "📊",
}


def mrkdwn(text: str, tz: ZoneInfo) -> str:
    def date(m: re.Match[str]) -> str:
        when = datetime.fromtimestamp(int(m.group(1)), UTC).astimezone(tz)
        fmt = m.group(2)
        if "{date" in fmt:
            return when.strftime("%a %d %b %H:%M %Z")
        return when.strftime("%H:%M")

    text = _DATE.sub(date, text)
    text = _USER.sub(lambda m: "@" + m.group(1), text)
    text = _CHANNEL.sub(lambda m: "#" + m.group(1), text)
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
    for code, glyph in _EMOJI.items():
        text = text.replace(code, glyph)
    return text.replace("*", "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def blocks_text(
    blocks: list[dict[str, Any]], tz: ZoneInfo, buttons: list[dict[str, Any]]
) -> list[str]:
    """Lines for a message; each button is appended to `buttons` and shown with its number."""
    lines: list[str] = []

    def button(b: dict[str, Any]) -> str:
        buttons.append(b)
        label = b.get("text", {}).get("text", "button")
        url = f" {b['url']}" if b.get("url") else ""
        return f"[{len(buttons)}] {label}{url}"

    for block in blocks:
        kind = block.get("type")
        if kind == "section":
            text = mrkdwn(block.get("text", {}).get("text", ""), tz)
            acc = block.get("accessory")
            if acc and acc.get("type") == "button":
                text += "  " + button(acc)
            lines.extend(text.splitlines())
        elif kind == "context":
            lines.append(
                "  " + " ".join(mrkdwn(e.get("text", ""), tz) for e in block.get("elements", []))
            )
        elif kind == "rich_text":  # a link too long for a button, shown whole
            for part in block.get("elements", []):
                words = (e.get("text") or e.get("url") or "" for e in part.get("elements", []))
                lines.append("".join(words))
        elif kind == "actions":
            lines.append(
                "  "
                + "  ".join(
                    button(e) for e in block.get("elements", []) if e.get("type") == "button"
                )
            )
    return lines
