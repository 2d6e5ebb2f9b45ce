"""Start-up does what the first request needs and nothing it never needs (bench/cold_start.py
measures the time; these check the shape, each in a fresh interpreter so imports are real)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.store.migrate import head, plain_head

ROOT = Path(__file__).resolve().parents[2]


def run_python(code: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_the_head_read_without_alembic_is_alembics_head() -> None:
    # Were they to differ, start-up could take an old database as current.
    assert plain_head() == head()


def test_an_unusual_migration_file_leaves_the_decision_to_alembic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.store import migrate

    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "0001_a.py").write_text('revision = "0001"\ndown_revision = None\n')
    (versions / "0002_b.py").write_text('revision: str = "0002"\ndown_revision = "0001"\n')
    monkeypatch.setattr(migrate, "MIGRATIONS", tmp_path)
    assert migrate.plain_head() == "0002"
    (versions / "0003_merge.py").write_text('revision = "0003"\ndown_revision = ("0001", "0002")\n')
    assert migrate.plain_head() is None


def test_a_current_database_starts_without_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    code = f"""
import asyncio, json, sys
from bot.store.requests import Store

async def main():
    store = Store({url!r})
    await store.create_schema()
    rows = len(await store.in_flight())
    await store.close()
    print(json.dumps({{"alembic": "alembic" in sys.modules, "rows": rows}}))

asyncio.run(main())
"""
    assert run_python(code) == {"alembic": True, "rows": 0}  # a new database: migrated
    assert run_python(code) == {"alembic": False, "rows": 0}  # already current: no Alembic


def test_the_first_ack_imports_nothing_new(tmp_path: Path) -> None:
    """What the first Slack request needs is imported at start-up, not on its ack path."""
    code = f"""
import asyncio, json, sys, time
from urllib.parse import urlencode
from slack_sdk.signature import SignatureVerifier
from bot.config import Settings
from bot.server import build_server
from bot.services import build_services
from bot.slack.app import build_bolt_app

settings = Settings(
    _env_file=None, slack_bot_token="xoxb-t", slack_signing_secret="s",
    slack_api_url="http://127.0.0.1:9/api/", motive_api_url="http://127.0.0.1:9",
    database_url={f"sqlite:///{tmp_path / 'bot.db'}"!r},
)

async def main():
    svc = build_services(settings, role="web")
    app = build_server(svc, build_bolt_app(svc))
    await svc.store.create_schema()
    body = urlencode({{"command": "/recall", "text": "TRK-101 30m ago 2m", "user_id": "U1",
        "channel_id": "C1", "team_id": "T1", "response_url": "http://127.0.0.1:9/r",
        "trigger_id": "t1"}}).encode()
    ts = str(int(time.time()))
    headers = [(b"content-type", b"application/x-www-form-urlencoded"),
        (b"x-slack-request-timestamp", ts.encode()),
        (b"x-slack-signature", SignatureVerifier("s").generate_signature(timestamp=ts, body=body).encode())]
    scope = {{"type": "http", "asgi": {{"version": "3.0"}}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/slack/events", "raw_path": b"/slack/events",
        "query_string": b"", "root_path": "", "headers": headers,
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 2)}}
    messages = [{{"type": "http.request", "body": body, "more_body": False}}]
    sent = []
    async def receive():
        return messages.pop() if messages else {{"type": "http.disconnect"}}
    async def send(message):
        sent.append(message)
    before = set(sys.modules)
    await app(scope, receive, send)
    new = sorted(set(sys.modules) - before)
    await svc.store.close()
    print(json.dumps({{"status": sent[0]["status"], "new": new}}))

asyncio.run(main())
"""
    assert run_python(code) == {"status": 200, "new": []}
