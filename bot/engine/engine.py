"""The job engine: from "someone asked for an image" to "the image bytes are on disk".

The database is the source of truth; the fair queue and the poll schedule only say what
to do next. A job row exists before its Create is sent and carries the TaskId right after,
so a restart resumes every job and never submits one twice.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from ..config import Tunables
from ..mps.client import MpsClient
from ..mps.models import TaskKind
from ..storage.jobs import Job, JobState, JobStore
from .events import ErrorCategory, EventType, JobEvent, JobRequest, Progress, QueueLimitError
from .fair_queue import FairQueue, QueuedJob
from .limiter import QuotaGate
from .polling import DurationModel, DurationPrior, PollSchedule
from .work import EngineWork

log = logging.getLogger(__name__)

Listener = Callable[[JobEvent], None]


@dataclass
class _Live:
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
    holds_slot: bool = False  # counted as running in the fair queue
    # A task resumed after a restart was not watched all along: its timing teaches nothing.
    learn: bool = True


class JobEngine(EngineWork):
    """Submit jobs, follow their events, cancel them. Dispatching, polling and downloading
    live in `EngineWork`; this half is the API and the bookkeeping."""

    def __init__(
        self,
        *,
        store: JobStore,
        client: MpsClient,
        session: aiohttp.ClientSession,
        tunables: Tunables,
        results_dir: Path,
        gate: QuotaGate | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        download_concurrency: int = 8,
    ) -> None:
        self.store = store
        self.client = client
        self.tunables = tunables
        self.results_dir = results_dir
        self.gate = gate or QuotaGate(tunables.rates.by_action())
        client.gate = self.gate
        self.queue = FairQueue(tunables.limits)
        self.schedules = {kind: PollSchedule() for kind in TaskKind}
        self._session = session
        self._clock = clock
        self._wall = wall
        self._live: dict[int, _Live] = {}
        self._models: dict[tuple[TaskKind, str], DurationModel] = {}
        self._listeners: list[Listener] = []
        self._wake_dispatch = asyncio.Event()
        self._wake_poll = {kind: asyncio.Event() for kind in TaskKind}
        self._create_paused_until = 0.0
        self._create_backoff = 0.0
        self._pause_until_task_ends = False
        self._downloads = asyncio.Semaphore(download_concurrency)
        self._loops: list[asyncio.Task[None]] = []
        self._submits: set[asyncio.Task[None]] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._started = False

    # -- life cycle ----------------------------------------------------------------------

    async def start(self) -> None:
        """Resume every unfinished job, then start dispatching and polling."""
        for job in await self.store.unfinished():
            await self._resume(job)
        self._loops = [asyncio.create_task(self._dispatch_loop(), name="engine-dispatch")]
        self._loops += [
            asyncio.create_task(self._poll_loop(kind), name=f"engine-poll-{kind.value}")
            for kind in TaskKind
        ]
        self._started = True

    async def _resume(self, job: Job) -> None:
        if job.state is JobState.READY:
            return  # results on disk: the front end delivers them, the engine has no part
        live = self._track(job)
        if job.state is JobState.QUEUED:
            self.queue.push(QueuedJob(job.id, job.guild_id, job.user_id))
        elif job.state is JobState.SUBMITTING and job.task_id is None:
            # The process stopped while a Create was in flight. It may have created a
            # billed task whose id we never saw; submitting again could bill twice.
            await self._fail(
                live,
                ErrorCategory.UNKNOWN_OUTCOME,
                "SubmitInterrupted",
                "the bot stopped while submitting; not resubmitted to avoid double billing",
            )
        elif job.state in (JobState.SUBMITTING, JobState.RUNNING, JobState.DOWNLOADING):
            live.task_id = job.task_id
            live.mps_status = job.mps_status
            live.learn = False
            since = self._wall() - (job.submitted_at or job.created_at)
            live.submitted = self._clock() - max(0.0, since)
            self._hold_slot(live)
            self._schedule_poll(live, self._clock())  # ask about it right away

    async def close(self, grace: float = 15.0) -> None:
        """Stop cleanly: let in-flight Creates store their TaskIds, then stop the rest."""
        for loop in self._loops:
            loop.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        if self._submits:
            await asyncio.wait(self._submits, timeout=grace)
        await self.abort()

    async def abort(self) -> None:
        """Stop at once, as a crash would (used by close() after its grace, and in tests)."""
        tasks = [*self._loops, *self._submits, *self._tasks]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._started = False

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str, pool: set) -> None:
        task = asyncio.create_task(coro, name=name)
        pool.add(task)
        task.add_done_callback(self._reap(pool))

    @staticmethod
    def _reap(pool: set) -> Callable[[asyncio.Task[None]], None]:
        def done(task: asyncio.Task[None]) -> None:
            pool.discard(task)
            if not task.cancelled() and task.exception() is not None:
                log.error("engine task %s failed", task.get_name(), exc_info=task.exception())

        return done

    # -- the front end's API -------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    async def submit(self, request: JobRequest) -> Job:
        """Write the job, queue it, and return it. Raises QueueLimitError when full."""
        limit = self.tunables.limits.queued_per_user
        if self.queue.user_queued(request.guild_id, request.user_id) >= limit:
            raise QueueLimitError(limit)
        job = await self.store.create(
            kind=request.kind,
            guild_id=request.guild_id,
            user_id=request.user_id,
            model=request.model,
            prompt=request.prompt,
            request=request.request,
            options=request.options,
            frontend=request.frontend,
            locale=request.locale,
        )
        self._track(job)
        self.queue.push(QueuedJob(job.id, job.guild_id, job.user_id))
        self._wake_dispatch.set()
        await self._emit(EventType.QUEUED, job)
        return job

    async def cancel(self, job_id: int) -> bool:
        """Cancel a job that is still queued; a submitted task cannot be recalled."""
        if not self.queue.remove(job_id):
            return False
        if not await self.store.transition(
            job_id, [JobState.QUEUED], JobState.CANCELLED, finished_at=self._wall()
        ):
            return False
        self._live.pop(job_id, None)
        await self._emit(EventType.CANCELLED, job_id)
        return True

    async def mark_delivered(self, job_id: int, *, keep_files: bool = False) -> None:
        """The front end has the results safely elsewhere; the job is done."""
        if await self.store.transition(
            job_id, [JobState.READY], JobState.DELIVERED, finished_at=self._wall()
        ):
            self._live.pop(job_id, None)
            if not keep_files:
                await asyncio.to_thread(
                    shutil.rmtree, self.results_dir / str(job_id), ignore_errors=True
                )
            await self._emit(EventType.DELIVERED, job_id)

    async def fail_delivery(self, job_id: int, code: str, message: str) -> None:
        live = self._live.get(job_id)
        if live is None:
            job = await self.store.get(job_id)
            if job is None or job.state is not JobState.READY:
                return
            live = self._track(job)
        await self._fail(live, ErrorCategory.DELIVERY_FAILED, code, message)

    def progress(self, job_id: int) -> Progress | None:
        live = self._live.get(job_id)
        if live is None:
            return None
        now = self._clock()
        position = self.queue.position(job_id)
        running_for = fraction = eta = None
        if live.submitted is not None:
            running_for = now - live.submitted
            typical = self._model(live.kind, live.model).typical()
            fraction = min(0.95, running_for / typical) if typical > 0 else None
            eta = max(0.0, typical - running_for)
        if position is not None:
            state = "queued"
        elif live.submitted is None:
            state = "submitting"
        elif live.mps_status == "DONE":
            state = "downloading"
        else:
            state = "running"
        return Progress(
            job_id=job_id,
            state=state,
            position=position,
            guild_queued=self.queue.guild_queued(live.guild_id),
            mps_status=live.mps_status,
            waited=now - live.created,
            running_for=running_for,
            fraction=fraction,
            eta=eta,
        )

    def unfinished_ids(self) -> list[int]:
        return sorted(self._live)

    # -- internals: bookkeeping ----------------------------------------------------------

    def _track(self, job: Job) -> _Live:
        since = self._wall() - job.created_at
        live = _Live(
            job.id,
            job.kind,
            job.guild_id,
            job.user_id,
            job.model,
            created=self._clock() - max(0.0, since),
        )
        self._live[job.id] = live
        return live

    def _model(self, kind: TaskKind, model: str) -> DurationModel:
        key = (kind, model)
        found = self._models.get(key)
        if found is None:
            polling = self.tunables.polling
            low, high = (
                polling.image_expected if kind is TaskKind.IMAGE else (polling.video_expected)
            )
            prior = DurationPrior(low, high, polling.prior_weight)
            found = self._models[key] = DurationModel(prior)
        return found

    def duration_models(self) -> dict[tuple[TaskKind, str], DurationModel]:
        """What the engine has learnt of each model's task durations so far."""
        return dict(self._models)

    async def learn_from_history(self) -> None:
        """Seed the duration models from finished jobs in the database."""
        for spec in self.tunables.models.values():
            model = self._model(spec.kind, spec.name)
            for seconds in reversed(await self.store.recent_durations(spec.name, spec.kind)):
                model.add(seconds)

    def _hold_slot(self, live: _Live) -> None:
        if not live.holds_slot:
            self.queue.started(live.guild_id, live.user_id)
            live.holds_slot = True

    def _free_slot(self, live: _Live) -> None:
        if live.holds_slot:
            self.queue.finished(live.guild_id, live.user_id)
            live.holds_slot = False
            self._wake_dispatch.set()

    def _schedule_poll(self, live: _Live, due: float) -> None:
        live.due = due
        self.schedules[live.kind].set(live.job_id, due)
        self._wake_poll[live.kind].set()

    async def _emit(self, kind: EventType, job_or_id: Job | int) -> None:
        job = job_or_id if isinstance(job_or_id, Job) else await self.store.get(job_or_id)
        if job is None:
            return
        event = JobEvent(kind, job)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("job event listener failed")

    async def _fail(self, live: _Live, category: ErrorCategory, code: str, message: str) -> None:
        self._free_slot(live)
        self.schedules[live.kind].discard(live.job_id)
        self._live.pop(live.job_id, None)
        await self.store.update(
            live.job_id,
            state=JobState.FAILED,
            error_category=category.value,
            error_code=code,
            error_message=message[:1000],
            finished_at=self._wall(),
        )
        log.info("job %d failed: %s %s", live.job_id, category.value, code)
        await self._emit(EventType.FAILED, live.job_id)
