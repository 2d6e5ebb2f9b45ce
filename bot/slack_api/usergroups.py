"""Slack user group membership, for the policy: cached, refreshed, never guessed.

A policy names groups (S…) rather than people, so that a fleet's admins manage who may pull
in-cab footage in Slack itself. Members are read with `usergroups.users.list` and kept for a few
minutes. When Slack cannot be asked once those minutes are over, the group counts as empty (the
last members are not kept: someone removed from the group meanwhile must not keep its access),
so a failure can only refuse, never grant.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_api.web import SLACK_FAILURES, slack_error
from motive.clock import Clock

log = logging.getLogger(__name__)


@dataclass(eq=False)
class UserGroups:
    """Members of the policy's user groups, each group's kept for `ttl_seconds`."""

    slack: AsyncWebClient
    clock: Clock
    ttl_seconds: float = 300.0
    _members: dict[str, tuple[float, frozenset[str]]] = field(
        default_factory=dict, init=False, repr=False
    )

    async def members(self, group: str) -> frozenset[str]:
        hit = self._members.get(group)
        if hit is not None and self.clock.monotonic() - hit[0] < self.ttl_seconds:
            return hit[1]
        try:
            answer = await self.slack.usergroups_users_list(usergroup=group)
        except SLACK_FAILURES as e:
            log.warning(
                "members of user group %s unknown (%s); counted as empty", group, slack_error(e)
            )
            return frozenset()
        found = frozenset(str(u) for u in answer.get("users") or [])
        self._members[group] = (self.clock.monotonic(), found)
        return found

    async def groups_of(self, user: str, groups: Iterable[str]) -> frozenset[str]:
        """Which of `groups` (the ones a policy names) `user` is in."""
        wanted = sorted({g for g in groups if g.startswith("S")})
        found = await asyncio.gather(*(self.members(g) for g in wanted))
        return frozenset(g for g, members in zip(wanted, found, strict=True) if user in members)
