"""Per-guild queues served round-robin across guilds, and across users inside a guild.

Only ids live here; the database holds the jobs. A guild or user at its running limit is
skipped for this turn, so one heavy user or one huge server cannot starve the others.
An entry is a batch (the jobs of one ask, by its first job's id), which takes one running
slot; an entry that already holds its slot (part of its batch is running) goes first.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Protocol

from ..rules.rulebook import RunningLimits


class RunningPolicy(Protocol):
    """How many jobs may run at once (the rulebook answers)."""

    @property
    def running_total(self) -> int | None: ...

    def running_limits(self, guild_id: int) -> RunningLimits: ...


@dataclass(frozen=True)
class QueuedJob:
    job_id: int  # the batch's key: its first job's id
    guild_id: int
    user_id: int
    # Part of its batch already runs: it has its slot, and is not held back by limits.
    holds_slot: bool = False


@dataclass
class _Guild:
    users: OrderedDict[int, deque[QueuedJob]] = field(default_factory=OrderedDict)
    running: int = 0
    running_by_user: dict[int, int] = field(default_factory=dict)

    def queued(self) -> int:
        return sum(len(q) for q in self.users.values())


class FairQueue:
    def __init__(self, policy: RunningPolicy) -> None:
        self.policy = policy
        self._guilds: OrderedDict[int, _Guild] = OrderedDict()
        self._where: dict[int, QueuedJob] = {}
        self.running_total = 0

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, job_id: int) -> bool:
        return job_id in self._where

    def _guild(self, guild_id: int) -> _Guild:
        guild = self._guilds.get(guild_id)
        if guild is None:
            guild = self._guilds[guild_id] = _Guild()
        return guild

    def push(self, job: QueuedJob, *, front: bool = False) -> None:
        """Queue a job; `front` puts it back at the head (a Create the service deferred)."""
        users = self._guild(job.guild_id).users
        queue = users.get(job.user_id)
        if queue is None:
            queue = users[job.user_id] = deque()
        if front:
            queue.appendleft(job)
        else:
            queue.append(job)
        self._where[job.job_id] = job

    def remove(self, job_id: int) -> bool:
        job = self._where.pop(job_id, None)
        if job is None:
            return False
        guild = self._guilds[job.guild_id]
        queue = guild.users[job.user_id]
        queue.remove(job)
        if not queue:
            del guild.users[job.user_id]
        return True

    def pop_next(self) -> QueuedJob | None:
        """The next job to submit, or None when everything queued is held back by limits.

        Its running slot is counted here, unless it holds one already."""
        total = self.policy.running_total
        total_full = total is not None and self.running_total >= total
        for guild_id, guild in list(self._guilds.items()):
            if not guild.users:
                continue
            limits = self.policy.running_limits(guild_id)
            guild_full = total_full or guild.running >= limits.per_guild
            for user_id, queue in list(guild.users.items()):
                head = queue[0]
                if not head.holds_slot and (
                    guild_full or guild.running_by_user.get(user_id, 0) >= limits.per_user
                ):
                    continue
                job = queue.popleft()
                del self._where[job.job_id]
                if queue:
                    guild.users.move_to_end(user_id)
                else:
                    del guild.users[user_id]
                self._guilds.move_to_end(guild_id)
                if not job.holds_slot:
                    self.started(job.guild_id, job.user_id)
                return job
        return None

    def holds_slot(self, job_id: int) -> bool:
        job = self._where.get(job_id)
        return job is not None and job.holds_slot

    def started(self, guild_id: int, user_id: int) -> None:
        """Count a job as running (also used for jobs resumed after a restart)."""
        guild = self._guild(guild_id)
        guild.running += 1
        guild.running_by_user[user_id] = guild.running_by_user.get(user_id, 0) + 1
        self.running_total += 1

    def finished(self, guild_id: int, user_id: int) -> None:
        guild = self._guilds[guild_id]
        guild.running -= 1
        left = guild.running_by_user[user_id] - 1
        if left:
            guild.running_by_user[user_id] = left
        else:
            del guild.running_by_user[user_id]
        self.running_total -= 1
        if not guild.running and not guild.users:
            del self._guilds[guild_id]

    def position(self, job_id: int) -> int | None:
        """1-based place in its guild's queue, following the round-robin over users."""
        job = self._where.get(job_id)
        if job is None:
            return None
        guild = self._guilds[job.guild_id]
        users = list(guild.users)
        rank = list(guild.users[job.user_id]).index(job)
        mine = users.index(job.user_id)
        ahead = rank
        for order, user_id in enumerate(users):
            if user_id == job.user_id:
                continue
            # Users earlier in the rotation get one more turn in our job's round.
            turns = rank + 1 if order < mine else rank
            ahead += min(len(guild.users[user_id]), turns)
        return ahead + 1

    def guild_queued(self, guild_id: int) -> int:
        guild = self._guilds.get(guild_id)
        return guild.queued() if guild else 0

    def guild_running(self, guild_id: int) -> int:
        guild = self._guilds.get(guild_id)
        return guild.running if guild else 0

    def user_queued(self, guild_id: int, user_id: int) -> int:
        guild = self._guilds.get(guild_id)
        if guild is None:
            return 0
        return len(guild.users.get(user_id, ()))
