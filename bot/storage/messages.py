"""Which message shows each job, and whether its ending was shown: the Discord front end's
own tables (`job_messages`, `job_notices`).

The front end is their only writer; the engine never reads or writes them. Jobs from before
`job_messages` existed kept the message id in their `frontend` JSON, which readers fall
back on.
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

    # -- endings shown -----------------------------------------------------------------------

    async def shown(self, job_id: int) -> None:
        """The member was shown how the job (a batch: its first job) ended."""
        await self.db.write(
            "INSERT INTO job_notices (job_id, shown_at) VALUES (?, ?)"
            " ON CONFLICT (job_id) DO NOTHING",
            (job_id, self._clock()),
        )

    async def unshown_failures(self, since: float) -> list[int]:
        """Batches (their first job's id) that failed after `since` and were never shown
        to their member: the process stopped between the ending and the notice, or the
        job ended while the bot started (a Create cut off by a stop)."""
        rows = await self.db.fetchall(
            "SELECT j.id FROM jobs j WHERE j.state = 'failed' AND j.finished_at >= ?"
            " AND (j.batch_id IS NULL OR j.batch_id = j.id)"
            " AND NOT EXISTS (SELECT 1 FROM job_notices n WHERE n.job_id = j.id)"
            " ORDER BY j.id",
            (since,),
        )
        return [r[0] for r in rows]
