"""`motive-bot console`: the real app, driven from the terminal.

The same Bolt listeners, tracker and store (SQLite), talking to the fake Slack Web API and to the
Motive simulator (time-accelerated unless --real-time; the real Motive when MOTIVE_API_KEY is set),
all served on loopback by the offline stack. Commands are signed and posted to the app's
/slack/events exactly as Slack would; what the app calls on Slack is printed as a channel
transcript (printer.py); modals are asked field by field (forms.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import tempfile
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from bot.config import Settings
from bot.logs import setup_logging
from bot.offline.fakeslack import FakeSlack, Message, find_openapi
from bot.offline.forms import FormFiller
from bot.offline.printer import Printer
from bot.offline.prompt import Prompt, TerminalLines
from bot.offline.stack import Stack, build_stack
from bot.store.models import TrackedRequest
from motive.simulator import SimConfig, SimError, Simulator

ACCELERATION = 300.0  # a 10-minute upload takes 2 seconds

CONSOLE_HELP = """\
Type a command as in Slack:
  /recall TRK-101 20m ago 2m front      /recall help      /recall   (opens the form)
  /snapshot asset:"Reefer 12" rear       /snapshot help    /snapshot (opens the form)
  press N      press button [N] shown under a message
  home         open the app's Home tab (your requests, the quota, buttons for the forms)
  shortcut TEXT   post TEXT in #dispatch, then use "Get dashcam video" on it
  event TYPE TRK-101 [SEVERITY]   Motive raises a safety event (hard_brake, tailgating,
               cell_phone, crash...; low/medium/high/critical): its post, clips and buttons
  help         this text          quit       leave (waits for requests in flight)
