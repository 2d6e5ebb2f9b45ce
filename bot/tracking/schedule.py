"""When to poll next: fitted to Motive's real timing, pure so it can be tested and benchmarked.

Recall uploads usually take 10-12 minutes and wait for the engine, so a recall's first poll waits
four minutes (an earlier one almost never finds anything), then polls at a steady pace (the
median delay between Motive finishing and us noticing is half the steady interval). While Motive
still says "pending" (the truck has not started the upload: it may be off for hours) the pace is
slower; once it says anything else the upload is under way and the steady pace applies.
Snapshots usually finish in well under a minute: poll often early.

While Motive's completion webhook is trusted (see bot.tracking.trust), a recall is polled only
as a safety net, in case the webhook goes silent: first after 20 minutes, then at about its own
age again (every poll doubles the age), at most every 2 hours.
"""

from __future__ import annotations

import random

# kind -> (first wait, growth per poll, longest wait), in seconds
PROFILES: dict[str, tuple[float, float, float]] = {
    "recall": (240.0, 1.35, 68.0),
    "snapshot": (8.0, 1.5, 60.0),
}
# kind -> longest wait while Motive says "pending" (kinds not named: the same as otherwise)
PENDING_LONGEST: dict[str, float] = {"recall": 300.0}
JITTER = 0.1
# The safety net while the webhook is trusted: (first wait, wait per second of age, longest wait).
SAFETY_NET = (20 * 60.0, 1.0, 2 * 3600.0)


def next_delay(
    kind: str,
    attempts: int,
    *,
    first: float | None = None,
    longest: float | None = None,
    rng: random.Random | None = None,
    draw: float | None = None,
    status: str | None = None,
) -> float:
    """Seconds to wait before poll number `attempts + 1` (attempts = polls already made), after
    Motive answered `status` (None: not known). The jitter is `draw` (in [-1, 1]) when given,
    else a draw from `rng`. A `longest` set by hand applies whatever the status."""
    base_first, growth, base_max = PROFILES[kind]
    if status == "pending":
        base_max = PENDING_LONGEST.get(kind, base_max)
    first = base_first if first is None else first
    longest = base_max if longest is None else longest
    # After the first wait, start at half of it and grow towards the longest wait.
    delay = first if attempts <= 0 else min(longest, first * 0.5 * growth**attempts)
    if draw is None:
        draw = (rng or random).uniform(-1.0, 1.0)
    jittered = delay * (1 + JITTER * draw)
    return max(0.05, min(longest, jittered) if attempts > 0 else jittered)


def safety_net_delay(age: float, *, draw: float = 0.0) -> float:
    """Seconds to wait before the next safety-net poll of a recall `age` seconds old."""
    first, per_age, longest = SAFETY_NET
    delay = min(longest, max(first, age * per_age))
    return delay * (1 + JITTER * draw)
