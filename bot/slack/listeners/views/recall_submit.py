"""The recall modal's submission: the same rules, shown on the block at fault."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.render.modals import Origin, read_view
from bot.requests.submit import submit
from bot.slack.listeners.replies import accept_form, submitter
from motive.rules import RuleViolation, check_equipment, validate_recall

if TYPE_CHECKING:
    from bot.services import Services


def handler(svc: Services) -> Callable[..., Awaitable[None]]:
    return partial(recall_submitted, svc)


async def recall_submitted(
    svc: Services, ack: AsyncAck, view: dict[str, Any], body: dict[str, Any]
) -> None:
    fields = read_view(view, svc.fleet.label_for)
    origin = Origin.load(view.get("private_metadata", ""))
    unit = svc.fleet.known(fields.kind, fields.target)
    try:
        request = validate_recall(
            vehicle_number=fields.vehicle_number,
            asset_name=fields.asset_name,
            start_time=fields.start,
            duration=fields.duration,
            recall_type=fields.recall_type or "regular",
            camera_positions=fields.cameras,
            now=svc.clock.now(),
            smart_dashcam=bool(unit and unit.smart_dashcam),
        )
        check_equipment(request.target, request.camera_positions, unit.cameras if unit else None)
    except RuleViolation as e:
        await ack(response_action="errors", errors=fields.errors(e))
        return
    await accept_form(
        svc,
        ack,
        origin,
        lambda asker: submit(svc, request, asker),
        fields.note,
        user=submitter(body),
    )
