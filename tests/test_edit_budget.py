"""The edit budget on a fake clock: progress edits dropped at the limit, finals first."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.config.checks import tunables_from_json
from bot.discord_app.edit_budget import CHANNEL, TOKEN, EditBudget, Lane, Rate
from bot.discord_app.messenger import budget_from


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def budget(clock: Clock, **kwargs) -> EditBudget:
    options = {"channel": Rate(5, 5.0), "token": Rate(5, 2.0), "margin": 0.25, "reserve": 2}
    return EditBudget(**(options | kwargs), clock=clock)


KEY = (CHANNEL, 7)


def test_progress_uses_its_share_then_is_dropped_until_the_window_passes() -> None:
    clock = Clock()
    b = budget(clock)
    leases = [b.try_progress(KEY, job) for job in (1, 2, 3)]
    assert all(leases)
    assert b.try_progress(KEY, 4) is None  # 3 of 5 slots: 2 stay free for results
    for lease in leases:
        lease.done()
    clock.now += 5.0
    assert b.try_progress(KEY, 4) is None  # answers count for per + margin after them
    assert b.retry_in(KEY) == pytest.approx(0.25)
    clock.now += 0.26
    assert b.try_progress(KEY, 4) is not None
    assert b.dropped == 2


def test_requests_in_flight_count_until_answered() -> None:
    clock = Clock()
    b = budget(clock, reserve=0)
    leases = [b.try_progress(KEY, job) for job in range(5)]
    assert all(leases)
    clock.now += 60
    assert b.try_progress(KEY, 9) is None
    assert b.retry_in(KEY) is None  # nothing expires: wait for an answer
    leases[0].done()
    leases[0].done()  # idempotent
    assert b.lanes[KEY].in_flight == 4
    clock.now += 5.3
    assert b.try_progress(KEY, 9) is not None


def test_the_longest_refused_job_goes_first() -> None:
    clock = Clock()
    b = budget(clock, reserve=4)  # one progress edit per window
    b.try_progress(KEY, 1).done()
    assert b.try_progress(KEY, 2) is None
    clock.now += 1
    assert b.try_progress(KEY, 3) is None
    clock.now += 5
    assert b.try_progress(KEY, 3) is None  # job 2 has waited longer
    assert b.try_progress(KEY, 2) is not None


def test_a_job_that_stopped_asking_loses_its_place() -> None:
    clock = Clock()
    b = budget(clock, reserve=4, stale=10.0)
    b.try_progress(KEY, 1).done()
    assert b.try_progress(KEY, 2) is None
    clock.now += 1
    assert b.try_progress(KEY, 3) is None
    clock.now += 20
    assert b.try_progress(KEY, 3) is not None  # job 2 has not asked for 21 s


def test_forget_drops_the_token_lane_and_the_place_in_line() -> None:
    clock = Clock()
    b = budget(clock, reserve=4)
    b.try_progress(KEY, 1).done()
    assert b.try_progress(KEY, 2) is None
    assert b.try_progress((TOKEN, 2), 2) is not None
    b.forget(2)
    assert (TOKEN, 2) not in b.lanes
    assert 2 not in b.lanes[KEY].refused


def test_token_lanes_are_per_job_with_the_webhook_rate() -> None:
    clock = Clock()
    b = budget(clock, reserve=0)
    for _ in range(5):
        b.try_progress((TOKEN, 1), 1).done()
    assert b.try_progress((TOKEN, 1), 1) is None
    assert b.try_progress((TOKEN, 2), 2) is not None
    clock.now += 2.26
    assert b.try_progress((TOKEN, 1), 1) is not None


def test_free_in_names_the_answer_that_frees_a_slot() -> None:
    lane = Lane(Rate(2, 1.0), margin=0.0, reserve=0)
    assert lane.take_final(0.0) and lane.take_final(0.0)
    assert lane.free_in(0.5, 2) is None
    lane.finish(0.5)
    lane.finish(0.7)
    assert lane.free_in(0.8, 2) == pytest.approx(0.7)
    assert lane.free_in(0.8, 1) == pytest.approx(0.9)
    assert lane.free_in(1.6, 2) == 0.0


async def test_a_final_waits_for_a_slot_and_blocks_progress_meanwhile() -> None:
    b = EditBudget(channel=Rate(2, 0.3), margin=0.0, reserve=0)
    first = await b.final(KEY)
    second = await b.final(KEY)
    first.done()
    second.done()
    started = time.monotonic()
    waiting = asyncio.create_task(b.final(KEY))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    assert b.try_progress(KEY, 1) is None  # a final is waiting: progress stays out
    lease = await asyncio.wait_for(waiting, 2)
    assert 0.2 <= time.monotonic() - started < 1.0
    lease.done()


async def test_a_final_wakes_when_an_answer_frees_its_slot() -> None:
    b = EditBudget(channel=Rate(1, 0.0), margin=0.0, reserve=0)
    held = await b.final(KEY)
    waiting = asyncio.create_task(b.final(KEY))
    await asyncio.sleep(0.02)
    assert not waiting.done()
    held.done()
    (await asyncio.wait_for(waiting, 1)).done()


def test_idle_lanes_are_swept() -> None:
    clock = Clock()
    b = budget(clock)
    for channel in range(300):
        b.try_progress((CHANNEL, channel), 1).done()
        b.forget(1)
        clock.now += 10
    assert len(b.lanes) < 100


def test_the_budget_follows_the_tunables() -> None:
    tunables = tunables_from_json(
        {"discord": {"edit_budget": True, "channel_edit_limit": 10, "final_reserve": 3}}
    )
    b = budget_from(tunables.discord)
    assert b is not None and b.rates[CHANNEL] == Rate(10, 5.0)
    assert b.lane(KEY).progress_cap == 7
    assert budget_from(tunables_from_json({"discord": {"edit_budget": False}}).discord) is None
    with pytest.raises(ValueError, match=r"discord\.channel_edit_limit"):
        tunables_from_json({"discord": {"channel_edit_limit": 0}})
