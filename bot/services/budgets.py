"""Money budgets, for every front end: set by a server's admins, their standing for
`/usage`, and the 80 % warnings waiting to be posted (the front end posts them)."""

from __future__ import annotations

import time
from collections.abc import Callable

from ..rules.budgets import BudgetLine
from ..rules.server_settings import ServerSettings, ServerSettingsReader
from ..storage.budget_alerts import BudgetAlert, BudgetAlertStore
from .admin import ServerAdmin
from .members import Member
from .spending import AdmittedListener, Spending

BUDGET_SETTINGS = ("budget_monthly", "budget_daily", "budget_fallback")


class BudgetService:
    def __init__(
        self,
        *,
        admin: ServerAdmin,
        spending: Spending,
        alerts: BudgetAlertStore,
        settings: ServerSettingsReader,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.admin = admin
        self.spending = spending
        self.alerts = alerts
        self.settings = settings
        self._clock = clock

    async def set_budget(
        self, member: Member, monthly: float, daily: float | None, fallback: str | None
    ) -> ServerSettings:
        """The server's whole budget at once: `monthly`, and `daily` and `fallback` (left
        out: none). `monthly` 0 removes every budget, and the fallback with them."""
        if monthly == 0:
            return await self.admin.change(member, dict.fromkeys(BUDGET_SETTINGS))
        return await self.admin.change(
            member,
            {
                "budget_monthly": monthly,
                "budget_daily": daily or None,
                "budget_fallback": fallback or None,
            },
        )

    async def standing(self, guild_id: int) -> list[BudgetLine]:
        """Each budget the server set, with what is spent against it."""
        budgets = self.spending.budgets
        return [] if budgets is None else await budgets.lines(guild_id)

    def on_admitted(self, listener: AdmittedListener) -> None:
        """`listener(guild_id)` after jobs were admitted in a server."""
        self.spending.add_listener(listener)

    async def claim_alerts(self, guild_id: int | None = None) -> list[BudgetAlert]:
        """The 80 % warnings to post now (each once, whatever restarts come)."""
        return await self.alerts.claim(self._clock(), guild_id)

    async def give_back(self, alert: BudgetAlert) -> None:
        """A warning that could not be posted: tried again at the next start."""
        await self.alerts.give_back(alert)

    def log_channel(self, guild_id: int) -> int | None:
        return self.settings.get(guild_id).log_channel_id
