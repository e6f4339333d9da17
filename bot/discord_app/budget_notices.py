"""Post each budget's 80 % warning: to the moderation log channel, or without one, to the
server's owner by direct message. Once per budget and period: a warning is claimed in
the database before it is posted, so a restart never posts it twice; one Discord would
not take is given back and tried again at the next start."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import discord

from ..config.prices import money
from ..engine.tasks import OwnedTasks
from ..services.budgets import BudgetService
from ..storage.budget_alerts import BudgetAlert
from ..text.i18n import t
from .delivery import CONNECTION_ERRORS, transient
from .messenger import ChannelOpener
from .mod_actions import DmOpener

log = logging.getLogger(__name__)

RETRY_DELAYS = (2.0, 10.0, 30.0)
NAMES = {"daily": "budget.name.daily", "monthly": "budget.name.monthly"}


class BudgetNotices:
    def __init__(
        self,
        *,
        budgets: BudgetService,
        currency: str,
        channels: ChannelOpener,
        dm: DmOpener,
        guild_owner: Callable[[int], int | None],
        guild_locale: Callable[[int], str],
        ready: Callable[[], Awaitable[None]],
    ) -> None:
        self.budgets = budgets
        self._ready = ready
        self.currency = currency
        self._channels = channels
        self._dm = dm
        self._owner = guild_owner
        self._guild_locale = guild_locale
        self._tasks = OwnedTasks("budget-notices")
        self._lock = asyncio.Lock()

    def start(self) -> None:
        self.budgets.on_admitted(self._on_admitted)
        # Warnings written before a stop and never posted, once the servers (and so their
        # owners) are known.
        self._tasks.spawn(self._after_ready(), "budget-notices-start")

    async def close(self) -> None:
        await self._tasks.cancel()

    async def _after_ready(self) -> None:
        await self._ready()
        await self.post_due(None)

    def _on_admitted(self, guild_id: int) -> None:
        self._tasks.spawn(self.post_due(guild_id), f"budget-notices-{guild_id}")

    async def post_due(self, guild_id: int | None) -> None:
        async with self._lock:
            for alert in await self.budgets.claim_alerts(guild_id):
                if not await self._post(alert):
                    await asyncio.shield(self.budgets.give_back(alert))

    def text(self, alert: BudgetAlert) -> str:
        locale = self._guild_locale(alert.guild_id)
        return t(
            locale,
            "budget.alert",
            budget=t(locale, NAMES[alert.budget]),
            percent=int(100 * alert.spent / alert.amount) if alert.amount else 100,
            spent=money(alert.spent, self.currency),
            amount=money(alert.amount, self.currency),
            reset=int(alert.period_end),
        )

    async def _post(self, alert: BudgetAlert) -> bool:
        channel_id = self.budgets.log_channel(alert.guild_id)
        for delay in (*RETRY_DELAYS, None):
            try:
                if channel_id is not None:
                    target = self._channels(channel_id, alert.guild_id)
                else:
                    owner = self._owner(alert.guild_id)
                    if owner is None:
                        return False
                    target = await self._dm(owner)
                await target.send(self.text(alert), allowed_mentions=discord.AllowedMentions.none())
                return True
            except (discord.HTTPException, *CONNECTION_ERRORS) as exc:
                if delay is None or not transient(exc):
                    log.warning("server %d: budget warning not posted: %r", alert.guild_id, exc)
                    return False
                await asyncio.sleep(delay)
        return False
