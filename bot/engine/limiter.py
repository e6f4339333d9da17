"""Per-action quota limiter that holds in every rolling one-second window.

The service counts a request when it arrives, which is somewhere between the moment we
start sending it and the moment its answer is back. So a call occupies its slot from
`acquire` until its answer, and the window it counts in is measured from that answer: the
next call that reuses the slot is sent at least one window after the last possible arrival.
That holds whatever the network latency, timer jitter or retry pattern.

`RequestLimitExceeded` means someone else shares the account's quota (another process,
another bot): the limit then drops multiplicatively and creeps back after a quiet spell.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager, suppress

log = logging.getLogger(__name__)


async def wait_event(event: asyncio.Event, within: float | None) -> None:
    """Wait until `event` is set or `within` seconds pass, whichever comes first."""
    with suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), within)


class WindowLimiter:
    def __init__(
        self,
        limit: float,
        *,
        window: float = 1.0,
        margin: float = 0.01,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1 request per window")
        self.limit = int(limit)
        self.window = window + margin
        self._clock = clock
        self._effective = float(self.limit)
        self._in_flight = 0
        self._ends: deque[float] = deque()  # answer times of recent calls, ascending
        self._turn = asyncio.Lock()  # FIFO: first to ask is first served
        self._released = asyncio.Event()
        self._last_backoff = float("-inf")
        self.backoffs = 0

    @property
    def effective_limit(self) -> int:
        self._recover()
        return max(1, int(self._effective))

    def _recover(self) -> None:
        # Additive increase: one more request per window for each quiet window.
        if self._effective < self.limit:
            quiet = self._clock() - self._last_backoff
            self._effective = min(
                float(self.limit), self._reduced + max(0.0, quiet - self.window) / self.window
            )

    def _used(self, now: float) -> int:
        horizon = now - self.window
        while self._ends and self._ends[0] <= horizon:
            self._ends.popleft()
        return self._in_flight + len(self._ends)

    async def acquire(self) -> None:
        async with self._turn:
            while True:
                now = self._clock()
                if self._used(now) < self.effective_limit:
                    self._in_flight += 1
                    return
                self._released.clear()
                if self._ends:
                    timeout = self._ends[0] + self.window - now
                    await wait_event(self._released, timeout)
                else:
                    await self._released.wait()

    def release(self) -> None:
        self._in_flight -= 1
        self._ends.append(self._clock())
        self._released.set()

    async def reserve(self) -> Permit:
        """Take a slot now and hand it to whoever makes the call (released on its exit)."""
        await self.acquire()
        return Permit(self)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        await self.acquire()
        try:
            yield
        finally:
            self.release()

    def report_rate_limited(self) -> None:
        """Multiplicative decrease, at most once per window (one burst is one signal)."""
        now = self._clock()
        if now - self._last_backoff < self.window:
            return
        self._recover()
        self._reduced = max(1.0, self._effective * 0.7)
        self._effective = self._reduced
        self._last_backoff = now
        self.backoffs += 1
        log.warning("rate limited by MPS: limit lowered to %d/s for a while", int(self._reduced))

    _reduced: float = 0.0


class Permit:
    """A slot already taken; usable once as `async with`, which releases it at the end."""

    def __init__(self, limiter: WindowLimiter) -> None:
        self._limiter: WindowLimiter | None = limiter

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        self.release()

    def release(self) -> None:
        if self._limiter is not None:
            self._limiter.release()
            self._limiter = None


class QuotaGate:
    """One limiter per MPS action, shared by every caller in the process (a `CallGate`)."""

    def __init__(
        self,
        rates: Mapping[str, float],
        *,
        margin: float = 0.01,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limiters = {
            action: WindowLimiter(rate, margin=margin, clock=clock)
            for action, rate in rates.items()
        }

    def limiter(self, action: str) -> WindowLimiter:
        return self._limiters[action]

    def slot(self, action: str):
        return self._limiters[action].slot()

    def report_rate_limited(self, action: str) -> None:
        self._limiters[action].report_rate_limited()
