"""Every kind of Slack request is acked before any Motive, Slack or database call starts.

The bot's server is wrapped so that, at the moment it sends the response to /slack/events (the
ack), it notes how many calls the simulator, the fake Slack (Web API and response_url) and the
database have seen so far; each records a call when it arrives. The ack is first when that note
equals the count from before the request. Each test then lets the post-ack work run and checks
that it did make the calls, so an ack that had waited for them would have been seen.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from sqlalchemy import event

from bot.offline.loopback import serve_on_loopback
from bot.render.modals import Origin, recall_modal
from bot.server import build_server
from bot.slack.app import build_bolt_app
from bot.slack.ingress.socket_mode import SocketModeHandler
from tests.support.stack import Stack, wait_for


@dataclasses.dataclass(frozen=True)
class Started:
    motive: int
    slack: int
    database: int
    identity: int  # auth.test calls (the bot learns its own user id once)


class Watch:
    """Counts the calls that have started, and what those counts were at each ack."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.statements = 0
        self.at_ack: list[Started] = []
        event.listen(stack.svc.store.engine.sync_engine, "before_cursor_execute", self._statement)

    def _statement(self, *args: Any) -> None:
        self.statements += 1

    def now(self) -> Started:
        s = self.stack
        return Started(
            motive=sum(s.sim.stats.requests.values()),
            slack=len(s.slack.calls) + len(s.slack.responses) - len(s.slack.called("auth.test")),
            database=self.statements,
            identity=len(s.slack.called("auth.test")),
        )

    def acked(self) -> None:
        self.at_ack.append(self.now())

    def close(self) -> None:
        event.remove(
            self.stack.svc.store.engine.sync_engine, "before_cursor_execute", self._statement
        )


@dataclasses.dataclass
class Watched:
    stack: Stack  # posts to the watched server
    watch: Watch

    async def ack_first(self, send: Any) -> tuple[Any, Started]:
        """Send one request; its response, and the calls started when its ack went out, which
        must be none beyond those from before it."""
        await self.stack.settle()
        before = self.watch.now()
        response = await send
        [at_ack] = self.watch.at_ack[-1:]
        assert at_ack == before, f"calls started before the ack: {at_ack} vs {before}"
        await self.stack.settle()
        return response, before


@pytest.fixture
async def watched(stack: Stack) -> AsyncIterator[Watched]:
    watch = Watch(stack)
    # The real server and Bolt app on the stack's services, behind a wrapper that sees the
    # response leave; the stack's own server has already started the services.
    inner = build_server(stack.svc, build_bolt_app(stack.svc))

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return

        async def watching_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and scope["path"] == "/slack/events":
                watch.acked()
            await send(message)

        await inner(scope, receive, watching_send)

    await stack.svc.fleet.search("vehicle", "")  # the start-up fleet load is not our business
    async with serve_on_loopback(app) as url:
        yield Watched(dataclasses.replace(stack, url=url), watch)
    watch.close()


def _opt(value: str) -> dict[str, Any]:
    return {"selected_option": {"value": value, "text": {"type": "plain_text", "text": value}}}


def _recall_view(stack: Stack, **values: dict[str, Any]) -> dict[str, Any]:
    origin = Origin("C0DISPATCH", "U0DISPATCH", None)
    view = recall_modal(origin, start=stack.clock.now() - timedelta(minutes=15))
    view |= {"id": "V0TEST", "hash": "h1"}
    view["state"] = {"values": {block: {"a": state} for block, state in values.items()}}
    return view


# --- commands ----------------------------------------------------------------------------------


async def test_inline_recall_is_acked_before_it_is_worked_on(watched: Watched) -> None:
    s = watched.stack
    r, before = await watched.ack_first(s.command("/recall", "TRK-101 30m ago 2m front"))
    assert r.status_code == 200 and r.text == ""
    after = watched.watch.now()
    assert s.sim.stats.recalls_created == 1 and len(s.anchors()) == 1
    assert after.motive > before.motive and after.database > before.database
    assert after.identity == 1  # learnt after this first ack, once
    await watched.ack_first(s.command("/recall", "TRK-102 30m ago 1m"))
    assert watched.watch.now().identity == 1


@pytest.mark.parametrize("command", ["/recall", "/snapshot"])
async def test_modal_opens_after_the_ack(watched: Watched, command: str) -> None:
    s = watched.stack
    r, _ = await watched.ack_first(s.command(command, ""))
    assert r.status_code == 200
    [opened] = s.slack.called("views.open")
    assert opened["trigger_id"].startswith("trig-")


