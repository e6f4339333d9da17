"""A billed task's TaskId is stored the moment its Create is answered, not behind the
statements queued before it: on SQLite it passes the shared connection's gate first, on
PostgreSQL it has a connection of its own. (The chaos run measures what is left of the
window: `python -m bench.chaos`.)"""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from bot.storage.jobs import JobState

from .conftest import engine_harness, fast_emulator_config, running_emulator

CREATE = "CreateAigcImageTask"
# A read that keeps the connection busy for a while (a few hundred ms).
SLOW_READ = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)"
    " SELECT COUNT(*) FROM n"
)


def stored_task_id(path, job_id: int) -> tuple[str | None, str]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT task_id, state FROM jobs WHERE id = ?", (job_id,)).fetchone()


async def test_the_task_id_goes_ahead_of_the_statements_queued_before_it(tmp_path) -> None:
    path = tmp_path / "db.sqlite3"
    async with (
        running_emulator(fast_emulator_config()) as emu,
        engine_harness(emu, path) as h,
    ):
        db = h.store.db
        if db.dialect != "sqlite":
            pytest.skip("SQLite's shared connection; PostgreSQL's own connection is tested apart")
        # The Create's answer is held 0.5 s: long enough to queue statements before it.
        emu.inject_fault("slow", CREATE, delay=0.5)
        job_id = await h.submit(prompt="a harbour at dawn")
        async with asyncio.timeout(10):
            while not emu.stats()["tasks"]:  # noqa: ASYNC110 - the emulator's own record
                await asyncio.sleep(0.01)
        (task_id,) = emu.stats()["tasks"]
        finished: list[int] = []

        async def slow_read(n: int) -> None:
            await db.fetchval(SLOW_READ)
            finished.append(n)

        async with db._gate:  # a statement in progress, and twenty queued behind it
            reads = [asyncio.create_task(slow_read(n)) for n in range(20)]
            async with asyncio.timeout(10):
                while db._gate.waiting != (1, 20):  # noqa: ASYNC110 - the gate's own queue
                    await asyncio.sleep(0.01)
        async with asyncio.timeout(30):
            # Another connection's view of the file: there is nothing to await but it.
            while (found := await asyncio.to_thread(stored_task_id, path, job_id))[0] is None:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        assert found == (task_id, JobState.RUNNING)
        # Stored before the queue ahead of it ran (it waits behind none of them).
        assert len(finished) < 10
        await asyncio.gather(*reads)
        await h.wait_until(lambda: h.terminal(job_id))
        assert (await h.store.get(job_id)).state is JobState.DELIVERED


async def test_write_now_commits_at_once_on_both_databases(tmp_path) -> None:
    async with (
        running_emulator(fast_emulator_config()) as emu,
        engine_harness(emu, tmp_path / "db.sqlite3") as h,
    ):
        job_id = await h.submit(prompt="a lighthouse")
        await h.wait_until(lambda: h.terminal(job_id))
        db = h.store.db
        changed = await db.write_now(
            "UPDATE jobs SET error_message = ? WHERE id = ?", ("noted", job_id)
        )
        assert changed == 1
        assert await db.fetchval("SELECT error_message FROM jobs WHERE id = ?", (job_id,)) == (
            "noted"
        )
