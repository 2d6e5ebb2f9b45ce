"""The Motive side of the doctor: each guess in motive/contract.py against the account, read-only
(one image capture only when asked)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import ValidationError

from bot.doctor.report import (
    DIFFERS,
    FAILS,
    NOT_RUN,
    OK,
    SKIPPED,
    TIME_KEY,
    Options,
    Report,
    got,
    message,
    reply,
    shape,
    time_forms,
    unit_items,
)
from motive import contract as c
from motive.client import shape_errors
from motive.models import Quota, Recall, SafetyEvent, Timelines, breadcrumbs, find_url

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
        await self.safety_events()
        await self.locations()
        await self.errors()
        verdict, forms = time_forms(self.times)
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
                "auth", FAILS, called, got(r), "the API key was refused: check MOTIVE_API_KEY"
            )
            return False
        self.report.add("auth", OK, called, f"{r.status_code}: the key is accepted")
        body = reply(r)
        items = unit_items(body, c.VEHICLES_KEY, c.VEHICLE_WRAPPER)
        if r.status_code != 200 or not isinstance(body, dict) or c.VEHICLES_KEY not in body:
            self.report.add(
                "vehicles.list", FAILS, called, got(r, body), "the typeahead will be empty"
            )
        else:
            raw = body[c.VEHICLES_KEY]
            wrapped = bool(raw) and all(isinstance(x, dict) and c.VEHICLE_WRAPPER in x for x in raw)
            verdict = OK if wrapped or not raw else DIFFERS
            self.report.add(
                "vehicles.list",
                verdict,
                called,
                got(r, body),
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
        second = unit_items(reply(r), c.VEHICLES_KEY, c.VEHICLE_WRAPPER)
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
        body = reply(r)
        items = unit_items(body, c.ASSETS_KEY, c.ASSET_WRAPPER)
        self.report.hide(*(a.get("name") for a in items), *(a.get("id") for a in items))
        if r.status_code != 200 or not isinstance(body, dict) or c.ASSETS_KEY not in body:
            self.report.add(
                "assets.list", FAILS, called, got(r, body), "no trailers in the typeahead"
            )
            return
        names = {type(a.get("name")).__name__ for a in items}
        verdict = OK if names <= {"str"} else DIFFERS
        self.report.add(
            "assets.list",
            verdict,
            called,
            got(r, body),
            "" if verdict == OK else f"name types seen: {', '.join(sorted(names))}",
        )

    async def quota(self) -> None:
        called = f"GET {c.QUOTA_PATH}"
        r = await self.get(c.QUOTA_PATH)
        body = reply(r)
        if r.status_code != 200 or not isinstance(body, dict):
            self.report.add(
                "quota", FAILS, called, got(r, body), "every recall notes it skipped the quota"
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
        self.report.add("quota", verdict, called, got(r, body), note)
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
                self.report.add(key, NOT_RUN, called, "no vehicle to ask about", "pass --vehicle")
            return
        self.report.hide(number)
        r = await self.get(c.VEHICLE_TIMELINES_PATH, {c.VEHICLE_TIMELINES_QUERY: number})
        body = reply(r)
        degrade = "every recall goes ahead with a note that footage was not checked first"
        if r.status_code == 404 and not message(body).lower().count("vehicle"):
            self.report.add("timelines.path", FAILS, called, got(r, body), degrade)
            self.report.add("timelines.query", SKIPPED, called, "the path was not found")
            self.report.add("timelines.shape", SKIPPED, called, "the path was not found")
            return
        self.report.add("timelines.path", OK, called, f"{r.status_code}: the path exists")
        if r.status_code in (400, 422) or r.status_code == 404:
            why = message(body) or got(r, body)
            self.report.add("timelines.query", FAILS, called, f"{r.status_code} {why}", degrade)
            self.report.add("timelines.shape", SKIPPED, called, "the query was refused")
            return
        if r.status_code != 200:
            self.report.add("timelines.query", FAILS, called, got(r, body), degrade)
            return
        self.report.add(
            "timelines.query", OK, called, f"200: {c.VEHICLE_TIMELINES_QUERY} was accepted"
        )
        windows = _find_windows(body)
        self.times.extend(t for w in windows for t in (w.get("start_time"), w.get("end_time")))
        try:
            parsed = Timelines.model_validate(body)
        except ValidationError as e:
            self.report.add("timelines.shape", FAILS, called, got(r, body), shape_errors(e))
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
            "timelines.shape", DIFFERS if notes else OK, called, got(r, body), "; ".join(notes)
        )

    async def recalls(self) -> None:
        called = f"GET {c.RECALLS_PATH}"
        r = await self.get(c.RECALLS_PATH, {c.PAGE_SIZE_PARAM: 25})
        body = reply(r)
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
                "recalls.list", OK, called, got(r, body), f"{len(found)} recent recalls listed"
            )
        else:
            self.report.add(
                "recalls.list",
                OK,
                called,
                f"{r.status_code}: no list call (as assumed)",
                "" if ids else "pass --recall-id N (from the Motive dashboard) to check a recall",
            )
        # The ids listed are Motive's to keep out of the output; the ones given on the command
        # line are the reader's own, named when Motive does not know them.
        given = set(self.options.recall_ids)
        self.report.hide(*(i for i in ids if i not in given))
        keys = ("recall.wrapper", "recall.status", "recall.cameras", "camera.url")
        bodies: list[Any] = []
        for recall_id in ids[:5]:
            rr = await self.get(c.RECALL_PATH.format(id=recall_id))
            if rr.status_code == 200:
                bodies.append(reply(rr))
            elif rr.status_code == 404 and recall_id in given:
                self.report.add(
                    "recall.id",
                    NOT_RUN,
                    f"GET {c.RECALL_PATH}",
                    f"404: Motive has no recall {recall_id} (--recall-id {recall_id})",
                    "copy the id of a recall from the Motive dashboard",
                )
            else:
                self.report.add(
                    "recall.wrapper", FAILS, f"GET {c.RECALL_PATH}", got(rr), "could not read it"
                )
        if bodies:
            self.recall_bodies(bodies)
        elif not any(ch.key == "recall.wrapper" for ch in self.report.checks):
            for key in (*keys, "camera.expires_at"):
                self.report.add(
                    key,
                    NOT_RUN,
                    f"GET {c.RECALL_PATH}",
                    "no recall to read",
                    "pass --recall-id N (from the Motive dashboard)",
                )

    def recall_bodies(self, bodies: list[Any]) -> None:
        called = f"GET {c.RECALL_PATH} ({len(bodies)} recall{'s' if len(bodies) > 1 else ''})"
        first = bodies[0]
        inner = [_inner(b) for b in bodies]
        for b in inner:
            self.report.hide(b.get("id"))
            for ref in ("vehicle", "asset"):
                if isinstance(b.get(ref), dict):
                    self.report.hide(*b[ref].values())
            self.times.extend(v for k, v in b.items() if TIME_KEY.search(k))
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
                NOT_RUN,
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

    async def errors(self) -> None:
        """A read that must fail (no recall 0) shows where Motive puts its reasons."""
        called = f"GET {c.RECALL_PATH.format(id=0)} (a recall that cannot exist)"
        r = await self.get(c.RECALL_PATH.format(id=0))
        body = reply(r)
        if r.is_success:
            self.report.add("errors", SKIPPED, called, f"{r.status_code}: no error to read")
            return
        fields = [
            k
            for k in (*c.ERROR_MESSAGE_FIELDS, c.ERROR_LIST_FIELD)
            if isinstance(body, dict) and body.get(k)
        ]
        self.report.add(
            "errors",
            OK if fields else DIFFERS,
            called,
            got(r, body),
            ""
            if fields
            else f"no reason under {', '.join(c.ERROR_MESSAGE_FIELDS)} or "
            f"{c.ERROR_LIST_FIELD}: refusals will read 'Motive answered HTTP {r.status_code}'",
        )

    async def webhooks(self) -> None:
        called = f"GET {c.WEBHOOKS_PATH}"
        r = await self.get(c.WEBHOOKS_PATH)
        body = reply(r)
        hooks = unit_items(body, c.WEBHOOKS_KEY, c.WEBHOOK_WRAPPER)
        if r.status_code != 200 or not isinstance(body, dict) or c.WEBHOOKS_KEY not in body:
            self.report.add("webhooks.list", FAILS, called, got(r, body), "polling still works")
            self.report.add("webhooks.actions", SKIPPED, called, "no webhook list")
            return
        for h in hooks:
            self.report.hide(h.get("url"), h.get("secret"), h.get("id"))
        self.report.add("webhooks.list", OK, called, got(r, body))
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
        events = set(c.WEBHOOK_EVENT_ACTIONS) <= set(actions)
        self.report.add(
            "webhooks.event_actions",
            OK if events else DIFFERS,
            called,
            f"actions: {', '.join(actions) or 'none'}",
            ""
            if events
            else "safety events then come only by the catch-up read, every few minutes: add "
            + " and ".join(c.WEBHOOK_EVENT_ACTIONS),
        )
        match = bool(set(actions) & set(c.WEBHOOK_RECALL_ACTIONS))
        self.report.add(
            "webhooks.actions",
            OK if match else DIFFERS,
            called,
            f"actions: {', '.join(actions) or 'none'}",
            "" if match else "none of the guessed recall actions: results still come by polling",
        )

    async def safety_events(self) -> None:
        """The safety events' list (Part A item 9): its envelope, its items, their clips."""
        today = (self.options.now or datetime.now(UTC)).date()
        params = {
            c.EVENTS_START_PARAM: (today - timedelta(days=1)).isoformat(),
            c.EVENTS_END_PARAM: (today + timedelta(days=1)).isoformat(),
            c.PAGE_SIZE_PARAM: c.PAGE_SIZE,
            c.PAGE_PARAM: 1,
        }
        called = f"GET {c.EVENTS_PATH}?{c.EVENTS_START_PARAM}=…&{c.EVENTS_END_PARAM}=…"
        r = await self.get(c.EVENTS_PATH, params)
        body = reply(r)
        if r.status_code != 200 or not isinstance(body, dict) or c.EVENTS_KEY not in body:
            self.report.add(
                "events.list",
                FAILS,
                called,
                got(r, body),
                "safety events cannot be read, so none are posted (recalls are not affected)",
            )
            self.report.add("events.media", SKIPPED, called, "no event list")
            return
        items = unit_items(body, c.EVENTS_KEY, c.EVENT_WRAPPER)
        for item in items:
            vehicle = item.get("vehicle")
            number = vehicle.get("number") if isinstance(vehicle, dict) else None
            self.report.hide(item.get("id"), item.get("location"), number)
        unread = []
        for item in items:
            try:
                SafetyEvent.model_validate(item)
            except ValidationError as e:
                unread.append(shape_errors(e))
        self.report.add(
            "events.list",
            DIFFERS if unread else OK,
            called,
            f"{r.status_code} {len(items)} event(s) " + shape(items[:1]),
            f"{len(unread)} event(s) skipped: {unread[0]}" if unread else "",
        )
        media = [
            m.get(c.EVENT_VIDEOS_KEY)
            for m in (i.get(c.EVENT_MEDIA_KEY) for i in items)
            if isinstance(m, dict) and isinstance(m.get(c.EVENT_VIDEOS_KEY), dict)
        ]
        if not media:
            self.report.add(
                "events.media",
                SKIPPED,
                called,
                "no event with camera_media in these days",
                "run again after an AI-dashcam event with video",
            )
            return
        names = {str(n) for videos in media if isinstance(videos, dict) for n in videos}
        guessed = {n for names_of in c.EVENT_CLIP_FIELDS.values() for n in names_of}
        self.report.add(
            "events.media",
            OK if names & guessed else DIFFERS,
            called,
            "fields: " + ", ".join(sorted(names)),
            ""
            if names & guessed
            else "none of the guessed clip fields: posts go out without their clips",
        )

    async def locations(self) -> None:
        """Where and who for anchors (Part A item 10): one vehicle's breadcrumbs today."""
        ids = [v.get("id") for v in self.vehicles if v.get("id") not in (None, "")]
        called = f"GET {c.LOCATIONS_PATH}?start_date=…&end_date=…"
        if not ids:
            self.report.add("locations", SKIPPED, called, "no vehicle id in the fleet list")
            return
        today = (self.options.now or datetime.now(UTC)).date().isoformat()
        r = await self.get(
            c.LOCATIONS_PATH.format(vehicle_id=ids[0]),
            {"start_date": today, "end_date": today},
        )
        body = reply(r)
        crumbs = breadcrumbs(body) if r.status_code == 200 else []
        listed = isinstance(body, list) or (
            isinstance(body, dict) and any(isinstance(v, list) and v for v in body.values())
        )
        if r.status_code != 200:
            verdict, note = FAILS, "anchors go without where and who (nothing else changes)"
        elif crumbs:
            verdict, note = OK, ""
        elif listed:
            verdict, note = DIFFERS, "no breadcrumb with a time read: anchors go without it"
        else:
            verdict, note = SKIPPED, "no breadcrumbs today for the first vehicle"
        self.report.add(
            "locations", verdict, called, f"{r.status_code} {len(crumbs)} breadcrumb(s)", note
        )

    async def snapshot(self, vehicle: str) -> None:
        self.report.hide(vehicle)
        called = f"POST {c.CAPTURES_PATH} {{{c.BODY_VEHICLE}, {c.BODY_POSITION}}}"
        r = await self.http.post(
            c.CAPTURES_PATH, json={c.BODY_VEHICLE: vehicle, c.BODY_POSITION: self.options.position}
        )
        body = reply(r)
        if r.status_code not in (200, 201):
            self.report.add("capture.create", FAILS, called, f"{r.status_code} {message(body)}", "")
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
            status = (_inner(reply(rr)) or {}).get("status")
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
