"""What can be checked of the Dockerfile without a Docker engine, health, metrics and logs."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

import httpx
import pytest

from bot.config import Settings
from bot.offline.signing import Signer, command_body
from bot.offline.stack import serve_backends
from motive.simulator import SimConfig, Simulator
from tests.support.stack import postgres_admin, running_stack

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
SCRIPTS_TEST = (ROOT / "scripts" / "test").read_text()


def test_dockerfile_command_port_user_and_healthcheck_agree_with_the_code() -> None:
    assert re.search(r'^CMD \["motive-bot", "serve"\]$', DOCKERFILE, re.M)
    exposed = int(re.search(r"^EXPOSE (\d+)$", DOCKERFILE, re.M).group(1))  # type: ignore[union-attr]
    assert exposed == Settings(_env_file=None).port == 3000  # type: ignore[call-arg]
    assert re.search(r"^ENV PORT=3000", DOCKERFILE, re.M)
    assert "/healthz" in DOCKERFILE.split("HEALTHCHECK", 1)[1]
    user = re.search(r"^USER (\S+)$", DOCKERFILE, re.M)
    assert user is not None and user.group(1) not in ("root", "0")
    assert DOCKERFILE.index("pip install -r") < DOCKERFILE.index(
        "COPY bot"
    )  # cached dependency layer
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["motive-bot"] == "bot.cli:main"


def test_the_dockerfiles_dependency_command_lists_the_projects_dependencies(tmp_path: Path) -> None:
    command = re.search(r'RUN (python -c ".*?") > /tmp/requirements.txt', DOCKERFILE)
    assert command is not None
    out = subprocess.run(
        command.group(1), shell=True, cwd=ROOT, capture_output=True, text=True, check=True
    )
    listed = out.stdout.split()
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert listed == declared and any(d.startswith("slack-bolt") for d in listed)
    # The same install the Dockerfile makes resolves (a dry run against the package index).
    (tmp_path / "req.txt").write_text(out.stdout)
    dry = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--quiet",
            "-r",
            str(tmp_path / "req.txt"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert dry.returncode == 0, dry.stderr[-2000:]


def test_dockerignore_keeps_secrets_and_tests_out() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", ".git", "tests", "*.db"} <= set(ignored)


async def test_a_round_trip_through_uvicorn_health_and_metrics(sqlite_url: str) -> None:
    # The bot and the simulator served as deployed, on real sockets: the one test that sends a
    # signed command through uvicorn and the bot's Motive calls over HTTP (the others dispatch
    # in-process).
    async with running_stack(sqlite_url, served=True) as stack:
        assert stack.url.startswith("http://127.0.0.1:")
        assert stack.sim_url.startswith("http://127.0.0.1:")
        r = await stack.http.get(f"{stack.url}/healthz")
        assert r.status_code == 200 and r.json()["ok"] is True and r.json()["role"] == "web"
        assert r.json()["webhooks"]["mode"] == "unknown"  # no webhook yet: information only
        r = await stack.command("/recall", "TRK-101 30m ago 2m")
        assert r.status_code == 200 and r.text == ""
        await stack.settle()
        [anchor] = stack.anchors()
        assert "Motive request 81234" in json.dumps(anchor.blocks)
        assert stack.sim.stats.recalls_created == 1
        metrics = (await stack.http.get(f"{stack.url}/metrics")).text
    assert 'motive_bot_requests_total{kind="recall",outcome="requested"}' in metrics
    assert 'motive_bot_motive_calls_total{endpoint="recalls.create",status="201"}' in metrics
    assert (
        "motive_bot_requests_in_flight" in metrics
        and "motive_bot_delivery_lag_seconds_bucket" in metrics
    )
    assert not stack.slack.violations, stack.slack.violations


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_json_logs_carry_no_secret_and_sigterm_stops_cleanly(tmp_path: Path) -> None:
    port = _free_port()
    token, signing, key = (
        "xoxb-very-secret-token-42",
        "signing-secret-do-not-log",
        "motive-key-do-not-log",
    )
    async with serve_backends(sim=Simulator(SimConfig())) as backends:
        sim, slack_url = backends.sim, backends.slack_url
        assert sim is not None
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MOTIVE_"))}
        env.update(
            backends.serve_env(
                f"sqlite:///{tmp_path}/b.db",
                port=port,
                SLACK_BOT_TOKEN=token,
                SLACK_SIGNING_SECRET=signing,
                MOTIVE_API_KEY=key,
                LOG_JSON="true",
                LOG_LEVEL="DEBUG",
            )
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            async with httpx.AsyncClient(timeout=5) as http:
                for _ in range(300):
                    try:
                        if (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        await asyncio.sleep(0.05)
                body, headers = Signer(signing).sign(
                    command_body(
                        "/recall",
                        "TRK-101 30m ago 2m",
                        response_url=f"{slack_url}/respond/1",
                        trigger_id="t",
                    )
                )
                r = await http.post(
                    f"http://127.0.0.1:{port}/slack/events", content=body, headers=headers
                )
                assert r.status_code == 200
                for _ in range(200):
                    if sim.stats.recalls_created:
                        break
                    await asyncio.sleep(0.02)
                    await http.get(f"http://127.0.0.1:{port}/healthz")
        finally:
            proc.send_signal(signal.SIGTERM)
            # In a thread: this loop serves the simulator and the fake Slack that the bot's
            # last calls may still be waiting on while it drains.
            _, err = await asyncio.to_thread(proc.communicate, timeout=30)
        # uvicorn re-raises SIGTERM once its graceful shutdown is done.
        assert proc.returncode in (0, -signal.SIGTERM), err[-2000:]
        assert "stopped cleanly" in err
        assert sim.stats.recalls_created == 1
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert lines and all(json.loads(ln)["level"] for ln in lines)
        assert not any("body" in json.loads(ln)["msg"] for ln in lines)
        for secret in (token, signing, key):
            assert secret not in err


def _pytest(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """pytest as scripts/test (the README's test command) runs it, on `args`."""
    line = re.search(r'^echo "== pytest";\s+pytest (.*) "\$@"$', SCRIPTS_TEST, re.M)
    assert line is not None, "scripts/test no longer runs pytest as this test expects"
    # Its options, on one xdist worker: the warning must survive the reports coming from workers.
    options = shlex.split(line.group(1).replace("${PYTEST_WORKERS:-4}", "1"))
    assert "-n" in options
    full = {k: v for k, v in os.environ.items() if k != "MOTIVE_BOT_SKIP_POSTGRES"}
    full.update(env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", *options, *args],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_a_postgresql_test_without_postgresql_fails_and_says_how_to_opt_out() -> None:
    for refused in (
        f"postgresql://postgres@127.0.0.1:{_free_port()}/test",  # nothing listens there
        "postgresql://no_such_role@127.0.0.1:5432/test",  # a login the server refuses
    ):
        with pytest.raises(pytest.fail.Exception, match="refused or is unreachable") as failed:
            await postgres_admin(refused)
        assert "MOTIVE_BOT_SKIP_POSTGRES=1" in str(failed.value)


def test_opting_out_of_postgresql_passes_and_says_what_it_skipped() -> None:
    closed = f"postgresql://postgres@127.0.0.1:{_free_port()}/test"  # nothing listens there
    run = _pytest(
        "tests/store/test_database.py",
        "-k",
        "postgresql",
        TEST_POSTGRES_URL=closed,
        MOTIVE_BOT_SKIP_POSTGRES="1",
    )
    assert run.returncode == 0, run.stdout[-2000:]
    *_, warning, counts = run.stdout.rstrip().splitlines()
    skipped = re.search(r"(\d+) skipped", counts)
    assert skipped is not None and int(skipped.group(1)) > 0
    # The warning is the last line before pytest's own count.
    assert warning == (
        f"WARNING: MOTIVE_BOT_SKIP_POSTGRES=1 skipped {skipped.group(1)} PostgreSQL test(s); "
        "storage on PostgreSQL was not tested."
    )
