"""Queued jobs to MPS: take the next job the fair queue allows and send its Create.

A Create has no idempotency key: it is sent once, and retried only when MPS certainly
created nothing (rate limited, too many running tasks, connection refused), in which case
the job goes back to the head of its queue and submissions pause for a while.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from ..config.tunables import Tunables
from ..mps import errors
from ..mps.client import MpsClient
from ..mps.models import CreatedTask
from ..storage.jobs import JobState, JobStore
from .durations import DurationBook
from .events import ErrorCategory, EventType
from .limiter import QuotaGate, wait_event
from .outage import AccountOutage
from .outcomes import Outcomes
from .registry import LiveJob, Registry
from .tasks import OwnedTasks

log = logging.getLogger(__name__)

# Storing a billed task's TaskId is retried this often (first, most), until it works.
_STORE_RETRY = (0.1, 5.0)

_CREATE_FAILURES: tuple[tuple[type[errors.MpsError], ErrorCategory], ...] = (
    (errors.ContentViolationError, ErrorCategory.CONTENT_VIOLATION),
    (errors.ReferenceDownloadError, ErrorCategory.REFERENCE_DOWNLOAD),
    (errors.InvalidRequestError, ErrorCategory.INVALID_REQUEST),
    (errors.CreateFailedError, ErrorCategory.CREATE_FAILED),
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
        gate: QuotaGate,
        outcomes: Outcomes,
        durations: DurationBook,
        tunables: Tunables,
        outage: AccountOutage,
        clock: Callable[[], float],
        wall: Callable[[], float],
    ) -> None:
        self.registry = registry
        self.outage = outage
        self.store = store
        self.client = client
        self.gate = gate
        self.outcomes = outcomes
        self.durations = durations
        self.tunables = tunables
        self.pause = CreatePause(tunables.create_backoff, clock)
        self.submits = OwnedTasks("submit")
        self._clock = clock
        self._wall = wall
        # Set at shutdown: jobs still waiting for a Create slot are not sent, stay QUEUED.
        self.stopping = False

    async def run(self) -> None:
        registry = self.registry
        wake = registry.wake_dispatch
        while not self.stopping:
            wake.clear()
            if self.outage.active:
                # Only the operator can fix the account: nothing is sent until a probe passes.
                await self.outage.wait_cleared()
                continue
            pause = self.pause.remaining()
            if pause > 0:
                await wait_event(wake, pause)
                continue
            item = registry.queue.pop_next()
            if item is None:
                await wake.wait()
                continue
            # A batch's jobs are sent together: its tasks run at once, in its one slot.
            for live in registry.start_batch(item):
                self.submits.spawn(self._submit(live), f"submit-{live.job_id}")

    async def _requeue(
        self, live: LiveJob, exc: errors.MpsError, category: ErrorCategory | None = None
    ) -> None:
        # The row keeps why the job waits, so a front end can tell the user.
        await self.store.transition(
            live.job_id,
            [JobState.SUBMITTING],
            JobState.QUEUED,
            error_code=exc.code,
            error_message=exc.message[:1000],
            error_category=category.value if category else None,
        )
        live.sending = False
        if self.registry.shares_slot(live):
            # The rest of its batch runs: it waits at the head, in the batch's slot.
            self.registry.enqueue(live, front=True, holds_slot=True)
        else:
            self.registry.free_slot(live)
            self.registry.enqueue(live, front=True)
        await self.outcomes.emit(EventType.QUEUED, live.job_id)

    async def _not_sent(self, live: LiveJob) -> None:
        """Not sent after all (stopping, or its row moved on). A job another process
        cancelled in the database (its signal not heard) leaves the engine here."""
        live.sending = False
        self.registry.free_slot(live)
        job = None if self.stopping else await self.store.get(live.job_id)
        if job is not None and job.state is JobState.CANCELLED:
            self.registry.drop(live)
            await self.outcomes.emit(EventType.CANCELLED, job)

    async def _submit(self, live: LiveJob) -> None:
        # Every way out of here leaves the job answered: sent, requeued, or failed.
        stage = "before"
        try:
            job = None if self.stopping else await self.store.get(live.job_id)
            if job is None or job.state is not JobState.QUEUED:
                await self._not_sent(live)
                return
            # The Create's quota slot first: the row says SUBMITTING only while the Create
            # is really on its way, so a job stopped while it waits for quota stays QUEUED.
            permit = await self.gate.limiter(job.kind.create_action).reserve()
            try:
                if self.stopping or not await self.store.transition(
                    live.job_id, [JobState.QUEUED], JobState.SUBMITTING
                ):
                    await self._not_sent(live)
                    return
                stage = "sending"
                created = await self.client.create_task(job.kind, job.request, permit=permit)
            except (
                errors.RateLimitedError,
                errors.ConnectionFailedError,
                errors.TooManyTasksError,
            ) as exc:
                stage = "answered"
                # Certainly nothing was created: the job keeps its place and waits.
                log.info("job %d deferred by MPS (%s)", live.job_id, exc.code)
                self.pause.pause(until_a_task_ends=isinstance(exc, errors.TooManyTasksError))
                await self._requeue(live, exc)
                return
            except errors.OperatorError as exc:
                stage = "answered"
                if exc.code in errors.BUCKET_CODES:
                    # The tools' bucket, not the account: this job fails, the rest goes on.
                    await self.outcomes.fail(live, ErrorCategory.OPERATOR, exc.code, exc.message)
                    return
                # Nothing was created, and no member can fix this: Creates stop at once,
                # and the job keeps its place.
                await self.outage.begin(exc)
                await self._requeue(live, exc, ErrorCategory.OPERATOR)
                return
            except errors.MpsError as exc:
                stage = "answered"
                await self._create_failed(live, exc)
                return
            finally:
                permit.release()  # no-op when the call already gave it back
            stage = "accepted"
            await self._accepted(live, created)
        except Exception as exc:
            if stage == "accepted":
                # The task exists and is being polled; only an announcement was lost.
                log.warning("job %d: after its Create: %r", live.job_id, exc)
                return
            # A Create that may have left cannot be sent again: its outcome is unknown.
            category = (
                ErrorCategory.UNKNOWN_OUTCOME if stage == "sending" else ErrorCategory.INTERNAL
            )
            await self.outcomes.crashed(live, exc, category)

    async def _accepted(self, live: LiveJob, created: CreatedTask) -> None:
        self.pause.accepted()
        live.task_id = created.task_id
        live.submitted = self._clock()
        await self._record_accepted(
            live,
            state=JobState.RUNNING,
            task_id=created.task_id,
            submitted_at=self._wall(),
            error_code=None,
            error_message=None,
            error_category=None,
        )
        due = self.durations.model(live.kind, live.model).first_look(live.job_id, live.submitted)
        self.registry.schedule_poll(live, due)
        await self.outcomes.emit(EventType.SUBMITTED, live.job_id)

    async def _record_accepted(self, live: LiveJob, *, state: JobState, **changes: Any) -> None:
        """Store the TaskId of a billed task. If the database fails, the TaskId stays in
        memory (the task is polled all the same) and storing it is retried until it works."""
        try:
            await self._store_accepted(live, state, changes)
        except Exception as exc:
            log.error(
                "job %d: could not store TaskId %s (%r); retrying",
                live.job_id,
                live.task_id,
                exc,
            )
            self.submits.spawn(
                self._retry_record(live, state, changes), f"store-task-{live.job_id}"
            )

    async def _store_accepted(self, live: LiveJob, state: JobState, changes: dict) -> None:
        # A billed task's id is the one write that must not wait behind the others: on the
        # database's own connection for it, committed at once (a stop right after the
        # answer then leaves the task known, polled and delivered at the next start).
        if not await self.store.transition(
            live.job_id, [JobState.SUBMITTING], state, urgent=True, **changes
        ):
            # The job moved on meanwhile (polled, finished): the TaskId must be there anyway.
            await self.store.update(live.job_id, task_id=changes["task_id"])

    async def _retry_record(self, live: LiveJob, state: JobState, changes: dict) -> None:
        delay = _STORE_RETRY[0]
        while True:
            await asyncio.sleep(delay)
            try:
                await self._store_accepted(live, state, changes)
            except Exception as exc:
                delay = min(_STORE_RETRY[1], delay * 2)
                log.warning("job %d: TaskId still not stored (%r)", live.job_id, exc)
                continue
            log.info("job %d: TaskId %s stored", live.job_id, live.task_id)
            return

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
        await self.outcomes.fail(live, category, exc.code, exc.message)
