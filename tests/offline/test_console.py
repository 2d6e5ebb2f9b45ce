"""The console, non-interactively, in a subprocess: the transcript a newcomer first sees."""

from __future__ import annotations

import logging
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.offline.console import log_to_file

ROOT = Path(__file__).resolve().parents[2]


def run_console(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MOTIVE_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "console", "--timeout", "60", *args],
        input=script,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=env,
    )


def test_scripted_session_ends_with_links_image_and_an_explanation() -> None:
    done = run_console((ROOT / "examples" / "demo.txt").read_text())
    out = done.stdout
    assert done.returncode == 0, done.stderr
    # The recall: anchor, then its links in the thread, then the anchor marked done.
    assert "Video recall for TRK-102" in out and "Footage is ready — 2 of 2 cameras" in out
    assert out.count("Open video http://127.0.0.1:") == 2
    # The snapshot: the JPEG uploaded into its thread.
    assert "file in the thread of message 2: snapshot-Reefer_12-rear.jpg (2059 bytes)" in out
    # ...saved where a person can open it: the simulator's JPEG, byte for byte.
    [saved] = [ln.split("saved to ", 1)[1] for ln in out.splitlines() if "saved to " in ln]
    data = Path(saved).read_bytes()
    assert data[:2] == b"\xff\xd8" and len(data) == 2059
    # Thread replies name their message on a line of their own.
    assert "[#dispatch] reply 3 in the thread of message 1:" in out
    # The bad command: which word, what is allowed, and a corrected example.
    assert "`4m`: Regular recalls last 1, 2 or 3 minutes; you asked for 4." in out
    assert "Try: `/recall TRK-101 14:05 3m`" in out
    assert out.rstrip().endswith("All 2 requests reached a final state.")
    assert "Traceback" not in done.stderr


def test_modal_answered_field_by_field_with_an_error_asked_again() -> None:
    script = "\n".join(
        [
            "/snapshot",
            "2",  # asset
            "Reefer",  # typeahead: one match
            "1",  # side_left
            "/snapshot",
            "",  # vehicle (default)
            "TRK-101",  # the form is rebuilt with TRK-101's cameras only
            "cancel",
            "/recall",
            "",  # vehicle
            "TRK-103",  # a smart dashcam: 1 minute at most
            "20m ago",
            "",  # regular
            "3",  # 3 minutes: refused, and asked again with 3 as the default
            "",  # its one camera, ticked
            "",  # no note
            "cancel",
            "press 99",
            "/unknown thing",
        ]
    )
    done = run_console(script + "\n")
    out = done.stdout
    assert done.returncode == 0, done.stderr
    assert "form: Camera snapshot" in out and "form sent" in out
    assert 'Snapshot from asset "Reefer 12"' in out and "snapshot-Reefer_12-side_left.jpg" in out
    trk101 = out.split("Vehicle number (type part of it): TRK-101", 1)[1].split("form closed")[0]
    assert "1) Road-facing\n│   2) Driver-facing\n│   3) All cameras\n" in trk101
    assert "Rear" not in trk101
    refused = out.split("⚠ Smart dashcam recalls last 1 minute; you asked for 3.", 1)[1]
    assert "3) 3 minutes (default)" in refused.split("form closed")[0]
    assert "There is no button [99]" in out and "/unknown is not a command of this app" in out


def test_home_and_the_message_shortcut_from_the_console() -> None:
    script = "\n".join(
        [
            "shortcut TRK-102 cut off on I-80 around 2:15pm",
            *[""] * 8,  # every field keeps what the message gave it, or its default
            "home",
        ]
    )
    done = run_console(script + "\n")
    out = done.stdout
    assert done.returncode == 0, done.stderr
    assert "[#dispatch] message 1, yours: TRK-102 cut off on I-80 around 2:15pm" in out
    # The form came prefilled from the message, and the result went into its thread.
    assert "Vehicle number [TRK-102]" in out
    assert "reply 2 in the thread of message 1:" in out and "Video recall for TRK-102" in out
    assert "in the thread of message 1:\n  🎬 Footage is ready" in out
    # App Home lists the finished request and the quota.
    home = out[out.rindex("[App Home of @U0DISPATCH] published:") :]
    assert "📊 Quota left this month: regular 299 of 300 min" in home
    assert "🎥 Recall · TRK-102" in home and "✔ Done" in home
    assert out.rstrip().endswith("The 1 request reached a final state.")


def test_a_safety_event_raised_from_the_console_and_its_button() -> None:
    script = "\n".join(
        [
            "event hard_brake TRK-102 high",
            "press 1",  # All cameras, 1 minute either side: every field as filled in
            *[""] * 8,
            "event nonsense",
        ]
    )
    done = run_console(script + "\n")
    out = done.stdout
    assert done.returncode == 0, done.stderr
    assert "[#dispatch] message 1 from Motive Clips:\n  :rotating_light: Hard brake" in out
    assert "Vehicle: TRK-102 · Driver: Dana Driver2" in out
    assert "[1] All cameras, 1 minute either side  [2] Snapshot every camera now" in out
    # The road clip first, into the post's thread; the recall's anchor and links there too.
    assert "file in the thread of message 1: event-7000001-front_facing.mp4" in out
    assert out.index("front_facing.mp4") < out.index("driver_facing.mp4")
    assert "Duration [number]" in out and "2) 2 minutes" in out
    assert "reply 2 in the thread of message 1:\n  🎥 Video recall for TRK-102" in out
    assert "in the thread of message 1:\n  🎬 Footage is ready — 6 of 6 cameras" in out
    assert "Try: event hard_brake TRK-101 high" in out
    assert out.rstrip().endswith("The 1 request reached a final state.")


