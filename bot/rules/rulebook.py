"""The rulebook: limits on queued and running jobs, per server and per member.

Today the limits come from the tunables (`limits`); per-server settings, quotas and
blocks plug in here, so that the Discord front end, the CLI and the benchmark all obey
the same rules without knowing them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..config.tunables import Limits
from ..mps.models import TaskKind
from ..refusal import Refusal
from ..storage.base import Database
from .asks import Ask, Pending, QueueLimitError
from .budgets import BudgetBook
from .quotas import QuotaBook, counted_kinds
from .server_settings import UNLIMITED
from .server_settings_store import ServerSettingsStore

__all__ = ["Ask", "Check", "Pending", "QueueLimitError", "Rulebook", "RunningLimits"]


# A rule that needs to look things up; it raises a Refusal to refuse.
Check = Callable[[Ask], Awaitable[None]]


@dataclass(frozen=True)
class RunningLimits:
    per_guild: int
    per_user: int


class Rulebook:
    """`settings` (per-server choices) and `quotas` are optional: without them the rulebook
    applies the tunables' limits alone, as the CLI and the benchmark need."""

    def __init__(
        self,
        limits: Limits,
        *,
        settings: ServerSettingsStore | None = None,
        quotas: QuotaBook | None = None,
        budgets: BudgetBook | None = None,
    ) -> None:
        self.limits = limits
        self.settings = settings
        self.quotas = quotas
        self.budgets = budgets
        self._checks: list[Check] = []

    def add_check(self, check: Check) -> None:
        """Add a rule (quotas, blocks, blocked words…); checks run in the order added."""
        self._checks.append(check)

    async def load(self) -> None:
        """Read every server's settings (once, at start)."""
        if self.settings is not None:
            await self.settings.load()

    @property
    def running_total(self) -> int | None:
        """Tasks in flight for the whole account at most; None leaves it to the others."""
        return self.limits.running_total

    def running_limits(self, guild_id: int) -> RunningLimits:
        per_user = self.limits.running_per_user
        if self.settings is not None:
            per_user = self.settings.get(guild_id).running_per_user or UNLIMITED
        return RunningLimits(self.limits.running_per_guild, per_user)

    def counted_kinds(self, guild_id: int, kind: TaskKind) -> tuple[TaskKind, ...]:
        """The kinds of job whose outputs count together against `kind`'s quotas."""
        if self.settings is None:
            return counted_kinds(kind, 0)
        return counted_kinds(kind, self.settings.get(guild_id).tools_daily_per_user)

    def queued_limit(self, ask: Ask) -> int:
        if self.settings is None:
            return self.limits.queued_per_user
        return self.settings.get(ask.guild_id).queued_per_user or UNLIMITED

    async def check(self, ask: Ask, pending: Pending | None = None) -> None:
        """Rules that need to look things up (quotas, blocks); raise a Refusal to refuse.

        Called after the engine reserved the member's queue place, so concurrent asks
        cannot all pass a check that counts them; `pending` is the engine's count of
        jobs not yet accepted by MPS, taken with that reservation (this ask included)."""
        if self.settings is not None:
            server = self.settings.get(ask.guild_id)
            if not server.allows_channel(ask.channel_id):
                raise Refusal(
                    "admin.refused.channel",
                    # Channel mentions show the channel's name and ping nobody.
                    channels=", ".join(f"<#{c}>" for c in sorted(server.channels)),
                )
            video = ask.kind is TaskKind.VIDEO
            # A tool's "model" is the tool: the server's model list is about generation.
            if ask.kind is not TaskKind.TOOL and not server.allows_model(ask.model, video):
                allowed = server.video_models if video else server.models
                raise Refusal(
                    "admin.refused.model", model=ask.model, allowed=", ".join(sorted(allowed))
                )
        # Added checks (blocks, blocked words) come before quotas: a blocked member hears
        # about the block, and a blocked word is recorded even when the quota is spent.
        for check in self._checks:
            await check(ask)
        if self.quotas is not None:
            await self.quotas.check(ask, pending or Pending())
        if self.budgets is not None:
            # Other asks being admitted into the server at this moment count as well.
            others = max(0.0, (pending.cost if pending else ask.cost) - ask.cost)
            await self.budgets.check(ask, others)

    async def confirm(self, ask: Ask, db: Database) -> None:
        """The last word, inside the transaction that writes the job: the quotas, the
        cooldown and the budgets counted from the database alone (what other processes
        wrote included)."""
        if self.quotas is not None:
            await self.quotas.confirm(ask, db)
        if self.budgets is not None:
            await self.budgets.confirm(ask, db)
