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


class EventBus:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._followers: dict[int, list[JobFollower]] = {}

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def follower(self, job_id: int) -> JobFollower:
        follower = JobFollower(job_id, self._unfollow)
        self._followers.setdefault(job_id, []).append(follower)
        return follower

    def _unfollow(self, follower: JobFollower) -> None:
        followers = self._followers.get(follower.job_id, [])
        if follower in followers:
            followers.remove(follower)
        if not followers:
            self._followers.pop(follower.job_id, None)

    def emit(self, event: JobEvent) -> None:
        for follower in list(self._followers.get(event.job.id, ())):
            follower._push(event)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("job event listener failed")
