"""The rulebook: limits on queued and running jobs, per server and per member.

Today the limits come from the tunables (`limits`); per-server settings, quotas and
blocks plug in here, so that the Discord front end, the CLI and the benchmark all obey
the same rules without knowing them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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
    """Someone asks for a job: who, where, what kind, and with what words.

    Front ends fill in what they know; `roles` are the member's role ids (a Discord idea,
    but to the rules just groups a member belongs to), `channel_id` where it was asked."""

    guild_id: int
    user_id: int
    kind: TaskKind = TaskKind.IMAGE
    model: str | None = None
    prompt: str | None = None
    negative_prompt: str | None = None
    channel_id: int | None = None
    roles: tuple[int, ...] = ()


# A rule that needs to look things up; it raises RuleRefusal to refuse.
Check = Callable[[Ask], Awaitable[None]]


@dataclass(frozen=True)
class RunningLimits:
    per_guild: int
    per_user: int


class Rulebook:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._checks: list[Check] = []

    def add_check(self, check: Check) -> None:
        """Add a rule (quotas, blocks, blocked words…); checks run in the order added."""
        self._checks.append(check)

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
        for check in self._checks:
            await check(ask)
