"""Whether Motive's completion webhook is trusted: one row in the store, shared by every replica.

A verified webhook naming a recall makes it trusted (recalls are then polled only as a safety
net, see bot.tracking.schedule). A poll that finds a recall finished which no webhook announced
makes it untrusted: the webhook missed one, so every recall in flight goes back to the fitted
cadence. Each switch is one conditional UPDATE, so across replicas exactly one process makes it
(and logs it, once). After a distrust, trust comes back only with a webhook received at least
`HOLD` later: a webhook that drops some deliveries would otherwise flip back and forth, costing
each missed recall a safety-net interval of lag.

Pollers read the row through a cache of a few seconds: polls that fall due together share one
read, and a switch made by another replica is seen within `CACHE_SECONDS`.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update

from bot.metrics import WEBHOOK_LAST_VERIFIED, WEBHOOK_TRUST_CHANGES, WEBHOOK_TRUSTED
from bot.store.models import TRACKING, TrackedRequest, WebhookTrustRow
from bot.store.requests import Store
from bot.tracking.schedule import PROFILES
from motive.clock import Clock

log = logging.getLogger(__name__)

ROW_ID = 1
RECENT = timedelta(hours=1)  # a webhook older than this no longer vouches for the next ones
HOLD = timedelta(minutes=30)  # after a distrust, webhooks earlier than this do not restore trust
CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class TrustState:
    trusted: bool = False
    last_verified_at: datetime | None = None
    changed_at: datetime | None = None
    reason: str | None = None

    def effective(self, now: datetime) -> bool:
        """Trusted, and vouched for by a webhook recent enough."""
        return (
            self.trusted
            and self.last_verified_at is not None
            and now - self.last_verified_at <= RECENT
        )

    def describe(self, now: datetime) -> dict[str, Any]:
        """What /healthz shows: information, never a failure."""
        if self.effective(now):
            mode = "trusted"
        elif self.trusted:
            mode = "quiet"  # trusted, but no webhook for a while: polled at the fitted cadence
        elif self.reason:
            mode = "distrusted"
        else:
            mode = "unknown"
        return {
            "mode": mode,
            "recalls_polled": "as a safety net" if mode == "trusted" else "at the fitted cadence",
            "last_verified_at": _iso(self.last_verified_at),
            "changed_at": _iso(self.changed_at),
            "reason": self.reason,
        }


@dataclass(eq=False)
class WebhookTrust:
    """The trust row, read through a cache of `cache_seconds`, and its switches."""

    store: Store
    clock: Clock
    cache_seconds: float = field(default=CACHE_SECONDS, kw_only=True)
    _cached: tuple[datetime, TrustState] | None = field(default=None, init=False, repr=False)

    async def state(self, *, fresh: bool = False) -> TrustState:
        now = self.clock.now()
        if (
            not fresh
            and self._cached is not None
            and (now - self._cached[0]).total_seconds() < self.cache_seconds
        ):
            return self._cached[1]
        async with self.store.sessions() as s:
            row = await s.get(WebhookTrustRow, ROW_ID)
        got = (
            TrustState()
            if row is None
            else TrustState(row.trusted, row.last_verified_at, row.changed_at, row.reason)
        )
        self._cached = (now, got)
        return got

    async def trusted(self) -> bool:
        return (await self.state()).effective(self.clock.now())

    async def verified(self) -> bool:
        """A verified webhook named a recall. True if this made the webhook trusted."""
        now = self.clock.now()
        table = _table()
        async with self.store.engine.begin() as conn:
            seen = await conn.execute(
                update(table).where(table.c.id == ROW_ID).values(last_verified_at=now)
            )
            if not getattr(seen, "rowcount", 0):
                await conn.execute(
                    table.insert().values(id=ROW_ID, trusted=False, last_verified_at=now)
                )
            switched = await conn.execute(
                update(table)
                .where(
                    table.c.id == ROW_ID,
                    table.c.trusted.is_(False),
                    (table.c.changed_at.is_(None)) | (table.c.changed_at <= now - HOLD),
                )
                .values(trusted=True, changed_at=now, reason=None, motive_id=None)
            )
        self._cached = None
        if not getattr(switched, "rowcount", 0):
            return False
        WEBHOOK_TRUST_CHANGES.labels(to="trusted").inc()
        log.info("Motive's completion webhook works: recalls are now polled only as a safety net")
        return True

    async def distrust(self, motive_id: str, rng: random.Random) -> bool:
        """A poll found recall `motive_id` finished and no webhook had announced it. True if this
        ended the trust (then every recall in flight is brought back to the fitted cadence)."""
        now = self.clock.now()
        reason = (
            f"a poll found recall {motive_id} finished that no webhook announced "
            f"(at {_iso(now)}): recalls are polled at the fitted cadence again"
        )
        table = _table()
        async with self.store.engine.begin() as conn:
            switched = await conn.execute(
                update(table)
                .where(table.c.id == ROW_ID, table.c.trusted.is_(True))
                .values(trusted=False, changed_at=now, reason=reason, motive_id=motive_id)
            )
        self._cached = None
        if not getattr(switched, "rowcount", 0):
            return False
        WEBHOOK_TRUST_CHANGES.labels(to="distrusted").inc()
        log.warning("Motive's completion webhook missed a recall: %s", reason)
        await self._back_to_fitted(now, rng)
        return True

    async def _back_to_fitted(self, now: datetime, rng: random.Random) -> None:
        """Bring recalls waiting on a safety-net poll back within one fitted interval, spread
        over it so that thousands of them do not fall due in the same second."""
        steady = PROFILES["recall"][2]
        soon = now + timedelta(seconds=steady)
        table = cast(Table, TrackedRequest.__table__)
        async with self.store.engine.begin() as conn:
            found = await conn.execute(
                select(table.c.id).where(
                    table.c.kind == "recall",
                    table.c.state == TRACKING,
                    table.c.next_poll_at > soon,
                )
            )
            rows = [
                {"v_rid": rid, "v_at": now + timedelta(seconds=rng.uniform(0.0, steady))}
                for (rid,) in found
            ]
            if rows:
                await conn.execute(
                    update(table)
                    .where(table.c.id == bindparam("v_rid"), table.c.next_poll_at > soon)
                    .values(next_poll_at=bindparam("v_at")),
                    rows,
                )
        if rows:
            log.info("%d recall(s) brought back to the fitted poll cadence", len(rows))


def export_trust(state: TrustState, now: datetime) -> None:
    """Set the /metrics gauges from the stored state (right whichever replica switched it)."""
    WEBHOOK_TRUSTED.set(1 if state.effective(now) else 0)
    verified = state.last_verified_at
    WEBHOOK_LAST_VERIFIED.set(verified.timestamp() if verified is not None else 0)


def _table() -> Table:
    return cast(Table, WebhookTrustRow.__table__)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
