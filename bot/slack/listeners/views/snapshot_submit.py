"""The snapshot modal's submission."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.grammar.snapshot import snapshot_all
from bot.render.modals import ALL_CAMERAS, ModalFields, Origin, read_view
from bot.requests.snapshot_all import submit_all
from bot.requests.submit import submit
from bot.slack.listeners.replies import accept_form, submitter
from motive.rules import RuleViolation, check_equipment, validate_snapshot

if TYPE_CHECKING:
    from bot.services import Services


def handler(svc: Services) -> Callable[..., Awaitable[None]]:
    return partial(snapshot_submitted, svc)


async def snapshot_submitted(
    svc: Services, ack: AsyncAck, view: dict[str, Any], body: dict[str, Any]
) -> None:
    fields = read_view(view, svc.fleet.label_for)
    origin = Origin.load(view.get("private_metadata", ""))
    if fields.position == ALL_CAMERAS:
        await all_cameras(svc, ack, fields, origin, submitter(body))
        return
    unit = svc.fleet.known(fields.kind, fields.target)
    try:
        request = validate_snapshot(
            vehicle_number=fields.vehicle_number,
            asset_name=fields.asset_name,
            position=fields.position,
            kind=fields.kind,
            installed=unit.cameras if unit else None,
        )
        check_equipment(
            request.target, [request.position], unit.cameras if unit else None, snapshot=True
        )
    except RuleViolation as e:
        await ack(response_action="errors", errors=fields.errors(e))
        return
    await accept_form(
        svc, ack, origin, lambda asker: submit(svc, request, asker), user=submitter(body)
    )


async def all_cameras(
    svc: Services, ack: AsyncAck, fields: ModalFields, origin: Origin, user: str
) -> None:
    unit = svc.fleet.known(fields.kind, fields.target)
    try:
        every = snapshot_all(
            fields.vehicle_number,
            fields.asset_name,
            unit,
        )
    except RuleViolation as e:
        await ack(response_action="errors", errors=fields.errors(e))
        return
    await accept_form(svc, ack, origin, lambda asker: submit_all(svc, every, asker), user=user)
