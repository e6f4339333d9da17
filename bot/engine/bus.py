"""Job events to whoever listens: every event to listeners, one job's events to followers.

A follower is registered before the job's current state is read, so no event can fall in
between: a front end that starts following late still sees every change after its read.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress

from ..storage.jobs import Job
from .events import EventType, JobEvent

log = logging.getLogger(__name__)

Listener = Callable[[JobEvent], None]


class JobFollower:
    """The latest state of one job, and a wake-up when it changes."""

    def __init__(self, job_id: int, unsubscribe: Callable[[JobFollower], None]) -> None:
        self.job_id = job_id
        self.latest: Job | None = None
        self.last_event: EventType | None = None
        self._changed = asyncio.Event()
        self._unsubscribe = unsubscribe

    def _push(self, event: JobEvent) -> None:
        self.latest, self.last_event = event.job, event.type
        self._changed.set()

    def _seed(self, job: Job | None) -> None:
        if self.latest is None and job is not None:
            self.latest = job

    async def changed(self, within: float | None = None) -> bool:
        """Wait for a change (True) or for `within` seconds (False)."""
        if not self._changed.is_set():
            with suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), within)
        changed = self._changed.is_set()
        self._changed.clear()
        return changed

    @property
    def ended(self) -> bool:
        return self.latest is not None and self.latest.state.final

    def close(self) -> None:
        self._unsubscribe(self)

    def __enter__(self) -> JobFollower:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class BatchFollower:
    """The latest state of every job of a batch, and a wake-up when any changes."""

    def __init__(self, ids: list[int], unsubscribe: Callable[[BatchFollower], None]) -> None:
        self.ids = tuple(ids)
        self.jobs: dict[int, Job] = {}
        self._changed = asyncio.Event()
        self._unsubscribe = unsubscribe

    def _push(self, event: JobEvent) -> None:
        self.jobs[event.job.id] = event.job
        self._changed.set()

    def _seed(self, jobs: list[Job]) -> None:
        for job in jobs:
            self.jobs.setdefault(job.id, job)

    @property
    def latest(self) -> list[Job]:
        """The batch's jobs, in order (those known so far)."""
        return [self.jobs[i] for i in self.ids if i in self.jobs]

    async def changed(self, within: float | None = None) -> bool:
        """Wait for a change of any of its jobs (True) or for `within` seconds (False)."""
        if not self._changed.is_set():
            with suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), within)
        changed = self._changed.is_set()
        self._changed.clear()
        return changed

    def close(self) -> None:
        self._unsubscribe(self)

    def __enter__(self) -> BatchFollower:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class EventBus:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._followers: dict[int, list[JobFollower | BatchFollower]] = {}

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def follower(self, job_id: int) -> JobFollower:
        follower = JobFollower(job_id, self._unfollow)
        self._followers.setdefault(job_id, []).append(follower)
        return follower

    def batch_follower(self, ids: list[int]) -> BatchFollower:
        follower = BatchFollower(ids, self._unfollow_batch)
        for job_id in follower.ids:
            self._followers.setdefault(job_id, []).append(follower)
        return follower

    def _unfollow(self, follower: JobFollower) -> None:
        self._drop(follower.job_id, follower)

    def _unfollow_batch(self, follower: BatchFollower) -> None:
        for job_id in follower.ids:
            self._drop(job_id, follower)

    def _drop(self, job_id: int, follower: JobFollower | BatchFollower) -> None:
        followers = self._followers.get(job_id, [])
        if follower in followers:
            followers.remove(follower)
        if not followers:
            self._followers.pop(job_id, None)

    def emit(self, event: JobEvent) -> None:
        for follower in list(self._followers.get(event.job.id, ())):
            follower._push(event)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("job event listener failed")
