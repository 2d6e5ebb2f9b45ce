"""Block Kit for messages: pure functions from plain values to blocks (and their text fallback)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.grammar.words import (
    CAMERA_EXAMPLES,
    CAMERA_WORDS,
    DEFAULT_DURATION,
    DURATION_EXAMPLES,
    RECALL_EXAMPLES,
    SNAPSHOT_EXAMPLES,
    WHEN_EXAMPLES,
)
from bot.render import ids
from bot.render.timefmt import escape, slack_date, slack_window
from motive.contract import UPLOAD_MINUTES
from motive.models import QuotaInfo, RecallCamera
from motive.rules import (
    DURATIONS,
    CameraPosition,
    RecallRequest,
    SnapshotRequest,
    allowed_snapshot_positions,
)

Block = dict[str, Any]

# Slack's limits (docs.slack.dev): a section's text, a link button's url, and the top-level
# `text` fallback, which Slack advises keeping under about 4,000 characters.
SECTION_LIMIT = 3000
URL_LIMIT = 3000
FALLBACK_LIMIT = 4000
SHORTENED = "… _(shortened)_"
# mrkdwn has no escape for its formatting characters: a name holding one is never put in bold.
FORMATTING = frozenset("*_~`")
_CUT_ENTITY = re.compile(r"&[a-z]{0,3}$")

STATUS_LABELS = {
    "checking": ":hourglass_flowing_sand: Checking with Motive…",
    "creating": ":hourglass_flowing_sand: Asking Motive…",
    "pending": ":satellite_antenna: Requested — waiting for the truck to upload",
    "processing": ":gear: Motive is processing the footage",
    "completed": ":white_check_mark: Done",
    "partially_completed": ":warning: Partly done — some cameras failed",
    "success": ":white_check_mark: Done",
    "failed": ":x: Failed",
    "cancelled": ":no_entry_sign: Cancelled at Motive",
    "refused": ":no_entry: Motive refused the request",
    "gave_up": ":hourglass: Gave up waiting",
    "unknown": ":grey_question: Outcome unknown",
}

CAMERA_LABELS = {
    "front_facing": "Road-facing",
    "driver_facing": "Driver-facing",
    "front_narrow_facing": "Narrow road-facing",
    "side_left": "Left side",
    "side_right": "Right side",
    "rear": "Rear",
}


def counted(n: int, noun: str) -> str:
    """ "1 camera", "2 cameras", "0 cameras": a count and its noun in agreement."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def camera_label(position: str | None) -> str:
    return CAMERA_LABELS.get(position or "", position or "camera")


def bounded(mrkdwn: str, limit: int = SECTION_LIMIT, marker: str = SHORTENED) -> str:
    """Escaped mrkdwn cut to `limit` with a visible marker, never inside an entity (`&l`) or a
    `<…>` token (a link or date left unclosed)."""
    if len(mrkdwn) <= limit:
        return mrkdwn
    head = mrkdwn[: limit - len(marker)]
    if head.rfind("<") > head.rfind(">"):
        head = head[: head.rfind("<")]
    head = _CUT_ENTITY.sub("", head)
    return head.rstrip() + marker


def fallback(text: str) -> str:
    """The top-level `text` of a message, from plain words: escaped (a name holding `<!channel>`
    must not ping) and within Slack's advised length."""
    return bounded(escape(text), FALLBACK_LIMIT, "…")


def strong(name: str) -> str:
    """A name in bold, escaped; a name holding mrkdwn's formatting characters stays unbolded, as
    its own `*` or `_` would end the bold early."""
    if FORMATTING & set(name):
        return escape(name)
    return f"*{escape(name)}*"


