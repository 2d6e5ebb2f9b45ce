"""Times in Slack: `<!date^...>` tokens so each reader sees their own time zone."""

from __future__ import annotations

from datetime import datetime


def slack_date(when: datetime, fmt: str = "{date_short_pretty} {time}") -> str:
    fallback = when.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(when.timestamp())}^{fmt}|{fallback}>"


def slack_window(start: datetime, end: datetime) -> str:
    return f"{slack_date(start)} – {slack_date(end, '{time}')}"


def escape(text: str) -> str:
    """User text inside mrkdwn: Slack's three control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
