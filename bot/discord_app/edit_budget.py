"""Pace message edits so Discord never has to answer 429.

Discord allows 5 creates or edits per 5 s in a channel (bot token) and 5 requests per 2 s per
interaction token. Every job in a busy channel wants a progress edit every few seconds, so
without pacing the channel's bucket empties, discord.py sleeps on 429s, and a finished result
waits behind progress edits nobody needs any more.

Each bucket (a channel, an interaction token) is a `Lane`: a request takes a `Lease` before it
is sent and returns it when the answer came back. A lane grants at most `limit` requests per
`per + margin` seconds, counting a request from its send until `margin` plus `per` after its
answer (the server's window opens somewhere in between, so this bound holds for any window the
server keeps). Progress edits only ever *try*: refused, the caller keeps its latest state and
tries again later (so the next edit carries the newest progress, merged). They may use only
`limit - reserve` of the slots, never while a final edit is waiting, and the job that has been
refused longest goes first. Final edits (a result, a failure) wait for a slot and are never
dropped. discord.py's own X-RateLimit handling stays as the backstop.

No Discord imports: the clock is injected, the waits are plain asyncio.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass

CHANNEL = "channel"  # PATCH /channels/{id}/messages/{mid}, keyed by channel id
SEND = "send"  # POST /channels/{id}/messages, keyed by channel id
TOKEN = "token"  # the interaction webhook, keyed by job id (one token per job)

# How many lane creations between two sweeps of idle lanes.
_SWEEP_EVERY = 256


@dataclass(frozen=True)
class Rate:
    limit: int
    per: float


class Lease:
    """One request's place in its lane; `done()` (or leaving the `with`) when it answered."""

    def __init__(self, lane: Lane | None, clock: Callable[[], float]) -> None:
        self._lane = lane
        self._clock = clock

    def done(self) -> None:
        lane, self._lane = self._lane, None
        if lane is not None:
            lane.finish(self._clock())

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.done()


FREE = Lease(None, time.monotonic)  # what a disabled budget hands out


class Lane:
    """One rate-limited bucket. Pure bookkeeping: every method takes `now`."""

    def __init__(self, rate: Rate, margin: float, reserve: int) -> None:
        self.rate = rate
        self.window = rate.per + margin
        self.progress_cap = max(1, rate.limit - reserve)
        self.answered: deque[float] = deque()  # answer times still inside the window
        self.in_flight = 0
        self.finals_waiting = 0
        self.refused: dict[Hashable, float] = {}  # progress asker -> first refused at
        self.asked: dict[Hashable, float] = {}  # progress asker -> last asked at
        self._wake: asyncio.Event | None = None

    def used(self, now: float) -> int:
        while self.answered and self.answered[0] <= now - self.window:
            self.answered.popleft()
        return len(self.answered) + self.in_flight

    def free_in(self, now: float, cap: int) -> float | None:
        """Seconds until a request under `cap` may go; None: when an answer comes back."""
        excess = self.used(now) - cap + 1
        if excess <= 0:
            return 0.0
        if excess > len(self.answered):
            return None
        return self.answered[excess - 1] + self.window - now

    def idle(self, now: float) -> bool:
        return not (self.used(now) or self.finals_waiting or self.refused)

    def try_progress(self, asker: Hashable, now: float, stale: float) -> bool:
        for other, asked in list(self.asked.items()):
            if asked < now - stale:  # it stopped asking (finished, or its tracker went away)
                self.asked.pop(other, None)
                self.refused.pop(other, None)
        self.asked[asker] = now
        first = self.refused.get(asker, now)
        older = any(at < first for other, at in self.refused.items() if other != asker)
        if self.finals_waiting or older or self.used(now) >= self.progress_cap:
            self.refused.setdefault(asker, now)
            return False
        self.refused.pop(asker, None)
        self.asked.pop(asker, None)
        self.in_flight += 1
        return True

    def take_final(self, now: float) -> bool:
        if self.used(now) >= self.rate.limit:
            return False
        self.in_flight += 1
        return True

    def forget(self, asker: Hashable) -> None:
        self.refused.pop(asker, None)
        self.asked.pop(asker, None)

    def finish(self, now: float) -> None:
        self.in_flight -= 1
        self.answered.append(now)
        if self._wake is not None:
            self._wake.set()

    async def wait(self, delay: float | None) -> None:
        """Until an answer comes back or `delay` seconds passed."""
        if self._wake is None:
            self._wake = asyncio.Event()
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), None if delay is None else max(delay, 0.005))


class EditBudget:
    """Lanes by key: `(CHANNEL, channel_id)`, `(SEND, channel_id)`, `(TOKEN, job_id)`."""

    def __init__(
        self,
        *,
        channel: Rate = Rate(5, 5.0),
        token: Rate = Rate(5, 2.0),
        margin: float = 0.25,
        reserve: int = 2,
        stale: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rates = {CHANNEL: channel, SEND: channel, TOKEN: token}
        self.margin = margin
        self.reserve = reserve
        self.stale = stale  # a refused asker that has not asked again for this long is gone
        self.clock = clock
        self.lanes: dict[tuple[str, Hashable], Lane] = {}
        self.dropped = 0  # progress edits refused, for logs and the benchmark
        self._created = 0

    def lane(self, key: tuple[str, Hashable]) -> Lane:
        lane = self.lanes.get(key)
        if lane is None:
            self._created += 1
            if self._created % _SWEEP_EVERY == 0:
                self._sweep()
            lane = self.lanes[key] = Lane(self.rates[key[0]], self.margin, self.reserve)
        return lane

    def try_progress(self, key: tuple[str, Hashable], asker: Hashable) -> Lease | None:
        """A lease for a progress edit, or None: drop it and keep the state for later."""
        if self.lane(key).try_progress(asker, self.clock(), self.stale):
            return Lease(self.lanes[key], self.clock)
        self.dropped += 1
        return None

    async def final(self, key: tuple[str, Hashable]) -> Lease:
        """A lease for an edit that must go out: waits for a slot, ahead of progress."""
        lane = self.lane(key)
        lane.finals_waiting += 1
        try:
            while not lane.take_final(self.clock()):
                await lane.wait(lane.free_in(self.clock(), lane.rate.limit))
        finally:
            lane.finals_waiting -= 1
        return Lease(lane, self.clock)

    def retry_in(self, key: tuple[str, Hashable]) -> float | None:
        """When a refused progress edit may find a slot (None: when an answer comes back)."""
        lane = self.lane(key)
        return lane.free_in(self.clock(), lane.progress_cap)

    def forget(self, asker: Hashable) -> None:
        """`asker` (a job) needs no more progress edits: drop its token lane and its place
        in the channel queues."""
        self.lanes.pop((TOKEN, asker), None)
        for lane in self.lanes.values():
            lane.forget(asker)

    def _sweep(self) -> None:
        now = self.clock()
        for key in [k for k, lane in self.lanes.items() if lane.idle(now)]:
            del self.lanes[key]
