"""The job engine: from "someone asked for an image" to "the image bytes are on disk".

The database is the source of truth; the fair queue and the poll schedule only say what
to do next. A job row exists before its Create is sent and carries the TaskId right after,
so a restart resumes every job and never submits one twice.

`JobEngine` composes the parts and is the front ends' only door: the registry of live
jobs, the dispatcher (queue to Create), the poller (Describe), the downloader (results to
disk) and the event bus. Front ends ask it questions; they never touch the parts.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp

from ..config.tunables import Tunables
from ..mps.client import MpsClient
from ..mps.models import TaskKind
from ..rules.rulebook import Ask, Pending, QueueLimitError, Rulebook
from ..storage.jobs import Job, JobState, JobStore
from ..storage.lease import EngineLease, Signals
from ..storage.outages import OutageStore
from .admission import Admission, Reservations, unaccepted
from .bus import BatchFollower, EventBus, JobFollower, Listener
from .dispatcher import Dispatcher
from .downloader import Downloader
from .durations import DurationBook
from .events import ErrorCategory, EventType, JobRequest, Progress, QueueCounts
from .fair_queue import FairQueue
from .leadership import Leadership
from .limiter import QuotaGate
from .outage import AccountOutage
from .outcomes import Outcomes
from .poller import Poller
from .polling import DurationModel
from .progress import progress_of
from .registry import Registry
from .resume import resume
from .sweep import ResultSweep
from .tasks import OwnedTasks, TaskDeath

log = logging.getLogger(__name__)


class JobEngine:
    def __init__(
        self,
        *,
        store: JobStore,
        client: MpsClient,
        gate: QuotaGate,
        session: aiohttp.ClientSession,
        tunables: Tunables,
        results_dir: Path,
        rules: Rulebook | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        download_concurrency: int = 8,
    ) -> None:
        self.store = store
        self.client = client
        self.gate = gate
        self.tunables = tunables
        self.results_dir = results_dir
        self.rules = rules or Rulebook(tunables.limits)
        self.durations = DurationBook(tunables.polling)
        self._clock = clock
        self._wall = wall
        self._registry = Registry(FairQueue(self.rules), clock=clock, wall=wall)
        self._bus = EventBus()
        self._reservations = Reservations()
        self._outcomes = Outcomes(store, self._registry, self._bus, wall=wall)
        # Tencent refusing the account itself stops Creates until a probe passes.
        self.outage = AccountOutage(
            store=OutageStore(store.db), client=client, probe_backoff=tunables.outage_probe
        )
        self._dispatcher = Dispatcher(
            registry=self._registry,
            store=store,
            client=client,
            gate=gate,
            outcomes=self._outcomes,
            durations=self.durations,
            tunables=tunables,
            outage=self.outage,
            clock=clock,
            wall=wall,
        )
        self._downloader = Downloader(
            session=session,
            store=store,
            outcomes=self._outcomes,
            limits=tunables.downloads,
            results_dir=results_dir,
            concurrency=download_concurrency,
        )
        self._poller = Poller(
            registry=self._registry,
            store=store,
            client=client,
            gate=gate,
            outcomes=self._outcomes,
            durations=self.durations,
            downloader=self._downloader,
            tunables=tunables,
            on_task_final=self._dispatcher.pause.task_ended,
            outage=self.outage,
            clock=clock,
            wall=wall,
        )
        self._sweep = ResultSweep(
            store=store,
            results_dir=results_dir,
            keep_seconds=tunables.downloads.keep_failed_seconds,
            wall=wall,
        )
        # The dispatcher, the pollers and the sweep: vital, so a death stops the process.
        self._loops = OwnedTasks("engine")
        # Set once this process runs the engine (alone, or holding a cluster's lease).
        self.started = asyncio.Event()
        self.cluster: Leadership | None = None

    # -- life cycle ----------------------------------------------------------------------

    async def start(self) -> None:
        """Resume every unfinished job, then start dispatching and polling."""
        await self.outage.load()
        queued = []
        for job in await self.store.unfinished():
            if job.state is JobState.QUEUED:
                queued.append(job)
            else:
                await resume(job, self._registry, self._outcomes, self._clock, self._wall)
        # Queued after the running ones: a batch partly running keeps its slot.
        for job in queued:
            live = self._registry.track(job)
            self._registry.enqueue(live, holds_slot=self._registry.has_slot(live.batch))
        self.started.set()
        self._loops.spawn(self._dispatcher.run(), "engine-dispatch", vital=True)
        self._loops.spawn(self._sweep.run(), "engine-sweep", vital=True)
        self._loops.spawn(self.outage.run(), "engine-outage-probe", vital=True)
        for kind in TaskKind:
            self._loops.spawn(self._poller.run(kind), f"engine-poll-{kind.value}", vital=True)

    @property
    def running(self) -> bool:
        """This process runs the engine (alone, or as the lease holder of a cluster)."""
        return self.started.is_set()

    def lead(self, lease: EngineLease, signals: Signals) -> None:
        """In a cluster: run the engine while holding the lease (see `leadership.py`)."""
        polls, downloads = self._poller.polls, self._downloader.downloads
        self.cluster = Leadership(
            lease,
            signals,
            store=self.store,
            registry=self._registry,
            outcomes=self._outcomes,
            started=self.started,
            start=self.start,
            halts=(self.stop_submitting, polls.cancel, downloads.cancel),
            wall=self._wall,
            sweep=self.tunables.cluster.adopt_sweep,
        )
        self._loops.spawn(self.cluster.run(), "engine-lease", vital=True)

    async def first_death(self) -> TaskDeath:
        """Wait until one of the engine's loops dies (it is logged); which one, and why.
        Jobs stop moving then: the process should stop, and resume them at its next start."""
        return await self._loops.first_death()

    def stop_submitting(self) -> None:
        """Send no more Creates; jobs that were not sent stay queued for the next start."""
        self._dispatcher.stopping = True

    async def sweep_results(self) -> int:
        """Remove the result files of jobs that ended long enough ago (see `sweep.py`)."""
        return await self._sweep.run_once()

    async def close(self, grace: float | None = None) -> None:
        """Stop cleanly: send no new Create, let those on the wire store their TaskIds
        (for at most `grace` seconds), then stop the rest."""
        if grace is None:
            grace = self.tunables.shutdown_grace
        self.stop_submitting()
        await self._loops.cancel()
        await self._dispatcher.submits.wait(grace)
        await self.abort()

    async def abort(self) -> None:
        """Stop at once, as a crash would (used by close() after its grace, and in tests)."""
        await self._loops.cancel()
        await self._dispatcher.submits.cancel()
        await self._poller.polls.cancel()
        await self._downloader.downloads.cancel()

    # -- events ----------------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        self._bus.add_listener(listener)

    def remove_listener(self, listener: Listener) -> None:
        self._bus.remove_listener(listener)

    async def follow(self, job_id: int) -> JobFollower:
        """Follow one job: `latest` is its state now, `changed()` waits for the next change.

        Subscribed before the job is read, so nothing emitted in between is missed."""
        follower = self._bus.follower(job_id)
        follower._seed(await self.store.get(job_id))
        return follower

    async def follow_batch(self, key: int) -> BatchFollower:
        """Follow every job of a batch (a job asked alone is a batch of one); subscribed
        before the jobs are read, as `follow` is."""
        # Its jobs are known from memory while it runs (a batch's jobs are written at once).
        ids = [m.job_id for m in self._registry.members(key)]
        lead = self._registry.get(key)
        if not ids or len(ids) != (lead.batch_size if lead is not None else 0):
            ids = [job.id for job in await self.store.batch(key)]
        follower = self._bus.batch_follower(ids)
        follower._seed(await self.store.batch(key))
        return follower

    # -- asking for jobs -------------------------------------------------------------------

    async def admit(self, ask: Ask) -> Admission:
        """Check every rule for this ask and reserve the member's queue place.

        Raises a `Refusal` (e.g. `QueueLimitError`). The place is reserved before the
        first `await`, so concurrent asks cannot exceed a limit together; pass the
        admission to `submit`, or `release()` it if the job is not submitted after all.
        The rules also get, taken in the same step, the jobs of this kind not accepted
        by MPS yet (live ones and reserved places, this ask's included): quotas count
        them with the accepted ones."""
        limit = self.rules.queued_limit(ask)
        waiting = self._registry.queue.user_queued(ask.guild_id, ask.user_id)
        if waiting + self._reservations.count(ask.guild_id, ask.user_id) >= limit:
            raise QueueLimitError(limit)
        reservations = self._reservations
        admission = reservations.reserve(ask.guild_id, ask.user_id, ask.kind, ask.units, ask.cost)
        admission.ask = ask
        pending = self._unaccepted(ask.guild_id, ask.kind)
        snapshot = Pending(
            user=pending[ask.user_id],
            guild=sum(pending.values()),
            user_reserved=reservations.places_of(ask.guild_id, ask.user_id, ask.kind),
            cost=reservations.cost(ask.guild_id),
        )
        try:
            await self.rules.check(ask, snapshot)
        except BaseException:
            admission.release()
            raise
        return admission

    def pending(self, guild_id: int, user_id: int, kind: TaskKind) -> Pending:
        """Outputs of `kind` asked in a server but not accepted by MPS yet (what the quotas
        count as used with the accepted ones), for a member and for the whole server."""
        counts = self._unaccepted(guild_id, kind)
        return Pending(user=counts[user_id], guild=sum(counts.values()), user_reserved=0)

    def _unaccepted(self, guild_id: int, kind: TaskKind) -> dict[int, int]:  # a Counter
        kinds = self.rules.counted_kinds(guild_id, kind)
        return unaccepted(self._reservations, self._registry, guild_id, kinds)

    async def submit(self, request: JobRequest, admission: Admission | None = None) -> Job:
        """Write the ask's jobs (`request.tasks` of them, one batch), queue them, and return
        the first. Raises a Refusal when a rule says no.

        The batch is written in one transaction with the rules' last word
        (`Rulebook.confirm`: the quotas counted from the database alone, under the server's
        admission lock), so asks admitted at once by several processes cannot together pass
        a quota, and a batch is written whole or not at all."""
        units = request.units * request.tasks
        if admission is None:
            admission = await self.admit(
                Ask(request.guild_id, request.user_id, request.kind, units=units)
            )
        ask = admission.ask or Ask(request.guild_id, request.user_id, request.kind, units=units)
        try:
            jobs = await self.store.create_batch(
                [request.row(index, None) for index in range(request.tasks)],
                confirm=admission.confirming(
                    self.rules.confirm
                    if self.cluster is None or self.running
                    else self.cluster.confirm_waiting(self.rules),
                    ask,
                ),
            )
        except BaseException:
            admission.release()
            raise
        if self.cluster is not None and not self.running:
            admission.release()
            await self.cluster.hand_over(jobs[0])
            return jobs[0]
        lives = [self._registry.track(job) for job in jobs]
        self._registry.enqueue(lives[0])
        # The queued jobs now count themselves.
        admission.release()
        for job in jobs:
            await self._outcomes.emit(EventType.QUEUED, job)
        return jobs[0]

    async def cancel(self, job_id: int) -> bool:
        """Cancel a job (its whole batch) while it waits; a submitted task cannot be
        recalled, so a batch of which a task was sent is not cancelled."""
        if self.cluster is not None and not self.running:
            return await self.cluster.cancel(job_id)
        live = self._registry.get(job_id)
        key = live.batch if live is not None else job_id
        members = self._registry.members(key)
        queue = self._registry.queue
        if (
            not members
            or queue.holds_slot(key)
            or any(m.task_id is not None or m.sending for m in members)
            or not queue.remove(key)
        ):
            return False
        cancelled = False
        for member in members:
            if await self.store.transition(
                member.job_id, [JobState.QUEUED], JobState.CANCELLED, finished_at=self._wall()
            ):
                cancelled = True
                self._registry.drop(member)
                await self._outcomes.emit(EventType.CANCELLED, member.job_id)
        return cancelled

    # -- delivery, by the front end ------------------------------------------------------------

    async def mark_delivered(self, job_id: int, *, keep_files: bool = False) -> None:
        """The front end has the results safely elsewhere; the job is done."""
        if await self.store.transition(
            job_id, [JobState.READY], JobState.DELIVERED, finished_at=self._wall()
        ):
            live = self._registry.get(job_id)
            if live is not None:
                self._registry.drop(live)
            if not keep_files:
                await asyncio.to_thread(
                    shutil.rmtree, self.results_dir / str(job_id), ignore_errors=True
                )
            await self._outcomes.emit(EventType.DELIVERED, job_id)

    async def fail_delivery(self, job_id: int, code: str, message: str) -> None:
        live = self._registry.get(job_id)
        if live is None:
            job = await self.store.get(job_id)
            if job is None or job.state is not JobState.READY:
                return
            live = self._registry.track(job)
        await self._outcomes.fail(live, ErrorCategory.DELIVERY_FAILED, code, message)

    # -- questions front ends ask ----------------------------------------------------------

    def progress(self, job_id: int) -> Progress | None:
        refused = self.outage.active
        return progress_of(self._registry, self.durations, self._clock(), job_id, refused)

    def counts(self, guild_id: int) -> QueueCounts:
        """How many jobs of a server wait and run."""
        queue = self._registry.queue
        return QueueCounts(queue.guild_queued(guild_id), queue.guild_running(guild_id))

    def user_jobs(self, guild_id: int, user_id: int) -> list[Progress]:
        """A member's unfinished jobs in a server (oldest first, one per batch), from
        memory alone."""
        return [
            p
            for job_id in self._registry.batch_leads(guild_id, user_id)
            if (p := self.progress(job_id)) is not None
        ]

    def queued_total(self) -> int:
        """Jobs waiting in every server's queue."""
        return len(self._registry.queue)

    def unfinished_ids(self) -> list[int]:
        return self._registry.ids()

    def duration_models(self) -> dict[tuple[TaskKind, str], DurationModel]:
        """What the engine has learnt of each model's task durations so far."""
        return self.durations.snapshot()

    async def learn_from_history(self, tools: tuple[str, ...] = ()) -> None:
        """Seed the duration models from finished jobs (`tools`: the image tools' names)."""
        models = [(spec.kind, spec.name) for spec in self.tunables.models.values()]
        models += [(TaskKind.VIDEO, spec.name) for spec in self.tunables.video_models.values()]
        models += [(TaskKind.TOOL, name) for name in tools]
        await self.durations.learn_from_history(self.store, models)
