"""The 80 % warnings of money budgets: one row per server, budget and period.

Written in the transaction that admits the job crossing 80 % (so a warning exists exactly
when that job does), claimed before it is posted (so no restart posts it twice), and
given back when the post could not be made, to be tried again at the next start.
"""

from __future__ import annotations

from dataclasses import dataclass

from .base import Database


@dataclass(frozen=True)
class BudgetAlert:
    guild_id: int
    budget: str  # "daily" or "monthly"
    period_start: float
    period_end: float
    amount: float
    spent: float  # when it was written, the crossing job included


class BudgetAlertStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    async def add(db: Database, alert: BudgetAlert, now: float) -> None:
        """Once per budget and period: a second crossing (after a budget was raised and
        crossed again, say) writes nothing."""
        await db.write(
            "INSERT INTO budget_alerts (guild_id, budget, period_start, period_end, amount,"
            " spent, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (guild_id, budget, period_start) DO NOTHING",
            (
                alert.guild_id,
                alert.budget,
                alert.period_start,
                alert.period_end,
                alert.amount,
                alert.spent,
                now,
            ),
        )

    async def claim(self, now: float, guild_id: int | None = None) -> list[BudgetAlert]:
        """The warnings not posted yet of periods not over (of one server, or all), each
        marked as being posted; one that another caller claimed first is left to it."""
        sql = "SELECT * FROM budget_alerts WHERE posted_at IS NULL AND period_end > ?"
        args: tuple[object, ...] = (now,)
        if guild_id is not None:
            sql += " AND guild_id = ?"
            args = (now, guild_id)
        claimed = []
        for row in await self.db.fetchall(sql + " ORDER BY created_at", args):
            alert = BudgetAlert(
                row["guild_id"],
                row["budget"],
                row["period_start"],
                row["period_end"],
                row["amount"],
                row["spent"],
            )
            if await self.db.write(
                "UPDATE budget_alerts SET posted_at = ? WHERE guild_id = ? AND budget = ?"
                " AND period_start = ? AND posted_at IS NULL",
                (now, alert.guild_id, alert.budget, alert.period_start),
            ):
                claimed.append(alert)
        return claimed

    async def give_back(self, alert: BudgetAlert) -> None:
        """A warning that could not be posted, to be tried again at the next start."""
        await self.db.write(
            "UPDATE budget_alerts SET posted_at = NULL WHERE guild_id = ? AND budget = ?"
            " AND period_start = ?",
            (alert.guild_id, alert.budget, alert.period_start),
        )
