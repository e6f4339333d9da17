"""What a member has left (/quota), and what a server generated (/usage, for its admins)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial

from ..config.tunables import Tunables
from ..mps.models import TaskKind
from ..refusal import Refusal
from ..reports.chart import ChartLabels, cjk_font_path, draw_usage_chart
from ..reports.usage import UsageReport, build_usage
from ..rules.asks import Pending
from ..rules.budgets import BudgetBook, BudgetLine
from ..rules.quotas import QuotaBook, QuotaReport
from ..text.i18n import t
from .members import Member

# What waits to be accepted by MPS for a member: (guild, user, kind) -> the engine's count.
PendingReader = Callable[[int, int, TaskKind], Pending]


class UsageService:
    def __init__(
        self,
        *,
        quotas: QuotaBook,
        tunables: Tunables,
        clock: Callable[[], float],
        pending: PendingReader | None = None,
        budgets: BudgetBook | None = None,
        engine_here: Callable[[], bool] | None = None,
    ) -> None:
        self.quotas = quotas
        self.budgets = budgets
        self.tunables = tunables
        self.clock = clock
        self._pending = pending
        # Whether the engine runs in this process (not when it is a cluster's standby).
        self._engine_here = engine_here

    async def quota(self, member: Member) -> QuotaReport:
        """The member's quotas of images and videos, and their cooldown: what MPS accepted
        and what waits for it, counted as the limits count them."""
        reader = self._pending
        pending = None
        if self._engine_here is not None and not self._engine_here():
            pending = await self.quotas.waiting(member.guild_id, member.user_id)
        elif reader is not None:
            pending = partial(reader, member.guild_id, member.user_id)
        return await self.quotas.report(member.guild_id, member.user_id, member.roles, pending)

    def require_access(self, member: Member) -> None:
        """A server's usage is for those who may manage it."""
        if not member.manage_guild:
            raise Refusal("admin.refused.manage_guild")

    async def usage(self, member: Member, days: int) -> tuple[UsageReport, list[BudgetLine], bytes]:
        """The server's usage over the last `days` local days, its budgets' standing, and
        the daily chart (PNG): images and videos stacked, the month's spend against the
        monthly budget."""
        self.require_access(member)
        report = await build_usage(
            self.quotas.usage,
            member.guild_id,
            days=days,
            timezone=self.quotas.settings.get(member.guild_id).timezone,
            models=self.tunables.models,
            now=self.clock(),
        )
        budgets = [] if self.budgets is None else await self.budgets.lines(member.guild_id)
        monthly = self.quotas.settings.get(member.guild_id).budget_monthly or None
        # The chart's font draws Latin only unless the system has a CJK font.
        locale = member.locale if cjk_font_path() or member.locale.startswith("en") else "en-US"
        labels = ChartLabels(
            images=t(locale, "budget.chart.images"),
            videos=t(locale, "budget.chart.videos"),
            spend=t(locale, "budget.chart.spend"),
            budget=t(locale, "budget.chart.budget"),
            currency=self.tunables.currency,
        )
        # Drawing is Pillow work: a worker thread keeps the event loop free.
        chart = await asyncio.to_thread(
            draw_usage_chart, report.days, budget=monthly, labels=labels
        )
        return report, budgets, chart
