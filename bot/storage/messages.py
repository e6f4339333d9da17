"""Which message shows each job: the Discord front end's own table (`job_messages`).

The front end is its only writer; the engine never reads or writes it. Jobs from before
this table existed kept the message id in their `frontend` JSON, which readers fall back on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import aiosqlite

from .sql import run


@dataclass(frozen=True)
class JobMessage:
    job_id: int
    channel_id: int
    message_id: int


class JobMessages:
    def __init__(self, db: aiosqlite.Connection, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self._clock = clock

    async def remember(self, job_id: int, channel_id: int, message_id: int) -> None:
        now = self._clock()
        # Portable upsert: update, and insert when there was nothing to update.
        cur = await run(
            self.db,
            "UPDATE job_messages SET channel_id = ?, message_id = ?, updated_at = ?"
            " WHERE job_id = ?",
            (channel_id, message_id, now, job_id),
        )
        if cur.rowcount == 0:
            await run(
                self.db,
                "INSERT INTO job_messages (job_id, channel_id, message_id, updated_at)"
                " VALUES (?, ?, ?, ?)",
                (job_id, channel_id, message_id, now),
            )

    async def get(self, job_id: int) -> JobMessage | None:
        found = await self.many([job_id])
        return found.get(job_id)

    async def many(self, job_ids: Iterable[int]) -> dict[int, JobMessage]:
        ids = list(job_ids)
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        async with self.db.execute(
            f"SELECT job_id, channel_id, message_id FROM job_messages WHERE job_id IN ({marks})",
            ids,
        ) as cur:
            rows = await cur.fetchall()
        return {r[0]: JobMessage(r[0], r[1], r[2]) for r in rows}