def section(text: str, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": bounded(text)}}
    if block_id:
        block["block_id"] = block_id
    return block


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": bounded(text)}]}


def link_as_text(label: str, url: str) -> Block:
    """A link too long for a button or a section (> 3,000 characters): Slack takes it whole as
    a rich text link, which shows the address itself. A presigned URL is never cut."""
    return {
        "type": "rich_text",
        "elements": [
            {
                "type": "rich_text_section",
                "elements": [
                    {"type": "text", "text": f"{label}: "},
                    {"type": "link", "url": url},
                ],
            }
        ],
    }


@dataclass(frozen=True)
class AnchorInfo:
    """What the anchor message shows about one request: the validated request itself, and where
    it stands."""

    request: RecallRequest | SnapshotRequest
    requester: str
    status: str
    note: str | None = None
    motive_id: str | None = None
    detail: str | None = None
    # `status` is a word Motive answered that the bot does not know: shown as Motive's own.
    motive_word: bool = False
    # A snapshot of every camera at once: the cameras asked for (empty: the request's one).
    positions: tuple[str, ...] = ()
    # When the request was made: with a recall that is waiting for its upload, the anchor says
    # when to expect it.
    asked_at: datetime | None = None
    # Where and who at the requested minute, from Motive's locations (plain words).
    whereabouts: str | None = None


def _status_label(info: AnchorInfo) -> str:
    if info.motive_word or info.status not in STATUS_LABELS:
        # Plain words: escaped where they are put into mrkdwn, and only there.
        return f':grey_question: Motive says "{info.status}" — still waiting'
    return STATUS_LABELS[info.status]


def anchor(info: AnchorInfo) -> tuple[str, list[Block]]:
    status = _status_label(info)
    req = info.request
    label = req.target.label
    if isinstance(req, RecallRequest):
        cams = (
            "all cameras"
            if not req.camera_positions
            else ", ".join(camera_label(c) for c in req.camera_positions)
        )
        title = f":movie_camera: *Video recall* for {strong(label)}"
        lines = [
            title,
            f"*When:* {slack_window(req.start_time, req.end_time)}",
            f"*Type:* {req.recall_type.value} · *Cameras:* {cams}",
        ]
        plain = f"Video recall for {label}: {status}"
    else:
        title = f":camera_with_flash: *Snapshot* from {strong(label)}"
        lines = [title, f"*Camera:* {camera_label(req.position)}"]
        if info.positions:
            cams = ", ".join(camera_label(p) for p in info.positions)
            lines = [
                f":camera_with_flash: *Snapshots* from {strong(label)}",
                f"*Cameras:* {cams}",
            ]
        plain = f"Snapshot{'s' if info.positions else ''} from {label}: {status}"
    if info.whereabouts:
        lines.append(f"*Where and who:* {escape(info.whereabouts)}")
    lines.append(f"*Asked by:* <@{info.requester}>")
    if info.note:
        lines.append(f"*Note:* {escape(info.note)}")
    blocks = [section("\n".join(lines)), section(f"*Status:* {escape(status)}{_expected(info)}")]
    foot = []
    if info.motive_id:
        foot.append(f"Motive request {escape(info.motive_id)}")
    if info.detail:
        foot.append(escape(info.detail))
    if foot:
        blocks.append(context(" · ".join(foot)))
    return fallback(plain), blocks


def _expected(info: AnchorInfo) -> str:
    """When a requested recall's footage usually arrives, from its own request time: the truck
    uploads it once it is on and in coverage."""
    if info.status != "pending" or info.asked_at is None or info.motive_word:
        return ""
    if not isinstance(info.request, RecallRequest):
        return ""
    lo, hi = UPLOAD_MINUTES
    by = info.asked_at + timedelta(minutes=hi)
    return f" (usually {lo}–{hi} minutes: expect it by {slack_date(by, '{time}')})"


def problem(message: str, example: str | None = None, *, word: str = "") -> tuple[str, list[Block]]:
    """A private reply about a bad input: what went wrong and what to type instead."""
    text = f":warning: {escape(message)}"
    blocks = [section(text)]
    if example:
        blocks.append(context(f"Try: `{escape(example)}`"))
    return fallback(message), blocks


def help_message(command: str) -> tuple[str, list[Block]]:
    examples: tuple[str, ...]
    if command == "/snapshot":
        vehicle = ", ".join(f"`{_word(p)}`" for p in allowed_snapshot_positions("vehicle"))
        asset = ", ".join(f"`{_word(p)}`" for p in allowed_snapshot_positions("asset"))
        body = (
            "*/snapshot* takes a still image from one camera, now.\n"
            '• `/snapshot TRUCK CAMERA` or `/snapshot asset:"NAME" CAMERA`\n'
            "• `/snapshot TRUCK all`: every camera the unit has, the images together\n"
            f"• Cameras on vehicles: {vehicle}; on assets: {asset}\n"
            "• `/snapshot` alone opens a form."
        )
        examples = SNAPSHOT_EXAMPLES
    else:
        lengths = "; ".join(
            f"{rtype.value} {', '.join(f'`{d}m`' for d in allowed)} (default {DEFAULT_DURATION[rtype]}m)"
            for rtype, allowed in DURATIONS.items()
        )
        cameras = ", ".join(f"`{_word(p)}`" for p in CameraPosition)
        body = (
            "*/recall* asks Motive for dashcam video from a past moment.\n"
            "• `/recall TRUCK WHEN [DURATION] [timelapse] [CAMERAS] [note:TEXT]`\n"
            '• Truck: a vehicle number, or `asset:"NAME"` for a trailer\n'
            f"• When, in your Slack time zone: {_codes(WHEN_EXAMPLES)}. A time of day is its "
            "latest past occurrence, and one without am/pm the latest of the two (at 9 pm, "
            "`2:15` is 14:15 today; the request says which); `now` is the latest window there "
            "is footage for. Recalls are for the past\n"
            f"• Duration: {lengths}; written like {_codes(DURATION_EXAMPLES)}\n"
            f"• Cameras (default all): {cameras}, or full names like `front_facing`; together "
            f"like {_codes(CAMERA_EXAMPLES)}\n"
            "• The same truck, type and cameras over a window already asked for points you to "
            "that thread; add `again` to ask anyway\n"
            "• `/recall` alone opens a form."
        )
        examples = RECALL_EXAMPLES
    ex = "\n".join(f"`{e}`" for e in examples)
    return body, [section(body), section(f"*Examples*\n{ex}")]


def _codes(words: tuple[str, ...]) -> str:
    return ", ".join(f"`{w}`" for w in words)


def _word(position: CameraPosition) -> str:
    """The short word the grammar takes for a position."""
    return next(w for w, p in CAMERA_WORDS.items() if p is position)


def no_footage(
    target_label: str, start: datetime, end: datetime, nearest: list[tuple[datetime, datetime]]
) -> tuple[str, list[Block]]:
    text = (
        f":film_frames: {escape(target_label)} has no recorded footage for "
        f"{slack_window(start, end)}. No quota was spent."
    )
    blocks = [section(text)]
    if nearest:
        listed = "\n".join(f"• {slack_date(a)} – {slack_date(b)}" for a, b in nearest)
        blocks.append(section(f"*Nearest recorded footage:*\n{listed}"))
    return fallback(f"{target_label} has no recorded footage for that window."), blocks


def duplicate(
    channel: str, ts: str | None, existing_id: int, permalink: str | None = None
) -> tuple[str, list[Block]]:
    """The same request is already in flight: a link to its thread (from chat.getPermalink),
    else where it is; never a raw message ts."""
    # Public (C…) and private (G…) channels can be named; a D… conversation is the DM.
    where = f"<#{channel}>" if channel[:1] in ("C", "G") else "our DM"
    if permalink and len(permalink) <= URL_LIMIT:
        link = f" (<{permalink}|see its thread> in {where})"
    elif ts:
        link = f" (its thread is in {where})"
    else:
        link = ""
    text = (
        f":repeat: The same request is already in flight (#{existing_id}){link}; "
        "I'll post the result there. No quota was spent."
    )
    return fallback("The same request is already in flight."), [section(text)]


def open_video_value(request_id: int, position: str | None) -> str:
    return f"{request_id}:{position or ''}"[:200]


def read_open_video_value(value: str) -> tuple[int | None, str | None]:
    """(request id, camera position) from an "Open video" button's value; Nones if unreadable
    (a button from a message built before it carried them)."""
    head, _, position = value.partition(":")
    return (int(head) if head.isdigit() else None), (position or None)


def recall_results(
    request_id: int, cameras: Sequence[RecallCamera], *, refreshed: bool = False
) -> tuple[str, list[Block]]:
    """One thread reply: a link button per finished camera, and why any camera failed."""
    done = [c for c in cameras if c.download_url]
    failed = [c for c in cameras if not c.download_url]
    head = ":arrows_counterclockwise: Fresh links" if refreshed else ":clapper: Footage is ready"
    of = f"{len(done)} of {counted(len(cameras), 'camera')}"
    blocks: list[Block] = [section(f"*{head}* — {of}")]
    for i, cam in enumerate(done):
        assert cam.download_url is not None
        when = (
            f"link expires {slack_date(cam.expires_at)}"
            if cam.expires_at
            else "link expiry not given"
        )
        line = f"*{camera_label(cam.position)}* ({escape(cam.camera_type or 'camera')}) · {when}"
        if len(cam.download_url) > URL_LIMIT:
            # Too long for a button (Slack refuses it; cut, it is a dead link): shown whole.
            blocks += [section(line), link_as_text("Open video", cam.download_url)]
            continue
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": bounded(line)},
                "accessory": {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Open video"},
                    "url": cam.download_url,
                    # Unique within the message even when Motive repeats or omits a position.
                    "action_id": f"{ids.OPEN_VIDEO_PREFIX}{cam.position or 'x'}_{i}",
                    # Slack tells the bot who opened which link: the audit trail records it.
                    "value": open_video_value(request_id, cam.position),
                },
            }
        )
    for cam in failed:
        why = cam.error_message or f"status {cam.status or 'unknown'}"
        blocks.append(section(f":x: *{camera_label(cam.position)}*: {escape(why)}"))
    if done:
        blocks.append(
            {
                "type": "actions",
                "block_id": f"{ids.REFRESH_BLOCK_PREFIX}{request_id}",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Refresh links"},
                        "action_id": ids.REFRESH_LINKS,
                        "value": str(request_id),
                    }
                ],
            }
        )
    # The links themselves stay in the blocks: six presigned URLs would pass 4,000 characters,
    # and a cut one is a dead link.
    if not done:
        return fallback("No camera produced footage."), blocks
    names = ", ".join(camera_label(c.position) for c in done)
    return fallback(f"Footage is ready: {of} ({names})"), blocks


