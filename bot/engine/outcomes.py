"""How a job's state change is recorded and announced; shared by every part of the engine."""

from __future__ import annotations

import logging
from collections.abc import Callable

from ..storage.jobs import Job, JobState, JobStore
from .bus import EventBus
from .events import ErrorCategory, EventType, JobEvent
from .registry import LiveJob, Registry

log = logging.getLogger(__name__)


class Outcomes:
    def __init__(
        self,
        store: JobStore,
        registry: Registry,
        bus: EventBus,
        *,
        wall: Callable[[], float],
    ) -> None:
        self.store = store
        self.registry = registry
        self.bus = bus
        self._wall = wall

    async def emit(self, kind: EventType, job_or_id: Job | int) -> None:
        job = job_or_id if isinstance(job_or_id, Job) else await self.store.get(job_or_id)
        if job is not None:
            self.bus.emit(JobEvent(kind, job))

    async def fail(self, live: LiveJob, category: ErrorCategory, code: str, message: str) -> None:
        self.registry.drop(live)
        # A TaskId only memory knew (its first store failed) is kept with the failure.
        known = {"task_id": live.task_id} if live.task_id else {}
        await self.store.update(
            live.job_id,
            **known,
            state=JobState.FAILED,
            error_category=category.value,
            error_code=code,
            error_message=message[:1000],
            finished_at=self._wall(),
        )
        log.info("job %d failed: %s %s", live.job_id, category.value, code)
        await self.emit(EventType.FAILED, live.job_id)

    async def crashed(
        self, live: LiveJob, exc: BaseException, category: ErrorCategory = ErrorCategory.INTERNAL
    ) -> None:
        """The last resort of a job-handling task: an error nobody expected. The job fails
        with a clear category, its slot is freed, and the front end is told."""
        log.error("job %d: unexpected error", live.job_id, exc_info=exc)
        try:
            await self.fail(live, category, type(exc).__name__, "unexpected error in the bot")
        except Exception:
            # The database itself is failing: at least nothing waits on this job's slot.
            log.exception("job %d: could not record its failure", live.job_id)
            self.registry.drop(live)
