"""`motive-bot console`: the real app, driven from the terminal.

The same Bolt listeners, tracker and store (SQLite), talking to the fake Slack Web API and to the
Motive simulator (time-accelerated unless --real-time; the real Motive when MOTIVE_API_KEY is set).
Commands are signed and posted to the app's /slack/events exactly as Slack would; what the app
calls on Slack is printed as a channel transcript. Modals are asked field by field.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import sys
import tempfile
import time
from datetime import datetime
from typing import Any, TextIO
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx
from slack_sdk.signature import SignatureVerifier

from bot.config import Settings
from bot.logs import setup_logging
from bot.offline.fakeslack import FakeSlack, Message, find_openapi
from bot.offline.loopback import serve_on_loopback
from bot.offline.transcript import blocks_text, mrkdwn
from bot.server import build_server
from bot.services import Services, build_services
from bot.slack.app import build_bolt_app
from bot.slack.parsing import ParseError, parse_when
from motive.simulator import SimConfig, Simulator, build_app

SECRET = "console-signing-secret"
WEBHOOK_SECRET = "console-webhook-secret"
ACCELERATION = 300.0  # a 10-minute upload takes 2 seconds

CONSOLE_HELP = """\
Type a command as in Slack:
  /recall TRK-101 20m ago 2m front      /recall help      /recall   (opens the form)
  /snapshot asset:"Reefer 12" rear       /snapshot help    /snapshot (opens the form)
  press N      press button [N] shown under a message
  help         this text          quit       leave (waits for requests in flight)