The simulated fleet: TRK-101..TRK-105 (TRK-103 has a smart dashcam, TRK-104 a broken rear
camera, TRK-105 is parked), TRK-200..TRK-324, asset "Reefer 12", "Flatbed 7", "Dry Van 3"."""


class Console:
    def __init__(
        self, args: argparse.Namespace, stack: Stack, printer: Printer, prompt: Prompt
    ) -> None:
        self.args = args
        self.stack = stack
        self.printer = printer
        self.prompt = prompt
        self.forms = FormFiller(stack, printer, prompt, self.settle, args.user)
        self.failed = False
        # Set by Ctrl-C while no line is being typed: stops the wait at the end.
        self.interrupted = asyncio.Event()

    async def settle(self, seconds: float = 10.0) -> None:
        """Let the work the last request started finish, so that the transcript reads in order
        (not what that work started in turn: polls keep coming while requests are in flight)."""
        await self.stack.wait_started(seconds)
        await self.stack.svc.background.wait_current(seconds)

    async def command(self, command: str, text: str) -> None:
        await self._send(
            self.stack.command(command, text, user=self.args.user, channel=self.args.channel)
        )

    async def _send(self, request: Awaitable[httpx.Response]) -> None:
        """Send one request as Slack would, then fill in any form it opened."""
        views = self.stack.slack.views
        before = set(views)
        r = await request
        if r.status_code != 200:
            self.printer.line(f"(Slack would show: the app answered HTTP {r.status_code})")
            self.failed = True
        await self.settle()
        for view_id in [v for v in views if v not in before]:
            await self.forms.fill(view_id)

    async def home(self) -> None:
        # The Home tab is printed when asked for, not each time a request's change republishes it.
        self.printer.show_home_once()
        event = {
            "type": "app_home_opened",
            "user": self.args.user,
            "channel": f"D{self.args.user}",
            "tab": "home",
        }
        await self._send(self.stack.event(event))

    async def shortcut(self, text: str) -> None:
        """A message in the channel (an alert, a colleague's words), and the message shortcut."""
        slack, when = self.stack.slack, self.stack.clock.now()
        message = Message(
            self.args.channel, f"{int(when.timestamp())}.{len(slack.messages):06d}", text, []
        )
        slack.messages.append(message)
        self.printer.line(f"[#dispatch] message {self.printer.number(message.ts)}, yours: {text}")
        payload = {
            "type": "message_action",
            "callback_id": "get_dashcam_video",
            "trigger_id": f"console-shortcut-{message.ts}",
            "channel": {"id": message.channel, "name": "dispatch"},
            "message_ts": message.ts,
            "message": {"type": "message", "user": self.args.user, "text": text, "ts": message.ts},
            "response_url": self.stack.response_url(f"shortcut-{message.ts}"),
        }
        await self._send(self.stack.interact(payload, user=self.args.user))

    async def safety_event(self, words: list[str]) -> None:
        """The simulator raises an event and sends its webhook; the bot posts it."""
        sim = self.stack.sim
        if sim is None or len(words) not in (2, 3):
            self.printer.line(
                "Try: event hard_brake TRK-101 high (the simulator's events: only without "
                "MOTIVE_API_KEY)."
            )
            return
        kind, vehicle = words[0], words[1]
        severity = words[2] if len(words) == 3 else "medium"
        try:
            event = sim.events.raise_event(vehicle, kind, severity=severity)
        except SimError as e:
            self.printer.line(e.message)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10.0
        # The simulator's webhook goes out on its next tick; the bot reads the event, posts it
        # and uploads its clips, holding the event's row until it is done.
        while loop.time() < deadline:
            row = await self.stack.svc.safety.events.get(event.id)
            if row is not None and row.state != "new" and row.claimed_by is None:
                break
            await asyncio.sleep(0.05)
        await self.settle()

    async def press(self, number: str) -> None:
        button = self.printer.button(int(number)) if number.isdigit() else None
        if button is None:
            self.printer.line(
                f"There is no button [{number}]; buttons are numbered under the messages."
            )
            return
        element, origin = button.element, button.message
        if element.get("url"):
            self.printer.line(f"(your browser opens {element['url']})")
            return
        payload: dict[str, Any] = {
            "type": "block_actions",
            "trigger_id": f"console-press-{number}",
            "response_url": self.stack.response_url(f"press-{number}"),
            "actions": [
                {
                    "action_id": element.get("action_id"),
                    "type": "button",
                    "value": element.get("value", ""),
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
        await self._send(self.stack.interact(payload, user=self.args.user))

    async def run(self) -> int:
        self.printer.line(
            "motive-bot console: you are @" + self.args.user + " in #dispatch. Type 'help'."
        )
        while True:
            line = await self.prompt.read("dispatcher> ")
            if line is None:
                break
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line in ("quit", "exit", r"\q"):
                break
            if line in ("help", "?"):
                self.printer.line(CONSOLE_HELP)
            elif line.startswith("press "):
                await self.press(line[6:].strip())
            elif line == "home":
                await self.home()
            elif line.startswith("shortcut "):
                await self.shortcut(line[9:].strip())
            elif line.startswith("event "):
                await self.safety_event(line[6:].split())
            elif line.startswith("/"):
                command, _, text = line.partition(" ")
                if command in ("/recall", "/snapshot"):
                    await self.command(command, text.strip())
                else:
                    self.printer.line(
                        f"{command} is not a command of this app; try /recall or /snapshot."
                    )
            else:
                self.printer.line(
                    "I only understand /recall, /snapshot, press N, home, shortcut TEXT, "
                    "event TYPE VEHICLE, help and quit."
                )
        return await self.finish()

    async def finish(self) -> int:
        """Wait (up to --timeout) until every request has reached a final state, saying what
        for; Ctrl-C stops the wait."""
        svc = self.stack.svc
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.args.timeout
        told = False
        while loop.time() < deadline and not self.interrupted.is_set():
            await self.settle(1.0)
            if not svc.background.busy and await svc.store.count_in_flight() == 0:
                rows = await svc.store.all_requests()
                self.printer.line(final_words(len(rows)))
                return 1 if self.failed else 0
            if not told:
                told = True
                waiting = await svc.store.in_flight()
                self.printer.line(waiting_words(waiting, self.args.timeout))
            with contextlib.suppress(TimeoutError):
                # The poller's next round, on its own schedule; or a Ctrl-C.
                await asyncio.wait_for(self.interrupted.wait(), 0.2)
        waiting = await svc.store.in_flight()
        why = (
            "Stopped waiting"
            if self.interrupted.is_set()
            else (f"Gave up waiting after {self.args.timeout:g} s")
        )
        self.printer.line(f"{why}; {in_flight_words(len(waiting))} still in flight.")
        return 1


def in_flight_words(n: int) -> str:
    return f"{n} request" if n == 1 else f"{n} requests"


def final_words(n: int) -> str:
    if n == 0:
        return "No requests were made."
    if n == 1:
        return "The 1 request reached a final state."
    return f"All {n} requests reached a final state."


def waiting_words(waiting: Sequence[TrackedRequest], timeout: float) -> str:
    """What `quit` (or the end of the input) waits for, before it waits."""
    names = ", ".join(f"{row.kind} {row.target_name}" for row in waiting[:5])
    more = f" and {len(waiting) - 5} more" if len(waiting) > 5 else ""
    what = f" ({names}{more})" if names else ""
    return (
        f"Waiting for {in_flight_words(len(waiting))} in flight{what} to finish, "
        f"up to {timeout:g} s (--timeout); Ctrl-C to leave now."
    )


def console_zone(name: str) -> ZoneInfo:
    """The --tz zone, or ValueError in one line."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"--tz {name} is not a time zone; give an IANA name such as America/Chicago"
        ) from None


def log_to_file(directory: Path, level: str, as_json: bool) -> Path:
    """The console's terminal is the transcript: the logs (a library's warnings among them) go to
    a file, and only errors are also shown."""
    setup_logging(level, as_json)
    path = directory / "console.log"
    root = logging.getLogger()
    [terminal] = root.handlers
    terminal.setLevel(logging.ERROR)
    to_file = logging.FileHandler(path)
    to_file.setFormatter(terminal.formatter)
    root.addHandler(to_file)
    return path


async def run_console(
    args: argparse.Namespace,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
    terminal: TerminalLines | None = None,
) -> int:
    env = Settings()
    tz = console_zone(args.tz)
    work_dir = Path(tempfile.mkdtemp(prefix="motive-console-"))
    log_path = log_to_file(work_dir, "INFO", env.log_json)
    slack = FakeSlack(openapi=find_openapi(), user_tz=args.tz)
    media_dir = Path(args.media_dir or tempfile.mkdtemp(prefix="motive-console-media-"))
    printer = Printer(
        tz,
        out or sys.stdout,
        {c.id: c.name for c in slack.channels.values()},
        file_bytes=slack.file_bytes,
        media_dir=media_dir,
    )
    slack.listeners.append(printer.on_event)
    simulated = env.motive_api_key is None
    accelerated = simulated and not args.real_time
    sim = (
        Simulator(SimConfig(time_factor=ACCELERATION if accelerated else 1.0))
        if simulated
        else None
    )
    database_url = args.database_url or f"sqlite:///{work_dir}/console.db"
    async with build_stack(
        database_url,
        served=True,
        sim=sim,
        motive_url=None if simulated else env.motive_api_url,
        slack=slack,
        settings=env,
        settings_overrides={
            # Safety events show in #dispatch unless SAFETY_CHANNEL says where.
            "safety_channel": env.safety_channel or args.channel,
            **({"poll_first_seconds": 0.5, "poll_max_seconds": 1.0} if accelerated else {}),
        },
        sim_webhooks=simulated,
        webhook_tick_seconds=0.2,
        sweep_seconds=1.0,
    ) as stack:
        where = (
            "the Motive simulator" + (f" ({ACCELERATION:g}x speed)" if accelerated else "")
            if simulated
            else stack.sim_url
        )
        printer.line(f"(Slack is simulated on {stack.slack_url}; Motive is {where})")
        printer.line(f"(logs: {log_path})")
        prompt = Prompt(stdin or sys.stdin, printer.line, terminal)
        console = Console(args, stack, printer, prompt)
        if terminal is not None:
            loop = asyncio.get_running_loop()

            def interrupt() -> None:
                loop.call_soon_threadsafe(console.interrupted.set)

            terminal.on_interrupt = interrupt
        return await console.run()
