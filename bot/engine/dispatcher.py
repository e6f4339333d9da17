"""Queued jobs to MPS: take the next job the fair queue allows and send its Create.

A Create has no idempotency key: it is sent once, and retried only when MPS certainly
created nothing (rate limited, too many running tasks, connection refused), in which case
the job goes back to the head of its queue and submissions pause for a while.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ..config import Tunables
from ..mps import errors
from ..mps.client import MpsClient
from ..storage.jobs import JobState, JobStore
from .durations import DurationBook
from .events import ErrorCategory, EventType
from .limiter import wait_event
from .outcomes import Outcomes
from .registry import LiveJob, Registry
from .tasks import OwnedTasks

log = logging.getLogger(__name__)

_OPERATOR_PAUSE = 60.0

_CREATE_FAILURES: tuple[tuple[type[errors.MpsError], ErrorCategory], ...] = (
    (errors.ContentViolationError, ErrorCategory.CONTENT_VIOLATION),
    (errors.ReferenceDownloadError, ErrorCategory.REFERENCE_DOWNLOAD),
    (errors.InvalidRequestError, ErrorCategory.INVALID_REQUEST),
    (errors.OperatorError, ErrorCategory.OPERATOR),
)


class CreatePause:
    """When submissions may resume after MPS said "not now"."""

    def __init__(self, backoff: tuple[float, float], clock: Callable[[], float]) -> None:
        self._first, self._most = backoff
        self._clock = clock
        self.until = 0.0
        self._backoff = 0.0
        self._until_a_task_ends = False

    def remaining(self) -> float:
        return self.until - self._clock()

    def pause(self, seconds: float | None = None, *, until_a_task_ends: bool = False) -> None:
        if seconds is None:
            self._backoff = min(self._most, max(self._first, self._backoff * 2))
            seconds = self._backoff
        self.until = max(self.until, self._clock() + seconds)
        # "Too many running tasks" is over as soon as one of ours ends.
        self._until_a_task_ends = until_a_task_ends

    def accepted(self) -> None:
        self._backoff = 0.0

    def task_ended(self) -> None:
        if self._until_a_task_ends:
            self.until = 0.0


class Dispatcher:
    def __init__(
        self,
        *,
        registry: Registry,
        store: JobStore,
        client: MpsClient,
        outcomes: Outcomes,
        durations: DurationBook,
        tunables: Tunables,
        clock: Callable[[], float],
        wall: Callable[[], float],
    ) -> None:
        self.registry = registry
        self.store = store
        self.client = client
        self.outcomes = outcomes
        self.durations = durations
        self.tunables = tunables
        self.pause = CreatePause(tunables.create_backoff, clock)
        self.submits = OwnedTasks("submit")
        self._clock = clock
        self._wall = wall

    async def run(self) -> None:
        registry = self.registry
        wake = registry.wake_dispatch
        while True:
            wake.clear()
            pause = self.pause.remaining()
            if pause > 0:
                await wait_event(wake, pause)
                continue
            item = registry.queue.pop_next()
            if item is None:
                await wake.wait()
                continue
            live = registry.get(item.job_id)
            if live is None:  # cancelled between queueing and now
                registry.queue.finished(item.guild_id, item.user_id)
                continue
            live.holds_slot = True
            self.submits.spawn(self._submit(live), f"submit-{item.job_id}")

    async def _requeue(self, live: LiveJob, exc: errors.MpsError) -> None:
        # The row keeps why the job waits, so a front end can tell the user.
        await self.store.transition(
            live.job_id,
            [JobState.SUBMITTING],
            JobState.QUEUED,
            error_code=exc.code,
            error_message=exc.message[:1000],
        )
        self.registry.free_slot(live)
        self.registry.enqueue(live, front=True)
        await self.outcomes.emit(EventType.QUEUED, live.job_id)

    async def _submit(self, live: LiveJob) -> None:
        if not await self.store.transition(live.job_id, [JobState.QUEUED], JobState.SUBMITTING):
            self.registry.free_slot(live)
            return
        job = await self.store.get(live.job_id)
        assert job is not None
        try:
            created = await self.client.create_task(job.kind, job.request)
        except (
            errors.RateLimitedError,
            errors.ConnectionFailedError,
            errors.TooManyTasksError,
        ) as exc:
            # Certainly nothing was created: the job keeps its place and waits.
            log.info("job %d deferred by MPS (%s)", live.job_id, exc.code)
            self.pause.pause(until_a_task_ends=isinstance(exc, errors.TooManyTasksError))
            await self._requeue(live, exc)
            return
        except errors.MpsError as exc:
            await self._create_failed(live, exc)
            return
        self.pause.accepted()
        live.task_id = created.task_id
        live.submitted = self._clock()
        await self.store.update(
            live.job_id,
            state=JobState.RUNNING,
            task_id=created.task_id,
            submitted_at=self._wall(),
            error_code=None,
            error_message=None,
        )
        due = self.durations.model(live.kind, live.model).first_look(live.job_id, live.submitted)
        self.registry.schedule_poll(live, due)
        await self.outcomes.emit(EventType.SUBMITTED, live.job_id)

    async def _create_failed(self, live: LiveJob, exc: errors.MpsError) -> None:
        # A content violation becomes an incident in the moderation core, which listens
        # to the FAILED event: the engine does not write the incidents table.
        category = (
            ErrorCategory.UNKNOWN_OUTCOME if exc.may_have_created else (ErrorCategory.SERVICE_ERROR)
        )
        for cls, mapped in _CREATE_FAILURES:
            if isinstance(exc, cls):
                category = mapped
                break
        if category is ErrorCategory.OPERATOR:
            log.error(
                "MPS rejected the account or credentials (%s); pausing submissions for %.0fs",
                exc.code,
                _OPERATOR_PAUSE,
            )
            self.pause.pause(_OPERATOR_PAUSE)
        await self.outcomes.fail(live, category, exc.code, exc.message)