The simulated fleet: TRK-101..TRK-105 (TRK-103 has a smart dashcam, TRK-104 a broken rear
camera, TRK-105 is parked), TRK-200..TRK-324, asset "Reefer 12", "Flatbed 7", "Dry Van 3"."""


class Printer:
    """Prints what the app does in Slack, as a transcript of the channel and its threads."""

    def __init__(self, tz: ZoneInfo, out: TextIO, channel_names: dict[str, str]) -> None:
        self.tz = tz
        self.out = out
        self.names = channel_names
        self.buttons: list[dict[str, Any]] = []
        self.numbers: dict[str, int] = {}
        self.button_origin: dict[int, Message] = {}
        self._n = itertools.count(1)

    def _num(self, ts: str) -> int:
        if ts not in self.numbers:
            self.numbers[ts] = next(self._n)
        return self.numbers[ts]

    def _where(self, channel: str) -> str:
        return "DM" if channel.startswith("D") else "#" + self.names.get(channel, channel)

    def line(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def _body(
        self, blocks: list[dict[str, Any]], text: str, indent: str, origin: Message | None
    ) -> None:
        first = len(self.buttons)
        lines = blocks_text(blocks, self.tz, self.buttons) if blocks else [mrkdwn(text, self.tz)]
        if origin is not None:
            for i in range(first, len(self.buttons)):
                self.button_origin[i + 1] = origin
        for ln in lines:
            self.line(indent + ln)

    def on_event(self, kind: str, payload: Any) -> None:
        if kind == "post":
            msg: Message = payload
            if msg.thread_ts:
                self.line(
                    f"  └ reply in thread of message {self._num(msg.thread_ts)} ({self._where(msg.channel)}):"
                )
                self._body(msg.blocks, msg.text, "    ", msg)
            else:
                self.line(
                    f"[{self._where(msg.channel)}] message {self._num(msg.ts)} from Motive Clips:"
                )
                self._body(msg.blocks, msg.text, "  ", msg)
        elif kind == "update":
            msg = payload
            where = (
                f"thread reply {self._num(msg.ts)}"
                if msg.thread_ts
                else f"message {self._num(msg.ts)}"
            )
            self.line(f"[{self._where(msg.channel)}] {where} updated:")
            self._body(msg.blocks, msg.text, "  ", msg)
        elif kind == "file":
            msg = payload
            for f in msg.files:
                self.line(
                    f"  └ file in thread of message {self._num(msg.thread_ts or msg.ts)}: {f['name']} ({f['size']} bytes)"
                )
            if msg.text:
                self.line(f"    {mrkdwn(msg.text, self.tz)}")
        elif kind in ("respond", "ephemeral"):
            self.line("(only you can see this)")
            self._body(list(payload.get("blocks") or []), str(payload.get("text", "")), "  ", None)


class Console:
    def __init__(
        self,
        args: argparse.Namespace,
        svc: Services,
        slack: FakeSlack,
        bot_url: str,
        printer: Printer,
        stdin: TextIO,
        interactive: bool,
    ) -> None:
        self.args = args
        self.svc = svc
        self.slack = slack
        self.bot_url = bot_url
        self.printer = printer
        self.stdin = stdin
        self.interactive = interactive
        self.http = httpx.AsyncClient(timeout=30)
        self.failed = False
        self._n = itertools.count(1)

    # --- input ------------------------------------------------------------------------------

    async def read(self, prompt: str) -> str | None:
        loop = asyncio.get_running_loop()
        if self.interactive:
            try:
                return await loop.run_in_executor(None, input, prompt)
            except EOFError:
                return None
        line = await loop.run_in_executor(None, self.stdin.readline)
        if not line:
            return None
        self.printer.line(f"{prompt}{line.rstrip()}")
        return line.rstrip("\n")

    # --- talking to the app as Slack does ---------------------------------------------------

    def _signed(self, body: str) -> dict[str, str]:
        ts = str(int(time.time()))
        return {
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": str(
                SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
            ),
            "Content-Type": "application/x-www-form-urlencoded",
        }

    async def command(self, command: str, text: str) -> None:
        n = next(self._n)
        body = urlencode(
            {
                "team_id": "T0FLEET",
                "channel_id": self.args.channel,
                "channel_name": "dispatch",
                "user_id": self.args.user,
                "user_name": "dispatcher",
                "command": command,
                "text": text,
                "response_url": f"{self.slack.base_url}/respond/{n}",
                "trigger_id": f"console-{n}",
                "api_app_id": "A0MOTIVE",
            }
        )
        r = await self.http.post(
            f"{self.bot_url}/slack/events", content=body, headers=self._signed(body)
        )
        if r.status_code != 200:
            self.printer.line(f"(Slack would show: the app answered HTTP {r.status_code})")
            self.failed = True

    async def interact(self, payload: dict[str, Any]) -> httpx.Response:
        payload.setdefault("team", {"id": "T0FLEET"})
        payload.setdefault("user", {"id": self.args.user})
        payload.setdefault("api_app_id", "A0MOTIVE")
        body = urlencode({"payload": json.dumps(payload)})
        return await self.http.post(
            f"{self.bot_url}/slack/events", content=body, headers=self._signed(body)
        )

    async def settle(self, seconds: float = 10.0) -> None:
        """Let the work an interaction started finish, so the transcript reads in order."""
        await asyncio.sleep(0.05)
        await self.svc.background.wait_current(seconds)

    # --- buttons ----------------------------------------------------------------------------

    async def press(self, number: str) -> None:
        try:
            n = int(number)
            button = self.printer.buttons[n - 1]
        except (ValueError, IndexError):
            self.printer.line(
                f"There is no button [{number}]; buttons are numbered under the messages."
            )
            return
        if button.get("url"):
            self.printer.line(f"(your browser opens {button['url']})")
            return
        origin = self.printer.button_origin.get(n)
        payload: dict[str, Any] = {
            "type": "block_actions",
            "trigger_id": f"console-press-{n}",
            "response_url": f"{self.slack.base_url}/respond/press-{n}",
            "actions": [
                {
                    "action_id": button.get("action_id"),
                    "type": "button",
                    "value": button.get("value", ""),
                    "block_id": "b",
                }
            ],
        }
        if origin is not None:
            payload["container"] = {
                "type": "message",
                "channel_id": origin.channel,
                "message_ts": origin.ts,
            }
            payload["channel"] = {"id": origin.channel}
        await self.interact(payload)
        await self.settle()

    # --- modals -----------------------------------------------------------------------------

    async def fill_modal(self, view_id: str) -> None:
        for _ in range(100):
            if self.slack.views[view_id].get("submit"):
                break
            await asyncio.sleep(0.02)
        state: dict[str, dict[str, Any]] = {}
        todo: list[str] | None = None
        while True:
            view = self.slack.views[view_id]
            self.printer.line(
                f"┌ form: {view['title']['text']} (empty answer keeps the default; 'cancel' closes)"
            )
            for block in list(view["blocks"]):
                bid = block.get("block_id", "")
                if (
                    block.get("type") != "input"
                    or (todo is not None and bid not in todo)
                    or (bid in state and todo is None)
                ):
                    continue
                answer = await self.ask(block)
                if answer is None:
                    self.printer.line("└ form closed")
                    return
                state[bid] = answer
                if block.get("dispatch_action"):
                    element = block["element"]
                    await self.interact(
                        {
                            "type": "block_actions",
                            "trigger_id": "console-modal",
                            "view": {**self.slack.views[view_id], "state": {"values": state}},
                            "actions": [
                                {
                                    "action_id": element["action_id"],
                                    "block_id": bid,
                                    **next(iter(answer.values())),
                                }
                            ],
                        }
                    )
                    await self.settle()
                    todo = None
                    break  # the view changed: walk it again, keeping the answers given
            else:
                r = await self.interact(
                    {
                        "type": "view_submission",
                        "view": {**self.slack.views[view_id], "state": {"values": state}},
                    }
                )
                errors = (
                    (r.json() if r.content else {}).get("errors") if r.status_code == 200 else None
                )
                if not errors:
                    self.printer.line("└ form sent")
                    await self.settle()
                    return
                for message in errors.values():
                    self.printer.line(f"│ ⚠ {message}")
                todo = list(errors)
                for bid in todo:
                    state.pop(bid, None)
                continue

    async def ask(self, block: dict[str, Any]) -> dict[str, Any] | None:
        element = block["element"]
        kind = element["type"]
        action = element["action_id"]
        label = block["label"]["text"]
        optional = block.get("optional", False)
        while True:
            if kind in ("radio_buttons", "static_select"):
                options = element["options"]
                default = element.get("initial_option")
                for i, o in enumerate(options, 1):
                    mark = " (default)" if default and o["value"] == default["value"] else ""
                    self.printer.line(f"│   {i}) {o['text']['text']}{mark}")
                answer = await self.read(f"│ {label} [number]: ")
                if answer is None or answer.strip() == "cancel":
                    return None
                picked = _pick(options, answer, default)
                if picked is not None:
                    return {action: {"type": kind, "selected_option": picked}}
            elif kind == "external_select":
                answer = await self.read(f"│ {label} (type part of it): ")
                if answer is None or answer.strip() == "cancel":
                    return None
                r = await self.interact(
                    {
                        "type": "block_suggestion",
                        "action_id": action,
                        "block_id": block["block_id"],
                        "value": answer.strip(),
                        "view": {"state": {"values": {}}, "callback_id": "", "private_metadata": ""}
                        | self._current_kind(block),
                    }
                )
                options = r.json().get("options", []) if r.status_code == 200 else []
                exact = [o for o in options if o["value"].casefold() == answer.strip().casefold()]
                if exact or len(options) == 1:
                    return {action: {"type": kind, "selected_option": (exact or options)[0]}}
                if not options:
                    self.printer.line("│ nothing matches; try again")
                    continue
                for i, o in enumerate(options[:10], 1):
                    self.printer.line(f"│   {i}) {o['text']['text']}")
                choice = await self.read("│ which one [number]: ")
                if choice is None:
                    return None
                picked = _pick(options[:10], choice, None)
                if picked is not None:
                    return {action: {"type": kind, "selected_option": picked}}
            elif kind == "datetimepicker":
                default = datetime.fromtimestamp(element["initial_date_time"], self.printer.tz)
                answer = await self.read(
                    f"│ {label} [{default:%Y-%m-%d %H:%M}; or 14:05, 20m ago]: "
                )
                if answer is None or answer.strip() == "cancel":
                    return None
                if not answer.strip():
                    return {
                        action: {"type": kind, "selected_date_time": element["initial_date_time"]}
                    }
                try:
                    when = parse_when(answer, now=self.svc.clock.now(), tz=self.printer.tz)
                except ParseError as e:
                    self.printer.line(f"│ ⚠ {e.message}")
                    continue
                return {action: {"type": kind, "selected_date_time": int(when.timestamp())}}
            elif kind == "checkboxes":
                options = element["options"]
                initial = {o["value"] for o in element.get("initial_options", [])}
                for i, o in enumerate(options, 1):
                    self.printer.line(
                        f"│   {i}) [{'x' if o['value'] in initial else ' '}] {o['text']['text']}"
                    )
                answer = await self.read(f"│ {label} [numbers like 1,3; 'all'; 'none']: ")
                if answer is None or answer.strip() == "cancel":
                    return None
                text = answer.strip().lower()
                if not text or text == "all":
                    chosen = [o for o in options if o["value"] in initial] if not text else options
                elif text == "none":
                    chosen = []
                else:
                    chosen = [
                        p for p in (_pick(options, part, None) for part in text.split(",")) if p
                    ]
                return {action: {"type": kind, "selected_options": chosen}}
            else:  # plain_text_input
                answer = await self.read(f"│ {label}{' (optional)' if optional else ''}: ")
                if answer is None or answer.strip() == "cancel":
                    return None
                return {action: {"type": kind, "value": answer.strip() or None}}

    def _current_kind(self, block: dict[str, Any]) -> dict[str, Any]:
        kind = "asset" if block["block_id"] == "target_asset" else "vehicle"
        return {
            "state": {
                "values": {
                    "target_kind": {"target_kind_pick": {"selected_option": {"value": kind}}}
                }
            }
        }

    # --- the loop ---------------------------------------------------------------------------

    async def run(self) -> int:
        self.printer.line(
            "motive-bot console: you are @" + self.args.user + " in #dispatch. Type 'help'."
        )
        while True:
            line = await self.read("dispatcher> ")
            if line is None:
                break
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line in ("quit", "exit", r"\q"):
                break
            if line in ("help", "?"):
                self.printer.line(CONSOLE_HELP)
                continue
            if line.startswith("press "):
                await self.press(line[6:].strip())
                continue
            if line.startswith("/"):
                command, _, text = line.partition(" ")
                if command not in ("/recall", "/snapshot"):
                    self.printer.line(
                        f"{command} is not a command of this app; try /recall or /snapshot."
                    )
                    continue
                before = set(self.slack.views)
                await self.command(command, text.strip())
                await self.settle()
                for view_id in [v for v in self.slack.views if v not in before]:
                    await self.fill_modal(view_id)
                continue
            self.printer.line("I only understand /recall, /snapshot, press N, help and quit.")
        return await self.finish()

    async def finish(self) -> int:
        deadline = time.monotonic() + self.args.timeout
        while time.monotonic() < deadline:
            await self.settle(1.0)
            if not self.svc.background.busy and await self.svc.store.count_in_flight() == 0:
                rows = await self.svc.store.all_requests()
                self.printer.line(f"All {len(rows)} requests reached a final state.")
                await self.http.aclose()
                return 1 if self.failed else 0
            await asyncio.sleep(0.2)
        waiting = [r for r in await self.svc.store.in_flight()]
        self.printer.line(
            f"Gave up waiting after {self.args.timeout:g}s; {len(waiting)} request(s) still in flight."
        )
        await self.http.aclose()
        return 1


def _enable_history() -> None:
    """Line editing and a history kept between sessions, as Hubot's shell does."""
    import atexit
    import os

    try:
        import readline
    except ImportError:  # not on every platform; the console works without it
        return
    path = os.path.expanduser("~/.motive_bot_history")
    with contextlib.suppress(OSError):
        readline.read_history_file(path)
    readline.set_history_length(1000)

    def save() -> None:
        with contextlib.suppress(OSError):
            readline.write_history_file(path)

    atexit.register(save)


