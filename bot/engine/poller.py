"""Running tasks: ask Describe about each when it may be done, within the shared budget.

Each task's first look waits until it could plausibly be done (learnt per model), then
looks follow a fixed grid of `target_interval`. All tasks of a kind share one Describe
budget, and the most overdue task is asked first when a slot frees up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ..config.tunables import Tunables
from ..mps import errors
from ..mps.client import MpsClient
from ..mps.models import TaskKind, TaskState, TaskStatus
from ..storage.jobs import JobState, JobStore
from .downloader import Downloader
from .durations import DurationBook
from .events import ErrorCategory, EventType
from .limiter import Permit, QuotaGate, wait_event
from .outage import AccountOutage
from .outcomes import Outcomes
from .registry import LiveJob, Registry
from .tasks import OwnedTasks

log = logging.getLogger(__name__)

# Unexpected errors in a row while looking at one task before the job fails.
_MAX_CRASHES = 3


class Poller:
    def __init__(
        self,
        *,
        registry: Registry,
        store: JobStore,
        client: MpsClient,
        gate: QuotaGate,
        outcomes: Outcomes,
        durations: DurationBook,
        downloader: Downloader,
        tunables: Tunables,
        on_task_final: Callable[[], None],
        outage: AccountOutage,
        clock: Callable[[], float],
        wall: Callable[[], float],
    ) -> None:
        self.registry = registry
        self.store = store
        self.client = client
        self.gate = gate
        self.outcomes = outcomes
        self.durations = durations
        self.downloader = downloader
        self.polling = tunables.polling
        self.on_task_final = on_task_final
        self.outage = outage
        self.polls = OwnedTasks("poll")
        self._clock = clock
        self._wall = wall

    async def run(self, kind: TaskKind) -> None:
        schedule = self.registry.schedules[kind]
        wake = self.registry.wake_poll[kind]
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
            self.polls.spawn(self._poll(job_id, permit), f"poll-{job_id}")

    async def _poll(self, job_id: int, permit: Permit) -> None:
        live = self.registry.get(job_id)
        if live is None or live.task_id is None or live.submitted is None:
            permit.release()
            return
        try:
            await self._look(live, permit)
            live.crashes = 0
        except Exception as exc:
            permit.release()
            await self._look_failed(live, exc)

    async def _look_failed(self, live: LiveJob, exc: Exception) -> None:
        """An unexpected error while looking at a task (a database error, a bug): the task
        is billed, so look again a few times before giving up with a clear failure."""
        live.crashes += 1
        if live.crashes >= _MAX_CRASHES:
            await self.outcomes.crashed(live, exc)
            return
        delay = min(self.polling.max_interval, self.polling.target_interval * 2**live.crashes)
        log.warning("job %d: look failed (%r); next try in %.1fs", live.job_id, exc, delay)
        live.learn = False  # the timing of this task is no longer a clean measurement
        self.registry.schedule_poll(live, self._clock() + delay)

    async def _look(self, live: LiveJob, permit: Permit) -> None:
        job_id = live.job_id
        sent = self._clock()
        due = live.due if live.due is not None else sent
        # Past the timeout the task is looked at once more: a task done while its looks
        # could not be answered (an account outage, say) is still fetched.
        overdue = sent - (live.submitted or sent) > self.polling.timeout_seconds
        try:
            state = await self.client.describe_task(live.kind, live.task_id, permit=permit)
        except errors.NotFoundError as exc:
            # Describe finds tasks for a limited time only; looking again cannot help.
            await self.outcomes.fail(live, ErrorCategory.TASK_NOT_FOUND, exc.code, exc.message)
            return
        except errors.MpsError as exc:
            if isinstance(exc, errors.OperatorError):
                await self.outage.begin(exc)
            if overdue and not self.outage.active:
                await self._timed_out(live)
                return
            live.poll_failures += 1
            delay = min(
                self.polling.max_interval, self.polling.target_interval * 2**live.poll_failures
            )
            log.warning(
                "describe of job %d failed (%s); next try in %.1fs", job_id, exc.code, delay
            )
            self.registry.schedule_poll(live, self._clock() + delay)
            return
        live.poll_failures = 0
        if state.final:
            await self._finished(live, state)
        elif overdue:
            await self._timed_out(live)
        else:
            await self._unfinished(live, state, due, sent)

    async def _timed_out(self, live: LiveJob) -> None:
        await self.outcomes.fail(
            live,
            ErrorCategory.TIMEOUT,
            "Timeout",
            f"not finished after {self.polling.timeout_seconds:.0f}s",
        )

    async def _unfinished(self, live: LiveJob, state: TaskState, due: float, sent: float) -> None:
        live.seen_unfinished = self._clock() - (live.submitted or 0.0)
        if state.progress is not None:
            live.reported = state.progress / 100
        if live.learn:
            self.durations.model(live.kind, live.model).observe(
                live.seen_unfinished, None, task=live.job_id
            )
        if state.status is not None and state.status.value != live.mps_status:
            live.mps_status = state.status.value
            await self.store.update(live.job_id, mps_status=live.mps_status)
            await self.outcomes.emit(EventType.STATUS, live.job_id)
        # The next look keeps to a fixed grid, one target interval after this one was due:
        # neither the round trip nor timer lag stretches the interval. After a look taken
        # late (the Describe budget was busy) the next waits at least 0.9 of an interval:
        # no burst of looks to catch up.
        interval = self.polling.target_interval
        self.registry.schedule_poll(live, max(due + interval, sent + 0.9 * interval))

    async def _finished(self, live: LiveJob, state: TaskState) -> None:
        # Final: the task no longer occupies a slot at MPS, so the next job may start.
        self.on_task_final()
        self.registry.free_slot(live)
        assert state.status is not None
        live.mps_status = state.status.value
        if state.status is TaskStatus.DONE and live.learn:
            self._learn(live)
        await self.store.update(live.job_id, mps_status=live.mps_status, mps_final_at=self._wall())
        if state.status is TaskStatus.FAIL:
            blocked = state.blocked or errors.is_output_blocked(state.message)
            await self.outcomes.fail(
                live,
                ErrorCategory.CONTENT_VIOLATION if blocked else ErrorCategory.GENERATION_FAILED,
                "OutputBlocked" if blocked else (state.code or "TaskFailed"),
                state.message or "generation failed",
            )
            return
        if state.text and not state.urls:
            # A text result (Describe) has nothing to download: it is the result itself.
            await self.downloader.keep_text(live, state.text)
            return
        if not state.urls:
            await self.outcomes.fail(
                live,
                ErrorCategory.GENERATION_FAILED,
                "NoResults",
                "the task finished without result files",
            )
            return
        await self.store.update(live.job_id, state=JobState.DOWNLOADING, task_id=live.task_id)
        self.downloader.start(live, state.urls)

    def _learn(self, live: LiveJob) -> None:
        model = self.durations.model(live.kind, live.model)
        upper = self._clock() - (live.submitted or 0.0)
        schedule = self.registry.schedules[live.kind]
        for other, due in model.observe(live.seen_unfinished, upper, task=live.job_id):
            # Tasks not yet looked at, now believed done earlier: look sooner.
            planned = schedule.due_of(other)
            waiting = self.registry.get(other)
            if planned is not None and due < planned and waiting is not None:
                self.registry.schedule_poll(waiting, due)
