"""A recall clip streamed from the simulator into the fake Slack's external upload.

`python -m bench.video_upload --megabytes 200 [--buffered]`

One process holds the simulator (serving a clip of N MB made up as it is sent), the fake Slack
(hashing the upload as it arrives) and the bot's real delivery (`Deliverer.recall_links` with a
policy that uploads front-facing clips). Prints the clip's size, whether the bytes at the fake
Slack equal Motive's, the wall time, and two memory figures for the upload alone: the peak of
Python's own allocations (tracemalloc) and the growth of the process's peak resident set
(VmHWM). `--buffered` then does the same with the clip read whole first (as the snapshot path
does), to show the measure would catch a clip held in memory.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import Settings
from bot.offline.fakeslack import FakeSlack
from bot.offline.loopback import serve_on_loopback
from bot.services import build_services
from bot.store.models import TrackedRequest
from motive.client import MotiveClient
from motive.clock import ManualClock
from motive.rules import CameraPosition, RecallRequest, RecallType, Target
from motive.simulator import SimConfig, Simulator, build_app
from motive.simulator.clip import clip_sha256

POLICY = '[video_upload]\ncameras = ["front_facing"]\nmax_megabytes = 1000\n'


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def run(megabytes: int, buffered: bool) -> None:
    size = megabytes * 1_000_000
    clock = ManualClock(datetime(2026, 11, 20, 15, 0, tzinfo=UTC))
    sim = Simulator(SimConfig(video_bytes=size), clock=clock)
    slack = FakeSlack()
    tmp = Path(tempfile.mkdtemp(prefix="bench-video-"))
    (tmp / "policy.toml").write_text(POLICY)
    async with (
        serve_on_loopback(build_app(sim, tick_seconds=3600)) as sim_url,
        serve_on_loopback(slack.app()) as slack_url,
    ):
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            slack_bot_token="xoxb-bench",
            slack_api_url=f"{slack_url}/api/",
            motive_api_url=sim_url,
            database_url=f"sqlite:///{tmp}/bot.db",
            policy_file=tmp / "policy.toml",
        )
        motive = MotiveClient(base_url=sim_url, clock=clock)
        svc = build_services(settings, role="web", clock=clock, motive=motive)
        await svc.store.create_schema()
        request = RecallRequest(
            target=Target("vehicle", "TRK-102"),
            start_time=clock.now() - timedelta(minutes=40),
            duration=1,
            recall_type=RecallType.REGULAR,
            camera_positions=(CameraPosition.FRONT_FACING,),
        )
        created = await motive.recalls.create(request)
        clock.advance(30 * 60)
        recall = await motive.recalls.retrieve(created.id)
        anchor = await svc.slack.chat_postMessage(channel="C0DISPATCH", text="anchor")
        row = TrackedRequest.new(
            request,
            requester="U0BENCH",
            channel="C0DISPATCH",
            now=clock.now(),
            deadline=clock.now(),
        )
        row.anchor_ts, row.motive_id = str(anchor["ts"]), created.id
        await svc.store.add(row)
        expected = clip_sha256(f"recalls/{created.id}/front_facing.mp4", size)

        rss_before = peak_rss_mb()
        tracemalloc.start()
        started = time.perf_counter()
        delivered = await svc.delivery.recall_links(row, recall)
        elapsed = time.perf_counter() - started
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_growth = peak_rss_mb() - rss_before
        [up] = [u for u in slack.uploads.values() if u.get("size")]
        print(
            f"streamed: clip {size / 1e6:.0f} MB, delivered={delivered}, "
            f"bytes equal={up['sha256'] == expected and up['size'] == size}, "
            f"{elapsed:.1f} s ({size / 1e6 / elapsed:.0f} MB/s), "
            f"tracemalloc peak {traced_peak / 1e6:.1f} MB, peak RSS growth {rss_growth:.1f} MB"
        )
        if buffered:
            url = next(c.download_url for c in recall.cameras if c.download_url)
            rss_before = peak_rss_mb()
            tracemalloc.start()
            data = await motive.fetch_media(url)
            _, traced_peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(
                f"buffered (the clip read whole): {len(data) / 1e6:.0f} MB, "
                f"tracemalloc peak {traced_peak / 1e6:.1f} MB, "
                f"peak RSS growth {peak_rss_mb() - rss_before:.1f} MB"
            )
            del data
        await motive.aclose()
        await svc.store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--megabytes", type=int, default=200)
    parser.add_argument("--buffered", action="store_true")
    args = parser.parse_args()
    asyncio.run(run(args.megabytes, args.buffered))


if __name__ == "__main__":
    main()
