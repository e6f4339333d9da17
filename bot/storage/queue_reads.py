"""The queue as the database has it, for a process that does not run the engine (a
standby of several processes on one PostgreSQL): the engine's memory is in another process.
Both read the few unfinished jobs from the partial index `jobs_unfinished`."""

from __future__ import annotations

from .base import Database
from .jobs import UNFINISHED_SQL, Job, JobState

WAITING = JobState.QUEUED.value
BUSY = (JobState.SUBMITTING.value, JobState.RUNNING.value, JobState.DOWNLOADING.value)


async def members_unfinished(db: Database, guild_id: int, user_id: int) -> list[Job]:
    """A member's batches that wait or run in a server (their first jobs), oldest first."""
    rows = await db.fetchall(
        f"SELECT * FROM jobs WHERE state IN ({UNFINISHED_SQL}) AND state IN (?, ?, ?, ?)"
        " AND guild_id = ? AND user_id = ? AND (batch_id IS NULL OR batch_id = id)"
        " ORDER BY id",
        (WAITING, *BUSY, guild_id, user_id),
    )
    return [Job.from_row(row) for row in rows]


async def server_counts(db: Database, guild_id: int) -> tuple[int, int]:
    """How many batches of a server wait, and how many run."""
    rows = await db.fetchall(
        f"SELECT state, COUNT(*) FROM jobs WHERE state IN ({UNFINISHED_SQL})"
        " AND guild_id = ? AND (batch_id IS NULL OR batch_id = id) GROUP BY state",
        (guild_id,),
    )
    counted = {row[0]: int(row[1]) for row in rows}
    return counted.get(WAITING, 0), sum(counted.get(state, 0) for state in BUSY)


async def waiting_asks(db: Database, guild_id: int, user_id: int) -> int:
    """A member's batches in a server that wait for the engine (the queue limit's count)."""
    return int(
        await db.fetchval(
            f"SELECT COUNT(*) FROM jobs WHERE state IN ({UNFINISHED_SQL}) AND state = ?"
            " AND guild_id = ? AND user_id = ? AND (batch_id IS NULL OR batch_id = id)",
            (WAITING, guild_id, user_id),
        )
    )


async def waiting_batches(db: Database) -> list[int]:
    """Every batch waiting for the engine (its key), oldest first."""
    rows = await db.fetchall(
        f"SELECT id FROM jobs WHERE state IN ({UNFINISHED_SQL}) AND state = ?"
        " AND (batch_id IS NULL OR batch_id = id) ORDER BY id",
        (WAITING,),
    )
    return [int(row[0]) for row in rows]
