"""Modals: opened at once and filled later, typeahead, dependent choices, errors on the right block."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from tests.support.stack import Stack, wait_for


def _state(view: dict[str, Any], **values: dict[str, Any]) -> dict[str, Any]:
    """A submitted copy of `view` with the given block states."""
    out = dict(view)
    out["state"] = {"values": {block: {"a": state} for block, state in values.items()}}
    return out


def _opt(value: str) -> dict[str, Any]:
    return {"selected_option": {"value": value, "text": {"type": "plain_text", "text": value}}}


async def open_recall_modal(stack: Stack) -> dict[str, Any]:
    await stack.command("/recall", "")
    await stack.settle()
    [view] = stack.slack.views.values()
    return view


async def test_recall_modal_opens_loading_then_fills(stack: Stack) -> None:
    view = await open_recall_modal(stack)
    opened = stack.slack.called("views.open")[0]
    assert "Loading" in json.dumps(opened["view"]) and opened["trigger_id"] == "trig-1"
    updated = stack.slack.called("views.update")[0]
    assert updated["view_id"] == view["id"]
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks["target"]["element"]["type"] == "external_select"
    assert blocks["start"]["element"]["type"] == "datetimepicker"
    start = blocks["start"]["element"]["initial_date_time"]
    assert start == int((stack.clock.now() - timedelta(minutes=15)).timestamp())
    durations = [o["value"] for o in blocks["duration_regular"]["element"]["options"]]
    assert durations == ["1", "2", "3"]
    assert len(blocks["cameras"]["element"]["initial_options"]) == 6
    assert "Quota left this month: regular 300 of 300 min" in json.dumps(view["blocks"])
    assert json.loads(view["private_metadata"])["c"] == "C0DISPATCH"


async def test_typeahead_from_cached_fleet(stack: Stack) -> None:
    view = await open_recall_modal(stack)
    r = await stack.interact(
        {
            "type": "block_suggestion",
            "action_id": "target_select",
            "block_id": "target",
            "value": "TRK-10",
            "view": view,
        }
    )
    options = [o["value"] for o in r.json()["options"]]
    assert options[:5] == ["TRK-101", "TRK-102", "TRK-103", "TRK-104", "TRK-105"]
    asset_view = _state(view, target_kind=_opt("asset"))
    r = await stack.interact(
        {
            "type": "block_suggestion",
            "action_id": "target_select",
            "block_id": "target_asset",
            "value": "reef",
            "view": asset_view,
        }
    )
    assert [o["value"] for o in r.json()["options"]] == ["Reefer 12"]


async def test_recall_type_change_offers_timelapse_durations(stack: Stack) -> None:
    view = await open_recall_modal(stack)
    changed = _state(view, recall_type=_opt("timelapse"), target_kind=_opt("vehicle"))
    await stack.interact(
        {
            "type": "block_actions",
            "trigger_id": "t2",
            "actions": [
                {
                    "action_id": "recall_type_pick",
                    "block_id": "recall_type",
                    "type": "static_select",
                    **_opt("timelapse"),
                }
            ],
            "view": changed,
        }
    )
    await stack.settle()
    current = stack.slack.views[view["id"]]
    blocks = {b.get("block_id"): b for b in current["blocks"]}
    assert [o["value"] for o in blocks["duration_timelapse"]["element"]["options"]] == [
        "5",
        "10",
        "15",
        "30",
        "45",
        "60",
    ]


async def test_snapshot_modal_offers_positions_for_the_target_kind(stack: Stack) -> None:
    await stack.command("/snapshot", "")
    await stack.settle()
    [view] = stack.slack.views.values()
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    options = blocks["position_vehicle"]["element"]["options"]
    # Five positions, and every camera at once.
    assert [o["value"] for o in options][-1] == "all" and len(options) == 6
    await stack.interact(
        {
            "type": "block_actions",
            "trigger_id": "t3",
            "actions": [
                {
                    "action_id": "target_kind_pick",
                    "block_id": "target_kind",
                    "type": "radio_buttons",
                    **_opt("asset"),
                }
            ],
            "view": _state(view, target_kind=_opt("asset")),
        }
    )
    await stack.settle()
    blocks = {b.get("block_id"): b for b in stack.slack.views[view["id"]]["blocks"]}
    assert [o["value"] for o in blocks["position_asset"]["element"]["options"]] == [
        "side_left",
        "side_right",
        "rear",
        "all",
    ]


async def test_submission_errors_land_on_the_right_blocks(stack: Stack) -> None:
    view = await open_recall_modal(stack)
    future = int((stack.clock.now() + timedelta(hours=1)).timestamp())
    submitted = _state(
        view,
        target_kind=_opt("vehicle"),
        start={"selected_date_time": future},
        recall_type=_opt("regular"),
        duration_regular=_opt("2"),
        cameras={"selected_options": []},
    )
    r = await stack.interact({"type": "view_submission", "view": submitted})
    body = r.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"target", "start", "cameras"}
    assert "future" in body["errors"]["start"] and "empty" in body["errors"]["cameras"]
    assert stack.sim.stats.recalls_created == 0


async def test_snapshot_submission_error_on_position(stack: Stack) -> None:
    await stack.command("/snapshot", "")
    await stack.settle()
    [view] = stack.slack.views.values()
    submitted = _state(
        view,
        target_kind=_opt("asset"),
        target_asset=_opt("Reefer 12"),
        position_asset=_opt("front_facing"),
    )
    r = await stack.interact({"type": "view_submission", "view": submitted})
    assert "dashcams are only on vehicles" in r.json()["errors"]["position_asset"]


def filled_recall(
    stack: Stack,
    view: dict[str, Any],
    *,
    duration: str = "3",
    cameras: tuple[str, ...] = ("rear", "side_left"),
    note: str = "backing incident",
) -> dict[str, Any]:
    """`view` as submitted: a regular recall of TRK-102 from 40 minutes ago."""
    start = int((stack.clock.now() - timedelta(minutes=40)).timestamp())
    return _state(
        view,
        target_kind=_opt("vehicle"),
        target=_opt("TRK-102"),
        start={"selected_date_time": start},
        recall_type=_opt("regular"),
        duration_regular=_opt(duration),
        cameras={"selected_options": [{"value": c} for c in cameras]},
        note={"value": note},
    )


async def test_valid_submission_closes_and_posts_the_anchor(stack: Stack) -> None:
    view = await open_recall_modal(stack)
    submitted = filled_recall(stack, view)
    r = await stack.interact({"type": "view_submission", "view": submitted})
    assert r.status_code == 200 and r.text == ""
    await stack.settle()
    await wait_for(lambda: stack.anchors())
    [row] = await stack.svc.store.in_flight()
    assert (row.target_name, row.duration, row.camera_list, row.note) == (
        "TRK-102",
        3,
        ["rear", "side_left"],
        "backing incident",
    )
    assert stack.sim.stats.recalls_created == 1


async def test_modal_preflight_problem_reaches_the_user(stack: Stack) -> None:
    stack.sim.used["regular"] = 299
    view = await open_recall_modal(stack)
    start = int((stack.clock.now() - timedelta(minutes=40)).timestamp())
    submitted = _state(
        view,
        target_kind=_opt("vehicle"),
        target=_opt("TRK-101"),
        start={"selected_date_time": start},
        recall_type=_opt("regular"),
        duration_regular=_opt("2"),
    )
    await stack.interact({"type": "view_submission", "view": submitted})
    await stack.settle()
    assert "Only 1 regular minutes are left" in stack.slack.responses[-1]["text"]


def test_origin_survives_malformed_private_metadata() -> None:
    from bot.render.modals import Origin

    assert Origin.load("not json") == Origin("", "", None)
    assert Origin.load("[1, 2]") == Origin("", "", None)
    assert Origin.load('{"c": "C1", "u": "U1", "r": 5}') == Origin("C1", "U1", None)
