"""The engine in a cluster: run while holding the lease, hand jobs over while waiting.

Several processes share one PostgreSQL database; the one that holds the engine lease (see
`storage/lease.py`) runs the engine, the others are standbys. A standby still admits and
writes the jobs its servers ask for, then signals the holder, whose engine takes the batch
up from the database (`adopt`: queued once, however often it is signalled or read). A
cancel on a standby is made in the database, where the holder's dispatcher looks before
each Create, and signalled so the holder's queue lets the batch go.

A holder whose lease connection closes or stops answering stops creating, polling and
downloading at once and the process stops (the lease task is vital): from that moment
another process may hold the lease, and two engines would pay twice for the same jobs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from ..rules.asks import QueueLimitError
from ..rules.rulebook import Ask, Rulebook
from ..storage.base import Database
from ..storage.cancels import cancel_queued_batch
from ..storage.jobs import Job, JobState, JobStore
from ..storage.lease import EngineLease, Signal, Signals
from ..storage.queue_reads import waiting_asks, waiting_batches
from .events import EventType
from .outcomes import Outcomes
from .registry import Registry
from .tasks import OwnedTasks

log = logging.getLogger(__name__)

JOB = "job"
CANCEL = "cancel"
# MPS counts each action's requests per second. A process that takes the engine over waits
# that long before its first request, so the last holder's last second of requests and its
# own never meet in one window (the quota gate knows only this process's requests).
QUOTA_WINDOW = 1.0


class Leadership:
    def __init__(
        self,
        lease: EngineLease,
        signals: Signals,
        *,
        store: JobStore,
        registry: Registry,
        outcomes: Outcomes,
        started: asyncio.Event,
        start: Callable[[], Awaitable[None]],
        halts: tuple[Callable[[], object], ...],
        wall: Callable[[], float],
        sweep: float,
    ) -> None:
        self.store = store
        self.registry = registry
        self.outcomes = outcomes
        self.started = started
        self._start = start
        self._halts = halts  # what stops Creates, polls and downloads at once
        self._wall = wall
        self._sweep = sweep
        self.lease = lease
        self.signals = signals
        self.adopted: list[Callable[[Job], None]] = []  # told of each batch taken up
        # Run once the lease is held, before the engine starts: what one process must do.
        self.starting: list[Callable[[], Awaitable[object]]] = []
        self._adopting = asyncio.Lock()
        self._heard = OwnedTasks("engine-signal")

    async def run(self) -> None:
        """Wait for the lease, run the engine while it is held; raise when it is lost."""
        try:
            await self.lease.acquire()
            if self.took_over:
                await asyncio.sleep(QUOTA_WINDOW)
            # Listening before the unfinished jobs are read: a job written in between is
            # both read and heard, and taken up once.
            await self.lease.listen(self._hear)
            for step in self.starting:
                await step()
            await self._start()
            self._heard.spawn(self._sweep_forever(), "adopt-sweep")
            await self.lease.watch()
        finally:
            # Lost, or the process stops: nothing moves from here on; the next holder
            # resumes every job from the database.
            for halt in self._halts:
                done = halt()
                if asyncio.iscoroutine(done):
                    await done
            await self._heard.cancel()
            await self.lease.close()

    @property
    def took_over(self) -> bool:
        """This process waited while another held the engine (not the first to run it)."""
        return self.lease.took_over

    def _hear(self, signal: Signal) -> None:
        if signal.kind == JOB:
            self._heard.spawn(self.adopt(signal.key), f"adopt-{signal.key}")
        elif signal.kind == CANCEL:
            self._heard.spawn(self._cancelled_elsewhere(signal.key), f"cancel-{signal.key}")

    # -- on a standby ---------------------------------------------------------------------

    async def hand_over(self, job: Job) -> None:
        """A batch was written here: wake the holder's engine. A lost signal costs only
        time: whoever holds the lease next reads every unfinished job."""
        try:
            await self.signals.send(Signal(JOB, job.batch_key))
        except Exception as exc:
            log.warning("job %d: could not signal the engine (%r)", job.id, exc)

    def confirm_waiting(self, rules: Rulebook) -> Callable[[Ask, Database], Awaitable[None]]:
        """The last word on a standby, where the queue is the holder's: the member's
        waiting asks counted in the database (under the server's admission lock, as the
        quotas are), then the rules' own."""

        async def confirm(ask: Ask, db: Database) -> None:
            limit = rules.queued_limit(ask)
            if await waiting_asks(db, ask.guild_id, ask.user_id) >= limit:
                raise QueueLimitError(limit)
            await rules.confirm(ask, db)

        return confirm

    async def cancel(self, job_id: int) -> bool:
        """Cancel a batch in the database if none of it was sent, then tell the holder."""
        job = await self.store.get(job_id)
        if job is None or not await cancel_queued_batch(
            self.store.db, job.batch_key, now=self._wall()
        ):
            return False
        try:
            await self.signals.send(Signal(CANCEL, job.batch_key))
        except Exception as exc:
            # The holder's dispatcher still sends nothing for it: the rows are cancelled.
            log.warning("job %d: could not signal its cancel (%r)", job_id, exc)
        return True

    # -- on the holder --------------------------------------------------------------------

    async def adopt(self, key: int) -> bool:
        """Take up a batch another process wrote, if it still waits and is not known here."""
        registry = self.registry
        await self.started.wait()
        async with self._adopting:
            jobs = await self.store.batch(key)
            if (
                not jobs
                or any(job.id in registry for job in jobs)
                or any(job.state is not JobState.QUEUED for job in jobs)
            ):
                return False
            lives = [registry.track(job) for job in jobs]
            registry.enqueue(lives[0])
        for job in jobs:
            await self.outcomes.emit(EventType.QUEUED, job)
        for listener in list(self.adopted):
            try:
                listener(jobs[0])
            except Exception:
                log.exception("adoption listener failed")
        return True

    async def sweep_once(self) -> int:
        """Take up every waiting batch this engine was not told of; how many."""
        known = self.registry
        keys = [k for k in await waiting_batches(self.store.db) if k not in known]
        return sum([await self.adopt(key) for key in keys])

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self._sweep)
            try:
                if taken := await self.sweep_once():
                    log.warning("took up %d waiting jobs no signal announced", taken)
            except Exception as exc:  # the database is away: the next sweep tries again
                log.warning("adopt sweep failed: %r", exc)

    async def _cancelled_elsewhere(self, key: int) -> None:
        registry = self.registry
        await self.started.wait()
        registry.queue.remove(key)
        for member in registry.members(key):
            job = await self.store.get(member.job_id)
            if job is not None and job.state is JobState.CANCELLED:
                registry.drop(member)
                await self.outcomes.emit(EventType.CANCELLED, job)