async def test_help_and_mistakes_are_answered_after_the_ack(watched: Watched) -> None:
    s = watched.stack
    await watched.ack_first(s.command("/snapshot", "help"))
    await watched.ack_first(s.command("/snapshot", "TRK-101 sideways"))
    assert len(s.slack.responses) == 2 and "/snapshot" in s.slack.responses[0]["text"]


# --- interactions --------------------------------------------------------------------------------


async def test_modal_choice_updates_the_view_after_the_ack(watched: Watched) -> None:
    s = watched.stack
    view = _recall_view(s, recall_type=_opt("timelapse"), target_kind=_opt("vehicle"))
    action = {"action_id": "recall_type_pick", "block_id": "recall_type", **_opt("timelapse")}
    payload = {"type": "block_actions", "trigger_id": "t2", "actions": [action], "view": view}
    r, _ = await watched.ack_first(s.interact(payload))
    assert r.status_code == 200
    [updated] = s.slack.called("views.update")
    assert updated["view_id"] == "V0TEST" and "duration_timelapse" in json.dumps(updated["view"])


async def test_refresh_button_is_acked_before_its_answer(watched: Watched) -> None:
    s = watched.stack
    payload = {
        "type": "block_actions",
        "trigger_id": "t3",
        "response_url": f"{s.slack_url}/respond/refresh",
        "channel": {"id": "C0DISPATCH"},
        "actions": [
            {"action_id": "refresh_links", "block_id": "refresh:x", "value": "not-a-number"}
        ],
    }
    r, _ = await watched.ack_first(s.interact(payload))
    assert r.status_code == 200
    assert "does not name a request" in s.slack.responses[-1]["text"]


async def test_valid_submission_is_acked_before_anything_is_asked(watched: Watched) -> None:
    s = watched.stack
    start = int((s.clock.now() - timedelta(minutes=40)).timestamp())
    view = _recall_view(
        s,
        target_kind=_opt("vehicle"),
        target=_opt("TRK-102"),
        start={"selected_date_time": start},
        recall_type=_opt("regular"),
        duration_regular=_opt("2"),
    )
    r, before = await watched.ack_first(s.interact({"type": "view_submission", "view": view}))
    assert r.status_code == 200 and r.text == ""
    assert s.sim.stats.recalls_created == 1 and len(s.anchors()) == 1
    assert watched.watch.now().database > before.database


async def test_submission_errors_are_the_ack_itself(watched: Watched) -> None:
    s = watched.stack
    view = _recall_view(s, target_kind=_opt("vehicle"), cameras={"selected_options": []})
    r, before = await watched.ack_first(s.interact({"type": "view_submission", "view": view}))
    assert r.json()["response_action"] == "errors" and "cameras" in r.json()["errors"]
    after = watched.watch.now()
    # Nothing at all since, but the auth.test Bolt's authorization asks once, after an ack.
    assert dataclasses.replace(after, identity=before.identity) == before


# --- options ------------------------------------------------------------------------------------


def _suggestion(stack: Stack, value: str) -> dict[str, Any]:
    view = _recall_view(stack, target_kind=_opt("vehicle"))
    return {"type": "block_suggestion", "action_id": "target_select", "block_id": "target",
            "value": value, "view": view}  # fmt: skip


async def test_typeahead_answers_from_the_cached_fleet(watched: Watched) -> None:
    s = watched.stack
    r, before = await watched.ack_first(s.interact(_suggestion(s, "TRK-10")))
    assert [o["value"] for o in r.json()["options"]][:2] == ["TRK-101", "TRK-102"]
    assert dataclasses.replace(watched.watch.now(), identity=before.identity) == before


async def test_stale_fleet_list_is_refreshed_after_the_options_go_out(watched: Watched) -> None:
    s = watched.stack
    lists = s.sim.stats.requests["vehicles.list"]
    s.clock.advance(3600)  # older than the list's time to live
    r, _ = await watched.ack_first(s.interact(_suggestion(s, "TRK-10")))
    assert [o["value"] for o in r.json()["options"]][:1] == ["TRK-101"]
    await wait_for(lambda: s.sim.stats.requests["vehicles.list"] > lists)


# --- events -------------------------------------------------------------------------------------


def _event(event_id: str, event: dict[str, Any]) -> str:
    return json.dumps(
        {
            "token": "legacy",
            "team_id": "T0FLEET",
            "api_app_id": "A0MOTIVE",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": 1763740800,
            "event": event,
        }
    )


