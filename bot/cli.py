"""The `motive-bot` command line: serve, console, simulator, migrate, audit, policy and doctor.

A problem the person running it can fix (a bad setting, a database that cannot be opened, a
wrong option) ends the command with one line naming it and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.config import Settings


class Refused(Exception):
    """What the person running the command can fix, in one line (or one per setting): exit 2."""


def settings_or_refuse() -> Settings:
    from bot.config import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as e:
        raise Refused(str(e)) from None


def database_or_refuse(url: str) -> None:
    """Open the database once before anything starts: a wrong host, a stopped server or an
    unopenable file is one line with where and why."""
    from bot.store.reach import sqlite_problem, unreachable

    # A SQLite file is opened in place (no event loop to start for it: ~1 ms, not 4-40 ms).
    sqlite = url.startswith("sqlite")
    problem = sqlite_problem(url) if sqlite else asyncio.run(unreachable(url))
    if problem is not None:
        raise Refused(problem)


def _simulator(args: argparse.Namespace) -> int:
    import uvicorn

    from motive.simulator import SimConfig, Simulator, build_app
    from motive.simulator.variants import check

    try:
        variants = check({v.strip() for arg in args.variant for v in arg.split(",") if v.strip()})
    except ValueError as e:
        print(f"motive-bot simulator: {e}", file=sys.stderr)
        return 2
    config = SimConfig(
        seed=args.seed,
        time_factor=args.time_factor,
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
        variants=variants,
    )
    app = build_app(Simulator(config))
    playing = f", playing {', '.join(sorted(variants))}" if variants else ""
    print(
        f"Motive simulator on http://{args.host}:{args.port} (time factor "
        f"{args.time_factor:g}{playing})",
        flush=True,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from bot.logs import setup_logging
    from bot.server import Health, build_server
    from bot.services import build_services
    from bot.slack.app import build_bolt_app

    settings = settings_or_refuse()
    setup_logging(settings.log_level, settings.log_json)
    log = logging.getLogger("motive-bot")
    from bot.config import MissingSettings

    role = args.role
    try:
        settings.for_role(role)
    except MissingSettings as e:
        print(
            f"motive-bot serve {e}; `motive-bot console` runs without any credentials.",
            file=sys.stderr,
        )
        return 2
    database_or_refuse(settings.database_url)
    from bot.access.policy import PolicyError

    try:
        svc = build_services(settings, role=role)
    except PolicyError as e:
        print(
            f"POLICY_FILE is not valid: {e} (`motive-bot policy check` explains)", file=sys.stderr
        )
        return 2
    socket_mode = settings.slack_app_token is not None
    bolt = build_bolt_app(svc, socket_mode=socket_mode) if role != "worker" else None
    health = Health(svc, role)
    handler: Any = None

    async def on_start() -> None:
        nonlocal handler
        # What start-up built lives as long as the process: keep it out of the garbage
        # collector's full passes, whose pauses would stall acks.
        gc.freeze()
        if socket_mode and bolt is not None and settings.slack_app_token is not None:
            from bot.slack.ingress.socket_mode import SocketModeHandler

            handler = SocketModeHandler(bolt, settings.slack_app_token.get_secret_value())
            await handler.connect_async()  # not start(): the scheduler runs beside it
            health.socket = handler
            log.info("connected to Slack in Socket Mode")

    async def on_stop() -> None:
        if handler is not None:
            await handler.close_async()

    server = build_server(
        svc,
        None if socket_mode else bolt,
        role=role,
        health=health,
        on_start=on_start,
        on_stop=on_stop,
    )
    mode = "Socket Mode" if socket_mode else f"HTTP on {args.host}:{settings.port}"
    log.info("motive-bot serve: role %s, %s", role, mode)
    uvicorn.run(
        server,
        host=args.host,
        port=settings.port,
        log_level="warning",
        timeout_graceful_shutdown=15,
    )
    return 0


def _console(args: argparse.Namespace) -> int:
    from bot.offline.console import console_zone, run_console

    settings_or_refuse()  # the console reads the same settings (MOTIVE_API_KEY, LOG_JSON)
    try:
        console_zone(args.tz)
    except ValueError as e:
        raise Refused(str(e)) from None
    if not sys.stdin.isatty():
        return asyncio.run(run_console(args))
    # At a terminal the main thread reads the lines (where Ctrl-C arrives, to cancel one) and
    # the app runs on an event loop in a thread of its own.
    import signal
    import threading

    from bot.offline.prompt import TerminalLines

    # Ctrl-C is the console's to handle, even when it was started with SIGINT ignored (what a
    # script's background job inherits, `cmd &`): Python then leaves it ignored, and a line
    # could not be cancelled.
    signal.signal(signal.SIGINT, signal.default_int_handler)

    terminal = TerminalLines()
    result: list[int] = []

    def app() -> None:
        result.append(asyncio.run(run_console(args, terminal=terminal)))

    thread = threading.Thread(target=app, name="console-app", daemon=True)
    thread.start()
    terminal.serve(finished=lambda: not thread.is_alive())
    thread.join()
    return result[0] if result else 1


def _doctor(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.doctor import Options, run

    options = Options(
        recall_ids=list(args.recall_id),
        vehicle=args.vehicle,
        create_test_snapshot=args.create_test_snapshot,
        position=args.position,
        bot_url=args.bot_url,
        manifest=Path(args.manifest) if args.manifest else None,
    )
    return asyncio.run(run(settings_or_refuse(), options))


class _Help(argparse.HelpFormatter):
    """Every option's help ends with its default, when it has one (an option whose default is
    "none given" says in its help what happens then)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if default in (None, False, [], argparse.SUPPRESS) or not action.option_strings:
            return text
        return f"{text} (default: {default})"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="motive-bot",
        description="Dashcam recalls and camera snapshots from Slack (see README.md).",
        epilog="`motive-bot COMMAND --help` describes each command's options. Settings come "
        "from the environment or a .env file (README.md, Settings).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=text, description=text, formatter_class=_Help)

    serve = command("serve", "run the bot (Socket Mode if SLACK_APP_TOKEN is set, else HTTP)")
    serve.add_argument(
        "--role",
        choices=["all", "web", "worker"],
        default="all",
        help="web answers Slack and webhooks, worker runs the poller, all does both",
    )
    serve.add_argument("--host", default="0.0.0.0", help="the address to listen on (HTTP mode)")
    serve.set_defaults(func=_serve)

    console = command(
        "console", "the real app driven from the terminal, against the simulator, no credentials"
    )
    console.add_argument("--real-time", action="store_true", help="Motive simulator at real speed")
    console.add_argument("--user", default="U0DISPATCH", help="the fake dispatcher's user id")
    console.add_argument("--channel", default="C0DISPATCH", help="the fake channel")
    console.add_argument(
        "--tz", default="America/Chicago", help="the fake dispatcher's IANA time zone"
    )
    console.add_argument(
        "--database-url", default=None, help="where requests are kept (a temporary SQLite file)"
    )
    console.add_argument(
        "--media-dir", default=None, help="where uploaded snapshots are saved (a temporary folder)"
    )
    console.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="at the end of input or on quit, the longest wait for requests in flight (s)",
    )
    console.set_defaults(func=_console)

    sim = command("simulator", "run the Motive simulator alone")
    sim.add_argument("--port", type=int, default=8787, help="the port to listen on")
    sim.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    sim.add_argument("--seed", type=int, default=7, help="seed of the simulated fleet and timing")
    sim.add_argument("--time-factor", type=float, default=60.0, help="simulated seconds per second")
    sim.add_argument(
        "--webhook-url", default=None, help="where to send completion webhooks (none: no webhooks)"
    )
    sim.add_argument("--webhook-secret", default=None, help="the secret that signs the webhooks")
    sim.add_argument(
        "--variant",
        action="append",
        default=[],
        help="answer as if a guess about Motive were wrong (repeat, or comma-separate; "
        "see docs/motive-assumptions.md)",
    )
    sim.set_defaults(func=_simulator)

    migrate = command("migrate", "bring the database schema up to date (DATABASE_URL)")
    migrate.set_defaults(func=_migrate)

    audit = command("audit", "print the audit trail (DATABASE_URL)")
    audit.add_argument(
        "--since", default=None, help="YYYY-MM-DD (UTC) or an ISO date and time (all rows)"
    )
    audit.add_argument("--user", default=None, help="only this Slack user ID (U…)")
    audit.add_argument("--vehicle", default=None, help="only this vehicle number or asset name")
    audit.add_argument("--format", choices=("csv", "json"), default="csv", help="output format")
    audit.set_defaults(func=_audit)

    policy = command("policy", "the access policy file (see policy.example.toml)")
    policy_sub = policy.add_subparsers(dest="policy_command", required=True, metavar="COMMAND")
    check_text = "validate a policy file and say what it means"
    check = policy_sub.add_parser(
        "check", help=check_text, description=check_text, formatter_class=_Help
    )
    check.add_argument("file", help="the policy file (TOML)")
    check.set_defaults(func=_policy_check)

    doctor = command("doctor", "check the guesses about Motive and the Slack set-up (read-only)")
    doctor.add_argument(
        "--recall-id",
        action="append",
        default=[],
        help="a recall to read, from the Motive dashboard (repeat for more)",
    )
    doctor.add_argument(
        "--vehicle", default=None, help="the vehicle number to ask footage for (the first listed)"
    )
    doctor.add_argument(
        "--create-test-snapshot",
        metavar="TRK-…",
        default=None,
        help="also create one image capture from this vehicle (the only thing doctor creates)",
    )
    doctor.add_argument("--position", default="front_facing", help="camera for the test snapshot")
    doctor.add_argument(
        "--bot-url", default=None, help="the bot's public address, to send it a signed request"
    )
    doctor.add_argument(
        "--manifest", default=None, help="manifest.yml to compare scopes with (./manifest.yml)"
    )
    doctor.set_defaults(func=_doctor)
    return parser