def test_the_home_tab_is_printed_when_asked_not_on_every_change() -> None:
    done = run_console("home\n/recall TRK-102 25m ago 2m front\n")
    out = done.stdout
    assert done.returncode == 0, done.stderr
    # Asked once: printed once, though the recall's changes republished it several times.
    assert out.count("[App Home of @U0DISPATCH] published:") == 1
    assert out.index("[App Home") < out.index("Video recall for TRK-102")


def test_quit_says_what_it_waits_for() -> None:
    done = run_console("/recall TRK-102 25m ago 2m front\nquit\n")
    assert done.returncode == 0, done.stderr
    assert (
        "Waiting for 1 request in flight (recall TRK-102) to finish, up to 60 s (--timeout); "
        "Ctrl-C to leave now."
    ) in done.stdout
    assert done.stdout.rstrip().endswith("The 1 request reached a final state.")


def test_a_bad_time_zone_is_one_line() -> None:
    done = run_console("", "--tz", "Mars/Olympus")
    assert (done.returncode, done.stderr) == (
        2,
        "motive-bot console: --tz Mars/Olympus is not a time zone; give an IANA name such as "
        "America/Chicago\n",
    )


def test_a_bad_setting_stops_the_console_in_one_line() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MOTIVE_"))}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "console"],
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**env, "LOG_JSON": "maybe"},
    )
    assert (done.returncode, done.stderr) == (
        2,
        "motive-bot console: LOG_JSON=maybe is not allowed: it should be true or false\n",
    )


def test_library_warnings_go_to_the_log_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    try:
        path = log_to_file(tmp_path, "INFO", False)
        logging.getLogger("apscheduler.scheduler").warning(
            'Execution of job "sweep" skipped: maximum number of running instances reached (1)'
        )
        logging.getLogger("bot.tracking.worker").error("a real error")
        for handler in root.handlers:
            handler.flush()
    finally:
        for handler in root.handlers:
            if handler not in before[0]:
                handler.close()
        root.handlers[:] = before[0]
        root.setLevel(before[1])
    shown = capsys.readouterr().err
    assert "maximum number of running instances" not in shown and "a real error" in shown
    assert "maximum number of running instances reached" in path.read_text()


def _read_until(fd: int, text: str, seconds: float = 60) -> str:
    seen = b""
    end = time.monotonic() + seconds
    while text.encode() not in seen and time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:  # the terminal closed: the console has ended
                break
    return seen.decode(errors="replace")


# Inherited as it is, and ignored: what a job started with `&` by a script inherits (CI's runs
# under load were started so, and every one of them failed here until the console took Ctrl-C
# back for itself).
@pytest.mark.parametrize("inherited", ["as_is", "ignored"])
def test_ctrl_c_at_a_terminal_cancels_the_line_and_the_next_one_is_read(
    tmp_path: Path, inherited: str
) -> None:
    main, side = os.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MOTIVE_"))}
    env["HOME"] = str(tmp_path)  # readline's history file
    # An ignored signal stays ignored across exec (a handler does not): so it is set here, in
    # this process, around the start (preexec_fn is unsafe in a process with threads).
    wanted = signal.SIG_IGN if inherited == "ignored" else signal.default_int_handler
    before = signal.signal(signal.SIGINT, wanted)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "console", "--timeout", "30"],
            stdin=side,
            stdout=side,
            stderr=side,
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
    finally:
        signal.signal(signal.SIGINT, before)
    os.close(side)
    try:
        out = _read_until(main, "dispatcher> ")
        os.write(main, b"/recall TRK-1")
        out += _read_until(main, "TRK-1", 10)  # readline echoes what it has read
        # Ctrl-C (SIGINT, what the terminal sends) drops the line when it finds readline
        # waiting for a key. One that lands while readline is still busy with the last key
        # (or on another thread) is only noted until the next key, which a busy machine made
        # happen: so it is sent again until a fresh prompt says the line was dropped.
        for _ in range(10):
            proc.send_signal(signal.SIGINT)
            answer = _read_until(main, "dispatcher> ", 5)
            out += answer
            if "dispatcher> " in answer:
                break
        os.write(main, b"help\n")
        out += _read_until(main, "The simulated fleet")
        os.write(main, b"quit\n")
        out += _read_until(main, "final state", 30)
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(main)
    assert code == 0, out
    assert "Traceback" not in out and "KeyboardInterrupt" not in out
    # The cancelled line was not sent; the next line was read whole.
    assert "(only you can see this)" not in out and "Video recall" not in out
    assert "Type a command as in Slack:" in out and "No requests were made." in out
