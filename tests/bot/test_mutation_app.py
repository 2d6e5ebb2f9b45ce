"""The Bolt app as built (bot/slack/app.py), written against the survivors of a mutation run
(TESTING.md, run H): whose signature check runs, which requests the fast path may ack, what
Bolt's own loggers may write, and what background work waits for."""

from __future__ import annotations

import dataclasses
import logging
import time

import pytest
from pydantic import SecretStr

from bot.offline.signing import command_body
from bot.slack.app import build_bolt_app
from bot.slack.listeners import EMPTY_ACKS
from bot.slack.post_ack import ACKED_EARLY, acks_first, already_acked
from tests.bot.conftest import Stack
from tests.bot.test_fast_ack_parts import bolt_request


def help_command(stack: Stack, n: int) -> str:
    return command_body(
        "/recall", "help", response_url=stack.response_url(f"app{n}"), trigger_id=f"trig-app{n}"
    )


async def test_a_request_acked_early_is_dispatched_even_when_its_stamp_has_aged(
    stack: Stack,
) -> None:
    """The fast path checked the signature and its five minutes before the ack; Bolt's dispatch
    comes after, when the five minutes may have run out. Only our check runs, and it lets such a
    request through; Bolt's own check (which would refuse it, and then the person would be told
    something went wrong) is off."""
    app = build_bolt_app(stack.svc)
    body = help_command(stack, 1)
    aged = stack.signed(body, timestamp=int(time.time()) - 6 * 60)
    with already_acked():
        dispatched = await app.async_dispatch(bolt_request(aged, body, **{ACKED_EARLY: True}))
    assert (dispatched.status, dispatched.body) == (200, "")
    await stack.settle()
    [answer] = stack.slack.responses
    assert "/recall" in str(answer)  # the help reached the person
    # The same aged stamp on a request nobody checked is refused, by our check alone.
    refused = await app.async_dispatch(bolt_request(aged, body))
    assert refused.status == 401
    assert len(stack.slack.responses) == 1


async def test_only_an_http_app_acks_ahead_of_bolt(stack: Stack) -> None:
    """In Socket Mode the handler sends the acks, secret or not."""
    assert build_bolt_app(stack.svc).empty_acks == EMPTY_ACKS
    assert build_bolt_app(stack.svc, socket_mode=True).empty_acks is None
    settings = stack.svc.settings.model_copy(update={"slack_signing_secret": None})
    unsigned = dataclasses.replace(stack.svc, settings=settings)
    assert build_bolt_app(unsigned, socket_mode=True).empty_acks is None


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
