"""The engine variant: the real JobEngine, its database and client, with the bench as the front
end (it submits jobs as users ask, and marks READY jobs delivered). Also the waiting-jobs
check: thousands of jobs held in the queue, what they cost in memory and CPU."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections import defaultdict, deque
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.config.tunables import Limits, Tunables
from bot.engine.engine import JobEngine
from bot.engine.events import EventType, JobEvent, JobRequest
from bot.mps.client import RetryPolicy
from bot.mps.models import TaskKind
from bot.rules.rulebook import QueueLimitError
from bot.runtime import build_engine
from bot.storage.database import open_database

from . import instrument
from .common import (
    JobRecord,
    RunClock,
    RunSpec,
    credentials,
    make_session,
    wait_until_done,
)
from .instrument import CallLog, CountingClient
from .load import LoadJob, api_request
from .profiles import oracle_tunables, scaled_tunables

log = logging.getLogger(__name__)


def _request(job: LoadJob) -> JobRequest:
    body = api_request(job)
    return JobRequest(
        kind=TaskKind(job.kind),
        guild_id=job.guild,
        user_id=job.user,
        model=body["ModelName"],
        prompt=body.get("Prompt"),
        request=body,
        frontend={"bench": job.index},
    )


class _Feeder:
    """Hands jobs to the engine as their users ask; a user whose queue is full (the engine
    says so) sends the next one when one of theirs leaves the queue."""

    def __init__(self, engine: JobEngine, records: dict[int, JobRecord], clock: RunClock):
        self.engine = engine
        self.records = records
        self.clock = clock
        self.backlog: dict[int, deque[LoadJob]] = defaultdict(deque)
        self.tasks: set[asyncio.Task[None]] = set()

    async def arrive(self, job: LoadJob) -> None:
        self.backlog[job.user].append(job)
        await self.drain(job.user)

    async def drain(self, user: int) -> None:
        queue = self.backlog[user]
        while queue:
            job = queue[0]
            try:
                await self.engine.submit(_request(job))
            except QueueLimitError:
                return
            queue.popleft()
            self.records[job.index].queued = self.clock()

    def later(self, user: int) -> None:
        if self.backlog.get(user):
            task = asyncio.create_task(self.drain(user))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)


async def run_engine(spec: RunSpec) -> dict[str, Any]:
    k = spec.k
    tunables = scaled_tunables(k)
    if spec.true_image_total is not None:
        tunables = oracle_tunables(tunables, k, spec.true_image_total)
    workdir = Path(spec.workdir)
    records = {
        job.index: JobRecord(job.index, job.guild, job.user, job.kind, job.arrival / k)
        for job in spec.jobs
    }
    calls = CallLog()
    done = asyncio.Event()
    remaining = len(records)
    pending: set[asyncio.Task[None]] = set()
    db = await open_database(workdir / "engine.sqlite3")
    rss_start = instrument.current_rss_mb()
    async with make_session(calls) as session:
        engine = build_engine(
            session=session,
            db=db,
            credentials=credentials(),
            endpoint=spec.endpoint,
            tunables=tunables,
            results_dir=workdir / "engine-results",
            client_cls=CountingClient,
            client_options={
                "retry": RetryPolicy(base_delay=0.5 / k, max_delay=8.0 / k),
                "log": calls,
            },
        )
        clock = RunClock()
        feeder = _Feeder(engine, records, clock)

        def on_event(event: JobEvent) -> None:
            nonlocal remaining
            index = event.job.frontend.get("bench")
            record = records.get(index) if index is not None else None
            if record is None:
                return
            now = clock()
            if event.type is EventType.SUBMITTED:
                record.submitted = now
                feeder.later(record.user)
            elif event.type is EventType.READY:
                record.completed = now
                task = asyncio.create_task(engine.mark_delivered(event.job.id))
                pending.add(task)
                task.add_done_callback(pending.discard)
            elif event.type is EventType.FAILED:
                record.failed = event.job.error_code or "failed"
                feeder.later(record.user)
            if event.type in (EventType.READY, EventType.FAILED) and record.ended is None:
                record.ended = now
                remaining -= 1
                if remaining == 0:
                    done.set()

        engine.add_listener(on_event)
        await engine.start()
        cpu_start = instrument.cpu_seconds()
        feeding = asyncio.create_task(_feed(spec.jobs, k, clock, feeder))
        outcome = await wait_until_done(done, records, clock, spec.deadline, spec.stall_after)
        if outcome != "finished":
            log.warning("%s stopped (%s) with %d jobs unfinished", spec.variant, outcome, remaining)
        finished_at = clock()
        feeding.cancel()
        await engine.close(grace=1)
        await asyncio.gather(feeding, *pending, *feeder.tasks, return_exceptions=True)
    await db.close()
    return {
        "variant": spec.variant,
        "finished": remaining == 0,
        "outcome": outcome,
        "elapsed": finished_at,
        "jobs": [vars(r) for r in records.values()],
        "calls": calls.summary(),
        "cpu_seconds": instrument.cpu_seconds(),
        "cpu_seconds_run": instrument.cpu_seconds() - cpu_start,
        "peak_rss_mb": instrument.peak_rss_mb(),
        "rss_start_mb": rss_start,
        "learned": {
            f"{kind.value}/{model}": {
                "earliest": m.earliest() * k,
                "typical": m.typical() * k,
                "latest": m.latest() * k,
                "learned": m.learned,
            }
            for (kind, model), m in engine.duration_models().items()
        },
    }


async def _feed(jobs: list[LoadJob], k: float, clock: RunClock, feeder: _Feeder) -> None:
    for job in jobs:
        delay = job.arrival / k - clock()
        if delay > 0:
            await asyncio.sleep(delay)
        await feeder.arrive(job)


async def run_hold(spec: RunSpec) -> dict[str, Any]:
    """Submit every job to an engine whose dispatch is held (no job may start), then watch
    what waiting costs: memory growth, and CPU over `hold_seconds` of doing nothing."""
    workdir = Path(spec.workdir)
    # The product's own settings (real time): waiting jobs have no timers to compress.
    base = Tunables()
    tunables = replace(
        base,
        limits=Limits(
            running_per_guild=base.limits.running_per_guild,
            running_per_user=base.limits.running_per_user,
            queued_per_user=base.limits.queued_per_user,
            running_total=0,  # FairQueue.pop_next starts nothing while the total is reached
        ),
    )
    calls = CallLog()
    db = await open_database(workdir / "hold.sqlite3")
    async with make_session(calls) as session:
        engine = build_engine(
            session=session,
            db=db,
            credentials=credentials(),
            endpoint=spec.endpoint,
            tunables=tunables,
            results_dir=workdir / "hold-results",
            client_cls=CountingClient,
            client_options={"log": calls},
        )
        await engine.start()
        await asyncio.sleep(0.2)
        gc.collect()
        rss_before = instrument.current_rss_mb()
        cpu0 = instrument.cpu_seconds()
        clock = RunClock()
        for job in spec.jobs:
            await engine.submit(_request(job))
        submit_seconds = clock()
        cpu1 = instrument.cpu_seconds()
        gc.collect()
        rss_after_submit = instrument.current_rss_mb()
        await asyncio.sleep(spec.hold_seconds)
        cpu2 = instrument.cpu_seconds()
        rss_after_wait = instrument.current_rss_mb()
        waiting = engine.queued_total()
        await engine.close(grace=1)
    await db.close()
    return {
        "variant": "hold",
        "jobs": len(spec.jobs),
        "waiting": waiting,
        "creates_sent": sum(v["requests"] for v in calls.summary()["actions"].values()),
        "submit_seconds": submit_seconds,
        "submit_cpu_seconds": cpu1 - cpu0,
        "hold_seconds": spec.hold_seconds,
        "hold_cpu_seconds": cpu2 - cpu1,
        "cpu_share": (cpu2 - cpu1) / spec.hold_seconds,
        "rss_before_mb": rss_before,
        "rss_after_submit_mb": rss_after_submit,
        "rss_after_wait_mb": rss_after_wait,
        "rss_growth_mb": max(rss_after_submit, rss_after_wait) - rss_before,
        "peak_rss_mb": instrument.peak_rss_mb(),
    }
