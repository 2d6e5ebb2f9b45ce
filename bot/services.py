"""The parts a listener, the tracker and the webhook receiver share, built once per process."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from slack_sdk.web.async_client import AsyncWebClient

from bot.access.audit import Audit
from bot.access.fleet import Fleet, UserZones
from bot.access.policy import PolicyFile
from bot.access.privacy import Privacy
from bot.background import Background
from bot.config import Settings
from bot.metrics import observe_motive
from bot.requests.my_requests import MyRequests
from bot.slack.ingress.workspace import Workspace
from bot.slack_api.usergroups import UserGroups
from bot.slack_api.web import web_client
from bot.store.queue import new_worker_id
from bot.store.rate_bucket import StoreBucket
from bot.store.requests import Store
from bot.tracking.delivery import Deliverer
from bot.tracking.safety_events import SafetyEvents
from bot.tracking.worker import Tracker
from motive.client import MotiveClient
from motive.clock import Clock, SystemClock
from motive.ratelimit import RateLimiter


@dataclass
class Services:
    settings: Settings
    clock: Clock
    motive: MotiveClient
    slack: AsyncWebClient
    store: Store
    fleet: Fleet
    zones: UserZones
    tracker: Tracker
    delivery: Deliverer
    background: Background
    privacy: Privacy
    home: MyRequests
    safety: SafetyEvents
    workspace: Workspace
    work_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(4))
    answers_slack: bool = True  # False for a worker, which only polls

    async def start(self) -> None:
        await self.store.create_schema()
        await self.privacy.audit.prune(self.settings.audit_retention_days)
        await self.tracker.start()
        await self.safety.start()
        self.fleet.refresh_soon()
        if self.answers_slack:
            # Which workspace this is, before the first request is answered.
            await self.workspace.learn()

    async def stop(self) -> None:
        await self.safety.stop()  # its reads run in the background group, drained next
        await self.tracker.stop()  # stops polling, then drains the background work
        await self.motive.aclose()
        await self.store.close()


def motive_limiter(store: Store, clock: Clock) -> RateLimiter | None:
    """Motive's rate limit is per company: on PostgreSQL, where several workers and web
    replicas may run, every process takes its tokens from one bucket in the database. SQLite
    serves one process: the client's own bucket (None here) is the whole budget."""
    return None if store.is_sqlite else StoreBucket(store, clock)


def build_services(
    settings: Settings,
    *,
    role: str = "all",
    clock: Clock | None = None,
    motive: MotiveClient | None = None,
    sweep_seconds: float = 5.0,
    tick_seconds: float = 1.0,
) -> Services:
    clock = clock or SystemClock()
    store = Store(settings.database_url, clock=clock)
    if motive is None:
        key = settings.motive_api_key.get_secret_value() if settings.motive_api_key else None
        motive = MotiveClient(
            api_key=key,
            base_url=settings.motive_api_url,
            clock=clock,
            observer=observe_motive,
            limiter=motive_limiter(store, clock),
        )
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
    slack = web_client(token, settings.slack_api_url)
    background = Background()
    fleet, zones = Fleet(motive, clock), UserZones(slack, clock)
    # Read once per process (a broken file stops the start, with its line); re-read on change.
    policy_file = PolicyFile(settings.policy_file, clock=clock) if settings.policy_file else None
    privacy = Privacy(
        policy_file=policy_file,
        groups=UserGroups(slack, clock),
        store=store,
        audit=Audit(store, clock),
        fleet=fleet,
        zones=zones,
        clock=clock,
    )
    delivery = Deliverer(store=store, slack=slack, motive=motive, clock=clock, privacy=privacy)
    tracker = Tracker(
        settings=settings,
        store=store,
        motive=motive,
        slack=slack,
        clock=clock,
        worker_id=new_worker_id(),
        run_scheduler=role in ("all", "worker"),
        sweep_seconds=sweep_seconds,
        tick_seconds=tick_seconds,
        background=background,
        delivery=delivery,
    )
    home = MyRequests(store=store, slack=slack, motive=motive, background=background)
    tracker.on_change = home.changed
    safety = SafetyEvents(
        channel=settings.safety_channel,
        store=store,
        motive=motive,
        slack=slack,
        clock=clock,
        audit=privacy.audit,
        policy=policy_file,
        background=background,
        worker_id=tracker.worker_id,
        scheduler=tracker.scheduler,  # None on a web replica: it reads on webhooks only
    )
    return Services(
        settings=settings,
        clock=clock,
        motive=motive,
        slack=slack,
        store=store,
        fleet=fleet,
        zones=zones,
        tracker=tracker,
        delivery=delivery,
        background=background,
        privacy=privacy,
        home=home,
        safety=safety,
        workspace=Workspace(slack, settings.slack_team_id),
        answers_slack=role != "worker",
    )
