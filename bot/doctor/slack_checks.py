"""The Slack side of the doctor: the token, the scopes granted against manifest.yml, and whether
Slack's requests reach the bot (as far as can be told from outside)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path

import httpx

from bot.config import Settings
from bot.doctor.report import FAILS, NOT_RUN, OK, SKIPPED, Options, Report, reply
from motive.tls import tls_context

# --- Slack ----------------------------------------------------------------------------------------


def manifest_scopes(path: Path) -> list[str]:
    import yaml

    data = yaml.safe_load(path.read_text())
    return [str(s) for s in data["oauth_config"]["scopes"]["bot"]]


def find_manifest(given: Path | None) -> Path | None:
    candidates = (
        [given] if given else [Path("manifest.yml"), Path(__file__).parents[2] / "manifest.yml"]
    )
    return next((p for p in candidates if p is not None and p.is_file()), None)


async def slack_checks(settings: Settings, report: Report, options: Options) -> None:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    base = settings.slack_api_url.rstrip("/") + "/"
    if not token:
        report.add(
            "slack.auth",
            NOT_RUN,
            "POST auth.test",
            "SLACK_BOT_TOKEN is not set",
            "set SLACK_BOT_TOKEN to check the Slack app",
        )
        return
    report.hide(token)
    async with httpx.AsyncClient(timeout=15, verify=tls_context()) as http:
        try:
            r = await http.post(base + "auth.test", headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as e:
            report.add("slack.auth", FAILS, "POST auth.test", f"no answer ({type(e).__name__})")
            return
        body = reply(r) or {}
        if not body.get("ok"):
            report.add(
                "slack.auth",
                FAILS,
                "POST auth.test",
                f"{r.status_code} error {body.get('error')!r}",
                "the bot token is wrong or revoked: reinstall the app and copy its token",
            )
            return
        report.hide(body.get("team"), body.get("user"), body.get("url"))
        report.add("slack.auth", OK, "POST auth.test", f"{r.status_code} ok: the token works")
        granted = {s.strip() for s in r.headers.get("x-oauth-scopes", "").split(",") if s.strip()}
        manifest = find_manifest(options.manifest)
        if manifest is None:
            report.add(
                "slack.scopes",
                NOT_RUN,
                "auth.test x-oauth-scopes",
                "manifest.yml not found",
                "run from the repository, or pass --manifest",
            )
        elif not granted:
            report.add("slack.scopes", SKIPPED, "auth.test x-oauth-scopes", "no scopes header")
        else:
            wanted = set(manifest_scopes(manifest))
            missing = sorted(wanted - granted)
            report.add(
                "slack.scopes",
                FAILS if missing else OK,
                "auth.test x-oauth-scopes vs manifest.yml",
                f"missing: {', '.join(missing)}" if missing else f"all {len(wanted)} granted",
                "reinstall the app from manifest.yml so it gets them" if missing else "",
            )
        await reach(http, settings, report, options)


async def reach(
    http: httpx.AsyncClient, settings: Settings, report: Report, options: Options
) -> None:
    """As far as can be told from here: Slack's requests reach a bot that can verify them."""
    if settings.slack_app_token is not None:
        await socket_mode(http, settings, report)
        return
    if not options.bot_url:
        report.add(
            "slack.reach",
            NOT_RUN,
            "POST <bot>/slack/events",
            "no --bot-url given",
            "pass --bot-url https://your-host to check that Slack's requests reach the bot",
        )
        return
    secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    )
    url = options.bot_url.rstrip("/") + "/slack/events"
    challenge = hashlib.sha256(str(time.time()).encode()).hexdigest()[:16]
    body = json.dumps({"type": "url_verification", "challenge": challenge, "token": "doctor"})
    ts = str(int(time.time()))
    sig = "v0=" + hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": sig,
    }
    called = "POST <bot-url>/slack/events (a signed url_verification, as Slack sends)"
    try:
        r = await http.post(url, content=body, headers=headers)
    except httpx.HTTPError as e:
        report.add(
            "slack.reach",
            FAILS,
            called,
            f"no answer ({type(e).__name__})",
            "Slack cannot reach it either: check the address, TLS and that the bot runs",
        )
        return
    if r.status_code == 200 and challenge in r.text:
        report.add("slack.reach", OK, called, "200 with the challenge: the bot answers Slack")
    elif r.status_code == 401:
        report.add(
            "slack.reach",
            FAILS,
            called,
            "401",
            "the bot refused the signature: SLACK_SIGNING_SECRET differs from the bot's",
        )
    else:
        report.add("slack.reach", FAILS, called, f"{r.status_code}", "not the bot's answer")


async def socket_mode(http: httpx.AsyncClient, settings: Settings, report: Report) -> None:
    """Socket Mode: Slack hands commands to a connected bot. Asking for a connection address
    (not using it) shows the app token works and Socket Mode is on for the app."""
    assert settings.slack_app_token is not None
    app_token = settings.slack_app_token.get_secret_value()
    report.hide(app_token)
    called = "POST apps.connections.open (SLACK_APP_TOKEN; the address is not used)"
    url = settings.slack_api_url.rstrip("/") + "/apps.connections.open"
    try:
        r = await http.post(url, headers={"Authorization": f"Bearer {app_token}"})
    except httpx.HTTPError as e:
        report.add("slack.reach", FAILS, called, f"no answer ({type(e).__name__})")
        return
    body = reply(r) or {}
    if body.get("ok"):
        report.add(
            "slack.reach",
            OK,
            called,
            f"{r.status_code} ok: Socket Mode is on and the app token works",
            "commands reach a connected bot; the running bot's /healthz says if it is connected",
        )
    else:
        report.add(
            "slack.reach",
            FAILS,
            called,
            f"{r.status_code} error {body.get('error')!r}",
            "turn Socket Mode on for the app, or create an app-level token with connections:write",
        )
