"""Whether a safety event's clip may go into the channel's thread: the one place this question
is asked, so that it moves to the policy's single decision (issue 28) in one edit.

A safety event has no requester: an in-cab clip under `[in_cab] deliver_to = "requester"` has
nobody it may be sent to privately, so it is withheld (people allowed in-cab footage ask for it
with the post's button, which goes through the policy as any request does). A camera position
not known to be road-facing or exterior counts as in-cab.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot import policy as pol
from motive.rules import CameraPosition


@dataclass(frozen=True)
class ClipDecision:
    to_thread: bool
    in_cab: bool
    rule: str | None = None  # the policy key that withheld it


def clip_decision(policy: pol.Policy, position: str) -> ClipDecision:
    known = {p.value: p for p in CameraPosition}
    camera = known.get(position)
    in_cab = camera is None or camera in pol.IN_CAB
    if in_cab and (camera is None or pol.private_delivery(policy, [camera])):
        return ClipDecision(False, True, "in_cab.deliver_to")
    return ClipDecision(True, in_cab)
