"""`motive-bot serve` checks every setting before it starts: a bad one is one line naming it and
what it may be, exit 2, no traceback; a database that cannot be opened is one line with where
and why; a normal start logs the bot's own lines and no library's chatter."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from bot.config import SettingsError, load_settings
from bot.offline.stack import serve_backends
from motive.simulator import SimConfig, Simulator

ROOT = Path(__file__).resolve().parents[2]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends: nothing listens


def _clean_env(tmp_path: Path, **values: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "MOTIVE_", "DATABASE_", "LOG_", "PORT", "POLL_"))
    }
    env.update(
        SLACK_BOT_TOKEN="xoxb-start-test",
        SLACK_SIGNING_SECRET="start-test-secret",
        MOTIVE_API_URL="http://127.0.0.1:9",
        SLACK_API_URL="http://127.0.0.1:9/api/",
        DATABASE_URL=f"sqlite:///{tmp_path}/bot.db",
    )
    env.update(values)
    return env


def _serve(tmp_path: Path, **values: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1"],
        env=_clean_env(tmp_path, **values),
        cwd=tmp_path,  # no .env from the repository
        capture_output=True,
        text=True,
        timeout=60,
    )


BAD = [
    ("PORT", "70000", "PORT=70000 is not allowed: it should be a port number from 1 to 65535"),
    ("PORT", "abc", "PORT=abc is not allowed: it should be a port number from 1 to 65535"),
    ("LOG_LEVEL", "loud", "LOG_LEVEL=loud is not allowed (not a log level): it should be one of"),
    (
        "RECALL_DEADLINE_HOURS",
        "-1",
        "RECALL_DEADLINE_HOURS=-1 is not allowed: it should be a number of hours greater than 0",
    ),
    ("DATABASE_URL", "garbage", "DATABASE_URL=garbage is not allowed (not a database URL)"),
    (
        "DATABASE_URL",
        "mysql://bot:hunter2@127.0.0.1/fleet",
        "DATABASE_URL=mysql://bot:***@127.0.0.1/fleet is not allowed (mysql is not supported)",
    ),
    ("MOTIVE_API_URL", "api.gomotive.com", "MOTIVE_API_URL=api.gomotive.com is not allowed"),
    ("LOG_JSON", "maybe", "LOG_JSON=maybe is not allowed: it should be true or false"),
]


@pytest.mark.parametrize(("name", "value", "line"), BAD, ids=[f"{n}={v}" for n, v, _ in BAD])
def test_a_bad_setting_is_one_line_and_exit_2(
    tmp_path: Path, name: str, value: str, line: str
) -> None:
    out = _serve(tmp_path, **{name: value})
    assert out.returncode == 2, out.stderr
    assert out.stderr.splitlines() == [out.stderr.strip()], out.stderr
    assert out.stderr.startswith(f"motive-bot serve: {line}"), out.stderr
    assert "hunter2" not in out.stderr and "Traceback" not in out.stderr


# (role, variables left out of the environment, what the refusal names). Without
# MOTIVE_API_URL the bot talks to the real Motive, which needs MOTIVE_API_KEY.
MISSING = [
    ("all", ("SLACK_BOT_TOKEN",), "SLACK_BOT_TOKEN"),
    ("web", ("SLACK_SIGNING_SECRET",), "SLACK_SIGNING_SECRET or SLACK_APP_TOKEN"),
    ("worker", ("SLACK_BOT_TOKEN", "MOTIVE_API_URL"), "SLACK_BOT_TOKEN, MOTIVE_API_KEY"),
]


@pytest.mark.parametrize(("role", "unset", "named"), MISSING, ids=[r for r, _, _ in MISSING])
def test_a_role_missing_a_credential_is_one_line_and_exit_2(
    tmp_path: Path, role: str, unset: tuple[str, ...], named: str
) -> None:
    env = {k: v for k, v in _clean_env(tmp_path).items() if k not in unset}
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--role", role],
        env=env,
        cwd=tmp_path,  # no .env from the repository
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (out.returncode, out.stderr) == (
        2,
        f"motive-bot serve needs {named} (see README.md); "
        "`motive-bot console` runs without any credentials.\n",
    )


def test_an_unreachable_postgresql_is_one_line_with_host_and_reason(tmp_path: Path) -> None:
    port = _closed_port()
    out = _serve(tmp_path, DATABASE_URL=f"postgresql://postgres@127.0.0.1:{port}/bot")
    assert (out.returncode, out.stderr) == (
        2,
        f"motive-bot serve: DATABASE_URL: cannot open PostgreSQL at 127.0.0.1:{port} "
        "(connection refused)\n",
    )


def test_an_unopenable_sqlite_path_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "no-such-folder" / "bot.db"
    out = _serve(tmp_path, DATABASE_URL=f"sqlite:///{path}")
    assert (out.returncode, out.stderr) == (
        2,
        f"motive-bot serve: DATABASE_URL: cannot open the SQLite file {path} "
        "(unable to open database file)\n",
    )


def test_every_refusal_names_the_variables_at_fault_one_line_each() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(_env_file=None, port="0", audit_retention_days="0", slack_bot_token=7)
    assert str(refused.value).splitlines() == [
        "SLACK_BOT_TOKEN is not allowed: it should be a bot token (xoxb-…)",
        "PORT=0 is not allowed: it should be a port number from 1 to 65535",
        "AUDIT_RETENTION_DAYS=0 is not allowed: it should be a whole number of days, 1 or more",
    ]
    assert load_settings(_env_file=None, log_level="debug").log_level == "DEBUG"


def test_migrate_and_audit_refuse_the_same_way(tmp_path: Path) -> None:
    for command in ("migrate", "audit"):
        out = subprocess.run(
            [sys.executable, "-m", "bot.cli", command],
            env=_clean_env(tmp_path, DATABASE_URL="sqlite:////proc/no/bot.db"),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert (out.returncode, out.stderr) == (
            2,
            f"motive-bot {command}: DATABASE_URL: cannot open the SQLite file /proc/no/bot.db "
            "(unable to open database file)\n",
        )


async def test_a_normal_start_logs_only_the_bots_own_lines(tmp_path: Path) -> None:
    port = _closed_port()
    async with serve_backends(sim=Simulator(SimConfig())) as backends:
        env = _clean_env(tmp_path)
        env.update(backends.serve_env(f"sqlite:///{tmp_path}/new.db", port=port))
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            async with httpx.AsyncClient(timeout=5) as http:
                for _ in range(600):
                    try:
                        if (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        await asyncio.sleep(0.05)
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = await asyncio.to_thread(proc.communicate, timeout=30)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert any("database schema migrated from empty to" in ln for ln in lines), err
    # A new database: Alembic ran, and said nothing itself; Bolt was given its client on purpose.
    assert not [ln for ln in lines if " alembic." in ln or "slack_bolt" in ln], err
    assert "Traceback" not in err
