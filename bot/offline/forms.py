"""Modals filled in at the terminal, field by field, as a person fills them in Slack: choices
that change the form are sent as Slack sends them (block_actions) and the form is walked again;
the submission's errors are shown and only those fields asked again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.grammar.recall import parse_when
from bot.grammar.tokens import ParseError
from bot.offline.printer import Printer
from bot.offline.prompt import Prompt
from bot.offline.stack import Stack

Answer = dict[str, Any]  # a block's state, as Slack puts it in view.state.values


@dataclass(eq=False)
class FormFiller:
    stack: Stack
    printer: Printer
    prompt: Prompt
    settle: Callable[[], Awaitable[None]]
    user: str

    async def interact(self, payload: dict[str, Any]) -> Any:
        return await self.stack.interact(payload, user=self.user)

    async def fill(self, view_id: str) -> None:
        views = self.stack.slack.views
        state: dict[str, Answer] = {}
        # What was answered for a field the submission refused: asked again with it as the
        # default, as Slack keeps a person's choices in a form it shows errors on.
        refused: dict[str, Answer] = {}
        todo: list[str] | None = None
        while True:
            view = views[view_id]
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
                answer = await self.ask(block, refused.pop(bid, None))
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
                            "view": {
                                **views[view_id],
                                "state": {"values": shown(views[view_id], state)},
                            },
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
                        "view": {
                            **views[view_id],
                            "state": {"values": shown(views[view_id], state)},
                        },
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
                    if bid in state:
                        refused[bid] = state.pop(bid)

    async def ask(self, block: dict[str, Any], before: Answer | None = None) -> Answer | None:
        """The answer for one input block; None when the person cancels or the input ends.
        `before`: the answer given last time (refused on submission), shown as the default."""
        element = block["element"]
        earlier: dict[str, Any] = next(iter(before.values()), {}) if before else {}
        kind = element["type"]
        action = element["action_id"]
        label = block["label"]["text"]
        optional = block.get("optional", False)
        read, line = self.prompt.read, self.printer.line
        while True:
            if kind in ("radio_buttons", "static_select"):
                options = element["options"]
                default = earlier.get("selected_option") or element.get("initial_option")
                for i, o in enumerate(options, 1):
                    mark = " (default)" if default and o["value"] == default["value"] else ""
                    line(f"│   {i}) {o['text']['text']}{mark}")
                answer = await read(f"│ {label} [number]: ")
                if answer is None or answer.strip() == "cancel":
                    return None
                picked = pick(options, answer, default)
                if picked is not None:
                    return {action: {"type": kind, "selected_option": picked}}
            elif kind == "external_select":
                initial = element.get("initial_option")
                shown = f" [{initial['text']['text']}]" if initial else ""
                answer = await read(f"│ {label}{shown} (type part of it): ")
                if answer is None or answer.strip() == "cancel":
                    return None
                if initial and not answer.strip():  # prefilled, e.g. by the message shortcut
                    return {action: {"type": kind, "selected_option": initial}}
                r = await self.interact(
                    {
                        "type": "block_suggestion",
                        "action_id": action,
                        "block_id": block["block_id"],
                        "value": answer.strip(),
                        "view": {"state": {"values": {}}, "callback_id": "", "private_metadata": ""}
                        | target_kind_state(block),
                    }
                )
                options = r.json().get("options", []) if r.status_code == 200 else []
                exact = [o for o in options if o["value"].casefold() == answer.strip().casefold()]
                if exact or len(options) == 1:
                    return {action: {"type": kind, "selected_option": (exact or options)[0]}}
                if not options:
                    line("│ nothing matches; try again")
                    continue
                for i, o in enumerate(options[:10], 1):
                    line(f"│   {i}) {o['text']['text']}")
                choice = await read("│ which one [number]: ")
                if choice is None:
                    return None
                picked = pick(options[:10], choice, None)
                if picked is not None:
                    return {action: {"type": kind, "selected_option": picked}}
            elif kind == "datetimepicker":
                default = datetime.fromtimestamp(element["initial_date_time"], self.printer.tz)
                answer = await read(f"│ {label} [{default:%Y-%m-%d %H:%M}; or 14:05, 20m ago]: ")
                if answer is None or answer.strip() == "cancel":
                    return None
                if not answer.strip():
                    return {
                        action: {"type": kind, "selected_date_time": element["initial_date_time"]}
                    }
                try:
                    when = parse_when(answer, now=self.stack.svc.clock.now(), tz=self.printer.tz)
                except ParseError as e:
                    line(f"│ ⚠ {e.message}")
                    continue
                return {action: {"type": kind, "selected_date_time": int(when.timestamp())}}
            elif kind == "checkboxes":
                options = element["options"]
                ticked = earlier.get("selected_options", element.get("initial_options", []))
                initial = {o["value"] for o in ticked}
                for i, o in enumerate(options, 1):
                    line(f"│   {i}) [{'x' if o['value'] in initial else ' '}] {o['text']['text']}")
                answer = await read(f"│ {label} [numbers like 1,3; 'all'; 'none']: ")
                if answer is None or answer.strip() == "cancel":
                    return None
                text = answer.strip().lower()
                if not text or text == "all":
                    chosen = [o for o in options if o["value"] in initial] if not text else options
                elif text == "none":
                    chosen = []
                else:
                    chosen = [
                        p for p in (pick(options, part, None) for part in text.split(",")) if p
                    ]
                return {action: {"type": kind, "selected_options": chosen}}
            else:  # plain_text_input
                answer = await read(f"│ {label}{' (optional)' if optional else ''}: ")
                if answer is None or answer.strip() == "cancel":
                    return None
                return {action: {"type": kind, "value": answer.strip() or None}}


def shown(view: dict[str, Any], answers: dict[str, Answer]) -> dict[str, Answer]:
    """The view's state as Slack reports it: what the person answered, and the values the view
    set up front (a prefilled vehicle, say) for the blocks not answered yet."""
    state: dict[str, Answer] = {}
    for block in view.get("blocks", []):
        element, bid = block.get("element") or {}, block.get("block_id", "")
        kind, action = element.get("type"), element.get("action_id")
        if block.get("type") != "input" or not action:
            continue
        if "initial_option" in element:
            state[bid] = {action: {"type": kind, "selected_option": element["initial_option"]}}
        elif "initial_options" in element:
            state[bid] = {action: {"type": kind, "selected_options": element["initial_options"]}}
        elif "initial_date_time" in element:
            state[bid] = {
                action: {"type": kind, "selected_date_time": element["initial_date_time"]}
            }
    return {**state, **answers}


def target_kind_state(block: dict[str, Any]) -> dict[str, Any]:
    """The view state a typeahead request carries: which kind of target the list is for."""
    kind = "asset" if block["block_id"] == "target_asset" else "vehicle"
    return {
        "state": {
            "values": {"target_kind": {"target_kind_pick": {"selected_option": {"value": kind}}}}
        }
    }


def pick(
    options: list[dict[str, Any]], answer: str, default: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The option an answer names: by number, value or label; `default` for an empty answer."""
    text = answer.strip()
    if not text:
        return default
    if text.isdigit() and 1 <= int(text) <= len(options):
        return options[int(text) - 1]
    for o in options:
        if text.casefold() in (o["value"].casefold(), o["text"]["text"].casefold()):
            return o
    return None
