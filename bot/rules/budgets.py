"""Money budgets: a server's estimated spend against its daily and monthly budgets.

Spend is the estimated cost stored with each job at admission (`jobs.cost`, from the
price list), summed by the database: the tasks MPS accepted in the period (and did not
report failed), plus the jobs written and not accepted yet, which will be. An ask that
would take the spend past a budget is refused for free, unless it is asked on the
server's fallback model (the service switches it there), which budgets never refuse. The
last word is `confirm`, inside the transaction that writes the jobs under the server's
admission lock, so two asks at once cannot together pass a budget; it also writes the
80 % warning of the period, once, with the job that crosses it.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..config.prices import money
from ..refusal import Refusal
from ..storage.base import Database
from ..storage.budget_alerts import BudgetAlert, BudgetAlertStore
from ..storage.usage import UsageReader
from .asks import Ask
from .server_settings_store import ServerSettingsStore
from .windows import day_window, month_window

WARN_AT = 0.8
# Amounts are kept to the cent; a hair over (float sums) is not over.
EPSILON = 1e-6
REFUSALS = {"daily": "budget.refused.daily", "monthly": "budget.refused.monthly"}


@dataclass(frozen=True)
class BudgetLine:
    name: str  # "daily" or "monthly"
    amount: float
    spent: float  # accepted in the period, plus written and waiting to be accepted
    start: float
    resets_at: float

    def passed_by(self, cost: float) -> bool:
        return self.spent + cost > self.amount + EPSILON


class BudgetBook:
    def __init__(
        self,
        settings: ServerSettingsStore,
        usage: UsageReader,
        *,
        currency: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.usage = usage
        self.currency = currency
        self._clock = clock

    async def lines(self, guild_id: int, usage: UsageReader | None = None) -> list[BudgetLine]:
        """The server's budgets (those set), each with what is spent against it."""
        usage = usage or self.usage
        server = self.settings.get(guild_id)
        budgets = [
            (name, amount, window(self._clock(), server.timezone))
            for name, amount, window in (
                ("daily", server.budget_daily, day_window),
                ("monthly", server.budget_monthly, month_window),
            )
            if amount > 0
        ]
        if not budgets:
            return []
        periods = [(period.start, period.end) for _, _, period in budgets]
        waiting, spent = await usage.spend(guild_id, periods)
        return [
            BudgetLine(name, amount, billed + waiting, period.start, period.end)
            for (name, amount, period), billed in zip(budgets, spent, strict=True)
        ]

    async def passed(
        self, guild_id: int, cost: float, usage: UsageReader | None = None
    ) -> BudgetLine | None:
        """The first budget an ask costing `cost` would take past its amount, if any."""
        for line in await self.lines(guild_id, usage):
            if line.passed_by(cost):
                return line
        return None

    def refusal(self, line: BudgetLine, cost: float) -> Refusal:
        return Refusal(
            REFUSALS[line.name],
            spent=money(line.spent, self.currency),
            amount=money(line.amount, self.currency),
            cost=money(cost, self.currency),
            reset=int(line.resets_at),
        )

    async def check(self, ask: Ask, others: float = 0.0) -> None:
        """Refuse an ask that would take the server past a budget (not one on its
        fallback model, which budgets let through); `others`: the cost of the server's
        other asks being admitted right now, not written yet."""
        if ask.cost <= 0 or ask.fallback:
            return
        line = await self.passed(ask.guild_id, ask.cost + others)
        if line is not None:
            # Asks still being checked may be refused themselves: they never make the spend
            # shown pass the budget (what is written may, through the fallback).
            shown = min(line.spent + others, max(line.spent, line.amount))
            raise self.refusal(dataclasses.replace(line, spent=shown), ask.cost)

    async def confirm(self, ask: Ask, db: Database) -> None:
        """`check` counted from `db` (the admission's transaction), then the 80 % warning
        of each budget this ask reaches, written with it."""
        if ask.cost <= 0:
            return
        lines = await self.lines(ask.guild_id, UsageReader(db))
        for line in lines:
            if not ask.fallback and line.passed_by(ask.cost):
                raise self.refusal(line, ask.cost)
        for line in lines:
            after = line.spent + ask.cost
            if after + EPSILON >= WARN_AT * line.amount:
                alert = BudgetAlert(
                    ask.guild_id, line.name, line.start, line.resets_at, line.amount, after
                )
                await BudgetAlertStore.add(db, alert, self._clock())
