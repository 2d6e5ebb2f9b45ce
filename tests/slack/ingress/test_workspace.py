"""The bot serves the one workspace (or, installed org-wide, the one Grid org) it is installed in:
a correctly signed request from anywhere else does nothing (no form, no Motive call, no message)
and is told so politely where Slack gives a way to tell it. One test per payload kind, for each
kind of installation, over HTTP and Socket Mode."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from bot.slack.ingress.workspace import REFUSAL, Installation
from tests.support import slack_corpus as corpus
from tests.support.slack_corpus import INSTALLS, Install
from tests.support.slack_via import Via, installed_in, talking
from tests.support.stack import running_stack


@pytest.fixture(params=INSTALLS)
def installed(request: pytest.FixtureRequest) -> Install:
    return corpus.install(request.param)


@pytest.fixture(params=["http", "socket"])
async def via(
    request: pytest.FixtureRequest, sqlite_url: str, installed: Install
) -> AsyncIterator[Via]:
    async with talking(sqlite_url, installed, request.param) as via:
        yield via


def stranger(installed: Install) -> Install:
    """Someone in another workspace (of another org, where orgs come into it)."""
    return corpus.install(installed.name, team_id="T0STRANGER", enterprise_id="E0STRANGER")


class Watch:
    """What the bot did for a stranger: it must be nothing but a refusal."""

    def __init__(self, via: Via, caplog: pytest.LogCaptureFixture) -> None:
        self.via = via
        self.caplog = caplog
        self.calls = len(via.stack.slack.calls)
        self.motive = via.stack.motive_calls()
        caplog.set_level(logging.INFO, logger="bot.slack.ingress.workspace")

    async def nothing_done(self, kind: str, *, told: bool) -> None:
        stack = self.via.stack
        await stack.settle()
        assert stack.slack.calls[self.calls :] == []  # no form, no message, no Home tab
        assert stack.motive_calls() == self.motive  # not a single call to Motive
        assert await stack.svc.store.all_requests() == []
        assert stack.responses() == ([REFUSAL] if told else [])
        refused = [
            r.getMessage()
            for r in self.caplog.records
            if r.name == "bot.slack.ingress.workspace" and r.getMessage().startswith("refused")
        ]
        assert len(refused) == 1 and refused[0].startswith(f"refused a Slack {kind} from team")


async def own_form(via: Via) -> dict[str, Any]:
    """The form as the bot builds it (opened here for its own user), to be sent back as a view
    of the stranger's workspace: Bolt takes a view's team from `app_installed_team_id`."""
    await via.command("/recall", "")
    await via.stack.settle()
    [view] = via.stack.slack.views.values()
    return corpus.view_as_sent(stranger(via.where), view)


@pytest.mark.parametrize("text", ["TRK-101 40m ago 1m", "", "help"])
async def test_a_strangers_command(
    via: Via, installed: Install, caplog: pytest.LogCaptureFixture, text: str
) -> None:
    watch = Watch(via, caplog)
    via.where = stranger(installed)
    assert await via.command("/recall", text) is None
    await watch.nothing_done("command", told=True)


async def test_a_strangers_choice_in_a_form(
    via: Via, installed: Install, caplog: pytest.LogCaptureFixture
) -> None:
    view = await own_form(via)
    watch = Watch(via, caplog)
    via.where = them = stranger(installed)
    picked = corpus.radio("asset")
    action = {"action_id": "target_kind_pick", "block_id": "target_kind", **picked}
    ack = await via.interact(corpus.view_action(them, view, action, trigger_id=via.trigger()))
    assert ack is None
    await watch.nothing_done("block_actions", told=False)


async def test_a_strangers_submission(
    via: Via, installed: Install, caplog: pytest.LogCaptureFixture
) -> None:
    view = await own_form(via)
    start = int((via.stack.clock.now() - timedelta(minutes=40)).timestamp())
    view["state"]["values"] = {
        "target_kind": {"target_kind_pick": corpus.radio("vehicle")},
        "target": {"target_select": corpus.external("TRK-102")},
        "start": {"start_pick": corpus.datetime_picked(start)},
        "recall_type": {"recall_type_pick": corpus.static("regular")},
        "duration_regular": {"duration_pick": corpus.static("2")},
    }
    watch = Watch(via, caplog)
    via.where = them = stranger(installed)
    ack = await via.interact(corpus.view_submission(them, view, trigger_id=via.trigger()))
    # The form stays open and says why, rather than closing as if something was asked for.
    assert ack["response_action"] == "update"
    assert REFUSAL in str(ack["view"]["blocks"])
    await watch.nothing_done("view_submission", told=False)


async def test_a_strangers_typeahead(
    via: Via, installed: Install, caplog: pytest.LogCaptureFixture
) -> None:
    view = await own_form(via)
    watch = Watch(via, caplog)
    via.where = them = stranger(installed)
    suggestion = corpus.block_suggestion(
        them, view, action_id="target_select", block_id="target", value="TRK-10"
    )
    assert await via.interact(suggestion) == {"options": []}
    await watch.nothing_done("block_suggestion", told=False)


async def test_a_strangers_message_shortcut(
    via: Via, installed: Install, caplog: pytest.LogCaptureFixture
) -> None:
    watch = Watch(via, caplog)
    via.where = them = stranger(installed)
    message = corpus.plain_message(them, "Harsh braking: TRK-102", "1763740800.000100")
    payload = corpus.message_shortcut(
        them, "get_dashcam_video", message, response_url=via.response_url(), trigger_id="t1"
    )
    assert await via.interact(payload) is None
    await watch.nothing_done("message_action", told=True)


async def test_a_strangers_global_shortcut(
    via: Via, installed: Install, caplog: pytest.LogCaptureFixture
) -> None:
    watch = Watch(via, caplog)
    via.where = them = stranger(installed)
    payload = corpus.global_shortcut(them, "open_recall_form", trigger_id=via.trigger())
    assert await via.interact(payload) is None
    await watch.nothing_done("shortcut", told=False)


@pytest.mark.parametrize("authorizations", [True, False])
async def test_a_strangers_home_tab(
    via: Via, installed: Install, caplog: pytest.LogCaptureFixture, authorizations: bool
) -> None:
    watch = Watch(via, caplog)
    via.where = them = stranger(installed)
    event = corpus.app_home_opened(them, tab="home", event_ts="1763740800.000100")
    body = corpus.event_callback(
        them, event, event_id="Ev0STRANGE", event_time=1763740800, authorizations=authorizations
    )
    assert await via.event(body) is None
    await watch.nothing_done("event_callback", told=False)


async def test_a_strangers_home_button(
    via: Via, installed: Install, caplog: pytest.LogCaptureFixture
) -> None:
    watch = Watch(via, caplog)
    via.where = them = stranger(installed)
    home = corpus.view_as_sent(them, {"id": "V0HOME", "type": "home"})
    action = corpus.button("home_open_recall", "", "home_actions", "Video recall")
    assert await via.interact(corpus.view_action(them, home, action, trigger_id="t2")) is None
    await watch.nothing_done("block_actions", told=False)


async def test_a_strangers_refresh_links(
    via: Via, installed: Install, caplog: pytest.LogCaptureFixture
) -> None:
    await via.command("/recall", "TRK-101 40m ago 1m")
    await via.stack.settle()
    [row] = await via.stack.svc.store.all_requests()
    via.stack.clock.advance(20 * 60)
    await via.stack.poll_all()
    [reply] = via.stack.thread(row.channel, row.anchor_ts)
    via.stack.clock.advance(61 * 60)
    calls, motive = len(via.stack.slack.calls), via.stack.motive_calls()
    caplog.set_level(logging.INFO, logger="bot.slack.ingress.workspace")
    them = stranger(installed)
    message = {"type": "message", "text": reply.text, "blocks": reply.blocks, "ts": reply.ts}
    action = corpus.button("refresh_links", str(row.id), f"refresh:{row.id}", "Refresh links")
    payload = corpus.message_action_payload(
        them, message, action, response_url=via.response_url(), trigger_id=via.trigger()
    )
    assert await via.interact(payload) is None
    await via.stack.settle()
    assert via.stack.slack.calls[calls:] == [] and via.stack.motive_calls() == motive
    assert via.stack.responses() == [REFUSAL]
    [same] = via.stack.thread(row.channel, row.anchor_ts)
    assert same.blocks == reply.blocks  # the links were not refreshed


# --- who counts as the installation -------------------------------------------------------------


async def test_an_org_wide_install_serves_every_workspace_of_its_org(sqlite_url: str) -> None:
    org = corpus.install("org")
    async with talking(sqlite_url, org, "http") as via:
        via.where = corpus.install("org", team_id="T0OTHERWS")  # same org, another workspace
        await via.command("/recall", "TRK-101 40m ago 1m")
        await via.stack.settle()
        assert via.stack.sim is not None and via.stack.sim.stats.recalls_created == 1


async def test_a_grid_workspace_install_serves_only_that_workspace(sqlite_url: str) -> None:
    async with talking(sqlite_url, corpus.install("grid"), "http") as via:
        via.where = corpus.install("grid", team_id="T0OTHERWS")  # same org, another workspace
        await via.command("/recall", "TRK-101 40m ago 1m")
        await via.stack.settle()
        assert via.stack.sim is not None and via.stack.sim.stats.recalls_created == 0
        assert via.stack.responses() == [REFUSAL]


@pytest.mark.parametrize(
    ("setting", "admitted", "refused"),
    [
        (
            "T0OTHERWS",
            corpus.install("workspace", team_id="T0OTHERWS"),
            corpus.install("workspace"),
        ),
        ("E0FLEET", corpus.install("org", team_id="T0OTHERWS"), corpus.install("workspace")),
    ],
)
async def test_slack_team_id_says_which_workspace_or_org(
    sqlite_url: str, setting: str, admitted: Install, refused: Install
) -> None:
    """SLACK_TEAM_ID wins over what auth.test names (here T0FLEET, a plain workspace)."""
    overrides = {"slack_team_id": setting}
    async with talking(
        sqlite_url, corpus.install("workspace"), "http", settings_overrides=overrides
    ) as via:
        via.where = refused
        await via.command("/recall", "TRK-101 40m ago 1m")
        via.where = admitted
        await via.command("/recall", "TRK-102 40m ago 1m")
        await via.stack.settle()
        assert [r.target_name for r in await via.stack.svc.store.all_requests()] == ["TRK-102"]
        assert via.stack.responses() == [REFUSAL]


async def test_the_workspace_is_learnt_once_at_start(sqlite_url: str) -> None:
    async with talking(sqlite_url, corpus.install("grid"), "http") as via:
        assert len(via.stack.slack.called("auth.test")) == 1  # before any request
        assert via.stack.svc.workspace.installation == Installation("T0FLEET", "E0FLEET")
        for _ in range(2):
            await via.command("/recall", "help")
        await via.stack.settle()
        assert len(via.stack.slack.called("auth.test")) == 1


async def test_slack_unreachable_at_start_is_asked_again_and_nothing_is_served_meanwhile(
    sqlite_url: str,
) -> None:
    slack = installed_in(corpus.install("workspace"))
    slack.fail_next("auth.test", 400, count=2)  # at start, and at the first request
    async with running_stack(sqlite_url, slack=slack) as stack:
        assert stack.svc.workspace.installation is None
        await stack.command("/recall", "TRK-101 40m ago 1m")
        await stack.settle()
        assert stack.sim is not None and stack.sim.stats.recalls_created == 0
        [said] = stack.responses()
        assert "can't tell right now which Slack workspace" in said
        await stack.command("/recall", "TRK-101 40m ago 1m")  # Slack answers now
        await stack.settle()
        assert stack.sim.stats.recalls_created == 1
        assert len(stack.slack.called("auth.test")) == 3


async def test_with_slack_team_id_set_the_bots_ids_are_asked_again_after_an_ack(
    sqlite_url: str,
) -> None:
    """The installation is known from the setting, so requests are served at once; the bot's
    own ids (auth.test's answer) are asked for again in the background, after the ack."""
    slack = installed_in(corpus.install("workspace"))
    slack.fail_next("auth.test", 400, count=1)  # at start only
    overrides = {"slack_team_id": "T0FLEET"}
    async with running_stack(sqlite_url, slack=slack, settings_overrides=overrides) as stack:
        workspace = stack.svc.workspace
        assert workspace.installation is not None and workspace.bot_user_id is None
        await stack.command("/recall", "TRK-101 40m ago 1m")
        await stack.settle()
        assert stack.sim is not None and stack.sim.stats.recalls_created == 1
        assert len(stack.slack.called("auth.test")) == 2
        assert workspace.asked and workspace.bot_user_id is not None
