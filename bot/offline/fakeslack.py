"""A local fake of the Slack Web API: records every call, keeps channels and threads, and checks
each method and parameter against Slack's own OpenAPI description when it is given one.

Used by the tests (as bolt-python's own tests use a mock server) and by the console.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import json
import logging
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.offline import blockkit_check
from bot.offline.socket_mode import FakeSocketMode

log = logging.getLogger(__name__)

# Methods newer than Slack's published OpenAPI file, with the parameters the SDK sends.
NEWER_METHODS: dict[str, set[str]] = {
    "files.getUploadURLExternal": {"filename", "length", "alt_txt", "alt_text", "snippet_type"},
    "files.completeUploadExternal": {
        "files",
        "channel_id",
        "channels",
        "initial_comment",
        "thread_ts",
        "blocks",
    },
}
# Socket Mode's URL request is authenticated by the app-level token and has no parameters; it is
# not in the OpenAPI file either.
NEWER_METHODS["apps.connections.open"] = set()
# Parameters newer than the OpenAPI file that the SDK or Bolt themselves send: Bolt's per-request
# client carries the workspace's team_id (for org-wide installs) on every call.
NEWER_PARAMS_ALL_METHODS = {"team_id"}
BOT_USER = "UBOT0001"
KEEP_UPLOAD_BYTES = 8 << 20  # larger uploads are kept as their size and digest only
SLACK_SPEC = Path(__file__).resolve().parent / "slack_spec"


@dataclass
class Call:
    method: str
    params: dict[str, Any]


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    edits: int = 0


@dataclass
class Channel:
    id: str
    name: str
    private: bool = False
    bot_member: bool = True
    archived: bool = False


class OpenAPICheck:
    """Method names and parameters from Slack's OpenAPI (swagger 2.0) file."""

    def __init__(self, path: Path) -> None:
        self.methods = _openapi_methods(path)

    def problems(self, method: str, params: dict[str, Any]) -> list[str]:
        known: AbstractSet[str]
        required: AbstractSet[str]
        if method in NEWER_METHODS:
            known, required = NEWER_METHODS[method], frozenset()
        elif method in self.methods:
            known, required = self.methods[method]
        else:
            return [f"{method}: not a Slack Web API method"]
        known = known | {"token"} | NEWER_PARAMS_ALL_METHODS
        out = [f"{method}: unknown parameter {name!r}" for name in params if name not in known]
        out += [
            f"{method}: missing required {name!r}"
            for name in sorted(required)
            if name not in params
        ]
        return out


@functools.cache
def _openapi_methods(path: Path) -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    """Each method's (known, required) parameters; read once per process (the file is 1 MB
    and a test run builds a fake Slack per test)."""
    spec = json.loads(path.read_text())
    methods: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
    for route, ops in spec["paths"].items():
        known: set[str] = set()
        required: set[str] = set()
        for op in ops.values():
            for p in op.get("parameters", []):
                known.add(p["name"])
                if p.get("required") and p["name"] != "token":
                    required.add(p["name"])
        methods[route.lstrip("/")] = (frozenset(known), frozenset(required))
    return methods


def find_openapi() -> Path | None:
    """Slack's OpenAPI file, shipped inside the package (bot/offline/slack_spec); None if a
    trimmed install left it out, in which case calls are not checked."""
    path = SLACK_SPEC / "web-api" / "slack_web_openapi_v2_without_examples.json"
    return path if path.exists() else None