def _migrate(args: argparse.Namespace) -> int:
    from bot.logs import setup_logging
    from bot.store.requests import Store

    settings = settings_or_refuse()
    setup_logging(settings.log_level, settings.log_json)
    database_or_refuse(settings.database_url)

    async def run() -> tuple[str | None, str | None]:
        from bot.store.migrate import migrate

        store = Store(settings.database_url)
        try:
            return await migrate(store.engine)
        finally:
            await store.close()

    before, after = asyncio.run(run())
    print(f"database schema: {before or 'empty'} -> {after}")
    return 0


def _audit(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from bot.access.audit import Audit, to_csv, to_json
    from bot.store.requests import Store

    since = None
    if args.since:
        try:
            since = datetime.fromisoformat(args.since)
        except ValueError:
            print(f"--since {args.since!r} is not a date; use 2026-11-01", file=sys.stderr)
            return 2
        since = since.replace(tzinfo=UTC) if since.tzinfo is None else since
    settings = settings_or_refuse()
    database_or_refuse(settings.database_url)

    async def run() -> str:
        store = Store(settings.database_url)
        try:
            await store.create_schema()  # an older database has no audit table yet
            entries = await Audit(store, store.clock).entries(
                since=since, user=args.user, target=args.vehicle
            )
        finally:
            await store.close()
        return to_json(entries) if args.format == "json" else to_csv(entries)

    sys.stdout.write(asyncio.run(run()))
    if args.format == "json":
        sys.stdout.write("\n")
    return 0


def _policy_check(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.access.policy import PolicyError, describe, load_policy

    try:
        policy = load_policy(Path(args.file))
    except PolicyError as e:
        print(f"not valid: {e}", file=sys.stderr)
        return 1
    print(f"{args.file} is valid. It means:")
    for line in describe(policy):
        print(f"  - {line}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except Refused as e:
        for line in str(e).splitlines():
            print(f"motive-bot {args.command}: {line}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