def _pick(
    options: list[dict[str, Any]], answer: str, default: dict[str, Any] | None
) -> dict[str, Any] | None:
    text = answer.strip()
    if not text:
        return default
    if text.isdigit() and 1 <= int(text) <= len(options):
        return options[int(text) - 1]
    for o in options:
        if text.casefold() in (o["value"].casefold(), o["text"]["text"].casefold()):
            return o
    return None


async def run_console(
    args: argparse.Namespace, stdin: TextIO | None = None, out: TextIO | None = None
) -> int:
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    settings = Settings()
    setup_logging("WARNING", settings.log_json)
    tz = ZoneInfo(args.tz)
    slack = FakeSlack(openapi=find_openapi(), user_tz=args.tz)
    printer = Printer(tz, out, {c.id: c.name for c in slack.channels.values()})
    slack.listeners.append(printer.on_event)
    use_simulator = settings.motive_api_key is None
    accelerated = use_simulator and not args.real_time
    async with contextlib.AsyncExitStack() as stack:
        slack_url = await stack.enter_async_context(serve_on_loopback(slack.app()))
        slack.base_url = slack_url
        sim: Simulator | None = None
        motive_url = settings.motive_api_url
        if use_simulator:
            sim = Simulator(
                SimConfig(
                    time_factor=ACCELERATION if accelerated else 1.0, webhook_secret=WEBHOOK_SECRET
                )
            )
            motive_url = await stack.enter_async_context(
                serve_on_loopback(build_app(sim, tick_seconds=0.2))
            )
        database_url = (
            args.database_url
            or f"sqlite:///{tempfile.mkdtemp(prefix='motive-console-')}/console.db"
        )
        overrides: dict[str, Any] = {
            "slack_bot_token": "xoxb-console",
            "slack_signing_secret": SECRET,
            "slack_api_url": f"{slack_url}/api/",
            "motive_api_url": motive_url,
            "database_url": database_url,
        }
        if use_simulator:
            overrides["motive_webhook_secret"] = WEBHOOK_SECRET
        if accelerated:
            overrides.update(poll_first_seconds=0.5, poll_max_seconds=1.0)
        bot_settings = Settings(_env_file=None, **{**settings.model_dump(), **overrides})
        svc = build_services(bot_settings, role="all", sweep_seconds=1.0)
        bot_url = await stack.enter_async_context(
            serve_on_loopback(build_server(svc, build_bolt_app(svc)))
        )
        if sim is not None:
            sim.config.webhook_url = f"{bot_url}/motive/webhooks"
        where = (
            "the Motive simulator" + (f" ({ACCELERATION:g}x speed)" if accelerated else "")
            if use_simulator
            else motive_url
        )
        printer.line(f"(Slack is simulated on {slack_url}; Motive is {where})")
        interactive = stdin.isatty()
        if interactive:
            _enable_history()
        console = Console(args, svc, slack, bot_url, printer, stdin, interactive=interactive)
        return await console.run()
    return 1
