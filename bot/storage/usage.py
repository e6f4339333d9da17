"""Read-only questions about the jobs table for quotas and usage reports.

The engine is the jobs table's one writer; this module only reads it. A job counts once
MPS accepted its Create, that is once it has a `submitted_at`, for as many outputs as its
task makes (`units`).
"""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from ..mps.models import TaskKind


@dataclass(frozen=True)
class AcceptedJob:
    submitted_at: float
    kind: TaskKind
    model: str
    user_id: int
    state: str
    error_category: str | None
    outputs: int  # images (or videos) the task billed


class UsageReader:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self.db = db

    async def count_accepted(
        self,
        guild_id: int,
        kind: TaskKind,
        since: float,
        until: float,
        user_id: int | None = None,
    ) -> int:
        """Outputs (images or videos) of `kind` whose Create MPS accepted in [since, until)."""
        sql = (
            "SELECT COALESCE(SUM(units), 0) FROM jobs WHERE guild_id = ? AND kind = ?"
            " AND submitted_at IS NOT NULL AND submitted_at >= ? AND submitted_at < ?"
        )
        args: list[object] = [guild_id, kind.value, since, until]
        if user_id is not None:
            sql = sql.replace("guild_id = ?", "guild_id = ? AND user_id = ?")
            args.insert(1, user_id)
        async with self.db.execute(sql, args) as cur:
            row = await cur.fetchone()
        return int(row[0])

    async def last_asked(self, guild_id: int, user_id: int) -> float | None:
        """When the member's latest job in the server was written (queued), if any."""
        async with self.db.execute(
            "SELECT created_at FROM jobs WHERE guild_id = ? AND user_id = ? ORDER BY id DESC"
            " LIMIT 1",
            (guild_id, user_id),
        ) as cur:
            row = await cur.fetchone()
        return None if row is None else float(row[0])

    async def accepted(self, guild_id: int, since: float, until: float) -> list[AcceptedJob]:
        """Every accepted job of a server in [since, until), oldest first."""
        async with self.db.execute(
            "SELECT submitted_at, kind, model, user_id, state, error_category, units FROM jobs"
            " WHERE guild_id = ? AND submitted_at IS NOT NULL"
            " AND submitted_at >= ? AND submitted_at < ? ORDER BY submitted_at",
            (guild_id, since, until),
        ) as cur:
            rows = await cur.fetchall()
        return [AcceptedJob(r[0], TaskKind(r[1]), r[2], r[3], r[4], r[5], r[6]) for r in rows]

    async def failures(self, guild_id: int, since: float, until: float) -> dict[str, int]:
        """Failed jobs of a server asked in [since, until), by error category."""
        async with self.db.execute(
            "SELECT COALESCE(error_category, 'unknown'), COUNT(*) FROM jobs"
            " WHERE guild_id = ? AND state = 'failed' AND created_at >= ? AND created_at < ?"
            " GROUP BY 1",
            (guild_id, since, until),
        ) as cur:
            return {r[0]: int(r[1]) for r in await cur.fetchall()}
