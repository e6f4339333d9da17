"""Read-only questions about the jobs table for quotas and usage reports.

The engine is the jobs table's one writer; this module only reads it. A job counts once
MPS accepted its Create, that is once it has a `submitted_at`; it counts `units` (the
images or videos its task makes). Usage is summed in the database, from one covering index
(`jobs_usage*`), so a year of a busy server is a few small answers, not every job.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from ..mps.models import TaskKind
from .base import Database

_DOUBLE = "DOUBLE PRECISION"
# Accepted by MPS and not reported failed by it: what the bill counts (index `jobs_spend`).
_BILLED = " AND submitted_at IS NOT NULL AND (mps_status IS NULL OR mps_status <> 'FAIL')"


@dataclass(frozen=True)
class Totals:
    """A server's accepted units over a period."""

    by_model: dict[tuple[TaskKind, str], int]
    top_users: list[tuple[int, int]]  # (user id, units), most first


class UsageReader:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def count_accepted(
        self,
        guild_id: int,
        kind: TaskKind | Sequence[TaskKind],
        since: float,
        until: float,
        user_id: int | None = None,
    ) -> int:
        """Outputs (images, videos, tool uses) of `kind` (or of several kinds counted
        together) whose Create MPS accepted in [since, until)."""
        kinds = _values(kind)
        sql = (
            "SELECT CAST(COALESCE(SUM(units), 0) AS BIGINT) FROM jobs"
            f" WHERE guild_id = ? AND kind IN ({','.join('?' * len(kinds))})"
            " AND submitted_at IS NOT NULL AND submitted_at >= ? AND submitted_at < ?"
        )
        args: list[object] = [guild_id, *kinds, since, until]
        if user_id is not None:
            sql = sql.replace("guild_id = ?", "guild_id = ? AND user_id = ?")
            args.insert(1, user_id)
        return int(await self.db.fetchval(sql, args))

    async def unaccepted(self, guild_id: int, kind: TaskKind | Sequence[TaskKind]) -> Counter[int]:
        """Outputs of `kind` (or kinds) written but not accepted by MPS yet (queued, being
        submitted), per member: they will count once accepted."""
        kinds = _values(kind)
        rows = await self.db.fetchall(
            "SELECT user_id, CAST(SUM(units) AS BIGINT) FROM jobs WHERE guild_id = ?"
            f" AND kind IN ({','.join('?' * len(kinds))})"
            " AND submitted_at IS NULL AND state IN ('queued', 'submitting') GROUP BY user_id",
            (guild_id, *kinds),
        )
        return Counter({int(r[0]): int(r[1]) for r in rows})

    async def last_asked(self, guild_id: int, user_id: int) -> float | None:
        """When the member's latest job in the server was written (queued), if any."""
        last = await self.db.fetchval(
            "SELECT created_at FROM jobs WHERE guild_id = ? AND user_id = ? ORDER BY id DESC"
            " LIMIT 1",
            (guild_id, user_id),
        )
        return None if last is None else float(last)

    async def units_per_day(
        self, guild_id: int, kind: TaskKind, bounds: Sequence[float]
    ) -> list[int]:
        """Units accepted per day, the days being [bounds[i], bounds[i + 1]) (local days of
        the server's zone, DST included, cut by the caller). One indexed range sum per day:
        no row leaves the database, and nothing is sorted."""
        # The days as a table of literal numbers (made here, from floats: nothing to quote).
        days = ", ".join(
            f"({i}, CAST({float(a)!r} AS {_DOUBLE}), CAST({float(b)!r} AS {_DOUBLE}))"
            for i, (a, b) in enumerate(pairwise(bounds))
        )
        rows = await self.db.fetchall(
            f"WITH days (i, since, until) AS (VALUES {days})"
            " SELECT i, (SELECT CAST(COALESCE(SUM(units), 0) AS BIGINT) FROM jobs"
            " WHERE guild_id = ? AND kind = ? AND submitted_at IS NOT NULL"
            " AND submitted_at >= days.since AND submitted_at < days.until)"
            " FROM days ORDER BY i",
            (guild_id, kind.value),
        )
        return [int(r[1]) for r in rows]

    async def totals(self, guild_id: int, since: float, until: float, top: int = 5) -> Totals:
        """Units accepted in [since, until) per kind and model, and the top members."""
        # `+submitted_at`: the period filters the rows but picks no index, so both
        # planners read the index already in GROUP BY order (jobs_usage_models,
        # jobs_usage_members) instead of the period's range, sorting a third of a million
        # rows. SQLite's statistics cannot tell that one server holds a third of the table.
        window = (
            " WHERE guild_id = ? AND kind IN ('image', 'video') AND submitted_at IS NOT NULL"
            " AND +submitted_at >= ? AND +submitted_at < ?"
        )
        args = (guild_id, since, until)
        models = await self.db.fetchall(
            f"SELECT kind, model, CAST(SUM(units) AS BIGINT) FROM jobs{window}"
            " GROUP BY kind, model",
            args,
        )
        users = await self.db.fetchall(
            f"SELECT user_id, CAST(SUM(units) AS BIGINT) AS n FROM jobs{window}"
            " GROUP BY user_id ORDER BY n DESC, user_id LIMIT ?",
            (*args, top),
        )
        return Totals(
            by_model={(TaskKind(r[0]), r[1]): int(r[2]) for r in models},
            top_users=[(int(r[0]), int(r[1])) for r in users],
        )

    async def failures(self, guild_id: int, since: float, until: float) -> dict[str, int]:
        """Failed jobs of a server asked in [since, until), by error category."""
        rows = await self.db.fetchall(
            "SELECT COALESCE(error_category, 'unknown'), COUNT(*) FROM jobs"
            " WHERE guild_id = ? AND state = 'failed' AND created_at >= ? AND created_at < ?"
            " GROUP BY 1",
            (guild_id, since, until),
        )
        return {r[0]: int(r[1]) for r in rows}

    # -- money: the estimated cost stored with each job at admission -----------------------

    async def spend(
        self, guild_id: int, periods: Sequence[tuple[float, float]]
    ) -> tuple[float, list[float]]:
        """In one round trip: the estimated cost of the server's jobs written and not
        accepted by MPS yet (what they will add once accepted), and over each period the
        estimated cost of its tasks MPS accepted then; a task MPS reported failed made
        nothing, and is not billed."""
        billed = (
            f"(SELECT CAST(COALESCE(SUM(cost), 0) AS {_DOUBLE}) FROM jobs"
            f" WHERE guild_id = ?{_BILLED} AND submitted_at >= ? AND submitted_at < ?)"
        )
        waiting = (
            f"(SELECT CAST(COALESCE(SUM(cost), 0) AS {_DOUBLE}) FROM jobs WHERE guild_id = ?"
            " AND submitted_at IS NULL AND state IN ('queued', 'submitting'))"
        )
        args: list[object] = [guild_id]
        for since, until in periods:
            args += [guild_id, since, until]
        row = await self.db.fetchone(
            "SELECT " + ", ".join([waiting, *[billed] * len(periods)]), args
        )
        assert row is not None
        return float(row[0]), [float(row[i + 1]) for i in range(len(periods))]

    async def spent_per_day(self, guild_id: int, bounds: Sequence[float]) -> list[float]:
        """`spent` per day, the days cut by the caller as for `units_per_day`."""
        days = ", ".join(
            f"({i}, CAST({float(a)!r} AS {_DOUBLE}), CAST({float(b)!r} AS {_DOUBLE}))"
            for i, (a, b) in enumerate(pairwise(bounds))
        )
        rows = await self.db.fetchall(
            f"WITH days (i, since, until) AS (VALUES {days})"
            f" SELECT i, (SELECT CAST(COALESCE(SUM(cost), 0) AS {_DOUBLE}) FROM jobs"
            f" WHERE guild_id = ?{_BILLED}"
            " AND submitted_at >= days.since AND submitted_at < days.until)"
            " FROM days ORDER BY i",
            (guild_id,),
        )
        return [float(r[1]) for r in rows]


def _values(kind: TaskKind | Sequence[TaskKind]) -> list[str]:
    return [kind.value] if isinstance(kind, TaskKind) else [k.value for k in kind]
