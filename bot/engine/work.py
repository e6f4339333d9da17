"""The engine's background work: dispatch queued jobs, poll running tasks, fetch results.

Split from `engine.py` (API and bookkeeping) to keep each half readable; `EngineWork` is
only ever used as `JobEngine`'s base and relies on the attributes JobEngine sets up.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..mps import errors
from ..mps.models import TaskKind, TaskStatus
from ..storage.jobs import JobState, ResultFile
from .downloads import DownloadError, download_all
from .events import ErrorCategory, EventType
from .fair_queue import QueuedJob
from .limiter import Permit, wait_event

if TYPE_CHECKING:
    from .engine import JobEngine, _Live

log = logging.getLogger(__name__)

_OPERATOR_PAUSE = 60.0

_DOWNLOAD_FAILURES = {
    "expired": ErrorCategory.RESULT_EXPIRED,
    "too_large": ErrorCategory.RESULT_TOO_LARGE,
    "failed": ErrorCategory.DOWNLOAD_FAILED,
}

_CREATE_FAILURES: tuple[tuple[type[errors.MpsError], ErrorCategory], ...] = (
    (errors.ContentViolationError, ErrorCategory.CONTENT_VIOLATION),
    (errors.ReferenceDownloadError, ErrorCategory.REFERENCE_DOWNLOAD),
    (errors.InvalidRequestError, ErrorCategory.INVALID_REQUEST),
    (errors.OperatorError, ErrorCategory.OPERATOR),
)


class EngineWork:
    # -- dispatch ------------------------------------------------------------------------

    async def _dispatch_loop(self: JobEngine) -> None:
        while True:
            self._wake_dispatch.clear()
            pause = self._create_paused_until - self._clock()
            if pause > 0:
                await wait_event(self._wake_dispatch, pause)
                continue
            item = self.queue.pop_next()
            if item is None:
                await self._wake_dispatch.wait()
                continue
            live = self._live.get(item.job_id)
            if live is None:  # cancelled between queueing and now
                self.queue.finished(item.guild_id, item.user_id)
                continue
            live.holds_slot = True
            self._spawn(self._submit(live), f"submit-{item.job_id}", self._submits)

    def _pause_creates(
        self: JobEngine, seconds: float | None = None, until_a_task_ends: bool = False
    ) -> None:
        if seconds is None:
            first, most = self.tunables.create_backoff
            self._create_backoff = min(most, max(first, self._create_backoff * 2))
            seconds = self._create_backoff
        self._create_paused_until = max(self._create_paused_until, self._clock() + seconds)
        # "Too many running tasks" is over as soon as one of ours ends.
        self._pause_until_task_ends = until_a_task_ends

    async def _requeue(self: JobEngine, live: _Live, exc: errors.MpsError) -> None:
        # The row keeps why the job waits, so a front end can tell the user.
        await self.store.transition(
            live.job_id,
            [JobState.SUBMITTING],
            JobState.QUEUED,
            error_code=exc.code,
            error_message=exc.message[:1000],
        )
        self._free_slot(live)
        self.queue.push(QueuedJob(live.job_id, live.guild_id, live.user_id), front=True)
        await self._emit(EventType.QUEUED, live.job_id)

    async def _submit(self: JobEngine, live: _Live) -> None:
        if not await self.store.transition(live.job_id, [JobState.QUEUED], JobState.SUBMITTING):
            self._free_slot(live)
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
            self._pause_creates(until_a_task_ends=isinstance(exc, errors.TooManyTasksError))
            await self._requeue(live, exc)
            return
        except errors.MpsError as exc:
            await self._create_failed(live, exc, job.request.get("NegativePrompt"))
            return
        self._create_backoff = 0.0
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
        due = self._model(live.kind, live.model).first_look(live.job_id, live.submitted)
        self._schedule_poll(live, due)
        await self._emit(EventType.SUBMITTED, live.job_id)

    async def _create_failed(
        self: JobEngine, live: _Live, exc: errors.MpsError, negative: str | None
    ) -> None:
        category = (
            ErrorCategory.UNKNOWN_OUTCOME if exc.may_have_created else (ErrorCategory.SERVICE_ERROR)
        )
        for cls, mapped in _CREATE_FAILURES:
            if isinstance(exc, cls):
                category = mapped
                break
        if category is ErrorCategory.CONTENT_VIOLATION:
            job = await self.store.get(live.job_id)
            if job is not None:
                await self.store.add_incident(job, exc.code, exc.message, negative)
        if category is ErrorCategory.OPERATOR:
            log.error(
                "MPS rejected the account or credentials (%s); pausing submissions for %.0fs",
                exc.code,
                _OPERATOR_PAUSE,
            )
            self._pause_creates(_OPERATOR_PAUSE)
        await self._fail(live, category, exc.code, exc.message)

    # -- polling -------------------------------------------------------------------------

    async def _poll_loop(self: JobEngine, kind: TaskKind) -> None:
        schedule = self.schedules[kind]
        wake = self._wake_poll[kind]
        limiter = self.gate.limiter(kind.describe_action)
        while True:
            wake.clear()
            due = schedule.next_due()
            now = self._clock()
            if due is None or due > now:
                await wait_event(wake, None if due is None else due - now)
                continue
            # Take the quota slot first, then choose: under saturation the task asked
            # about is the most overdue one at the moment the budget frees up.
            permit = await limiter.reserve()
            job_id = schedule.pop_due(self._clock())
            if job_id is None:
                permit.release()
                continue
            self._spawn(self._poll(job_id, permit), f"poll-{job_id}", self._tasks)

    async def _poll(self: JobEngine, job_id: int, permit: Permit) -> None:
        live = self._live.get(job_id)
        if live is None or live.task_id is None or live.submitted is None:
            permit.release()
            return
        sent = now = self._clock()
        due = live.due if live.due is not None else sent
        polling = self.tunables.polling
        if now - live.submitted > polling.timeout_seconds:
            permit.release()
            await self._fail(
                live,
                ErrorCategory.TIMEOUT,
                "Timeout",
                f"not finished after {polling.timeout_seconds:.0f}s",
            )
            return
        try:
            state = await self.client.describe_task(live.kind, live.task_id, permit=permit)
        except errors.NotFoundError as exc:
            await self._fail(live, ErrorCategory.TASK_NOT_FOUND, exc.code, exc.message)
            return
        except errors.MpsError as exc:
            live.poll_failures += 1
            delay = min(polling.max_interval, polling.target_interval * 2**live.poll_failures)
            log.warning(
                "describe of job %d failed (%s); next try in %.1fs", job_id, exc.code, delay
            )
            self._schedule_poll(live, self._clock() + delay)
            return
        live.poll_failures = 0
        now = self._clock()
        if not state.final:
            live.seen_unfinished = now - live.submitted
            if live.learn:
                self._model(live.kind, live.model).observe(live.seen_unfinished, None, task=job_id)
            if state.status is not None and state.status.value != live.mps_status:
                live.mps_status = state.status.value
                await self.store.update(job_id, mps_status=live.mps_status)
                await self._emit(EventType.STATUS, job_id)
            # The next look keeps to a fixed grid, one target interval after this one was due:
            # neither the round trip nor timer lag stretches the interval. After a look taken
            # late (the Describe budget was busy) the next waits at least 0.9 of an interval:
            # no burst of looks to catch up.
            interval = polling.target_interval
            self._schedule_poll(live, max(due + interval, sent + 0.9 * interval))
            return
        # Final: the task no longer occupies a slot at MPS, so the next job may start.
        if self._pause_until_task_ends:
            self._create_paused_until = 0.0
        self._free_slot(live)
        live.mps_status = state.status.value
        if state.status is TaskStatus.DONE and live.learn:
            model = self._model(live.kind, live.model)
            schedule = self.schedules[live.kind]
            for other, due in model.observe(
                live.seen_unfinished, now - live.submitted, task=job_id
            ):
                # Tasks not yet looked at, now believed done earlier: look sooner.
                planned = schedule.due_of(other)
                if planned is not None and due < planned and other in self._live:
                    self._schedule_poll(self._live[other], due)
        await self.store.update(job_id, mps_status=live.mps_status, mps_final_at=self._wall())
        if state.status is TaskStatus.FAIL:
            await self._fail(
                live,
                ErrorCategory.GENERATION_FAILED,
                "TaskFailed",
                state.message or "generation failed",
            )
            return
        if not state.urls:
            await self._fail(
                live,
                ErrorCategory.GENERATION_FAILED,
                "NoResults",
                "the task finished without result files",
            )
            return
        await self.store.update(job_id, state=JobState.DOWNLOADING)
        self._spawn(self._download(live, state.urls), f"download-{job_id}", self._tasks)

    # -- results -------------------------------------------------------------------------

    async def _download(self: JobEngine, live: _Live, urls: tuple[str, ...]) -> None:
        async with self._downloads:
            try:
                files = await download_all(
                    self._session,
                    urls,
                    self.results_dir / str(live.job_id),
                    f"job{live.job_id}",
                    self.tunables.downloads,
                )
            except DownloadError as exc:
                await self._fail(live, _DOWNLOAD_FAILURES[exc.code], exc.code, exc.detail)
                return
        await self.store.add_results(
            ResultFile(
                live.job_id, f.idx, str(f.path), f.filename, f.content_type, f.size, f.sha256
            )
            for f in files
        )
        await self.store.update(live.job_id, state=JobState.READY)
        await self._emit(EventType.READY, live.job_id)
