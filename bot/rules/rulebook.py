"""The rulebook: limits on queued and running jobs, per server and per member.

Today the limits come from the tunables (`limits`); per-server settings, quotas and
blocks plug in here, so that the Discord front end, the CLI and the benchmark all obey
the same rules without knowing them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Limits
from ..mps.models import TaskKind


class RuleRefusal(Exception):
    """A rule refuses the request; `key` and `params` name a localised explanation."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class QueueLimitError(RuleRefusal):
    """The member already has as many queued jobs as allowed."""

    def __init__(self, limit: int) -> None:
        super().__init__("error.queue_full", limit=limit)
        self.limit = limit


@dataclass(frozen=True)
class Ask:
    """Someone asks for a job: who, where, and what kind."""

    guild_id: int
    user_id: int
    kind: TaskKind = TaskKind.IMAGE


@dataclass(frozen=True)
class RunningLimits:
    per_guild: int
    per_user: int


class Rulebook:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits

    @property
    def running_total(self) -> int | None:
        """Tasks in flight for the whole account at most; None leaves it to the others."""
        return self.limits.running_total

    def running_limits(self, guild_id: int) -> RunningLimits:
        return RunningLimits(self.limits.running_per_guild, self.limits.running_per_user)

    def queued_limit(self, ask: Ask) -> int:
        return self.limits.queued_per_user

    async def check(self, ask: Ask) -> None:
        """Rules that need to look things up (quotas, blocks); raise RuleRefusal to refuse.

        Called after the engine reserved the member's queue place, so concurrent asks
        cannot all pass a check that counts them."""
