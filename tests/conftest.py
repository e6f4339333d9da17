"""Shared fixtures: an in-process MPS emulator and engines wired to it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import aiohttp
import pytest

from bot.config.tunables import Limits, Polling, Tunables
from bot.engine.engine import JobEngine
from bot.engine.events import EventType, JobEvent, JobRequest
from bot.mps.client import RetryPolicy
from bot.mps.models import ImageTaskRequest, TaskKind
from bot.runtime import build_engine
from bot.storage.database import open_database
from bot.storage.jobs import JobStore
from mps_emulator import EmulatorConfig, MpsEmulator

# The databases tests run on (SQLite, and PostgreSQL: see tests/databases.py).
from .databases import (  # noqa: F401 - hooks and fixtures pytest finds here
    both_databases,
    pytest_addoption,
    pytest_configure,
    pytest_report_header,
    pytest_unconfigure,
    test_database,
)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


async def eventually(predicate: Callable[[], bool], within: float = 10) -> None:
    """Wait for a condition in a component that has no notification to await."""
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110 - the emulator offers nothing to await
            await asyncio.sleep(0.01)


def fast_emulator_config(**changes) -> EmulatorConfig:
    base = EmulatorConfig(image_wait=(0.02, 0.05), image_run=(0.1, 0.2), seed=7)
    return replace(base, **changes)


@asynccontextmanager
async def running_emulator(config: EmulatorConfig | None = None) -> AsyncIterator[MpsEmulator]:
    emulator = MpsEmulator(config or fast_emulator_config())
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()


def fast_tunables(**changes) -> Tunables:
    polling = Polling(
        timeout_seconds=30,
        image_expected=(0.1, 0.25),
        tool_expected=(0.05, 0.2),
        target_interval=0.05,
        max_interval=0.5,
    )
    base = Tunables(
        polling=polling,
        create_backoff=(0.05, 0.5),
        limits=Limits(running_per_guild=2, running_per_user=1, queued_per_user=50),
    )
    return replace(base, **changes)


@dataclass
class EngineHarness:
    """An engine on a real database and a real client against the emulator, plus a record
    of every event it emitted."""

    engine: JobEngine
    store: JobStore
    emulator: MpsEmulator
    events: list[JobEvent] = field(default_factory=list)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def on_event(self, event: JobEvent) -> None:
        self.events.append(event)
        self._changed.set()

    async def wait_until(self, predicate: Callable[[], bool], within: float = 20) -> None:
        async with asyncio.timeout(within):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

    def of(self, job_id: int, kind: EventType) -> list[JobEvent]:
        return [e for e in self.events if e.job.id == job_id and e.type is kind]

    def terminal(self, job_id: int) -> bool:
        return any(e.job.id == job_id and e.type.terminal for e in self.events)

    async def submit(self, guild: int = 1, user: int = 1, prompt: str = "a cat", **request) -> int:
        req = ImageTaskRequest(model_name="Hunyuan", model_version="3.0", prompt=prompt, **request)
        job = await self.engine.submit(
            JobRequest(
                kind=TaskKind.IMAGE,
                guild_id=guild,
                user_id=user,
                model="Hunyuan",
                prompt=prompt,
                request=req.to_api(),
            )
        )
        return job.id


@asynccontextmanager
async def engine_harness(
    emulator: MpsEmulator,
    db_path: Path,
    tunables: Tunables | None = None,
    *,
    deliver: bool = True,
    client_timeout: float = 5.0,
) -> AsyncIterator[EngineHarness]:
    """`deliver` makes the harness act as a front end that marks READY jobs delivered."""
    tunables = tunables or fast_tunables()
    async with aiohttp.ClientSession() as session:
        db = await open_database(test_database(db_path))
        engine = build_engine(
            session=session,
            db=db,
            credentials=emulator.credentials,
            endpoint=emulator.url,
            tunables=tunables,
            results_dir=db_path.parent / "results",
            client_options={
                "timeout": client_timeout,
                "retry": RetryPolicy(base_delay=0.01, max_delay=0.05),
            },
        )
        harness = EngineHarness(engine, engine.store, emulator)
        engine.add_listener(harness.on_event)
        pending: set[asyncio.Task] = set()

        def deliver_ready(event: JobEvent) -> None:
            if deliver and event.type is EventType.READY:
                task = asyncio.create_task(engine.mark_delivered(event.job.id, keep_files=True))
                pending.add(task)
                task.add_done_callback(pending.discard)

        engine.add_listener(deliver_ready)
        await engine.start()
        try:
            yield harness
        finally:
            await engine.close(grace=1)
            await asyncio.gather(*pending, return_exceptions=True)
            await db.close()
