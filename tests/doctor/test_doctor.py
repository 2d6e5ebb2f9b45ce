"""`motive-bot doctor` over loopback: against the simulator every guess passes; against each
variant exactly the guesses it breaks are named; it creates nothing unless asked, and prints
shapes, never keys, names, ids or links."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from bot.cli import build_parser, main
from bot.config import Settings
from bot.doctor import (
    DIFFERS,
    FAILS,
    NOT_RUN,
    OK,
    SKIPPED,
    Options,
    Report,
    diagnose,
    run,
    shape,
)
from motive import contract
from motive.simulator import SimConfig
from motive.simulator.variants import VARIANTS
from tests.support.stack import SIGNING_SECRET, Stack, running_stack

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"
SCOPES = [str(s) for s in yaml.safe_load(MANIFEST.read_text())["oauth_config"]["scopes"]["bot"]]
API_KEY = "doctor-secret-api-key-0001"


@dataclass
class Doctor:
    stack: Stack
    recall_ids: list[str]

    def settings(self, **overrides: object) -> Settings:
        values: dict[str, object] = {
            "motive_api_url": self.stack.sim_url,
            "motive_api_key": API_KEY,
            "slack_bot_token": "xoxb-doctor-token-0001",
            "slack_signing_secret": SIGNING_SECRET,
            "slack_api_url": f"{self.stack.slack_url}/api/",
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    async def check(self, **options: object) -> Report:
        opts = Options(
            recall_ids=list(self.recall_ids),
            bot_url=self.stack.url,
            manifest=MANIFEST,
            now=self.stack.clock.now(),
        )
        for k, v in options.items():
            setattr(opts, k, v)
        return await diagnose(self.settings(), opts)


@contextlib.asynccontextmanager
async def _doctor(sqlite_url: str, variants: frozenset[str]) -> AsyncIterator[Doctor]:
    # Served: the doctor reaches the bot and the simulator over HTTP, as it does a deployment.
    async with running_stack(
        sqlite_url, sim_config=SimConfig(variants=variants), served=True
    ) as stack:
        stack.slack.scopes = list(SCOPES)
        stack.sim.config.webhook_url = f"{stack.url}{contract.WEBHOOK_ROUTE}"
        stack.sim.config.webhook_secret = "8cbd43f98ba1e33c28c9"
        finished = await _recall(stack, "TRK-102 40m ago 2m")
        stack.clock.advance(20 * 60)
        running = await _recall(stack, "TRK-101 30m ago 1m")
        stack.sim.events.raise_event("TRK-101", "hard_brake", webhook=False)  # for events.*
        yield Doctor(stack, [finished, running])


async def _recall(stack: Stack, text: str) -> str:
    await stack.command("/recall", text)
    await stack.settle()
    row = max(await stack.svc.store.all_requests(), key=lambda r: r.id)
    assert row.motive_id is not None, stack.responses()
    return row.motive_id


@pytest.fixture
async def doctor(sqlite_url: str) -> AsyncIterator[Doctor]:
    async with _doctor(sqlite_url, frozenset()) as d:
        yield d


def not_ok(report: Report) -> dict[str, str]:
    return {ch.key: ch.verdict for ch in report.checks if ch.verdict not in (OK, SKIPPED)}


def assert_no_values(report: Report, stack: Stack) -> str:
    text = report.render()
    for secret in (API_KEY, "xoxb-doctor-token-0001", SIGNING_SECRET, "8cbd43f98ba1e33c28c9"):
        assert secret not in text
    for value in ("TRK-", "Reefer", "/media/", stack.url, stack.sim_url, "81234", "sig="):
        assert value not in text, value
    return text


async def test_against_the_simulator_every_guess_passes(doctor: Doctor) -> None:
    created = (doctor.stack.sim.stats.recalls_created, doctor.stack.sim.stats.captures_created)
    report = await doctor.check()
    assert not_ok(report) == {} and report.exit_code == 0
    checked = {ch.key for ch in report.checks if ch.verdict == OK}
    assumed = {a.key for a in contract.ASSUMPTIONS}
    # Every guess but the capture (which needs a flag) is checked.
    assert assumed - checked == {"capture.create", "capture.shape"}
    assert {"slack.auth", "slack.scopes", "slack.reach"} <= checked
    # Read-only: nothing was created, and only GETs reached Motive.
    stats = doctor.stack.sim.stats
    assert (stats.recalls_created, stats.captures_created) == created
    text = assert_no_values(report, doctor.stack)
    assert "status words seen: " in text and '"completed"' in text and "To report:" in text


async def test_a_test_snapshot_only_when_asked(doctor: Doctor) -> None:
    report = await doctor.check(create_test_snapshot="TRK-101")
    assert doctor.stack.sim.stats.captures_created == 1
    verdicts = {ch.key: ch.verdict for ch in report.checks}
    assert (verdicts["capture.create"], verdicts["capture.shape"], verdicts["capture.status"]) == (
        OK,
        OK,
        OK,
    )
    assert_no_values(report, doctor.stack)


async def test_missing_scopes_and_a_wrong_signing_secret_are_named(doctor: Doctor) -> None:
    doctor.stack.slack.scopes = [s for s in SCOPES if s != "files:write"]
    opts = Options(recall_ids=doctor.recall_ids, bot_url=doctor.stack.url, manifest=MANIFEST)
    report = await diagnose(doctor.settings(slack_signing_secret="not-the-bots-secret"), opts)
    scopes = next(ch for ch in report.checks if ch.key == "slack.scopes")
    assert scopes.verdict == FAILS and scopes.got == "missing: files:write"
    reach = next(ch for ch in report.checks if ch.key == "slack.reach")
    assert reach.verdict == FAILS and "SLACK_SIGNING_SECRET" in reach.note


async def test_a_refused_key_and_a_refused_token_stop_early(doctor: Doctor) -> None:
    doctor.stack.sim.config.api_key = "the-real-key"
    opts = Options(manifest=MANIFEST)
    report = await diagnose(doctor.settings(slack_bot_token="xoxp-not-a-bot-token"), opts)
    verdicts = {ch.key: ch.verdict for ch in report.checks}
    assert verdicts == {"auth": FAILS, "slack.auth": FAILS}
    assert "MOTIVE_API_KEY" in report.render() and "xoxp-not-a-bot-token" not in report.render()


EXPECTED: dict[str, dict[str, str]] = {
    "status-words": {"recall.status": DIFFERS},
    "null-status": {"recall.status": DIFFERS},
    "camera-url-field": {"camera.url": DIFFERS, "camera.expires_at": DIFFERS},
    "naive-timestamps": {"timestamps": DIFFERS},
    "spaced-timestamps": {"timestamps": DIFFERS},
    "wrapped": {"recall.wrapper": DIFFERS, "capture.shape": DIFFERS},
    "timelines-404": {"timelines.path": FAILS},
    "timelines-query": {"timelines.query": FAILS},
    "adjacent-segments": {"timelines.shape": DIFFERS},
    "quota-shape": {"quota": FAILS},
    "odd-fields": {
        "vehicles.number": DIFFERS,
        "quota": DIFFERS,
        "quota.rate_limit": DIFFERS,
        "capture.shape": DIFFERS,
    },
}


def test_every_variant_has_an_expectation() -> None:
    assert set(EXPECTED) == set(VARIANTS)


@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_each_variant_names_exactly_its_mismatches(name: str, sqlite_url: str) -> None:
    async with _doctor(sqlite_url, frozenset({name})) as d:
        report = await d.check(create_test_snapshot="TRK-102")
        assert not_ok(report) == EXPECTED[name]
        assert report.exit_code == 1
        text = assert_no_values(report, d.stack)
        for key, verdict in EXPECTED[name].items():
            assert f"{verdict:<8} {key}" in text


def test_shape_shows_keys_types_and_time_forms_only() -> None:
    body = {
        "vehicles": [{"vehicle": {"id": 4, "number": "TRK-9", "updated_at": "2026-07-01 15:02Z"}}],
        "total": None,
    }
    assert shape(body) == (
        "{vehicles: [1 × {vehicle: {id: int, number: str, updated_at: time 9999-99-99 99:99Z}}], "
        "total: null}"
    )


async def test_run_prints_the_report_and_returns_its_code(
    doctor: Doctor, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await run(
        doctor.settings(),
        Options(recall_ids=doctor.recall_ids, manifest=MANIFEST, bot_url=doctor.stack.url),
    )
    out = capsys.readouterr().out
    assert code == 0 and "a Motive stand-in" in out and "ok       slack.reach" in out
    # Without --bot-url the reach check cannot run, which the reader can fix: not a pass.
    code = await run(doctor.settings(), Options(recall_ids=doctor.recall_ids, manifest=MANIFEST))
    out = capsys.readouterr().out
    assert code == 1 and "NOT RUN  slack.reach" in out and "pass --bot-url" in out
    real = Settings(_env_file=None)  # type: ignore[call-arg]
    assert await run(real, Options()) == 2
    assert "needs MOTIVE_API_KEY" in capsys.readouterr().out


def test_command_line() -> None:
    args = build_parser().parse_args(
        ["doctor", "--recall-id", "7", "--recall-id", "8", "--create-test-snapshot", "TRK-101"]
    )
    assert (args.recall_id, args.create_test_snapshot, args.position) == (
        ["7", "8"],
        "TRK-101",
        "front_facing",
    )
    assert build_parser().parse_args(["simulator", "--variant", "wrapped,null-status"]).variant
    assert main(["simulator", "--variant", "no-such-variant"]) == 2


def test_readme_section_starts_with_doctor() -> None:
    readme = (MANIFEST.parent / "README.md").read_text()
    section = readme.split("## Connecting a real Motive account\n", 1)[1].split("\n## ", 1)[0]
    first_command = section.split("```sh\n", 1)[1].split("```", 1)[0]
    assert "motive-bot doctor" in first_command
    assert "docs/motive-assumptions.md" in section


async def test_socket_mode_reach_is_checked_with_the_app_token(doctor: Doctor) -> None:
    opts = Options(manifest=MANIFEST)
    report = await diagnose(doctor.settings(slack_app_token="xapp-doctor-app-token-1"), opts)
    reach = next(ch for ch in report.checks if ch.key == "slack.reach")
    # The fake Slack here runs no Socket Mode server: the app is told it is off.
    assert reach.verdict == FAILS and "socket_mode_not_enabled" in reach.got
    assert "xapp-doctor-app-token-1" not in report.render()
    from bot.offline.socket_mode import FakeSocketMode

    doctor.stack.slack.socket_mode = FakeSocketMode()
    report = await diagnose(doctor.settings(slack_app_token="xapp-doctor-app-token-1"), opts)
    reach = next(ch for ch in report.checks if ch.key == "slack.reach")
    assert reach.verdict == OK and "Socket Mode is on" in reach.got


async def test_checks_that_could_not_run_for_want_of_an_option_fail_the_run(
    doctor: Doctor,
) -> None:
    report = await diagnose(doctor.settings(slack_bot_token=None), Options(manifest=MANIFEST))
    not_run = {ch.key: ch.note for ch in report.checks if ch.verdict == NOT_RUN}
    assert report.exit_code == 1
    assert not_run["recall.wrapper"] == "pass --recall-id N (from the Motive dashboard)"
    assert not_run["slack.auth"] == "set SLACK_BOT_TOKEN to check the Slack app"
    assert set(not_run) == {
        "recall.wrapper",
        "recall.status",
        "recall.cameras",
        "camera.url",
        "camera.expires_at",
        "slack.auth",
    }
    text = report.render()
    assert "6 not run" in text and "Each NOT RUN line says what to give doctor" in text


async def test_a_wrong_recall_id_is_named_not_blamed_on_a_guess(doctor: Doctor) -> None:
    report = await doctor.check(recall_ids=["424242"])
    verdicts = {ch.key: ch.verdict for ch in report.checks}
    assert "recall.wrapper" not in {k for k, v in verdicts.items() if v == FAILS}
    wrong = next(ch for ch in report.checks if ch.key == "recall.id")
    assert wrong.verdict == NOT_RUN and report.exit_code == 1
    assert wrong.got == "404: Motive has no recall 424242 (--recall-id 424242)"
    assert "NOT RUN  recall.id" in report.render() and "424242" in report.render()
    # One wrong id among good ones: the good ones are still read.
    report = await doctor.check(recall_ids=[*doctor.recall_ids, "424242"])
    assert {ch.key: ch.verdict for ch in report.checks}["recall.status"] == OK
    assert report.exit_code == 1
