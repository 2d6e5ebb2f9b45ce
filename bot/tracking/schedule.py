"""When to poll next: fitted to Motive's real timing, pure so it can be tested and benchmarked.

Recall uploads usually take 10-12 minutes and wait for the engine, so recalls are polled rarely
at first and then at a steady pace (the median delay between Motive finishing and us noticing
is half the steady interval). Snapshots usually finish in well under a minute: poll often early.
"""

from __future__ import annotations

import random

# kind -> (first wait, growth per poll, longest wait), in seconds
PROFILES: dict[str, tuple[float, float, float]] = {
    "recall": (60.0, 1.35, 80.0),
    "snapshot": (8.0, 1.5, 60.0),
}
JITTER = 0.1


def next_delay(
    kind: str,
    attempts: int,
    *,
    first: float | None = None,
    longest: float | None = None,
    rng: random.Random | None = None,
    draw: float | None = None,
) -> float:
    """Seconds to wait before poll number `attempts + 1` (attempts = polls already made).
    The jitter is `draw` (in [-1, 1]) when given, else a draw from `rng`."""
    base_first, growth, base_max = PROFILES[kind]
    first = base_first if first is None else first
    longest = base_max if longest is None else longest
    # After the first wait, start at half of it and grow towards the longest wait.
    delay = first if attempts <= 0 else min(longest, first * 0.5 * growth**attempts)
    if draw is None:
        draw = (rng or random).uniform(-1.0, 1.0)
    jittered = delay * (1 + JITTER * draw)
    return max(0.05, min(longest, jittered) if attempts > 0 else jittered)
