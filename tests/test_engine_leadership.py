"""Two engines on one PostgreSQL, as two processes have them: the lease holder runs the
engine; the standby writes its jobs and signals them, cancels in the database. A lost
signal costs time, never a job: the holder's sweep takes up a job it was not told of, and
its dispatcher lets go of one cancelled in the database."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import aiohttp

from bot.config.tunables import Cluster, Limits
from bot.engine.engine import JobEngine
from bot.engine.events import EventType, JobEvent, JobRequest
from bot.mps.client import RetryPolicy
from bot.mps.models import ImageTaskRequest, TaskKind
from bot.runtime import build_engine
from bot.storage.database import open_database
from bot.storage.jobs import JobState
from bot.storage.lease import cluster_parts
from mps_emulator import EmulatorConfig

from .conftest import fast_tunables, running_emulator
from .databases import postgresql_url


@dataclass
class Seen:
    """The holder's events, and a wake-up on each."""

    events: list[JobEvent] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def on_event(self, event: JobEvent) -> None:
        self.events.append(event)
        self.changed.set()

    async def until(self, job_id: int, kind: EventType, within: float = 20) -> None:
        async with asyncio.timeout(within):
            while not any(e.job.id == job_id and e.type is kind for e in self.events):
                self.changed.clear()
                await self.changed.wait()


def request(prompt: str, user: int = 1) -> JobRequest:
    asked = ImageTaskRequest(model_name="Hunyuan", model_version="3.0", prompt=prompt)
    return JobRequest(
        kind=TaskKind.IMAGE,
        guild_id=1,
        user_id=user,
        model="Hunyuan",
        prompt=prompt,
        request=asked.to_api(),
    )


@asynccontextmanager
async def holder_and_standby(emu, tmp_path: Path) -> AsyncIterator[tuple]:
    tunables = replace(
        fast_tunables(),
        limits=Limits(running_per_guild=1, running_per_user=1, queued_per_user=50),
        cluster=Cluster(lease_retry=0.05, lease_check=0.5, adopt_sweep=0.2),
    )
    url = postgresql_url()
    seen = Seen()
    async with aiohttp.ClientSession() as session:
        engines: list[JobEngine] = []
        try:
            for name in ("holder", "standby"):
                db = await open_database(url)
                engine = build_engine(
                    session=session,
                    db=db,
                    credentials=emu.credentials,
                    endpoint=emu.url,
                    tunables=tunables,
                    results_dir=tmp_path / "results",
                    client_options={"retry": RetryPolicy(base_delay=0.01, max_delay=0.05)},
                )
                engines.append(engine)
                cluster = cluster_parts(db, retry=0.05, check=0.5, holder=name)
                assert cluster is not None
                engine.lead(cluster.lease, cluster.signals)
                if name == "holder":
                    await asyncio.wait_for(engine.started.wait(), 10)
            holder, standby = engines
            holder.add_listener(seen.on_event)

            marking: set[asyncio.Task] = set()

            def deliver(event: JobEvent) -> None:  # the holder's front end, in short
                if event.type is EventType.READY:
                    task = asyncio.ensure_future(holder.mark_delivered(event.job.id))
                    marking.add(task)
                    task.add_done_callback(marking.discard)

            holder.add_listener(deliver)
            yield holder, standby, seen
        finally:
            for engine in engines:
                await engine.close(grace=1)
                await engine.store.db.close()


async def test_a_job_written_by_the_standby_is_run_by_the_holder(tmp_path) -> None:
    async with (
        running_emulator() as emu,
        holder_and_standby(emu, tmp_path) as (holder, standby, seen),
    ):
        assert holder.running and not standby.running
        job = await standby.submit(request("a lantern"))
        await seen.until(job.id, EventType.DELIVERED)
        assert standby.unfinished_ids() == []  # the standby's memory holds nothing
        assert emu.stats()["tasks_created"] == 1


async def test_a_lost_signal_delays_a_job_and_loses_nothing(tmp_path, caplog) -> None:
    caplog.set_level(logging.WARNING)
    async with (
        running_emulator() as emu,
        holder_and_standby(emu, tmp_path) as (_, standby, seen),
    ):
        assert standby.cluster is not None

        async def lost(signal) -> None:
            raise ConnectionError("the database went away for a moment")

        standby.cluster.signals.send = lost
        job = await standby.submit(request("a kite"))
        assert "could not signal the engine" in caplog.text
        await seen.until(job.id, EventType.DELIVERED)
        assert "took up 1 waiting jobs no signal announced" in caplog.text
        assert emu.stats()["tasks_created"] == 1


async def test_a_cancel_whose_signal_is_lost_still_stops_the_job(tmp_path) -> None:
    slow = EmulatorConfig(image_wait=(0.5, 0.5), image_run=(1.0, 1.0), seed=3)
    async with (
        running_emulator(slow) as emu,
        holder_and_standby(emu, tmp_path) as (holder, standby, seen),
    ):
        assert standby.cluster is not None
        running = await holder.submit(request("first"))
        waiting = await holder.submit(request("second"))  # one running per member

        async def lost(signal) -> None:
            raise ConnectionError("the database went away for a moment")

        standby.cluster.signals.send = lost
        assert await standby.cancel(waiting.id)
        assert (await standby.store.get(waiting.id)).state is JobState.CANCELLED
        # The holder never heard; its dispatcher finds the row cancelled and lets it go.
        await seen.until(waiting.id, EventType.CANCELLED)
        await seen.until(running.id, EventType.DELIVERED)
        assert holder.unfinished_ids() == []
        assert emu.stats()["tasks_created"] == 1
