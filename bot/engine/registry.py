"""Where each unfinished job is: its live record, its place in the fair queue, its next poll.

The registry is the engine's only in-memory state about jobs. It decides nothing; the
dispatcher, poller and downloader move jobs through it and the engine reads it to answer
the front ends' questions.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from ..mps.models import TaskKind
from ..storage.jobs import Job
from .fair_queue import FairQueue, QueuedJob
from .polling import PollSchedule


@dataclass
class LiveJob:
    """What the engine keeps in memory about an unfinished job."""

    job_id: int
    kind: TaskKind
    guild_id: int
    user_id: int
    model: str
    created: float  # monotonic
    submitted: float | None = None  # monotonic, when MPS accepted the task
    task_id: str | None = None
    mps_status: str | None = None
    seen_unfinished: float | None = None  # seconds after submit of the last non-final answer
    due: float | None = None  # monotonic, when the next look at the task was scheduled for
    poll_failures: int = 0
    crashes: int = 0  # unexpected errors in a row while handling it
    holds_slot: bool = False  # counted as running in the fair queue
    # A task resumed after a restart was not watched all along: its timing teaches nothing.
    learn: bool = True


class Registry:
    def __init__(
        self,
        queue: FairQueue,
        *,
        clock: Callable[[], float],
        wall: Callable[[], float],
    ) -> None:
        self.queue = queue
        self.schedules = {kind: PollSchedule() for kind in TaskKind}
        self.wake_dispatch = asyncio.Event()
        self.wake_poll = {kind: asyncio.Event() for kind in TaskKind}
        self._live: dict[int, LiveJob] = {}
        self._clock = clock
        self._wall = wall

    def __contains__(self, job_id: int) -> bool:
        return job_id in self._live

    def get(self, job_id: int) -> LiveJob | None:
        return self._live.get(job_id)

    def ids(self) -> list[int]:
        return sorted(self._live)

    def unsubmitted(self, guild_id: int, kind: TaskKind) -> Counter[int]:
        """A server's live jobs of `kind` that MPS has not accepted yet, per member.

        `submitted` is set in the same step as `task_id`, before the row's `submitted_at`
        is written (and that write is queued on the connection before anything reads)."""
        return Counter(
            live.user_id
            for live in self._live.values()
            if live.guild_id == guild_id and live.kind is kind and live.submitted is None
        )

    def track(self, job: Job) -> LiveJob:
        since = self._wall() - job.created_at
        live = LiveJob(
            job.id,
            job.kind,
            job.guild_id,
            job.user_id,
            job.model,
            created=self._clock() - max(0.0, since),
        )
        self._live[job.id] = live
        return live

    def enqueue(self, live: LiveJob, *, front: bool = False) -> None:
        self.queue.push(QueuedJob(live.job_id, live.guild_id, live.user_id), front=front)
        self.wake_dispatch.set()

    def hold_slot(self, live: LiveJob) -> None:
        if not live.holds_slot:
            self.queue.started(live.guild_id, live.user_id)
            live.holds_slot = True

    def free_slot(self, live: LiveJob) -> None:
        if live.holds_slot:
            self.queue.finished(live.guild_id, live.user_id)
            live.holds_slot = False
            self.wake_dispatch.set()

    def schedule_poll(self, live: LiveJob, due: float) -> None:
        live.due = due
        self.schedules[live.kind].set(live.job_id, due)
        self.wake_poll[live.kind].set()

    def drop(self, live: LiveJob) -> None:
        """The job left the engine's hands (failed, delivered, cancelled)."""
        self.free_slot(live)
        self.queue.remove(live.job_id)
        self.schedules[live.kind].discard(live.job_id)
        self._live.pop(live.job_id, None)
