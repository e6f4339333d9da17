"""Per-action request limits over any rolling one-second window.

Tencent's limit is "requests per second", but a client that keeps to 20 per calendar second
can still put 40 requests inside one second that straddles the boundary. The emulator judges
each request against the second that ends at its arrival, which is the stricter reading and
the one a well-behaved client must satisfy anyway.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

WINDOW_SECONDS = 1.0


class RollingWindow:
    """Arrival times in the last `width` seconds, and the most ever seen at once.

    A window (t - width, t] ending at each arrival t is the only place a new maximum can
    appear, so updating the peak on every arrival gives the true maximum over all windows.
    """

    def __init__(self, width: float = WINDOW_SECONDS) -> None:
        self.width = width
        self.peak = 0
        self._times: deque[float] = deque()

    def count(self, now: float) -> int:
        """Arrivals in (now - width, now]."""
        cutoff = now - self.width
        times = self._times
        while times and times[0] <= cutoff:
            times.popleft()
        return len(times)

    def add(self, now: float) -> int:
        """Record an arrival; return how many arrivals the window holds including it."""
        self.count(now)
        self._times.append(now)
        in_window = len(self._times)
        self.peak = max(self.peak, in_window)
        return in_window


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    # The request's rank in its window (21 for the first one over a limit of 20).
    in_window: int
    limit: int | None


class RateLimiter:
    """One rolling window per action. Every authenticated request is counted, rejected ones
    included: Tencent's message speaks of "request times", and a client that hammers on
    through its rejections stays rejected."""

    def __init__(self, limits: dict[str, int]) -> None:
        self.limits = dict(limits)
        self._windows: dict[str, RollingWindow] = {}

    def hit(self, action: str, now: float) -> Verdict:
        window = self._windows.setdefault(action, RollingWindow())
        limit = self.limits.get(action)
        in_window = window.add(now)
        allowed = limit is None or in_window <= limit
        return Verdict(allowed, in_window, limit)

    def clear(self) -> None:
        self._windows.clear()


def limit_message(in_window: int, limit: int) -> str:
    return (
        f"Your current request times equals to `{in_window}` in a second, "
        f"which exceeds the frequency limit `{limit}` for a second."
    )
