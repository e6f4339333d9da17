"""Cancelling a waiting batch from a process that does not run the engine."""

from __future__ import annotations

from .base import Database
from .dialect import POSTGRESQL
from .jobs import JobState


async def cancel_queued_batch(db: Database, key: int, *, now: float) -> bool:
    """Cancel a batch whose jobs all still wait, or none of it. Its rows are locked first
    (PostgreSQL), so an engine moving one of them to SUBMITTING (only ever from QUEUED)
    either goes first, and the batch is not cancelled, or finds it cancelled and sends
    nothing."""
    batch = (key, key)
    queued = JobState.QUEUED.value
    async with db.transaction() as tx:
        lock = " FOR UPDATE" if tx.dialect == POSTGRESQL else ""
        rows = await tx.fetchall(
            f"SELECT state FROM jobs WHERE id = ? OR batch_id = ?{lock}", batch
        )
        if not rows or any(row[0] != queued for row in rows):
            return False
        await tx.write(
            "UPDATE jobs SET state = ?, updated_at = ?, finished_at = ?"
            " WHERE (id = ? OR batch_id = ?) AND state = ?",
            (JobState.CANCELLED.value, now, now, *batch, queued),
        )
    return True
