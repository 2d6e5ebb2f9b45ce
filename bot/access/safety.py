"""Whether a safety event's clip may go into the channel's thread: the policy's one delivery
decision (`bot.access.policy.route`, asked for media nobody requested), from this one call site.

A safety event has no requester, so a clip goes to the thread only if the policy lets anyone see
that kind of media; an in-cab clip under `[in_cab] deliver_to = "requester"` has nobody it may
be sent to privately, so it is withheld (people allowed that footage ask for it with the post's
buttons, which go through the policy as any request does). A camera position not known to be
road-facing or exterior counts as in-cab.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.access import policy as pol


@dataclass(frozen=True)
class ClipDecision:
    to_thread: bool
    in_cab: bool
    rule: str | None = None  # the policy key that withheld it


def clip_decision(policy: pol.Policy, position: str) -> ClipDecision:
    in_cab = pol.is_in_cab(position)
    if pol.route(policy, None, position) is pol.Route.THREAD:
        return ClipDecision(True, in_cab)
    if in_cab and policy.in_cab.deliver_to == "requester":
        return ClipDecision(False, in_cab, "in_cab.deliver_to")
    return ClipDecision(False, in_cab, f"requesters.{pol.media_of(position).value}")
