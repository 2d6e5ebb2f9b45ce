"""Block Kit: what real Slack would refuse fails here first (bot/offline/blockkit_check.py, run
by the fake Slack over every payload), and the rendering bugs it found, one test each."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.offline import blockkit_check as check
from bot.render import blocks as bk
from bot.render import ids
from bot.render.modals import (
    Origin,
    duration_label,
    option_target,
    option_value,
    read_view,
    recall_modal,
)
from motive.models import RecallCamera
from motive.rules import (
    DURATIONS,
    CameraPosition,
    RecallType,
    RuleViolation,
    Target,
    check_equipment,
    validate_recall,
    validate_snapshot,
)
from motive.simulator.fleet import Unit
from tests.slack.test_forms import _opt, _state, open_recall_modal
from tests.support.stack import Stack, wait_for

NOW = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)


def _message(text: str, blocks: list[dict[str, Any]]) -> list[str]:
    return check.message_problems({"text": text, "blocks": blocks}, where="test")


def _recall(name: str) -> Any:
    return validate_recall(
        vehicle_number=name, start_time=NOW - timedelta(hours=1), duration=2, now=NOW
    )


def _url(n: int) -> str:
    base = "https://media.example.com/clip.mp4?X-Amz-Signature="
    return base + "a" * (n - len(base) - 8) + "&x=1&y=2"


# --- the check itself: each limit it enforces can fail ------------------------------------------


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"text": "x", "blocks": [bk.section("ok")] * 51}, "51 blocks"),
        (
            {
                "text": "x",
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "a" * 3001}}],
            },
            "3000",
        ),
        ({"text": "x" * 4001}, "4001 characters"),
        ({"text": "hello <!channel>"}, "unintended Slack token"),
        ({"text": "x", "blocks": [bk.section("see <https://a.example/x|the")]}, "unclosed"),
        ({"text": "x", "blocks": [bk.section("A &l")]}, "cut entity"),
        (
            {
                "text": "x",
                "blocks": [
                    {
                        "type": "actions",
                        "elements": [
                            {
                                "type": "button",
                                "text": {"type": "plain_text", "text": "b"},
                                "action_id": f"a{i}",
                            }
                            for i in range(26)
                        ],
                    }
                ],
            },
            "elements",
        ),
        (
            {
                "text": "x",
                "blocks": [
                    {
                        "type": "section",
                        "text": {"type": "mrkdwn", "text": "v"},
                        "accessory": {
                            "type": "button",
                            "text": {"type": "plain_text", "text": "Open"},
                            "url": _url(3001),
                            "action_id": "o",
                        },
                    }
                ],
            },
            "url",
        ),
        ({"text": "x", "blocks": [{"type": "sektion", "text": "x"}]}, "unknown block type"),
    ],
)
def test_the_check_refuses_what_slack_would(payload: dict[str, Any], fragment: str) -> None:
    found = check.message_problems(payload, where="test")
    assert any(fragment in p for p in found), found


def test_the_check_refuses_a_modal_past_its_limits() -> None:
    view = recall_modal(Origin("C1", "U1"), start=NOW)
    assert check.view_problems(view) == []
    view["blocks"] = view["blocks"] * 15
    assert any("blocks" in p for p in check.view_problems(view))
    options = [{"text": {"type": "plain_text", "text": "x"}, "value": "v" * 151}] * 2
    found = check.options_problems(options)
    assert any("151" in p for p in found) and any("share a value" in p for p in found)


async def test_the_fake_slack_records_a_refused_payload(stack: Stack) -> None:
    await stack.svc.slack.chat_postMessage(
        channel="C0DISPATCH", text="x", blocks=[bk.section("fine"), {"type": "section"}]
    )
    assert any("chat.postMessage block 1" in v for v in stack.slack.violations)
    stack.slack.violations.clear()  # the fixture checks that the bot itself sent nothing wrong


# --- text fallbacks --------------------------------------------------------------------------


def test_fallbacks_are_escaped_and_cannot_ping() -> None:
    info = bk.AnchorInfo(_recall("<!channel> & <@U123>"), "U0DISPATCH", "pending")
    text, blocks = bk.anchor(info)
    assert "<!channel>" not in text and "&lt;!channel&gt; &amp; &lt;@U123&gt;" in text
    assert _message(text, blocks) == []
    text, blocks = bk.problem("Motive said <!here> & more " * 300)
    assert len(text) <= bk.FALLBACK_LIMIT and "<!here>" not in text
    assert _message(text, blocks) == []


def test_six_long_links_keep_the_fallback_short_and_every_url_whole() -> None:
    urls = [_url(1500 + i) for i in range(6)]
    cams = [
        RecallCamera(position=p.value, camera_type="dashcam", download_url=u)
        for p, u in zip(CameraPosition, urls, strict=True)
    ]
    text, blocks = bk.recall_results(7, cams)
    assert len(text) <= bk.FALLBACK_LIMIT and "https://" not in text
    assert text.startswith("Footage is ready")
    buttons = [b["accessory"]["url"] for b in blocks if "accessory" in b]
    assert buttons == urls
    assert _message(text, blocks) == []


# --- cutting text ----------------------------------------------------------------------------


def test_long_text_is_cut_after_escaping_with_a_marker_never_mid_entity() -> None:
    for shift in range(6):
        text = bk.escape("x" * shift + "<&>" * 2000)
        cut = bk.bounded(text)
        assert len(cut) <= bk.SECTION_LIMIT and cut.endswith(bk.SHORTENED)
        assert not re.search(r"&[a-z]{0,3}…", cut)
        assert check._mrkdwn_problems(cut, "t") == []


def test_a_cut_never_leaves_a_link_or_date_open() -> None:
    head = "y" * (bk.SECTION_LIMIT - 40)
    cut = bk.bounded(head + " <https://example.com/very/long/path|Open it> and more text" * 3)
    assert cut.endswith(bk.SHORTENED) and cut.count("<") == cut.count(">")


def test_a_failed_camera_with_a_huge_motive_message_is_cut_visibly() -> None:
    cams = [RecallCamera(position="rear", status="failed", error_message="<bad> & " * 1000)]
    text, blocks = bk.recall_results(3, cams)
    assert blocks[-1]["text"]["text"].endswith(bk.SHORTENED)
    assert _message(text, blocks) == []


# --- URLs too long for a button or a section ---------------------------------------------------


def test_a_video_url_over_3000_is_posted_whole_as_text_not_cut() -> None:
    long_url, short_url = _url(3500), _url(200)
    cams = [
        RecallCamera(position="front_facing", download_url=long_url),
        RecallCamera(position="rear", download_url=short_url),
    ]
    text, blocks = bk.recall_results(9, cams)
    assert _message(text, blocks) == []
    links = [
        e["url"]
        for b in blocks
        if b["type"] == "rich_text"
        for s in b["elements"]
        for e in s["elements"]
        if e["type"] == "link"
    ]
    assert links == [long_url]
    assert [b["accessory"]["url"] for b in blocks if "accessory" in b] == [short_url]


@pytest.mark.parametrize("length", [2850, 2950, 3001, 5000])
def test_a_snapshot_link_of_any_length_is_whole_and_closed(length: int) -> None:
    url = _url(length)
    text, blocks = bk.snapshot_link(url, NOW, "files.getUploadURLExternal failed")
    assert _message(text, blocks) == []
    assert url in json.dumps(blocks)  # never cut


# --- names and bold ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["TRK*7", "cold_box_", "~Reefer~", "a`b"])
def test_formatting_characters_in_a_name_do_not_break_the_bold(name: str) -> None:
    text, blocks = bk.anchor(bk.AnchorInfo(_recall(name), "U0DISPATCH", "pending"))
    title = blocks[0]["text"]["text"].splitlines()[0]
    assert title == f":movie_camera: *Video recall* for {name}"
    assert _message(text, blocks) == []
    plain = bk.anchor(bk.AnchorInfo(_recall("TRK-101"), "U0DISPATCH", "pending"))[1]
    assert plain[0]["text"]["text"].startswith(":movie_camera: *Video recall* for *TRK-101*")


# --- the duplicate notice ----------------------------------------------------------------------


def test_duplicate_notice_names_a_private_channel_and_uses_the_permalink() -> None:
    link = "https://fleet.slack.com/archives/G0PRIVATE/p1763740800000001"
    _, blocks = bk.duplicate("G0PRIVATE", "1763740800.000001", 4, link)
    shown = blocks[0]["text"]["text"]
    assert "<#G0PRIVATE>" in shown and "your DMs" not in shown
    assert f"<{link}|" in shown and "1763740800.000001" not in shown
    _, blocks = bk.duplicate("D0USER", "1763740800.000002", 5, None)
    shown = blocks[0]["text"]["text"]
    assert "our DM" in shown and "1763740800.000002" not in shown


async def test_duplicate_in_slack_links_to_the_first_thread(stack: Stack) -> None:
    await stack.command("/recall", "TRK-101 30m ago 2m")
    await stack.settle()
    await stack.command("/recall", "TRK-101 30m ago 2m")
    await stack.settle()
    [anchor] = stack.anchors()
    notice = json.dumps(stack.slack.responses[-1]["blocks"])
    assert "already in flight" in notice
    assert f"/archives/C0DISPATCH/p{anchor.ts.replace('.', '')}" in notice
    assert anchor.ts not in notice
    assert stack.slack.called("chat.getPermalink")


# --- modals ----------------------------------------------------------------------------------


def test_duration_labels_come_from_the_rules() -> None:
    assert duration_label(RecallType.REGULAR) == "Regular (1–3 min)"
    assert duration_label(RecallType.TIMELAPSE) == "Timelapse (5–60 min)"
    view = recall_modal(Origin("C1", "U1"), start=NOW)
    block = next(b for b in view["blocks"] if b.get("block_id") == ids.RECALL_TYPE_BLOCK)
    labels = [o["text"]["text"] for o in block["element"]["options"]]
    assert labels == [
        f"{t.value.capitalize()} ({min(DURATIONS[t])}–{max(DURATIONS[t])} min)" for t in RecallType
    ]


async def test_changing_the_type_keeps_the_quota_line(stack: Stack) -> None:
    view = await open_recall_modal(stack)
    assert "Quota left this month" in json.dumps(view["blocks"])
    changed = _state(view, recall_type=_opt("timelapse"), target_kind=_opt("vehicle"))
    await stack.interact(
        {
            "type": "block_actions",
            "trigger_id": "t2",
            "actions": [
                {"action_id": ids.RECALL_TYPE_PICK, "block_id": "recall_type", **_opt("timelapse")}
            ],
            "view": changed,
        }
    )
    # The rebuild runs in Bolt's own task after the ack, not in the bot's background group.
    await wait_for(lambda: "duration_timelapse" in json.dumps(stack.slack.views[view["id"]]))
    rebuilt = stack.slack.views[view["id"]]
    assert "duration_timelapse" in json.dumps(rebuilt["blocks"])
    assert "Quota left this month: regular 300 of 300 min" in json.dumps(rebuilt["blocks"])


async def test_snapshot_form_for_an_asset_lists_only_asset_positions(stack: Stack) -> None:
    await stack.command("/snapshot", "")
    await stack.settle()
    [view] = stack.slack.views.values()
    await stack.interact(
        {
            "type": "block_actions",
            "trigger_id": "t3",
            "actions": [
                {"action_id": ids.TARGET_KIND_PICK, "block_id": "target_kind", **_opt("asset")}
            ],
            "view": _state(view, target_kind=_opt("asset")),
        }
    )
    await wait_for(lambda: "position_asset" in json.dumps(stack.slack.views[view["id"]]))
    rebuilt = stack.slack.views[view["id"]]
    submitted = _state(rebuilt, target_kind=_opt("asset"))
    r = await stack.interact({"type": "view_submission", "view": submitted})
    errors = r.json()["errors"]
    assert set(errors) <= {"target_asset", "position_asset"}
    assert "left, right or rear" in errors["position_asset"]
    assert "front_facing" not in errors["position_asset"]


def test_equipment_error_on_an_asset_lists_no_dashcam() -> None:
    with pytest.raises(RuleViolation) as caught:
        check_equipment(
            Target("asset", "Reefer 12"),
            [CameraPosition.FRONT_FACING],
            frozenset({CameraPosition.REAR, CameraPosition.FRONT_FACING}),
            snapshot=True,
        )
    assert caught.value.message.endswith("it has rear.")
    with pytest.raises(RuleViolation) as caught:
        validate_snapshot(position=None, kind="asset")
    assert "front_facing" not in caught.value.all_violations[-1].message


# --- typeahead values --------------------------------------------------------------------------


def test_option_values_round_trip() -> None:
    keys = {"v1": "TRK-1", "v2": "k:odd", "v3": "L" * 200}
    for key, name in keys.items():
        value = option_value(name, key)
        assert len(value) <= 150
        assert option_target(value, keys.get) == name
    assert option_target("TRK-9", keys.get) == "TRK-9"  # a value from an older form
    assert option_target("k:v404", keys.get) is None


async def test_long_names_sharing_a_prefix_get_distinct_options_and_submit_whole(
    stack: Stack,
) -> None:
    stem = "Northern Refrigerated Logistics Long Haul Unit " * 4
    names = [stem + "Alpha", stem + "Bravo"]
    for i, name in enumerate(names):
        stack.sim.units.append(Unit("vehicle", 1400000 + i, name, (CameraPosition.FRONT_FACING,)))
    await stack.svc.fleet.refresh()  # the bot may have read the list at start, before these
    view = await open_recall_modal(stack)
    r = await stack.interact(
        {
            "type": "block_suggestion",
            "action_id": ids.TARGET_SELECT,
            "block_id": "target",
            "value": "northern",
            "view": view,
        }
    )
    options = r.json()["options"]
    assert check.options_problems(options) == []
    chosen = [
        read_view(_state(view, target=_opt(o["value"])), stack.svc.fleet.label_for).target
        for o in options
    ]
    assert sorted(c or "" for c in chosen) == names


def test_the_console_shows_a_long_link_whole() -> None:
    from zoneinfo import ZoneInfo

    from bot.offline.transcript import blocks_text

    url = _url(3500)
    _, blocks = bk.recall_results(2, [RecallCamera(position="rear", download_url=url)])
    assert f"Open video: {url}" in blocks_text(blocks, ZoneInfo("UTC"), [])


def test_a_motive_status_word_is_escaped_once() -> None:
    info = bk.AnchorInfo(_recall("TRK-101"), "U0DISPATCH", "held <a & b>", motive_word=True)
    text, blocks = bk.anchor(info)
    assert '"held &lt;a &amp; b&gt;"' in text and "&amp;amp;" not in text
    assert '"held &lt;a &amp; b&gt;"' in blocks[1]["text"]["text"]
    assert _message(text, blocks) == []


async def test_a_typeahead_key_this_replica_does_not_know_asks_to_pick_again(
    stack: Stack,
) -> None:
    view = await open_recall_modal(stack)
    start = int((stack.clock.now() - timedelta(minutes=40)).timestamp())
    submitted = _state(
        view,
        target_kind=_opt("vehicle"),
        target=_opt("k:v999999"),
        start={"selected_date_time": start},
        recall_type=_opt("regular"),
        duration_regular=_opt("2"),
    )
    r = await stack.interact({"type": "view_submission", "view": submitted})
    assert r.json()["response_action"] == "errors"
    assert "pick the truck or trailer again" in r.json()["errors"]["target"]
    assert stack.sim.stats.recalls_created == 0


def test_the_check_judges_ack_bodies_too() -> None:
    view = recall_modal(Origin("C1", "U1"), start=NOW)
    submission = {"type": "view_submission", "view": view}
    assert (
        check.ack_problems(submission, {"response_action": "errors", "errors": {"start": "x"}})
        == []
    )
    wrong = check.ack_problems(submission, {"response_action": "errors", "errors": {"quota": "x"}})
    assert any("not an input block" in p for p in wrong)
    too_long = [{"text": {"type": "plain_text", "text": "a"}, "value": "v" * 151}]
    found = check.ack_problems({"type": "block_suggestion"}, {"options": too_long})
    assert any("151" in p for p in found)
