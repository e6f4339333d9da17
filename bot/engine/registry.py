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
    holds_slot: bool = False  # counted in its batch's running slot
    # A task resumed after a restart was not watched all along: its timing teaches nothing.
    learn: bool = True
    batch: int = 0  # its batch's key (its first job's id; its own id when asked alone)
    batch_size: int = 1
    units: int = 1  # outputs its task bills
    sending: bool = False  # a Create for it is being sent (or about to be)
    reported: float | None = None  # how far MPS says the task is (0..1), when it says


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
        # Batch key -> its live jobs; and -> the jobs that use its one running slot.
        self._batches: dict[int, set[int]] = {}
        self._slots: dict[int, set[int]] = {}
        self._clock = clock
        self._wall = wall

    def __contains__(self, job_id: int) -> bool:
        return job_id in self._live

    def get(self, job_id: int) -> LiveJob | None:
        return self._live.get(job_id)

    def ids(self) -> list[int]:
        return sorted(self._live)

    def batch_leads(self, guild_id: int, user_id: int) -> list[int]:
        """The first live job of each of a member's batches, oldest first."""
        out: list[int] = []
        seen: set[int] = set()
        for job_id in self.ids():
            live = self._live[job_id]
            if live.batch not in seen and (live.guild_id, live.user_id) == (guild_id, user_id):
                seen.add(live.batch)
                out.append(job_id)
        return out

    def unsubmitted(self, guild_id: int, kind: TaskKind) -> Counter[int]:
        """Outputs of a server's live jobs of `kind` that MPS has not accepted yet, per member.

        `submitted` is set in the same step as `task_id`, before the row's `submitted_at`
        is written (and that write is queued on the connection before anything reads)."""
        out: Counter[int] = Counter()
        for live in self._live.values():
            if live.guild_id == guild_id and live.kind is kind and live.submitted is None:
                out[live.user_id] += live.units
        return out

    def track(self, job: Job) -> LiveJob:
        since = self._wall() - job.created_at
        live = LiveJob(
            job.id,
            job.kind,
            job.guild_id,
            job.user_id,
            job.model,
            created=self._clock() - max(0.0, since),
            batch=job.batch_key,
            batch_size=job.batch_size,
            units=job.units,
        )
        self._live[job.id] = live
        self._batches.setdefault(live.batch, set()).add(job.id)
        return live

    def members(self, key: int) -> list[LiveJob]:
        """The live jobs of a batch, in order."""
        return [self._live[i] for i in sorted(self._batches.get(key, ()))]

    def enqueue(self, live: LiveJob, *, front: bool = False, holds_slot: bool = False) -> None:
        """Queue the job's batch (once, whichever of its jobs asks)."""
        if live.batch not in self.queue:
            item = QueuedJob(live.batch, live.guild_id, live.user_id, holds_slot=holds_slot)
            self.queue.push(item, front=front)
        self.wake_dispatch.set()

    def start_batch(self, item: QueuedJob) -> list[LiveJob]:
        """The queue let `item` start: its jobs not yet sent, now counted in its slot."""
        key = item.job_id
        members = [m for m in self.members(key) if m.task_id is None and not m.sending]
        holders = self._slots.get(key)
        if holders is None:
            if item.holds_slot:  # its slot was given back meanwhile: take it again
                self.queue.started(item.guild_id, item.user_id)
            holders = self._slots[key] = set()
        elif not item.holds_slot:  # it holds one already: the one just counted goes back
            self.queue.finished(item.guild_id, item.user_id)
        for live in members:
            live.holds_slot = live.sending = True
            holders.add(live.job_id)
        if not holders:
            del self._slots[key]
            self.queue.finished(item.guild_id, item.user_id)
            self.wake_dispatch.set()
        return members

    def has_slot(self, key: int) -> bool:
        return key in self._slots

    def shares_slot(self, live: LiveJob) -> bool:
        """Other jobs of its batch use its slot (they are running)."""
        return bool(self._slots.get(live.batch, set()) - {live.job_id})

    def hold_slot(self, live: LiveJob) -> None:
        if live.holds_slot:
            return
        holders = self._slots.get(live.batch)
        if holders is None:
            self.queue.started(live.guild_id, live.user_id)
            holders = self._slots[live.batch] = set()
        holders.add(live.job_id)
        live.holds_slot = True

    def free_slot(self, live: LiveJob) -> None:
        if not live.holds_slot:
            return
        live.holds_slot = False
        holders = self._slots.get(live.batch)
        if holders is None:
            return
        holders.discard(live.job_id)
        if not holders:
            del self._slots[live.batch]
            self.queue.finished(live.guild_id, live.user_id)
            self.wake_dispatch.set()

    def schedule_poll(self, live: LiveJob, due: float) -> None:
        live.due = due
        self.schedules[live.kind].set(live.job_id, due)
        self.wake_poll[live.kind].set()

    def drop(self, live: LiveJob) -> None:
        """The job left the engine's hands (failed, delivered, cancelled)."""
        self.free_slot(live)
        self.schedules[live.kind].discard(live.job_id)
        self._live.pop(live.job_id, None)
        batch = self._batches.get(live.batch)
        if batch is not None:
            batch.discard(live.job_id)
            if not batch:
                del self._batches[live.batch]
        # The batch's queue entry goes once none of its jobs waits for it.
        if not any(m.task_id is None and not m.sending for m in self.members(live.batch)):
            self.queue.remove(live.batch)
