"""The baseline: the seed guide's approach, on the same job set and running-job limits.

Each job is one coroutine: Create (no shared limiter; a RequestLimitExceeded answer is tried
again at the job's next 5-second tick), then sleep 5 s and Describe, over and over, until DONE
or FAIL, then download the result. Jobs start in arrival order per guild (FIFO) within the same
limits as the engine's (2 running per guild, 1 per user). Same signing client, no retries.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections import defaultdict, deque
from pathlib import Path
from typing import Any

from bot.config.tunables import Tunables
from bot.engine.downloads import DownloadError, download_all
from bot.mps import errors
from bot.mps.client import MpsClient, RetryPolicy
from bot.mps.models import TaskKind, TaskStatus

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
from .profiles import BASELINE_INTERVAL

log = logging.getLogger(__name__)


class _Slots:
    """FIFO per guild, started as soon as the guild and the user have room."""

    def __init__(self, per_guild: int, per_user: int, start) -> None:
        self.per_guild = per_guild
        self.per_user = per_user
        self.start = start
        self.waiting: dict[int, deque[LoadJob]] = defaultdict(deque)
        self.guild_running: dict[int, int] = defaultdict(int)
        self.user_running: dict[int, int] = defaultdict(int)

    def arrive(self, job: LoadJob) -> None:
        self.waiting[job.guild].append(job)
        self.fill(job.guild)

    def finished(self, job: LoadJob) -> None:
        self.guild_running[job.guild] -= 1
        self.user_running[job.user] -= 1
        self.fill(job.guild)

    def fill(self, guild: int) -> None:
        queue = self.waiting[guild]
        for job in list(queue):
            if self.guild_running[guild] >= self.per_guild:
                return
            if self.user_running[job.user] >= self.per_user:
                continue
            queue.remove(job)
            self.guild_running[guild] += 1
            self.user_running[job.user] += 1
            self.start(job)


async def _one_job(
    job: LoadJob,
    record: JobRecord,
    client: MpsClient,
    session: Any,
    clock: RunClock,
    interval: float,
    results: Path,
) -> None:
    kind = TaskKind(job.kind)
    request = api_request(job)
    while True:
        try:
            created = await client.create_task(kind, request)
            break
        except errors.RateLimitedError:
            await asyncio.sleep(interval)  # try again at the next tick
        except errors.MpsError as exc:
            record.failed = exc.code
            return
    record.submitted = clock()
    while True:
        await asyncio.sleep(interval)
        try:
            state = await client.describe_task(kind, created.task_id)
        except errors.NotFoundError as exc:
            record.failed = exc.code
            return
        except errors.MpsError:
            continue  # rate limited or a glitch: ask again at the next tick
        if state.final:
            break
    if state.status is not TaskStatus.DONE or not state.urls:
        record.failed = "TaskFailed"
        return
    target = results / str(job.index)
    try:
        await download_all(session, state.urls, target, f"job{job.index}", Tunables().downloads)
    except DownloadError as exc:
        record.failed = exc.code
        return
    record.completed = clock()
    await asyncio.to_thread(shutil.rmtree, target, ignore_errors=True)


async def run_baseline(spec: RunSpec) -> dict[str, Any]:
    k = spec.k
    limits = Tunables().limits
    interval = BASELINE_INTERVAL / k
    workdir = Path(spec.workdir)
    records = {
        job.index: JobRecord(job.index, job.guild, job.user, job.kind, job.arrival / k)
        for job in spec.jobs
    }
    calls = CallLog()
    done = asyncio.Event()
    remaining = len(records)
    tasks: set[asyncio.Task[None]] = set()
    rss_start = instrument.current_rss_mb()
    async with make_session(calls) as session:
        client = CountingClient(
            session,
            credentials(),
            endpoint=spec.endpoint,
            retry=RetryPolicy(create_attempts=1, describe_attempts=1),
            log=calls,
        )
        clock = RunClock()

        def start(job: LoadJob) -> None:
            record = records[job.index]
            record.queued = clock()
            task = asyncio.create_task(
                _one_job(job, record, client, session, clock, interval, workdir / "baseline")
            )
            tasks.add(task)
            task.add_done_callback(lambda t, job=job: finish(t, job))

        def finish(task: asyncio.Task[None], job: LoadJob) -> None:
            nonlocal remaining
            tasks.discard(task)
            if task.cancelled():
                return
            record = records[job.index]
            if task.exception() is not None:
                record.failed = type(task.exception()).__name__
            record.ended = clock()
            remaining -= 1
            slots.finished(job)
            if remaining == 0:
                done.set()

        slots = _Slots(limits.running_per_guild, limits.running_per_user, start)
        cpu_start = instrument.cpu_seconds()
        feeding = asyncio.create_task(_feed(spec.jobs, k, clock, slots))
        outcome = await wait_until_done(done, records, clock, spec.deadline, spec.stall_after)
        if outcome != "finished":
            log.warning("%s stopped (%s) with %d jobs unfinished", spec.variant, outcome, remaining)
        finished_at = clock()
        feeding.cancel()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(feeding, *tasks, return_exceptions=True)
    return {
        "variant": "baseline",
        "finished": remaining == 0,
        "outcome": outcome,
        "elapsed": finished_at,
        "jobs": [vars(r) for r in records.values()],
        "calls": calls.summary(),
        "cpu_seconds": instrument.cpu_seconds(),
        "cpu_seconds_run": instrument.cpu_seconds() - cpu_start,
        "peak_rss_mb": instrument.peak_rss_mb(),
        "rss_start_mb": rss_start,
    }


async def _feed(jobs: list[LoadJob], k: float, clock: RunClock, slots: _Slots) -> None:
    for job in jobs:
        delay = job.arrival / k - clock()
        if delay > 0:
            await asyncio.sleep(delay)
        slots.arrive(job)
