"""`motive-bot doctor`: check our guesses about Motive (and the Slack set-up) against a real account.

Read-only: it lists, reads and asks for footage windows, and creates nothing unless given
`--create-test-snapshot TRK-…`. It prints, assumption by assumption (`motive.contract`), what it
called, the shape of what came back (keys and types, never values: no tokens, names or ids), and
whether that matches. Its output is meant to be pasted into a report as it is.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pydantic import ValidationError

from bot.config import Settings
from motive import contract as c
from motive.client import shape_errors
from motive.models import Quota, Recall, Timelines, find_url, parse_time, time_form

OK, DIFFERS, FAILS, SKIPPED = "ok", "DIFFERS", "FAILS", "skipped"
REPORT_HINT = (
    "To report: paste this whole output (it holds no keys, names, ids or links) into an issue for "
    "the motive-bot maintainers, with the date and which Motive plan the account is on. Each "
    "DIFFERS or FAILS line names the guess in motive/contract.py to change; "
    "docs/motive-assumptions.md says what the bot does meanwhile."
)


@dataclass
class Check:
    key: str
    verdict: str
    called: str
    got: str
    note: str = ""


@dataclass
class Options:
    recall_ids: list[str] = field(default_factory=list)
    vehicle: str | None = None
    create_test_snapshot: str | None = None
    position: str = "front_facing"
    bot_url: str | None = None
    manifest: Path | None = None


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    hidden: set[str] = field(default_factory=set)

    def add(self, key: str, verdict: str, called: str, got: str, note: str = "") -> Check:
        check = Check(key, verdict, called, got, note)
        self.checks.append(check)
        return check

    def verdict(self, key: str) -> str | None:
        return next((ch.verdict for ch in self.checks if ch.key == key), None)

    def hide(self, *values: Any) -> None:
        # Short numbers would blot out counts and page sizes; they are never printed anyway.
        for v in values:
            text = "" if v is None else str(v).strip()
            if len(text) >= 5 or (len(text) >= 3 and not text.isdigit()):
                self.hidden.add(text)

    @property
    def exit_code(self) -> int:
        return 1 if any(ch.verdict in (DIFFERS, FAILS) for ch in self.checks) else 0

    def render(self) -> str:
        lines = []
        for ch in self.checks:
            lines.append(f"{ch.verdict:<8} {ch.key:<18} {ch.called}")
            lines.append(f"{'':<27}→ {ch.got}")
            if ch.note:
                lines.append(f"{'':<27}{ch.note}")
        counts = {v: sum(1 for ch in self.checks if ch.verdict == v) for v in (OK, DIFFERS, FAILS)}
        skipped = sum(1 for ch in self.checks if ch.verdict == SKIPPED)
        lines.append("")
        lines.append(
            f"{counts[OK]} ok, {counts[DIFFERS]} differ, {counts[FAILS]} fail, {skipped} skipped."
        )
        lines.append(REPORT_HINT)
        return self.redact("\n".join(lines))

    def redact(self, text: str) -> str:
        # A safety net: the checks print shapes, but a message from Motive may echo a value.
        for value in sorted(self.hidden, key=len, reverse=True):
            text = text.replace(value, "<hidden>")
        return text


# --- shapes ---------------------------------------------------------------------------------------

_TIME_KEY = re.compile(r"(_time|_at)$")


def shape(value: Any, depth: int = 0, key: str = "") -> str:
    """Keys and types, never values; timestamps show their form (digits as 9)."""
    if isinstance(value, dict):
        if depth >= 4:
            return "{…}"
        items = list(value.items())
        parts = [f"{k}: {shape(v, depth + 1, k)}" for k, v in items[:10]]
        if len(items) > 10:
            parts.append(f"+{len(items) - 10} more")
        return "{" + ", ".join(parts) + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        return f"[{len(value)} × {shape(value[0], depth + 1, key)}]"
    if isinstance(value, str) and _TIME_KEY.search(key):
        return f"time {time_form(value)}"
    if value is None:
        return "null"
    return type(value).__name__


def _reply(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _got(response: httpx.Response, body: Any = None) -> str:
    body = _reply(response) if body is None else body
    return f"{response.status_code} {shape(body) if body is not None else '(not JSON)'}"


def _message(body: Any) -> str:
    if isinstance(body, dict):
        for key in (*c.ERROR_MESSAGE_FIELDS, c.ERROR_LIST_FIELD):
            if body.get(key):
                return json.dumps(body[key])[:200]
    return ""


def _time_forms(values: Iterable[Any]) -> tuple[str, set[str]]:
    """The verdict for a set of timestamps, and their forms."""
    forms: set[str] = set()
    verdict = OK
    for value in values:
        if value is None:
            continue
        forms.add(time_form(value))
        text = str(value)
        try:
            parse_time(value)
        except ValueError:
            verdict = FAILS
            continue
        if not (text.endswith("Z") or re.search(r"[+-]\d\d:?\d\d$", text)) and verdict == OK:
            verdict = DIFFERS
    return verdict, forms


def _unit_items(body: Any, key: str, wrapper: str) -> list[dict[str, Any]]:
    items = body.get(key) if isinstance(body, dict) else None
    if not isinstance(items, list):
        return []
    out = []
    for item in items:
        if isinstance(item, dict):
            inner = item.get(wrapper)
            out.append(inner if isinstance(inner, dict) else item)
    return out


# --- Motive ---------------------------------------------------------------------------------------


class MotiveDoctor:
    def __init__(self, http: httpx.AsyncClient, report: Report, options: Options) -> None:
        self.http = http
        self.report = report
        self.options = options
        self.times: list[Any] = []
        self.vehicles: list[dict[str, Any]] = []

    async def get(self, path: str, params: dict[str, Any] | None = None) -> httpx.Response:
        return await self.http.get(path, params=params)

    async def run(self) -> None:
        if not await self.units():
            return
        await self.quota()
        await self.timelines()
        await self.recalls()
        await self.webhooks()
        verdict, forms = _time_forms(self.times)
        self.report.add(
            "timestamps",
            verdict if forms else SKIPPED,
            "every timestamp seen above",
            ", ".join(sorted(forms)) or "none seen",
            {
                OK: "",
                DIFFERS: "no offset: the bot reads these as UTC (Motive's documented default); "
                "check one against the dashboard",
                FAILS: "a form the bot cannot read: footage checks are skipped with a note",
            }[verdict],
        )
        if self.options.create_test_snapshot:
            await self.snapshot(self.options.create_test_snapshot)
        else:
            self.report.add(
                "capture.create",
                SKIPPED,
                f"POST {c.CAPTURES_PATH}",
                "not called: doctor creates nothing unless asked",
                "add --create-test-snapshot <vehicle number> (a truck that is on) to try one capture",
            )

    async def units(self) -> bool:
        page = {c.PAGE_SIZE_PARAM: c.PAGE_SIZE, c.PAGE_PARAM: 1}
        called = f"GET {c.VEHICLES_PATH}?{c.PAGE_SIZE_PARAM}=100&{c.PAGE_PARAM}=1"
        try:
            r = await self.get(c.VEHICLES_PATH, page)
        except httpx.HTTPError as e:
            self.report.add("auth", FAILS, called, f"no answer ({type(e).__name__})")
            return False
        if r.status_code in (401, 403):
            self.report.add(
                "auth", FAILS, called, _got(r), "the API key was refused: check MOTIVE_API_KEY"
            )
            return False
        self.report.add("auth", OK, called, f"{r.status_code}: the key is accepted")
        body = _reply(r)
        items = _unit_items(body, c.VEHICLES_KEY, c.VEHICLE_WRAPPER)
        if r.status_code != 200 or not isinstance(body, dict) or c.VEHICLES_KEY not in body:
            self.report.add(
                "vehicles.list", FAILS, called, _got(r, body), "the typeahead will be empty"
            )
        else:
            raw = body[c.VEHICLES_KEY]
            wrapped = bool(raw) and all(isinstance(x, dict) and c.VEHICLE_WRAPPER in x for x in raw)
            verdict = OK if wrapped or not raw else DIFFERS
            self.report.add(
                "vehicles.list",
                verdict,
                called,
                _got(r, body),
                "" if verdict == OK else "items are not wrapped under `vehicle`; the bot copes",
            )
        self.vehicles = items
        self.report.hide(*(v.get("number") for v in items), *(v.get("id") for v in items))
        more = await self.paging(body, called)
        self.numbers(items + more, called)
        await self.assets()
        return True

    def numbers(self, items: list[dict[str, Any]], called: str) -> None:
        numbers = [v.get("number") for v in items]
        kinds = {type(n).__name__ for n in numbers}
        missing = sum(1 for n in numbers if n in (None, ""))
        verdict = OK if kinds <= {"str"} else DIFFERS if items else SKIPPED
        note = ""
        if verdict == DIFFERS:
            note = (
                f"number types seen: {', '.join(sorted(kinds))}; "
                f"{missing} without a number are left out of the typeahead (logged)"
            )
        self.report.add("vehicles.number", verdict, called, f"{len(items)} vehicles read", note)

    async def paging(self, body: Any, called: str) -> list[dict[str, Any]]:
        """Checks paging; returns the second page's vehicles, if it read one."""
        pagination = body.get(c.PAGINATION_KEY) if isinstance(body, dict) else None
        if not isinstance(pagination, dict):
            self.report.add(
                "paging",
                DIFFERS,
                called,
                f"no {c.PAGINATION_KEY!r} object",
                "the bot pages on until a short page",
            )
            return []
        keys = {"per_page", "page_no", "total"}
        if not keys <= set(pagination):
            self.report.add(
                "paging", DIFFERS, called, shape(pagination), "the bot pages on until a short page"
            )
            return []
        total = pagination.get("total")
        if not isinstance(total, int) or total <= c.PAGE_SIZE:
            self.report.add("paging", OK, called, shape(pagination), "one page holds them all")
            return []
        r = await self.get(c.VEHICLES_PATH, {c.PAGE_SIZE_PARAM: c.PAGE_SIZE, c.PAGE_PARAM: 2})
        second = _unit_items(_reply(r), c.VEHICLES_KEY, c.VEHICLE_WRAPPER)
        self.report.hide(*(v.get("number") for v in second), *(v.get("id") for v in second))
        same = bool(second) and second[:1] == self.vehicles[:1]
        self.report.add(
            "paging",
            FAILS if same or not second else OK,
            f"GET {c.VEHICLES_PATH}?{c.PAGE_SIZE_PARAM}=100&{c.PAGE_PARAM}=2",
            f"{r.status_code}: {len(second)} more vehicles"
            + (" (the same as page 1)" if same else ""),
            "page_no is ignored: only the first page reaches the typeahead" if same else "",
        )
        return [] if same else second

    async def assets(self) -> None:
        called = f"GET {c.ASSETS_PATH}?{c.PAGE_SIZE_PARAM}=100&{c.PAGE_PARAM}=1"
        r = await self.get(c.ASSETS_PATH, {c.PAGE_SIZE_PARAM: c.PAGE_SIZE, c.PAGE_PARAM: 1})
        body = _reply(r)
        items = _unit_items(body, c.ASSETS_KEY, c.ASSET_WRAPPER)
        self.report.hide(*(a.get("name") for a in items), *(a.get("id") for a in items))
        if r.status_code != 200 or not isinstance(body, dict) or c.ASSETS_KEY not in body:
            self.report.add(
                "assets.list", FAILS, called, _got(r, body), "no trailers in the typeahead"
            )
            return
        names = {type(a.get("name")).__name__ for a in items}
        verdict = OK if names <= {"str"} else DIFFERS
        self.report.add(
            "assets.list",
            verdict,
            called,
            _got(r, body),
            "" if verdict == OK else f"name types seen: {', '.join(sorted(names))}",
        )

    async def quota(self) -> None:
        called = f"GET {c.QUOTA_PATH}"
        r = await self.get(c.QUOTA_PATH)
        body = _reply(r)
        if r.status_code != 200 or not isinstance(body, dict):
            self.report.add(
                "quota", FAILS, called, _got(r, body), "every recall notes it skipped the quota"
            )
            return
        quota = Quota.model_validate(body)
        info = body.get(c.QUOTA_KEY)
        exact = isinstance(info, dict) and all(
            isinstance((info.get(kind) or {}).get(f), int)
            for kind in ("regular", "timelapse")
            for f in ("used_minutes", "remaining_minutes", "total_minutes")
        )
        readable = all(quota.quota_info.remaining(k) is not None for k in ("regular", "timelapse"))
        verdict = OK if exact else DIFFERS if readable else FAILS
        note = {
            OK: "",
            DIFFERS: "not whole minutes under quota_info; the bot reads them (floored)",
            FAILS: "the bot cannot tell how many minutes are left: each recall goes ahead with "
            "a note, and Motive's own answer decides",
        }[verdict]
        self.report.add("quota", verdict, called, _got(r, body), note)
        if isinstance(body.get(c.RATE_LIMIT_KEY), dict) and quota.rate_limit is not None:
            self.report.add("quota.rate_limit", OK, called, shape(body[c.RATE_LIMIT_KEY]))
        elif quota.rate_limit is not None:
            key = next(k for k in body if "rate" in k.lower())
            self.report.add(
                "quota.rate_limit",
                DIFFERS,
                called,
                f"under {key!r}: {shape(body[key])}",
                "the bot finds it by its name; confirm the name",
            )
        else:
            self.report.add(
                "quota.rate_limit",
                DIFFERS,
                called,
                "no rate-limit block found",
                "the bot keeps its own limit of 120 calls a minute",
            )

    def _timeline_vehicle(self) -> str | None:
        if self.options.vehicle:
            return self.options.vehicle
        return next(
            (str(v["number"]) for v in self.vehicles if isinstance(v.get("number"), str | int)),
            None,
        )

    async def timelines(self) -> None:
        number = self._timeline_vehicle()
        query = f"?{c.VEHICLE_TIMELINES_QUERY}=<a vehicle number>"
        called = f"GET {c.VEHICLE_TIMELINES_PATH}{query}"
        if number is None:
            for key in ("timelines.path", "timelines.query", "timelines.shape"):
                self.report.add(key, SKIPPED, called, "no vehicle to ask about", "pass --vehicle")
            return
        self.report.hide(number)
        r = await self.get(c.VEHICLE_TIMELINES_PATH, {c.VEHICLE_TIMELINES_QUERY: number})
        body = _reply(r)
        degrade = "every recall goes ahead with a note that footage was not checked first"
        if r.status_code == 404 and not _message(body).lower().count("vehicle"):
            self.report.add("timelines.path", FAILS, called, _got(r, body), degrade)
            self.report.add("timelines.query", SKIPPED, called, "the path was not found")
            self.report.add("timelines.shape", SKIPPED, called, "the path was not found")
            return
        self.report.add("timelines.path", OK, called, f"{r.status_code}: the path exists")
        if r.status_code in (400, 422) or r.status_code == 404:
            why = _message(body) or _got(r, body)
            self.report.add("timelines.query", FAILS, called, f"{r.status_code} {why}", degrade)
            self.report.add("timelines.shape", SKIPPED, called, "the query was refused")
            return
        if r.status_code != 200:
            self.report.add("timelines.query", FAILS, called, _got(r, body), degrade)
            return
        self.report.add(
            "timelines.query", OK, called, f"200: {c.VEHICLE_TIMELINES_QUERY} was accepted"
        )
        windows = _find_windows(body)
        self.times.extend(t for w in windows for t in (w.get("start_time"), w.get("end_time")))
        try:
            parsed = Timelines.model_validate(body)
        except ValidationError as e:
            self.report.add("timelines.shape", FAILS, called, _got(r, body), shape_errors(e))
            return
        joined = len(parsed.joined())
        exact = isinstance(body, dict) and isinstance(body.get(c.TIMELINES_KEY), list)
        notes = [] if exact else [f"{c.TIMELINES_KEY} is not at the top; the bot finds it"]
        if joined < len(parsed.available_timelines):
            notes.append(
                f"{len(parsed.available_timelines)} back-to-back segments, not whole windows: "
                f"the bot joins them into {joined}"
            )
        self.report.add(
            "timelines.shape", DIFFERS if notes else OK, called, _got(r, body), "; ".join(notes)
        )

    async def recalls(self) -> None:
        called = f"GET {c.RECALLS_PATH}"
        r = await self.get(c.RECALLS_PATH, {c.PAGE_SIZE_PARAM: 25})
        body = _reply(r)
        ids = list(self.options.recall_ids)
        if r.status_code == 200 and isinstance(body, dict):
            listed = [
                x.get(c.RECALL_WRAPPER, x)
                for key, v in body.items()
                if isinstance(v, list)
                for x in v
                if isinstance(x, dict)
            ]
            found = [str(x["id"]) for x in listed if isinstance(x, dict) and x.get("id")]
            self.report.hide(*found)
            ids += found[:5]
            self.report.add(
                "recalls.list", OK, called, _got(r, body), f"{len(found)} recent recalls listed"
            )
        else:
            self.report.add(
                "recalls.list",
                OK,
                called,
                f"{r.status_code}: no list call (as assumed)",
                "" if ids else "pass --recall-id N (from the Motive dashboard) to check a recall",
            )
        self.report.hide(*ids)
        keys = ("recall.wrapper", "recall.status", "recall.cameras", "camera.url")
        if not ids:
            for key in (*keys, "camera.expires_at"):
                self.report.add(key, SKIPPED, f"GET {c.RECALL_PATH}", "no recall to read")
            return
        bodies: list[Any] = []
        for recall_id in ids[:5]:
            rr = await self.get(c.RECALL_PATH.format(id=recall_id))
            if rr.status_code == 200:
                bodies.append(_reply(rr))
            else:
                self.report.add(
                    "recall.wrapper", FAILS, f"GET {c.RECALL_PATH}", _got(rr), "could not read it"
                )
        if bodies:
            self.recall_bodies(bodies)

    def recall_bodies(self, bodies: list[Any]) -> None:
        called = f"GET {c.RECALL_PATH} ({len(bodies)} recall{'s' if len(bodies) > 1 else ''})"
        first = bodies[0]
        inner = [_inner(b) for b in bodies]
        for b in inner:
            self.report.hide(b.get("id"))
            for ref in ("vehicle", "asset"):
                if isinstance(b.get(ref), dict):
                    self.report.hide(*b[ref].values())
            self.times.extend(v for k, v in b.items() if _TIME_KEY.search(k))
        extra = sorted(set(first) - {c.RECALL_WRAPPER}) if isinstance(first, dict) else []
        parsed: list[Recall] = []
        for b in bodies:
            try:
                parsed.append(Recall.model_validate(b))
            except ValidationError as e:
                self.report.add("recall.wrapper", FAILS, called, shape(b), shape_errors(e))
                return
        if isinstance(first, dict) and "id" in first:
            self.report.add("recall.wrapper", OK, called, f"bare: {shape(first)}")
        elif not extra:
            self.report.add("recall.wrapper", OK, called, f"wrapped: {shape(first)}")
        else:
            self.report.add(
                "recall.wrapper",
                DIFFERS,
                called,
                f"wrapped beside {', '.join(extra)}: {shape(first)}",
                f"the bot finds the recall under {c.RECALL_WRAPPER!r}",
            )
        raw_words = sorted({json.dumps(b.get("status")) for b in inner})
        unknown = [p.status for p in parsed if not p.is_known_status]
        self.report.add(
            "recall.status",
            DIFFERS if unknown else OK,
            called,
            f"status words seen: {', '.join(raw_words)}",
            (
                "unknown words are shown on the anchor as Motive's own and counted in /metrics; "
                "a recall whose cameras carry links is delivered whatever the word. Add the "
                "words to RECALL_RUNNING / RECALL_DONE / RECALL_ENDED in motive/contract.py"
            )
            if unknown
            else "",
        )
        cams = [cam for b in inner for cam in (b.get(c.CAMERAS_KEY) or []) if isinstance(cam, dict)]
        has_key = all(isinstance(b.get(c.CAMERAS_KEY), list) for b in inner)
        self.report.add(
            "recall.cameras",
            OK if has_key else FAILS,
            called,
            shape(cams[:1]) if cams else f"{c.CAMERAS_KEY}: empty or missing",
            "" if has_key else "no camera list: the bot cannot find the videos",
        )
        with_link = [cam for cam in cams if find_url(cam)[0]]
        for cam in with_link:
            self.report.hide(find_url(cam)[0])
        fields = sorted({str(find_url(cam)[1]) for cam in with_link})
        if not with_link:
            self.report.add(
                "camera.url",
                SKIPPED,
                called,
                "no camera carries a link yet",
                "pass --recall-id of a finished recall",
            )
            self.report.add("camera.expires_at", SKIPPED, called, "no camera carries a link yet")
            return
        exact = fields == [c.CAMERA_URL_FIELDS[0]]
        self.report.add(
            "camera.url",
            OK if exact else DIFFERS,
            called,
            f"links under: {', '.join(fields)}",
            "" if exact else "the bot finds links under any *url field; confirm the name",
        )
        expiry = [cam.get("expires_at") for cam in with_link]
        self.times.extend(expiry)
        self.report.add(
            "camera.expires_at",
            OK if all(expiry) else DIFFERS,
            called,
            "expires_at given" if all(expiry) else "no expires_at beside the link",
            "" if all(expiry) else "the thread says 'link expiry not given'",
        )

    async def webhooks(self) -> None:
        called = f"GET {c.WEBHOOKS_PATH}"
        r = await self.get(c.WEBHOOKS_PATH)
        body = _reply(r)
        hooks = _unit_items(body, c.WEBHOOKS_KEY, c.WEBHOOK_WRAPPER)
        if r.status_code != 200 or not isinstance(body, dict) or c.WEBHOOKS_KEY not in body:
            self.report.add("webhooks.list", FAILS, called, _got(r, body), "polling still works")
            self.report.add("webhooks.actions", SKIPPED, called, "no webhook list")
            return
        for h in hooks:
            self.report.hide(h.get("url"), h.get("secret"), h.get("id"))
        self.report.add("webhooks.list", OK, called, _got(r, body))
        ours = [h for h in hooks if str(h.get("url", "")).rstrip("/").endswith(c.WEBHOOK_ROUTE)]
        if not ours:
            self.report.add(
                "webhooks.actions",
                SKIPPED,
                called,
                f"no webhook points at …{c.WEBHOOK_ROUTE}",
                "polling alone works; README 'The Motive webhook' says how to add one",
            )
            return
        actions = sorted({str(a) for h in ours for a in h.get("actions") or []})
        match = bool(set(actions) & set(c.WEBHOOK_RECALL_ACTIONS))
        self.report.add(
            "webhooks.actions",
            OK if match else DIFFERS,
            called,
            f"actions: {', '.join(actions) or 'none'}",
            "" if match else "none of the guessed recall actions: results still come by polling",
        )

    async def snapshot(self, vehicle: str) -> None:
        self.report.hide(vehicle)
        called = f"POST {c.CAPTURES_PATH} {{{c.BODY_VEHICLE}, {c.BODY_POSITION}}}"
        r = await self.http.post(
            c.CAPTURES_PATH, json={c.BODY_VEHICLE: vehicle, c.BODY_POSITION: self.options.position}
        )
        body = _reply(r)
        if r.status_code not in (200, 201):
            self.report.add(
                "capture.create", FAILS, called, f"{r.status_code} {_message(body)}", ""
            )
            return
        self.report.add("capture.create", OK, called, f"{r.status_code}: one image capture created")
        inner = body.get(c.CAPTURE_WRAPPER, body) if isinstance(body, dict) else {}
        request_id = next((inner.get(k) for k in c.CAPTURE_ID_FIELDS if inner.get(k)), None)
        self.report.hide(request_id)
        camera_type = inner.get("camera_type") or c.camera_type_of(self.options.position)
        notes = []
        if not all(k in inner for k in ("request_id", "camera_type", "status")):
            notes.append("request_id, camera_type or status missing; the bot copes")
        if isinstance(body, dict) and c.CAPTURE_WRAPPER in body and len(body) > 1:
            notes.append(f"wrapped beside {', '.join(sorted(set(body) - {c.CAPTURE_WRAPPER}))}")
        self.report.add(
            "capture.shape",
            FAILS if not request_id else DIFFERS if notes else OK,
            called,
            shape(body),
            "; ".join(notes) if request_id else "no id: the bot cannot follow the capture",
        )
        if request_id and camera_type:
            path = c.CAPTURE_PATH.format(camera_type=camera_type, request_id=request_id)
            rr = await self.get(path)
            status = (_inner(_reply(rr)) or {}).get("status")
            self.report.add(
                "capture.status",
                OK if status in (*c.CAPTURE_RUNNING, *c.CAPTURE_TERMINAL) else DIFFERS,
                f"GET {c.CAPTURE_PATH}",
                f"{rr.status_code} status {json.dumps(status)}",
            )