class FakeSlack:
    def __init__(self, *, openapi: Path | None = None, user_tz: str = "America/Chicago") -> None:
        self.check = OpenAPICheck(openapi) if openapi else None
        self.socket_mode: FakeSocketMode | None = None  # set to serve apps.connections.open
        self.usergroups: dict[str, list[str]] = {}  # user group ID -> member user IDs
        self.calls: list[Call] = []
        self.violations: list[str] = []
        self.messages: list[Message] = []
        self.ephemerals: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []  # posts to response_url
        self.views: dict[str, dict[str, Any]] = {}
        self.home_views: dict[str, dict[str, Any]] = {}  # user -> the Home tab last published
        self.uploads: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, Channel] = {
            "C0DISPATCH": Channel("C0DISPATCH", "dispatch"),
            "C0PUBLIC": Channel("C0PUBLIC", "yard", bot_member=False),
            "G0PRIVATE": Channel("G0PRIVATE", "safety-private", private=True, bot_member=False),
        }
        self.user_tz: dict[str, str] = {}
        self.default_tz = user_tz
        self.user_locale: dict[str, str] = {}  # users.info's `locale`, when include_locale
        # (method, status, retry_after, after): `after` carries the call out, then fails it
        self.failures: list[tuple[str, int, float | None, bool]] = []
        self.listeners: list[Callable[[str, Any], None]] = []
        self.base_url = "http://127.0.0.1"
        self.scopes: list[str] = []  # sent in x-oauth-scopes, as Slack does, when set
        # Where the app is installed, as auth.test says: a workspace (and its Grid org, if set)
        # or, with `org_wide`, the whole org `enterprise_id`.
        self.team_id = "T0FLEET"
        self.enterprise_id: str | None = None
        self.org_wide = False
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)

    # --- helpers for tests and the console ----------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int,
        count: int = 1,
        retry_after: float | None = None,
        *,
        after: bool = False,
    ) -> None:
        """Answer the next `count` calls of `method` with `status`. With `after`, each call is
        carried out first (a message posted, a file shared) and its answer is the failure: Slack
        did it, and the bot cannot know."""
        self.failures.extend([(method, status, retry_after, after)] * count)

    def called(self, method: str) -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == method]

    def thread(self, channel: str, ts: str) -> list[Message]:
        return [m for m in self.messages if m.channel == channel and m.thread_ts == ts]

    def message(self, channel: str, ts: str) -> Message | None:
        return next((m for m in self.messages if m.channel == channel and m.ts == ts), None)

    def say(self, channel: str, text: str, *, thread_ts: str | None = None) -> Message:
        """A message a person posts (not through the bot's token)."""
        msg = Message(channel, self._next_ts(), text, [], thread_ts)
        self.messages.append(msg)
        return msg

    def _emit(self, kind: str, payload: Any) -> None:
        for listener in self.listeners:
            listener(kind, payload)

    def _next_ts(self) -> str:
        return f"1763740800.{next(self._ts):06d}"

    # --- the web API ------------------------------------------------------------------------

    async def _params(self, request: Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query_params)
        body = await request.body()
        ctype = request.headers.get("content-type", "")
        if body:
            if "json" in ctype:
                params.update(json.loads(body))
            elif "form" in ctype:
                params.update(dict(parse_qsl(body.decode(), keep_blank_values=True)))
        for key in ("blocks", "view", "files", "attachments"):
            if isinstance(params.get(key), str):
                with contextlib.suppress(ValueError):
                    params[key] = json.loads(params[key])
        return params

    async def api(self, request: Request) -> Response:
        method = request.path_params["method"]
        params = await self._params(request)
        auth = request.headers.get("authorization", "")
        # apps.connections.open takes the app-level token (xapp-); everything else the bot token.
        prefix = "xapp-" if method == "apps.connections.open" else "xoxb-"
        if not auth.startswith(f"Bearer {prefix}") and not str(params.get("token", "")).startswith(
            prefix
        ):
            return JSONResponse({"ok": False, "error": "not_authed"})
        self.calls.append(Call(method, params))
        if self.check is not None:
            for problem in self.check.problems(method, params) + blockkit_check.problems(
                method, params
            ):
                self.violations.append(problem)
                log.error("fake slack: %s", problem)
        handler = getattr(self, "m_" + method.replace(".", "_"), None)
        for i, (m, status, retry_after, after) in enumerate(self.failures):
            if m == method:
                del self.failures[i]
                if after and handler is not None:
                    handler(params)
                headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
                error = "ratelimited" if status == 429 else "internal_error"
                return JSONResponse(
                    {"ok": False, "error": error}, status_code=status, headers=headers
                )
        if handler is None:
            return JSONResponse({"ok": True})
        result: dict[str, Any] = handler(params)
        granted = {"x-oauth-scopes": ",".join(self.scopes)} if self.scopes else None
        return JSONResponse(result, headers=granted)

    def _error(self, error: str) -> dict[str, Any]:
        return {"ok": False, "error": error}

    def m_apps_connections_open(self, p: dict[str, Any]) -> dict[str, Any]:
        if self.socket_mode is None:
            return self._error("socket_mode_not_enabled")
        if not self.socket_mode.accepting:
            return self._error("internal_error")
        return {"ok": True, "url": self.socket_mode.connection_url()}

    def m_usergroups_users_list(self, p: dict[str, Any]) -> dict[str, Any]:
        group = str(p.get("usergroup", ""))
        if group not in self.usergroups:
            return self._error("no_such_subteam")
        return {"ok": True, "users": list(self.usergroups[group])}

    def m_auth_test(self, p: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "ok": True,
            "url": "https://fleet.slack.com/",
            "team": "Fleet",
            "user": "motive_clips",
            "team_id": self.team_id,
            "user_id": BOT_USER,
            "bot_id": "B0BOT",
        }
        if self.enterprise_id is not None:
            answer["enterprise_id"] = self.enterprise_id
            answer["is_enterprise_install"] = self.org_wide
            if self.org_wide:  # an org-wide token's team is the org
                answer.update(team_id=self.enterprise_id, team="Fleet Org")
        return answer

    def m_users_info(self, p: dict[str, Any]) -> dict[str, Any]:
        user = str(p.get("user", ""))
        if not user:
            return self._error("user_not_found")
        tz = self.user_tz.get(user, self.default_tz)
        found: dict[str, Any] = {"id": user, "name": user.lower(), "tz": tz}
        if str(p.get("include_locale", "")).lower() in ("1", "true") and user in self.user_locale:
            found["locale"] = self.user_locale[user]
        return {"ok": True, "user": found}

    def _postable(self, channel: str) -> str | None:
        if channel.startswith("D"):
            return None
        ch = self.channels.get(channel)
        if ch is None or (ch.private and not ch.bot_member):
            return "channel_not_found"
        if ch.archived:
            return "is_archived"
        if not ch.bot_member:
            return "not_in_channel"
        return None

    def m_chat_postMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = str(p.get("channel", ""))
        if error := self._postable(channel):
            return self._error(error)
        msg = Message(
            channel,
            self._next_ts(),
            str(p.get("text", "")),
            list(p.get("blocks") or []),
            p.get("thread_ts"),
        )
        self.messages.append(msg)
        self._emit("post", msg)
        return {"ok": True, "channel": channel, "ts": msg.ts, "message": {"text": msg.text}}

    def m_chat_update(self, p: dict[str, Any]) -> dict[str, Any]:
        msg = self.message(str(p.get("channel")), str(p.get("ts")))
        if msg is None:
            return self._error("message_not_found")
        msg.text = str(p.get("text", msg.text))
        if "blocks" in p:
            msg.blocks = list(p.get("blocks") or [])
        msg.edits += 1
        self._emit("update", msg)
        return {"ok": True, "channel": msg.channel, "ts": msg.ts}

    def m_chat_postEphemeral(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = str(p.get("channel", ""))
        if error := self._postable(channel):
            return self._error("user_not_in_channel" if error == "not_in_channel" else error)
        self.ephemerals.append(p)
        self._emit("ephemeral", p)
        return {"ok": True, "message_ts": self._next_ts()}

    def m_conversations_join(self, p: dict[str, Any]) -> dict[str, Any]:
        ch = self.channels.get(str(p.get("channel", "")))
        if ch is None or ch.private:
            return self._error(
                "channel_not_found" if ch is None else "method_not_supported_for_channel_type"
            )
        if ch.archived:
            return self._error("is_archived")
        ch.bot_member = True
        return {"ok": True, "channel": {"id": ch.id, "name": ch.name}}

    def m_conversations_open(self, p: dict[str, Any]) -> dict[str, Any]:
        user = str(p.get("users", "")).split(",")[0]
        return {"ok": True, "channel": {"id": f"D{user}"}}

    def m_conversations_history(self, p: dict[str, Any]) -> dict[str, Any]:
        """A channel's (or DM's) top-level messages, newest first, as Slack pages them
        (`oldest` and `latest` bound the ts, exclusive as Slack's default)."""
        channel = str(p.get("channel", ""))
        if channel not in self.channels and not channel.startswith("D"):
            return self._error("channel_not_found")
        oldest, latest = float(p.get("oldest") or 0), float(p.get("latest") or 9e12)
        every = [
            m
            for m in reversed(self.messages)
            if m.channel == channel
            and m.thread_ts in (None, m.ts)
            and oldest < float(m.ts) < latest
        ]
        return self._page(every, p)

    def _page(
        self, every: list[Message], p: dict[str, Any], *, default_limit: int = 100
    ) -> dict[str, Any]:
        limit = int(p.get("limit") or default_limit)
        cursor = str(p.get("cursor") or "")
        if cursor and not cursor.startswith("page-"):
            return self._error("invalid_cursor")
        start = int(cursor.removeprefix("page-")) if cursor else 0
        page = every[start : start + limit]
        more = start + limit < len(every)
        return {
            "ok": True,
            "messages": [
                {
                    "ts": m.ts,
                    "text": m.text,
                    "blocks": m.blocks,
                    "files": m.files,
                    "thread_ts": m.thread_ts,
                }
                for m in page
            ],
            "has_more": more,
            "response_metadata": {"next_cursor": f"page-{start + limit}" if more else ""},
        }

    def m_conversations_replies(self, p: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(p.get("channel", "")), str(p.get("ts", ""))
        parent = self.message(channel, ts)
        if parent is None:
            return self._error("thread_not_found")
        every = [parent, *self.thread(channel, ts)]
        # Pages as Slack gives them: at most `limit` messages, oldest first, and a cursor to the
        # next page while there is one (Slack's own cursors are opaque too).
        return self._page(every, p, default_limit=1000)

    def m_views_open(self, p: dict[str, Any]) -> dict[str, Any]:
        if not p.get("trigger_id"):
            return self._error("invalid_trigger_id")
        view_id = f"V{next(self._ids):05d}"
        view = dict(p.get("view") or {})
        view.update({"id": view_id, "hash": f"h{view_id}-1"})
        self.views[view_id] = view
        self._emit("view", view)
        return {"ok": True, "view": view}

    def m_views_update(self, p: dict[str, Any]) -> dict[str, Any]:
        view_id = str(p.get("view_id", ""))
        if view_id not in self.views:
            return self._error("not_found")
        current = self.views[view_id]
        if p.get("hash") and p["hash"] != current.get("hash"):
            return self._error("hash_conflict")
        version = int(str(current["hash"]).rsplit("-", 1)[1]) + 1
        view = dict(p.get("view") or {})
        view.update({"id": view_id, "hash": f"h{view_id}-{version}"})
        self.views[view_id] = view
        self._emit("view", view)
        return {"ok": True, "view": view}

    def m_views_publish(self, p: dict[str, Any]) -> dict[str, Any]:
        user, view = str(p.get("user_id", "")), p.get("view")
        if not user or not isinstance(view, dict) or view.get("type") != "home":
            return self._error("invalid_arguments")
        view_id = f"V{next(self._ids):05d}"
        published = {**view, "id": view_id, "hash": f"h{view_id}-1"}
        self.home_views[user] = published
        self._emit("home", {"user": user, "view": published})
        return {"ok": True, "view": published}

    def m_chat_getPermalink(self, p: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(p.get("channel", "")), str(p.get("message_ts", ""))
        if self.message(channel, ts) is None:
            return self._error("message_not_found")
        link = f"https://fleet.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return {"ok": True, "channel": channel, "permalink": link}

    def m_files_getUploadURLExternal(self, p: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._ids):06d}"
        self.uploads[file_id] = {
            "filename": p.get("filename"),
            "length": int(p.get("length", 0)),
            "data": b"",
        }
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def m_files_completeUploadExternal(self, p: dict[str, Any]) -> dict[str, Any]:
        files = p.get("files") or []
        if isinstance(files, str):
            files = json.loads(files)
        channel = str(p.get("channel_id") or "")
        out = []
        for f in files:
            up = self.uploads.get(str(f.get("id")))
            if up is None or not up.get("size"):
                return self._error("file_not_found")
            up["title"] = f.get("title")
            out.append(
                {
                    "id": f["id"],
                    "title": f.get("title"),
                    "name": up["filename"],
                    "size": up["size"],
                }
            )
        if channel:
            if error := self._postable(channel):
                return self._error(error)
            msg = Message(
                channel,
                self._next_ts(),
                str(p.get("initial_comment", "")),
                [],
                p.get("thread_ts"),
                out,
            )
            self.messages.append(msg)
            self._emit("file", msg)
        return {"ok": True, "files": out}

    def file_bytes(self, file_id: str) -> bytes | None:
        """What was uploaded as `file_id`, if anything."""
        up = self.uploads.get(file_id)
        return bytes(up["data"]) if up is not None and up["data"] else None

    async def upload(self, request: Request) -> Response:
        file_id = request.path_params["file_id"]
        if file_id not in self.uploads:
            return Response("not found", 404)
        # Read as it arrives: a video upload may be far larger than this process should hold.
        up, digest, kept = self.uploads[file_id], hashlib.sha256(), bytearray()
        size, keep = 0, up["length"] <= KEEP_UPLOAD_BYTES
        async for chunk in request.stream():
            digest.update(chunk)
            size += len(chunk)
            if keep:
                kept += chunk
        up["data"] = bytes(kept)
        up["size"], up["sha256"] = size, digest.hexdigest()
        if size != up["length"]:
            self.violations.append(f"upload {file_id}: {size} bytes, declared {up['length']}")
        return Response("OK - " + str(size))

    async def respond(self, request: Request) -> Response:
        payload = json.loads(await request.body() or b"{}")
        if self.check is not None:
            self.violations += blockkit_check.message_problems(payload)
        payload["_key"] = request.path_params["key"]
        self.responses.append(payload)
        self._emit("respond", payload)
        return Response("ok")

    def app(self) -> Starlette:
        async def api(request: Request) -> Response:
            # Where this fake is served (and mounted, when one server hosts several), for the
            # upload URLs it hands out.
            root = str(request.scope.get("root_path", ""))
            self.base_url = str(request.base_url).rstrip("/") + root
            return await self.api(request)

        return Starlette(
            routes=[
                Route("/api/{method}", api, methods=["GET", "POST"]),
                Route("/upload/{file_id}", self.upload, methods=["POST"]),
                Route("/respond/{key}", self.respond, methods=["POST"]),
            ]
        )
