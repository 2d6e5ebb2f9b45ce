"""Forms and messages that agree with the fleet and with each other (issue 24, item 3): one
status vocabulary for the anchor, the Home tab and `/recall mine`; camera words as people type
them; times without UTC; the same defaults typed and in the form; plurals; the wait to expect.
Signed commands into the running app against the simulator and the fake Slack."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.grammar.words import DEFAULT_DURATION
from bot.render import blocks as bk
from bot.render import ids
from bot.render.modals import Origin, read_view, recall_modal
from motive.contract import UPLOAD_MINUTES
from motive.models import RecallCamera
from motive.rules import RecallType, RuleViolation, validate_recall
from tests.support.stack import Stack

NOW = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)


def _texts(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def _said(stack: Stack) -> list[str]:
    """The private answers to commands, text and blocks, oldest first."""
    return [
        str(r.get("text", "")) + " " + _texts(list(r.get("blocks") or []))
        for r in stack.slack.responses
    ]


# --- one status vocabulary ---------------------------------------------------------------------


async def _deliver_group(stack: Stack) -> None:
    stack.clock.advance(90)
    for _ in range(4):
        await stack.poll_all()
        if not await stack.svc.store.in_flight():
            return
        stack.clock.advance(15)


async def test_a_snapshot_all_with_a_failed_camera_is_partly_done_everywhere(stack: Stack) -> None:
    await stack.command("/snapshot", "TRK-104 all")  # TRK-104's rear camera does not answer
    await stack.settle()
    await _deliver_group(stack)
    [anchor] = stack.anchors()
    assert "Partly done" in stack.anchor_text(anchor.channel, anchor.ts)
    _, finished = await stack.svc.home.lines("U0DISPATCH")
    assert [f.status for f in finished] == ["partially_completed"]
    _, mine = await stack.svc.home.message("U0DISPATCH")
    home = await stack.svc.home.view("U0DISPATCH")
    for shown in (_texts(mine), _texts(home["blocks"])):
        assert "Partly done" in shown and "Done" not in shown.replace("Partly done", "")


# --- plurals -----------------------------------------------------------------------------------


def test_counts_agree_with_their_nouns() -> None:
    one = [RecallCamera(position="front_facing", download_url="https://x/1", status="completed")]
    text, blocks = bk.recall_results(1, one)
    assert "1 of 1 camera " in text + " " and "1 of 1 cameras" not in text + _texts(blocks)
    assert "— 1 of 1 camera*" in _texts(blocks) or '— 1 of 1 camera"' in _texts(blocks)
    two = [*one, RecallCamera(position="rear", download_url="https://x/2", status="completed")]
    assert "2 of 2 cameras" in bk.recall_results(1, two)[0]
    assert bk.counted(0, "camera") == "0 cameras" and bk.counted(1, "request") == "1 request"


# --- the same default typed and in the form ----------------------------------------------------


def test_the_forms_default_length_is_the_typed_default() -> None:
    for rtype in RecallType:
        view = recall_modal(Origin("C1", "U1"), recall_type=rtype, start=NOW)
        [duration] = [b for b in view["blocks"] if b["block_id"].startswith("duration_")]
        assert duration["element"]["initial_option"]["value"] == str(DEFAULT_DURATION[rtype])


# --- the wait to expect ------------------------------------------------------------------------


def test_a_requested_recall_says_when_to_expect_it() -> None:
    request = validate_recall(
        vehicle_number="TRK-101",
        start_time=NOW - timedelta(hours=1),
        duration=2,
        recall_type="regular",
        now=NOW,
    )
    info = bk.AnchorInfo(request=request, requester="U1", status="pending", asked_at=NOW)
    _, blocks = bk.anchor(info)
    shown = _texts(blocks)
    lo, hi = UPLOAD_MINUTES
    assert f"usually {lo}–{hi} minutes" in shown
    expected = int((NOW + timedelta(minutes=hi)).timestamp())
    assert f"<!date^{expected}^" in shown  # in each reader's own zone
    # Once Motive is processing, or for a request not yet asked, no estimate is shown.
    later = bk.anchor(bk.AnchorInfo(request=request, requester="U1", status="processing"))
    assert "usually" not in _texts(later[1])


# --- camera words and the fleet ----------------------------------------------------------------


async def test_refusals_name_cameras_by_the_words_people_type(stack: Stack) -> None:
    await stack.svc.fleet.refresh()
    for command, text in (
        ("/recall", "TRK-101 20m ago 1m rear"),
        ("/snapshot", "TRK-101 narrow"),
        ("/snapshot", 'asset:"Reefer 12" driver'),
    ):
        await stack.command(command, text)
        await stack.settle()
    recall, narrow, trailer = _said(stack)
    assert "TRK-101 has no rear camera; it has front and driver." in recall
    # TRK-101 has two cameras: the refusal offers those, not the ones it lacks.
    assert "narrow is for video recalls only; for TRK-101 use front or driver." in narrow
    assert "driver is a dashcam camera, and dashcams are only on vehicles" in trailer
    for text in (recall, narrow, trailer):
        assert not re.search(r"front_facing|driver_facing|side_left|side_right|front_narrow", text)


def test_a_window_past_now_is_refused_without_utc_times() -> None:
    recall: dict[str, Any] = {
        "vehicle_number": "TRK-101",
        "duration": 2,
        "recall_type": "regular",
        "now": NOW,
    }
    with pytest.raises(RuleViolation) as past:
        validate_recall(start_time=NOW - timedelta(minutes=1), **recall)
    message = past.value.message
    assert "UTC" not in message
    assert (
        "starting 1 minute ago runs past now" in message and "2 minutes ago or earlier" in message
    )
    with pytest.raises(RuleViolation) as future:
        validate_recall(start_time=NOW + timedelta(minutes=10), **recall)
    message = future.value.message
    assert "UTC" not in message and "in the future (10 minutes from now)" in message


# --- the duplicate answer ----------------------------------------------------------------------


async def test_the_duplicate_answer_says_overlap_and_again(stack: Stack) -> None:
    for text in ("TRK-102 25m ago 2m front", "TRK-102 25m ago 2m front"):
        await stack.command("/recall", text)
        await stack.settle()
    await stack.command("/recall", "TRK-102 24m ago 2m front")
    await stack.settle()
    same, overlap = _said(stack)[-2:]
    assert "The same request is already in flight" in same and "`again`" in same
    assert "Your recall overlaps a recall already in flight" in overlap and "`again`" in overlap
    assert "same request" not in overlap.casefold()


# --- forms that offer what the unit has ---------------------------------------------------------


def _state(view: dict[str, Any], **values: dict[str, Any]) -> dict[str, Any]:
    return {**view, "state": {"values": {b: {"a": state} for b, state in values.items()}}}


def _opt(value: str) -> dict[str, Any]:
    return {"selected_option": {"value": value, "text": {"type": "plain_text", "text": value}}}


def _values(view: dict[str, Any], block_id: str) -> list[str]:
    [block] = [b for b in view["blocks"] if b.get("block_id") == block_id]
    return [o["value"] for o in block["element"]["options"]]


async def _pick_target(stack: Stack, view: dict[str, Any], name: str, **state: Any) -> None:
    await stack.interact(
        {
            "type": "block_actions",
            "trigger_id": "t-pick",
            "actions": [
                {
                    "action_id": "target_select",
                    "block_id": "target",
                    "type": "external_select",
                    **_opt(name),
                }
            ],
            "view": _state(view, target=_opt(name), **state),
        }
    )
    await stack.settle()


async def test_the_snapshot_form_offers_only_the_cameras_the_unit_has(stack: Stack) -> None:
    await stack.svc.fleet.refresh()
    await stack.command("/snapshot", "")
    await stack.settle()
    [view] = stack.slack.views.values()
    target = next(b for b in view["blocks"] if b["block_id"] == "target")
    assert target.get("dispatch_action") is True  # picking a unit tells the bot
    await _pick_target(stack, view, "TRK-101")
    rebuilt = stack.slack.views[view["id"]]
    # TRK-101 carries a road and a driver camera (the fleet list says): nothing else offered.
    assert _values(rebuilt, "position_vehicle") == ["front_facing", "driver_facing", "all"]
    picked = next(b for b in rebuilt["blocks"] if b["block_id"] == "target")
    assert picked["element"]["initial_option"]["value"] == "TRK-101"  # the choice is kept
    assert stack.slack.violations == []


async def test_the_recall_form_keeps_the_cameras_chosen_and_offers_the_units(stack: Stack) -> None:
    await stack.svc.fleet.refresh()
    await stack.command("/recall", "")
    await stack.settle()
    [view] = stack.slack.views.values()
    assert len(_values(view, "cameras")) == 6  # no unit yet: every position
    chosen = {"selected_options": [{"value": "driver_facing"}]}
    await _pick_target(stack, view, "TRK-101", cameras=chosen)
    rebuilt = stack.slack.views[view["id"]]
    assert _values(rebuilt, "cameras") == ["front_facing", "driver_facing"]
    [boxes] = [b for b in rebuilt["blocks"] if b["block_id"] == "cameras"]
    # What the person ticked stays ticked, not every box again.
    assert [o["value"] for o in boxes["element"]["initial_options"]] == ["driver_facing"]
    assert "(driver)" in json.dumps(boxes) and "(driver_facing)" not in json.dumps(boxes)


def test_a_recall_form_for_an_asset_offers_no_dashcam_positions() -> None:
    view = recall_modal(Origin("C1", "U1"), kind="asset", start=NOW)
    assert _values(view, "cameras") == ["side_left", "side_right", "rear"]
    hint = next(b for b in view["blocks"] if b["block_id"] == "cameras")["hint"]["text"]
    assert "trailer" in hint
    # Every box the form offered ticked still means every camera.
    ticked = {"selected_options": [{"value": v} for v in ("side_left", "side_right", "rear")]}
    submitted = _state(view, target_kind=_opt("asset"), cameras=ticked)
    assert read_view(submitted).cameras is None
    one = _state(view, target_kind=_opt("asset"), cameras={"selected_options": [{"value": "rear"}]})
    assert read_view(one).cameras == ["rear"]


async def test_the_console_asks_a_refused_field_again_with_the_persons_choice(
    stack: Stack,
) -> None:
    import io
    from zoneinfo import ZoneInfo

    from bot.offline.forms import FormFiller
    from bot.offline.printer import Printer
    from bot.offline.prompt import Prompt

    out = io.StringIO()
    printer = Printer(ZoneInfo("America/Chicago"), out, {})
    filler = FormFiller(stack, printer, Prompt(io.StringIO("\n"), printer.line), stack.settle, "U1")
    view = recall_modal(Origin("C1", "U1"), start=NOW)
    [boxes] = [b for b in view["blocks"] if b["block_id"] == "cameras"]
    before = {"cameras_pick": {"type": "checkboxes", "selected_options": [{"value": "rear"}]}}
    answer = await filler.ask(boxes, before)
    assert answer is not None
    assert answer["cameras_pick"]["selected_options"] == [
        o for o in boxes["element"]["options"] if o["value"] == "rear"
    ]
    shown = out.getvalue()
    assert "[x] Rear" in shown and "[ ] Road-facing" in shown


@pytest.mark.parametrize(
    ("kind", "vehicle", "asset"), [("vehicle", "TRK-101", None), ("asset", None, "TRK-101")]
)
def test_a_forms_target_is_a_vehicle_number_or_an_asset_name_by_its_kind(
    kind: str, vehicle: str | None, asset: str | None
) -> None:
    view = recall_modal(Origin("C1", "U1"), kind=kind, start=NOW)  # type: ignore[arg-type]
    picked = {"target_kind": _opt(kind), ids.target_block(kind): _opt("TRK-101")}
    fields = read_view(_state(view, **picked))
    assert (fields.kind, fields.vehicle_number, fields.asset_name) == (kind, vehicle, asset)