def _inner(body: Any) -> dict[str, Any]:
    if isinstance(body, dict):
        for key in (c.RECALL_WRAPPER, c.CAPTURE_WRAPPER):
            if isinstance(body.get(key), dict) and "id" not in body:
                return dict(body[key])
        return body
    return {}


def _find_windows(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, dict):
        return []
    found = body.get(c.TIMELINES_KEY)
    if found is None:
        nested = [v for v in body.values() if isinstance(v, dict) and c.TIMELINES_KEY in v]
        found = nested[0][c.TIMELINES_KEY] if nested else None
    return [w for w in found or [] if isinstance(w, dict)]


# --- Slack ----------------------------------------------------------------------------------------


def manifest_scopes(path: Path) -> list[str]:
    import yaml

    data = yaml.safe_load(path.read_text())
    return [str(s) for s in data["oauth_config"]["scopes"]["bot"]]


def find_manifest(given: Path | None) -> Path | None:
    candidates = (
        [given] if given else [Path("manifest.yml"), Path(__file__).parents[1] / "manifest.yml"]
    )
    return next((p for p in candidates if p is not None and p.is_file()), None)


async def slack_checks(settings: Settings, report: Report, options: Options) -> None:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    base = settings.slack_api_url.rstrip("/") + "/"
    if not token:
        report.add("slack.auth", SKIPPED, "POST auth.test", "SLACK_BOT_TOKEN is not set")
        return
    report.hide(token)
    async with httpx.AsyncClient(timeout=15) as http:
        try:
            r = await http.post(base + "auth.test", headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as e:
            report.add("slack.auth", FAILS, "POST auth.test", f"no answer ({type(e).__name__})")
            return
        body = _reply(r) or {}
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
                SKIPPED,
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
            SKIPPED,
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
    body = _reply(r) or {}
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