async def test_event_is_acked_without_any_call(watched: Watched) -> None:
    s = watched.stack
    body = _event("Ev0001", {"type": "member_joined_channel", "user": "U0DISPATCH"})
    headers = {**s.signed(body), "Content-Type": "application/json"}
    r, before = await watched.ack_first(
        s.http.post(f"{s.url}/slack/events", content=body, headers=headers)
    )
    assert r.status_code == 200  # not a 404 that Slack would retry
    assert dataclasses.replace(watched.watch.now(), identity=before.identity) == before


async def test_home_is_published_after_the_ack(watched: Watched) -> None:
    s = watched.stack
    body = _event("Ev0002", {"type": "app_home_opened", "user": "U0DISPATCH", "tab": "home"})
    headers = {**s.signed(body), "Content-Type": "application/json"}
    r, _ = await watched.ack_first(
        s.http.post(f"{s.url}/slack/events", content=body, headers=headers)
    )
    assert r.status_code == 200 and len(s.slack.called("views.publish")) == 1


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "shortcut", "callback_id": "open_recall_form"},
        {
            "type": "message_action",
            "callback_id": "get_dashcam_video",
            "channel": {"id": "C0DISPATCH"},
            "message": {"type": "message", "text": "TRK-101 at 2:15pm", "ts": "1763740800.000100"},
        },
    ],
)
async def test_shortcut_opens_its_form_after_the_ack(
    watched: Watched, payload: dict[str, Any]
) -> None:
    s = watched.stack
    r, _ = await watched.ack_first(s.interact({**payload, "trigger_id": "trig-sc"}))
    assert r.status_code == 200
    [opened] = s.slack.called("views.open")
    assert opened["trigger_id"] == "trig-sc" and s.slack.called("views.update")


# --- Socket Mode --------------------------------------------------------------------------------


class Envelopes:
    """Stands in for the WebSocket: what Bolt's handler sends back, and the calls started then."""

    def __init__(self, watch: Watch) -> None:
        self.watch = watch
        self.logger = logging.getLogger("envelopes")
        self.sent: list[tuple[SocketModeResponse, Started]] = []

    async def send_socket_mode_response(self, response: SocketModeResponse) -> None:
        self.sent.append((response, self.watch.now()))


async def test_socket_mode_acks_before_the_work(stack: Stack) -> None:
    watch = Watch(stack)
    handler = SocketModeHandler(build_bolt_app(stack.svc, socket_mode=True), "xapp-test")
    envelopes = Envelopes(watch)
    try:
        await stack.svc.fleet.search("vehicle", "")
        before = watch.now()
        command = {
            "team_id": "T0FLEET",
            "channel_id": "C0DISPATCH",
            "user_id": "U0DISPATCH",
            "command": "/recall",
            "text": "TRK-101 30m ago 2m",
            "response_url": f"{stack.slack_url}/respond/sm1",
            "trigger_id": "trig-sm1",
            "api_app_id": "A0MOTIVE",
        }
        req = SocketModeRequest(type="slash_commands", envelope_id="env-1", payload=command)
        await handler.handle(envelopes, req)  # type: ignore[arg-type]
        [(response, at_ack)] = envelopes.sent
        assert response.envelope_id == "env-1" and at_ack == before
        await stack.settle()
        assert stack.sim.stats.recalls_created == 1 and len(stack.anchors()) == 1

        view = _recall_view(stack, target_kind=_opt("vehicle"), cameras={"selected_options": []})
        payload = {"type": "view_submission", "view": view, "team": {"id": "T0FLEET"},
                   "user": {"id": "U0DISPATCH"}, "api_app_id": "A0MOTIVE"}  # fmt: skip
        req = SocketModeRequest(type="interactive", envelope_id="env-2", payload=payload)
        before = watch.now()
        await handler.handle(envelopes, req)  # type: ignore[arg-type]
        response, at_ack = envelopes.sent[-1]
        assert response.payload is not None and response.payload["response_action"] == "errors"
        assert at_ack == before
    finally:
        await handler.client.close()
        watch.close()


# --- the hold itself ------------------------------------------------------------------------------


async def test_work_handed_over_waits_for_the_release_and_never_drops() -> None:
    from bot.slack.ingress.post_ack import holding, start_after_ack

    started: list[str] = []
    start_after_ack(lambda: started.append("outside a request: at once"))
    with holding() as held:
        start_after_ack(lambda: started.append("during dispatch"))
        assert started == ["outside a request: at once"]
    held.release()
    # A listener still running after its response went out (Bolt's default mode) hands over late.
    held.add(lambda: started.append("after the release: at once"))
    assert started == [
        "outside a request: at once",
        "during dispatch",
        "after the release: at once",
    ]
