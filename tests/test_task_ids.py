"""A billed task's TaskId is stored the moment its Create is answered: on the database's
own connection for it, not behind the statements queued on the shared one. (The chaos
run measures what is left of the window: `python -m bench.chaos`.)"""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from bot.storage.jobs import JobState

from .conftest import engine_harness, fast_emulator_config, running_emulator

CREATE = "CreateAigcImageTask"


def stored_task_id(path, job_id: int) -> tuple[str | None, str]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT task_id, state FROM jobs WHERE id = ?", (job_id,)).fetchone()


async def test_the_task_id_is_stored_while_the_shared_connection_is_held(tmp_path) -> None:
    path = tmp_path / "db.sqlite3"
    async with (
        running_emulator(fast_emulator_config()) as emu,
        engine_harness(emu, path) as h,
    ):
        db = h.store.db
        if db.dialect != "sqlite":
            pytest.skip("holds SQLite's shared connection; PostgreSQL's own is tested apart")
        # The Create's answer is held 0.5 s: long enough to take the shared connection.
        emu.inject_fault("slow", CREATE, delay=0.5)
        job_id = await h.submit(prompt="a harbour at dawn")
        async with asyncio.timeout(10):
            while not emu.stats()["tasks"]:  # noqa: ASYNC110 - the emulator's own record
                await asyncio.sleep(0.01)
        (task_id,) = emu.stats()["tasks"]
        # Every ordinary statement now waits (as behind a long queue of them).
        async with db._gate:
            async with asyncio.timeout(10):
                # Another connection's writes: there is nothing to await but the file.
                while (found := await asyncio.to_thread(stored_task_id, path, job_id))[0] is None:  # noqa: ASYNC110
                    await asyncio.sleep(0.02)
            assert found == (task_id, JobState.RUNNING)
        await h.wait_until(lambda: h.terminal(job_id))
        assert (await h.store.get(job_id)).state is JobState.DELIVERED


async def test_write_now_commits_on_its_own_connection_on_both_databases(tmp_path) -> None:
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
        assert getattr(db, "_urgent", None) is not None  # its own connection, not the shared
