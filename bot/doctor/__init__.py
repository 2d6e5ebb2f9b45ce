"""`motive-bot doctor`: check our guesses about Motive (and the Slack set-up) against a real account.

Read-only: it lists, reads and asks for footage windows, and creates nothing unless given
`--create-test-snapshot TRK-…`. It prints, assumption by assumption (`motive.contract`), what it
called, the shape of what came back (keys and types, never values: no tokens, names or ids), and
whether that matches. Its output is meant to be pasted into a report as it is.
"""

from __future__ import annotations

import httpx

from bot.config import Settings
from bot.doctor.motive_checks import MotiveDoctor
from bot.doctor.report import DIFFERS, FAILS, NOT_RUN, OK, SKIPPED, Check, Options, Report, shape
from bot.doctor.slack_checks import slack_checks
from motive.tls import tls_context

__all__ = [
    "DIFFERS",
    "FAILS",
    "NOT_RUN",
    "OK",
    "SKIPPED",
    "Check",
    "Options",
    "Report",
    "diagnose",
    "run",
    "shape",
]


# --- entry point ----------------------------------------------------------------------------------


async def diagnose(
    settings: Settings, options: Options, *, transport: httpx.AsyncBaseTransport | None = None
) -> Report:
    report = Report()
    headers = {"Accept": "application/json", "User-Agent": "motive-bot-doctor"}
    if settings.motive_api_key is not None:
        key = settings.motive_api_key.get_secret_value()
        headers["X-Api-Key"] = key
        report.hide(key)
    async with httpx.AsyncClient(
        base_url=settings.motive_api_url.rstrip("/"),
        headers=headers,
        timeout=20,
        transport=transport,
        verify=tls_context(),
    ) as http:
        await MotiveDoctor(http, report, options).run()
    await slack_checks(settings, report, options)
    return report


async def run(settings: Settings, options: Options) -> int:
    real = settings.motive_api_url.startswith("https://api.gomotive.com")
    if real and settings.motive_api_key is None:
        print("motive-bot doctor needs MOTIVE_API_KEY (a company API key) to check Motive.")
        return 2
    print(
        f"motive-bot doctor: checking {'Motive' if real else 'a Motive stand-in'} "
        f"({'read-only' if not options.create_test_snapshot else 'one test snapshot'}) "
        "and the Slack app, guess by guess (motive/contract.py, docs/motive-assumptions.md).\n",
        flush=True,
    )
    report = await diagnose(settings, options)
    print(report.render())
    return report.exit_code