def snapshot_link(url: str, expires: datetime | None, why: str) -> tuple[str, list[Block]]:
    until = f" (expires {slack_date(expires)})" if expires else ""
    because = context(f"I could not upload it here: {escape(why)}")
    line = f":frame_with_picture: <{url}|Open the snapshot>{until}."
    if len(url) > URL_LIMIT or len(line) > SECTION_LIMIT:
        # Cut, the link would be dead and its `<` left open: shown whole instead.
        blocks = [section(f":frame_with_picture: The snapshot{until}:"), link_as_text("Open", url)]
        return fallback("Snapshot ready: open the link in this message."), [*blocks, because]
    return fallback("Snapshot ready: open the link in this message."), [section(line), because]


def final_problem(text: str) -> tuple[str, list[Block]]:
    return fallback(text), [section(f":x: {escape(text)}")]


def not_in_private_channel(channel: str) -> tuple[str, list[Block]]:
    text = (
        f"I'm not a member of <#{channel}>, so I can't post there. Invite me with "
        "`/invite @Motive Clips` and ask again. Meanwhile I'll follow this request in our DM."
    )
    return text, [section(f":lock: {text}")]


def quota_line(quota: QuotaInfo) -> str:
    r, t = quota.regular, quota.timelapse
    return (
        f"Quota left this month: regular {r.remaining_minutes} of {r.total_minutes} min, "
        f"timelapse {t.remaining_minutes} of {t.total_minutes} min"
    )


def marked(blocks: list[Block], marker: str) -> list[Block]:
    """Tag a delivery's first block, so a restart can recognise it in the thread."""
    out = [dict(b) for b in blocks]
    if out:
        out[0]["block_id"] = marker
    return out
