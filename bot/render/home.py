"""Block Kit for "My requests": the App Home tab and `/recall mine`. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.render.blocks import STATUS_LABELS, Block, camera_label, context, section
from bot.render.timefmt import escape, slack_window
from motive.models import QuotaInfo

HOME_OPEN_RECALL = "home_open_recall"
HOME_OPEN_SNAPSHOT = "home_open_snapshot"
FINISHED_SHOWN = 20
# Slack allows 100 blocks in a Home tab; the header, quota, buttons and dividers take a few.
_MAX_ROWS = 90


@dataclass(frozen=True)
class RequestLine:
    """One request as the list shows it: plain values, read from the store by the caller."""

    id: int
    kind: str  # recall | snapshot
    target: str  # the fleet's label, e.g. TRK-101 or asset "Reefer 12"
    start: datetime | None  # a recall's window; None for a snapshot
    end: datetime | None
    cameras: str  # "all cameras", "Road-facing, Rear", or a snapshot's camera
    status: str  # a STATUS_LABELS key, or Motive's own word
    problem: str | None = None
    link: str | None = None  # the thread where the result is (chat.getPermalink)


def status_text(status: str) -> str:
    return STATUS_LABELS.get(status, f'Motive says "{escape(status)}"')


def line_text(line: RequestLine) -> str:
    what = ":movie_camera: Recall" if line.kind == "recall" else ":camera_with_flash: Snapshot"
    head = f"*{what}* · *{escape(line.target)}*"
    if line.start is not None and line.end is not None:
        head += f" · {slack_window(line.start, line.end)}"
    parts = [head, f"{escape(line.cameras)} · {status_text(line.status)}"]
    if line.problem:
        parts.append(f"_{escape(line.problem[:300])}_")
    if line.link:
        parts.append(f"<{line.link}|Open the thread>")
    return "\n".join(parts)


def _lines(title: str, lines: Sequence[RequestLine], empty: str) -> list[Block]:
    blocks: list[Block] = [section(f"*{title}*")]
    if not lines:
        blocks.append(context(empty))
    blocks.extend(section(line_text(line), block_id=f"req-{line.id}") for line in lines)
    return blocks


def quota_text(quota: QuotaInfo | None, problem: str | None = None) -> str:
    if quota is None:
        return (
            f":grey_question: Quota left this month: not known ({escape(problem or 'no answer')})"
        )
    r, t = quota.regular, quota.timelapse

    def left(remaining: int | None, total: int | None) -> str:
        if remaining is None:
            return "not given"
        return f"{remaining} of {total} min" if total is not None else f"{remaining} min"

    return (
        ":bar_chart: *Quota left this month:* regular "
        f"{left(r.remaining_minutes, r.total_minutes)} · timelapse "
        f"{left(t.remaining_minutes, t.total_minutes)}"
    )


def _button(text: str, action_id: str, *, primary: bool = False) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
    }
    if primary:
        button["style"] = "primary"
    return button


def home_view(
    in_flight: Sequence[RequestLine],
    finished: Sequence[RequestLine],
    quota: QuotaInfo | None,
    quota_problem: str | None = None,
) -> dict[str, Any]:
    """The Home tab. Holds nothing that changes by itself (no "updated at"), so the same
    requests and quota give the same view, and a repeat publish can be recognised."""
    in_flight = in_flight[: _MAX_ROWS // 3]
    finished = finished[: min(FINISHED_SHOWN, _MAX_ROWS - len(in_flight))]
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "My requests"}},
        {
            "type": "actions",
            "block_id": "home_buttons",
            "elements": [
                _button("Video recall", HOME_OPEN_RECALL, primary=True),
                _button("Camera snapshot", HOME_OPEN_SNAPSHOT),
            ],
        },
        section(quota_text(quota, quota_problem), block_id="home_quota"),
        {"type": "divider"},
        *_lines("In flight", in_flight, "Nothing in flight."),
        {"type": "divider"},
        *_lines(
            f"Last {FINISHED_SHOWN} finished", finished, "Nothing finished yet: ask with /recall."
        ),
    ]
    return {"type": "home", "blocks": blocks}


def mine_message(
    in_flight: Sequence[RequestLine],
    finished: Sequence[RequestLine],
    quota: QuotaInfo | None,
    quota_problem: str | None = None,
) -> tuple[str, list[Block]]:
    """`/recall mine`: the same list, privately in the channel (a message holds 50 blocks)."""
    blocks: list[Block] = [
        section(quota_text(quota, quota_problem)),
        *_lines("In flight", in_flight[:15], "Nothing in flight."),
        *_lines(f"Last {FINISHED_SHOWN} finished", finished[:FINISHED_SHOWN], "Nothing yet."),
    ]
    text = f"My requests: {len(in_flight)} in flight, {len(finished)} finished recently"
    return text, blocks[:50]


def cameras_of(kind: str, positions: Sequence[str] | None) -> str:
    if kind == "snapshot":
        return ", ".join(camera_label(p) for p in positions or ()) or "camera"
    return ", ".join(camera_label(p) for p in positions) if positions else "all cameras"
