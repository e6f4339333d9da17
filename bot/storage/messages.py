"""Which message shows each job: the Discord front end's own table (`job_messages`).

The front end is its only writer; the engine never reads or writes it. Jobs from before
this table existed kept the message id in their `frontend` JSON, which readers fall back on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .base import Database


@dataclass(frozen=True)
class JobMessage:
    job_id: int
    channel_id: int
    message_id: int


class JobMessages:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self._clock = clock

    async def remember(self, job_id: int, channel_id: int, message_id: int) -> None:
        await self.db.write(
            "INSERT INTO job_messages (job_id, channel_id, message_id, updated_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (job_id) DO UPDATE SET"
            " channel_id = excluded.channel_id, message_id = excluded.message_id,"
            " updated_at = excluded.updated_at",
            (job_id, channel_id, message_id, self._clock()),
        )

    async def get(self, job_id: int) -> JobMessage | None:
        found = await self.many([job_id])
        return found.get(job_id)

    async def many(self, job_ids: Iterable[int]) -> dict[int, JobMessage]:
        ids = list(job_ids)
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = await self.db.fetchall(
            f"SELECT job_id, channel_id, message_id FROM job_messages WHERE job_id IN ({marks})",
            ids,
        )
        return {r[0]: JobMessage(r[0], r[1], r[2]) for r in rows}
