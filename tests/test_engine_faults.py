"""Every job-handling task of the engine ends in a final answer, whatever hits it."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable
from typing import Any

from bot.engine.events import ErrorCategory, EventType
from bot.storage.base import Database
from bot.storage.jobs import JobState

from .conftest import engine_harness, fast_emulator_config, running_emulator

CREATE = "CreateAigcImageTask"


class FaultyDb(Database):
    """A database whose statements raise, for the ones a test picks."""

    def __init__(self, db: Database, fails: Callable[[str], bool], count: int = 1) -> None:
        self._db = db
        self.dialect = db.dialect
        self._fails = fails
        self.count = count
        self.raised = 0

    async def _run(self, sql: str, params: Any, *, returning_id: bool) -> Any:
        return await self._through(self._db, sql, params, returning_id)

    async def _through(self, db: Database, sql: str, params: Any, returning_id: bool) -> Any:
        if self.count and self._fails(sql):
            self.count -= 1
            self.raised += 1
            raise sqlite3.OperationalError("disk I/O error")
        return await db._run(sql, params, returning_id=returning_id)

    @contextlib.asynccontextmanager
    async def transaction(self, lock: str | None = None) -> AsyncIterator[Database]:
        async with self._db.transaction(lock) as tx:
            yield _FaultyTransaction(self, tx)

    async def executemany(self, sql: str, rows: Any) -> None:
        await self._db.executemany(sql, rows)

    async def close(self) -> None:
        await self._db.close()


class _FaultyTransaction(FaultyDb):
    """Statements in a transaction fail the same way (and count on the same faults)."""

    def __init__(self, faults: FaultyDb, tx: Database) -> None:
        self._faults, self._db, self.dialect = faults, tx, tx.dialect

    async def _run(self, sql: str, params: Any, *, returning_id: bool) -> Any:
        return await self._faults._through(self._db, sql, params, returning_id)


def _stores_task_id(sql: str) -> bool:
    return sql.startswith("UPDATE jobs") and "task_id" in sql


async def test_database_error_storing_the_task_id_loses_nothing(tmp_path) -> None:
    async with running_emulator() as emu, engine_harness(emu, tmp_path / "db.sqlite3") as h:
        faulty = FaultyDb(h.store.db, _stores_task_id)
        h.store.db = faulty
        first = await h.submit(user=1)
        second = await h.submit(user=1)  # waits for the first one's running slot
        await h.wait_until(lambda: h.terminal(first) and h.terminal(second))
        assert faulty.raised == 1
        jobs = [await h.store.get(i) for i in (first, second)]
        assert [j.state for j in jobs] == [JobState.DELIVERED] * 2
        assert all(j.task_id for j in jobs)
        # The billed task was followed to its end, never created twice.
        assert emu.stats()["actions"][CREATE]["accepted"] == 2
        assert {j.task_id for j in jobs} == set(emu.stats()["tasks"])


async def test_database_error_storing_the_task_id_keeps_retrying(tmp_path) -> None:
    # Three failures in a row: the TaskId is kept in memory and stored once the disk is back.
    async with running_emulator() as emu, engine_harness(emu, tmp_path / "db.sqlite3") as h:
        faulty = FaultyDb(h.store.db, _stores_task_id, count=3)
        h.store.db = faulty
        job_id = await h.submit()
        await h.wait_until(lambda: h.terminal(job_id))
        job = await h.store.get(job_id)
        assert job.state is JobState.DELIVERED and job.task_id is not None
        assert faulty.raised == 3
        assert emu.stats()["actions"][CREATE]["accepted"] == 1


async def test_unexpected_error_while_submitting_fails_the_job_and_frees_its_slot(
    tmp_path,
) -> None:
    async with running_emulator() as emu, engine_harness(emu, tmp_path / "db.sqlite3") as h:
        # The move to SUBMITTING is the first state change of a job: make it fail.
        faulty = FaultyDb(h.store.db, lambda sql: sql.startswith("UPDATE jobs SET state"))
        h.store.db = faulty
        broken = await h.submit(user=1)
        after = await h.submit(user=1)
        await h.wait_until(lambda: h.terminal(broken) and h.terminal(after))
        job = await h.store.get(broken)
        assert job.state is JobState.FAILED
        assert job.error_category == ErrorCategory.INTERNAL
        assert h.of(broken, EventType.FAILED)
        assert (await h.store.get(after)).state is JobState.DELIVERED
        assert emu.stats()["actions"][CREATE]["accepted"] == 1  # nothing sent for the first


async def test_unexpected_error_while_downloading_fails_the_job_and_frees_its_slot(
    tmp_path,
) -> None:
    async with running_emulator() as emu, engine_harness(emu, tmp_path / "db.sqlite3") as h:
        h.store.db = FaultyDb(h.store.db, lambda sql: sql.startswith("DELETE FROM job_results"))
        broken = await h.submit(user=1)
        after = await h.submit(user=1)
        await h.wait_until(lambda: h.terminal(broken) and h.terminal(after))
        job = await h.store.get(broken)
        assert job.state is JobState.FAILED
        assert job.error_category == ErrorCategory.INTERNAL
        assert (await h.store.get(after)).state is JobState.DELIVERED


async def test_unwritable_results_directory_is_a_clear_failure(tmp_path) -> None:
    (tmp_path / "results").write_text("a file where the results directory should be")
    async with running_emulator() as emu, engine_harness(emu, tmp_path / "db.sqlite3") as h:
        job_id = await h.submit()
        await h.wait_until(lambda: h.terminal(job_id))
        job = await h.store.get(job_id)
        assert job.state is JobState.FAILED
        assert job.error_category == ErrorCategory.DOWNLOAD_FAILED
        assert "could not be saved" in job.error_message
        assert str(tmp_path) not in job.error_message


async def test_unexpected_error_while_polling_is_retried_then_fails_bounded(tmp_path) -> None:
    async with running_emulator() as emu, engine_harness(emu, tmp_path / "db.sqlite3") as h:
        # Once: the look is retried and the job completes.
        h.store.db = FaultyDb(h.store.db, lambda sql: "mps_final_at" in sql)
        once = await h.submit(user=1)
        await h.wait_until(lambda: h.terminal(once))
        assert (await h.store.get(once)).state is JobState.DELIVERED

        # Always: the job fails after a few tries instead of spinning.
        real = h.store.db._db
        h.store.db = FaultyDb(real, lambda sql: "mps_final_at" in sql, count=10**6)
        always = await h.submit(user=2)
        await h.wait_until(lambda: h.terminal(always))
        h.store.db = real
        job = await h.store.get(always)
        assert job.state is JobState.FAILED
        assert job.error_category == ErrorCategory.INTERNAL
        describes = emu.stats()["tasks"][job.task_id]["describe_calls"]
        assert describes <= 6


async def test_shutdown_leaves_unsent_jobs_queued(tmp_path) -> None:
    # Creates allowed at 1/s: several jobs wait for the quota when the engine closes.
    from dataclasses import replace

    from bot.config.tunables import Limits

    from .conftest import fast_tunables

    base = fast_tunables()
    tunables = replace(
        base,
        rates=replace(base.rates, create_image=1),
        limits=Limits(running_per_guild=10, running_per_user=10, queued_per_user=50),
    )
    db = tmp_path / "db.sqlite3"
    config = fast_emulator_config(image_run=(5, 5))
    async with running_emulator(config) as emu:
        async with engine_harness(emu, db, tunables) as h:
            ids = [await h.submit(user=u) for u in range(6)]
            # The first Create out (which job's it is depends on which wins the quota).
            await h.wait_until(lambda: any(h.of(i, EventType.SUBMITTED) for i in ids))
            await h.engine.close(grace=2)
            states = {i: (await h.store.get(i)).state for i in ids}
        sent = emu.stats()["actions"][CREATE]["requests"]
        assert JobState.SUBMITTING not in states.values(), states
        assert sum(s is JobState.RUNNING for s in states.values()) == sent
        assert sum(s is JobState.QUEUED for s in states.values()) == len(ids) - sent >= 3
