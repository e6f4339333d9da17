"""Per-action limits over any rolling one-second window, with Tencent's message shape."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.mps.signer import Credentials
from mps_emulator import MpsEmulator
from mps_emulator.ratelimit import RollingWindow
from tests.emulator_helpers import HUNYUAN, FakeClock, call_api, fast_config

CREATE = "CreateAigcImageTask"
DESCRIBE = "DescribeAigcImageTask"
MESSAGE = re.compile(
    r"^Your current request times equals to `(\d+)` in a second, "
    r"which exceeds the frequency limit `20` for a second\.$"
)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def test_burst_of_30_gets_exactly_20_through(session: aiohttp.ClientSession) -> None:
    clock = FakeClock()
    async with MpsEmulator(fast_config(), clock=clock) as emu:
        replies = await asyncio.gather(
            *(call_api(session, emu.url, CREATE, HUNYUAN) for _ in range(30))
        )
        accepted = [r for r in replies if r.error_code is None]
        limited = [r for r in replies if r.error_code == "RequestLimitExceeded"]
        assert len(accepted) == 20 and len(limited) == 10
        ranks = sorted(int(MESSAGE.match(r.error_message or "")[1]) for r in limited)
        assert ranks == list(range(21, 31))

        stats = emu.stats()
        counters = stats["actions"][CREATE]
        assert counters["requests"] == 30
        assert counters["accepted"] == 20
        assert counters["rate_limited"] == 10
        assert counters["errors"] == {"RequestLimitExceeded": 10}
        assert counters["peak_1s"] == 30
        assert stats["tasks_created"] == 20
        assert len(emu.arrivals(CREATE)) == 30

        # Nothing passes while the window is full; once a full second has gone, all is well.
        clock.advance(0.999)
        assert (await call_api(session, emu.url, CREATE, HUNYUAN)).error_code == (
            "RequestLimitExceeded"
        )
        clock.advance(1.0)
        assert (await call_api(session, emu.url, CREATE, HUNYUAN)).error_code is None


async def test_window_rolls_instead_of_resetting_each_calendar_second(
    session: aiohttp.ClientSession,
) -> None:
    clock = FakeClock(100.5)
    async with MpsEmulator(fast_config(), clock=clock) as emu:
        for _ in range(20):
            assert (await call_api(session, emu.url, CREATE, HUNYUAN)).error_code is None
        # 101.2 is a new calendar second, but (100.2, 101.2] still holds the 20 requests.
        clock.now = 101.2
        reply = await call_api(session, emu.url, CREATE, HUNYUAN)
        assert reply.error_code == "RequestLimitExceeded"
        assert "`21`" in (reply.error_message or "")
        # (100.5, 101.5] excludes the burst but holds the rejected request: 2 in the window.
        clock.now = 101.5
        assert (await call_api(session, emu.url, CREATE, HUNYUAN)).error_code is None
        assert emu.stats()["actions"][CREATE]["peak_1s"] == 21


async def test_limits_are_per_action_and_configurable(session: aiohttp.ClientSession) -> None:
    clock = FakeClock()
    config = fast_config(rate_limits={CREATE: 2, DESCRIBE: 3})
    async with MpsEmulator(config, clock=clock) as emu:
        codes = [(await call_api(session, emu.url, CREATE, HUNYUAN)).error_code for _ in range(3)]
        assert codes == [None, None, "RequestLimitExceeded"]
        task_id = emu.stats()["tasks"].popitem()[0]
        codes = [
            (await call_api(session, emu.url, DESCRIBE, {"TaskId": task_id})).error_code
            for _ in range(4)
        ]
        assert codes == [None, None, None, "RequestLimitExceeded"]


async def test_auth_failures_do_not_count_toward_the_window(
    session: aiohttp.ClientSession,
) -> None:
    config = fast_config(rate_limits={CREATE: 1})
    async with MpsEmulator(config, clock=FakeClock()) as emu:
        bad = Credentials(emu.credentials.secret_id, "wrong")
        for _ in range(3):
            reply = await call_api(session, emu.url, CREATE, HUNYUAN, credentials=bad)
            assert reply.error_code == "AuthFailure.SignatureFailure"
        assert (await call_api(session, emu.url, CREATE, HUNYUAN)).error_code is None
        counters = emu.stats()["actions"][CREATE]
        assert counters["requests"] == 4 and counters["peak_1s"] == 1


def test_rolling_window_peak_is_the_true_maximum() -> None:
    window = RollingWindow(1.0)
    # Six of these arrivals straddle a calendar second but share one rolling second.
    for t in (0.0, 0.6, 0.7, 0.8, 1.1, 1.3, 1.5, 3.0):
        window.add(t)
    assert window.peak == 6  # (0.5, 1.5] holds 0.6 .. 1.5
    assert window.count(3.0) == 1
    # Exactly one second apart is not the same window.
    edge = RollingWindow(1.0)
    edge.add(0.0)
    assert edge.add(1.0) == 1


@given(st.lists(st.integers(min_value=0, max_value=5000), max_size=60))
def test_rolling_window_peak_matches_brute_force(millis: list[int]) -> None:
    times = sorted(m / 1000 for m in millis)
    window = RollingWindow(1.0)
    for t in times:
        window.add(t)
    # Brute force: the busiest half-open second (t - 1, t] over every possible end point.
    brute = max((sum(1 for u in times if end - 1.0 < u <= end) for end in times), default=0)
    assert window.peak == brute
