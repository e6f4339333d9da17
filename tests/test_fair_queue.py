"""Round-robin across guilds and users, limits respected, positions right."""

from __future__ import annotations

from bot.config.tunables import Limits
from bot.engine.fair_queue import FairQueue, QueuedJob
from bot.rules.rulebook import Rulebook


def drain(queue: FairQueue) -> list[QueuedJob]:
    out = []
    while (job := queue.pop_next()) is not None:
        out.append(job)
        queue.finished(job.guild_id, job.user_id)  # finishes at once: only order matters
    return out


def test_heavy_guild_does_not_starve_a_light_one() -> None:
    queue = FairQueue(Rulebook(Limits(running_per_guild=2, running_per_user=1)))
    for i in range(50):
        queue.push(QueuedJob(i, guild_id=1, user_id=i % 10))
    queue.push(QueuedJob(100, guild_id=2, user_id=7))
    order = [j.job_id for j in drain(queue)]
    assert order.index(100) <= 1  # the light guild gets the next turn


def test_users_alternate_inside_a_guild() -> None:
    queue = FairQueue(Rulebook(Limits(running_per_guild=5, running_per_user=5)))
    for i in range(6):
        queue.push(QueuedJob(i, guild_id=1, user_id=1))
    queue.push(QueuedJob(10, guild_id=1, user_id=2))
    queue.push(QueuedJob(11, guild_id=1, user_id=2))
    order = [j.job_id for j in drain(queue)]
    assert order[:4] == [0, 10, 1, 11]


def test_running_limits_hold_jobs_back() -> None:
    queue = FairQueue(Rulebook(Limits(running_per_guild=2, running_per_user=1, running_total=3)))
    for i in range(4):
        queue.push(QueuedJob(i, guild_id=1, user_id=i))
    queue.push(QueuedJob(9, guild_id=2, user_id=9))
    queue.push(QueuedJob(10, guild_id=3, user_id=10))
    started = []
    while (job := queue.pop_next()) is not None:
        started.append(job)
    assert len(started) == 3  # account-wide cap
    assert sum(1 for j in started if j.guild_id == 1) <= 2
    first = started[0]
    queue.finished(first.guild_id, first.user_id)
    assert queue.pop_next() is not None


def test_position_follows_round_robin_and_remove() -> None:
    queue = FairQueue(Rulebook(Limits()))
    queue.push(QueuedJob(1, 1, 1))
    queue.push(QueuedJob(2, 1, 1))
    queue.push(QueuedJob(3, 1, 2))
    assert [queue.position(j) for j in (1, 3, 2)] == [1, 2, 3]
    assert queue.remove(3)
    assert queue.position(2) == 2 and queue.position(3) is None
    assert not queue.remove(3)
    assert queue.guild_queued(1) == 2 and queue.user_queued(1, 1) == 2


def test_requeued_job_goes_back_to_the_front() -> None:
    queue = FairQueue(Rulebook(Limits()))
    queue.push(QueuedJob(1, 1, 1))
    queue.push(QueuedJob(2, 1, 1))
    job = queue.pop_next()
    queue.finished(job.guild_id, job.user_id)
    queue.push(job, front=True)
    assert queue.pop_next().job_id == 1
