"""The quota limiter on a fake clock: what the service would count in any rolling window."""

from __future__ import annotations

import asyncio
import random

import pytest

from bot.engine import limiter as limiter_module
from bot.engine.limiter import QuotaGate, WindowLimiter


class FakeClock:
    """Time that moves only when the test says so; timed waits end when it passes them."""

    def __init__(self) -> None:
        self.now = 0.0
        self._timers: list[tuple[float, asyncio.Event]] = []

    def __call__(self) -> float:
        return self.now

    def timer(self, within: float) -> asyncio.Event:
        fired = asyncio.Event()
        if within <= 0:
            fired.set()
        else:
            self._timers.append((self.now + within, fired))
        return fired

    async def wait_event(self, event: asyncio.Event, within: float | None) -> None:
        waits = [asyncio.ensure_future(event.wait())]
        if within is not None:
            waits.append(asyncio.ensure_future(self.timer(within).wait()))
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()

    async def sleep(self, seconds: float) -> None:
        await self.timer(seconds).wait()

    async def advance(self, seconds: float) -> None:
        self.now += seconds
        due = [t for t in self._timers if t[0] <= self.now]
        self._timers = [t for t in self._timers if t[0] > self.now]
        for _, fired in due:
            fired.set()
        await settle()


async def settle() -> None:
    """Let every task that can run do so."""
    for _ in range(20):
        await asyncio.sleep(0)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(limiter_module, "wait_event", fake.wait_event)
    return fake


def busiest_window(calls: list[tuple[float, float]], window: float = 1.0) -> int:
    """The most calls that could arrive in one window, wherever in [sent, answered] each
    arrived: a call can fall in (t - window, t] when sent <= t < answered + window."""
    return max(sum(1 for s, a in calls if s <= t < a + window) for t, _ in calls)


async def test_no_window_ever_holds_more_than_the_limit(clock: FakeClock) -> None:
    limit = 5
    limiter = WindowLimiter(limit, clock=clock)
    rng = random.Random(7)
    calls: list[tuple[float, float]] = []

    async def caller() -> None:
        while True:
            async with limiter.slot():
                sent = clock()
                await clock.sleep(rng.uniform(0.0, 0.4))  # the round trip
                calls.append((sent, clock()))

    callers = [asyncio.create_task(caller()) for _ in range(20)]
    await settle()
    for _ in range(2000):
        await clock.advance(0.005)
    for task in callers:
        task.cancel()
    await asyncio.gather(*callers, return_exceptions=True)
    assert busiest_window(calls) <= limit
    # Not by refusing: the quota is used (one window plus the round trip per slot and call).
    assert len(calls) >= limit * 10 / 1.5


async def test_a_slot_is_held_until_its_answer_and_a_window_after(clock: FakeClock) -> None:
    limiter = WindowLimiter(1, clock=clock)
    await limiter.acquire()
    second = asyncio.create_task(limiter.acquire())
    await clock.advance(5.0)  # the first call has no answer yet
    assert not second.done()
    limiter.release()  # answered at t=5: its arrival may have been just now
    await settle()
    await clock.advance(1.0)
    assert not second.done()
    await clock.advance(0.02)  # one window (plus the margin) after the answer
    assert second.done()


async def test_acquire_is_first_come_first_served(clock: FakeClock) -> None:
    limiter = WindowLimiter(1, clock=clock)
    order: list[int] = []

    async def call(n: int) -> None:
        async with limiter.slot():
            order.append(n)

    tasks = []
    for n in range(4):
        tasks.append(asyncio.create_task(call(n)))
        await settle()
    for _ in range(10):
        await clock.advance(1.02)
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3]


async def test_rate_limited_lowers_once_per_window_and_recovers_one_per_quiet_window(
    clock: FakeClock,
) -> None:
    limiter = WindowLimiter(10, clock=clock)
    limiter.report_rate_limited()
    limiter.report_rate_limited()  # the same burst: one signal
    assert limiter.effective_limit == 7 and limiter.backoffs == 1
    await clock.advance(0.5)
    limiter.report_rate_limited()
    assert limiter.effective_limit == 7 and limiter.backoffs == 1
    await clock.advance(0.52)  # a window after the first signal: a new one counts
    limiter.report_rate_limited()
    assert limiter.effective_limit == 4 and limiter.backoffs == 2
    window = limiter.window
    await clock.advance(window + 0.001)  # the first window after a signal is not quiet
    assert limiter.effective_limit == 4
    await clock.advance(window)
    assert limiter.effective_limit == 5
    await clock.advance(3 * window)
    assert limiter.effective_limit == 8
    await clock.advance(100.0)
    assert limiter.effective_limit == 10  # never above the configured limit


async def test_a_lowered_limit_admits_fewer_calls(clock: FakeClock) -> None:
    limiter = WindowLimiter(10, clock=clock)
    limiter.report_rate_limited()
    for _ in range(7):
        await limiter.acquire()
    eighth = asyncio.create_task(limiter.acquire())
    await settle()
    assert not eighth.done()
    eighth.cancel()
    await asyncio.gather(eighth, return_exceptions=True)


async def test_quota_gate_keeps_each_action_apart(clock: FakeClock) -> None:
    gate = QuotaGate({"Create": 2, "Describe": 3}, clock=clock)
    gate.report_rate_limited("Create")
    assert gate.limiter("Create").effective_limit == 1
    assert gate.limiter("Describe").effective_limit == 3
    for _ in range(3):
        await gate.limiter("Describe").acquire()
    async with gate.slot("Create"):
        pass
    blocked = asyncio.create_task(gate.limiter("Describe").acquire())
    await settle()
    assert not blocked.done()
    gate.limiter("Describe").release()
    await clock.advance(1.02)
    assert blocked.done()


async def test_a_permit_releases_its_slot_once(clock: FakeClock) -> None:
    limiter = WindowLimiter(2, clock=clock)
    permit = await limiter.reserve()
    async with permit:
        pass
    permit.release()  # a second release is harmless
    await clock.advance(1.02)
    for _ in range(2):
        await limiter.acquire()  # both slots are free: the permit gave its back once
    third = asyncio.create_task(limiter.acquire())
    await settle()
    assert not third.done()
    third.cancel()
    await asyncio.gather(third, return_exceptions=True)


def test_limits_below_one_are_refused() -> None:
    with pytest.raises(ValueError):
        WindowLimiter(0.5)
