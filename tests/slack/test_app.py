"""The Bolt app as built (bot/slack/app.py), written against the survivors of a mutation run
(TESTING.md, run H): whose signature check runs (Bolt's own, over HTTP only), what Bolt's own
loggers may write, and what background work waits for."""

from __future__ import annotations

import dataclasses
import inspect
import logging
import time

import pytest
from pydantic import SecretStr
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.offline.signing import command_body
from bot.slack.app import build_bolt_app
from bot.slack.ingress.post_ack import acks_first
from tests.support.stack import Stack


def bolt_request(headers: dict[str, str], body: str, *, mode: str = "http") -> AsyncBoltRequest:
    return AsyncBoltRequest(
        body=body, headers={k.lower(): [v] for k, v in headers.items()}, mode=mode
    )


def help_command(stack: Stack, n: int) -> str:
    return command_body(
        "/recall", "help", response_url=stack.response_url(f"app{n}"), trigger_id=f"trig-app{n}"
    )


async def test_an_http_app_checks_the_signature_and_its_five_minutes(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    """Bolt's own check: a request signed with the secret and a fresh stamp reaches the listener;
    an aged stamp or another secret is refused before it, and Bolt's log line (which holds the
    whole body) is kept out of the logs, even with the bot logging at DEBUG."""
    body = help_command(stack, 1)
    with caplog.at_level(logging.DEBUG):
        app = build_bolt_app(stack.svc)  # Bolt's loggers take the root's level now
        aged = stack.signed(body, timestamp=int(time.time()) - 6 * 60)
        assert (await app.async_dispatch(bolt_request(aged, body))).status == 401
        forged = stack.signed(body, secret="not-the-secret")
        assert (await app.async_dispatch(bolt_request(forged, body))).status == 401
    assert "trig-app1" not in caplog.text and stack.slack.responses == []
    answered = await app.async_dispatch(bolt_request(stack.signed(body), body))
    assert (answered.status, answered.body) == (200, "")
    await stack.settle()
    [answer] = stack.slack.responses
    assert "/recall" in str(answer)  # the help reached the person


async def test_a_socket_mode_app_needs_no_secret_and_checks_no_signature(stack: Stack) -> None:
    """In Socket Mode the connection is the authentication: envelopes carry no signature."""
    settings = stack.svc.settings.model_copy(update={"slack_signing_secret": None})
    unsigned = dataclasses.replace(stack.svc, settings=settings)
    app = build_bolt_app(unsigned, socket_mode=True)
    body = help_command(stack, 2)
    answered = await app.async_dispatch(bolt_request({}, body, mode="socket_mode"))
    assert (answered.status, answered.body) == (200, "")
    await stack.settle()
    assert len(stack.slack.responses) == 1


@pytest.mark.parametrize("secret", [None, SecretStr("")])
async def test_an_http_app_without_a_signing_secret_is_not_built(
    stack: Stack, secret: SecretStr | None
) -> None:
    """It could verify nothing: every request would have to be refused, or every forgery let in.
    (It used to verify against a placeholder written in this file, which anyone could sign with.)"""
    settings = stack.svc.settings.model_copy(update={"slack_signing_secret": secret})
    unsigned = dataclasses.replace(stack.svc, settings=settings)
    said = "Slack over HTTP needs SLACK_SIGNING_SECRET to verify its requests"
    with pytest.raises(ValueError, match=f"^{said}$"):
        build_bolt_app(unsigned)


async def test_bolts_loggers_stay_at_info_when_the_bot_logs_at_debug(stack: Stack) -> None:
    """Bolt gives each of its loggers the root's level when the app is built, and at DEBUG they
    write whole request bodies and responses: the app caps them all at INFO."""
    root = logging.getLogger()
    saved = root.level
    root.setLevel(logging.DEBUG)
    try:
        app = build_bolt_app(stack.svc)
    finally:
        root.setLevel(saved)
    bolts = {
        name: logger.level
        for name, logger in logging.Logger.manager.loggerDict.items()
        if name.startswith("slack_bolt.") and isinstance(logger, logging.Logger)
    }
    assert len(bolts) > 5  # one per middleware and runner
    assert {name: level for name, level in bolts.items() if level < logging.INFO} == {}
    assert app.logger.level >= logging.INFO


async def test_background_work_waits_for_a_burst_of_acks(stack: Stack) -> None:
    stack.svc.background.gate = None
    build_bolt_app(stack.svc)
    assert stack.svc.background.gate is acks_first


async def test_the_app_is_named_so_bolt_never_walks_the_call_stack(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unnamed, Bolt names the app after its caller's file with inspect.stack(), which reads
    every frame's source: about 15 ms of each start (BENCHMARKS.md)."""

    def walked(*args: object, **kwargs: object) -> None:
        raise AssertionError("Bolt walked the call stack to name the app")

    monkeypatch.setattr(inspect, "stack", walked)
    assert build_bolt_app(stack.svc).name == "motive-bot"
