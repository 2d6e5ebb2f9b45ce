"""The console, non-interactively, in a subprocess: the transcript a newcomer first sees."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
            "TRK-101",
            "5",  # rear: TRK-101 has no rear camera; the form says so and asks again
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
    assert "TRK-101 has no rear camera" in out
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
    assert out.rstrip().endswith("All 1 requests reached a final state.")


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
    assert out.rstrip().endswith("All 1 requests reached a final state.")
