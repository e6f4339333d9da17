"""Daily and monthly quotas and the cooldown, per server and per member.

Limits count outputs, images or videos: a job counts once MPS accepted its Create (the jobs
table says so with `submitted_at`), for the outputs its task bills (`units`).
Jobs asked but not accepted yet, and asks still being checked, come from the engine as a
`Pending` snapshot taken before any `await`; counting both means concurrent asks cannot
together exceed a limit, and a job cancelled or refused before its Create stops counting
by itself (it leaves the engine and never gets a `submitted_at`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ..mps.models import TaskKind
from ..refusal import Refusal
from ..storage.base import Database
from ..storage.usage import UsageReader
from .asks import Ask, Pending
from .server_settings import ServerSettings
from .server_settings_store import ServerSettingsStore
from .windows import Window, day_window, month_window


@dataclass(frozen=True)
class QuotaLine:
    """One limit as it stands for a member: `limit` 0 means no limit."""

    name: str  # e.g. "daily_per_user"
    used: int
    limit: int
    resets_at: float
    source: str  # "server", "default", "role" or "user"

    @property
    def left(self) -> int | None:
        return None if self.limit == 0 else max(0, self.limit - self.used)


@dataclass(frozen=True)
class QuotaReport:
    lines: tuple[QuotaLine, ...]
    cooldown_left: float  # seconds, 0 when none
    cooldown_seconds: int


@dataclass(frozen=True)
class Quota:
    """A limit of the server's settings that counts accepted jobs over a window."""

    name: str  # the setting
    per_user: bool
    monthly: bool


# Which limits bind which kind of job.
_LIMITS: dict[TaskKind, tuple[Quota, ...]] = {
    TaskKind.IMAGE: (
        Quota("daily_per_user", True, False),
        Quota("daily_server", False, False),
        Quota("monthly_server", False, True),
    ),
    TaskKind.VIDEO: (
        Quota("daily_video_per_user", True, False),
        Quota("daily_video_server", False, False),
        Quota("monthly_video_server", False, True),
    ),
}
# A server that sets a limit for the image tools counts their uses apart, against it alone;
# otherwise each use counts as one image, against the image limits.
TOOL_LIMIT = "tools_daily_per_user"
_TOOL_LIMITS = (Quota(TOOL_LIMIT, True, False),)


def counted_kinds(kind: TaskKind, tool_limit: int) -> tuple[TaskKind, ...]:
    """The kinds of job whose outputs count together against the limits `kind` obeys."""
    if kind is TaskKind.VIDEO:
        return (TaskKind.VIDEO,)
    if tool_limit:
        return (kind,)
    return (TaskKind.IMAGE, TaskKind.TOOL)


def _limits_of(kind: TaskKind, tool_limit: int) -> tuple[Quota, ...]:
    if kind is TaskKind.TOOL:
        return _TOOL_LIMITS if tool_limit else _LIMITS[TaskKind.IMAGE]
    return _LIMITS[kind]


# What a member is told when an ask would go past a limit.
REFUSALS = {
    "daily_per_user": "admin.refused.daily_per_user",
    "daily_server": "admin.refused.daily_server",
    "monthly_server": "admin.refused.monthly_server",
    "daily_video_per_user": "admin.refused.daily_video_per_user",
    "daily_video_server": "admin.refused.daily_video_server",
    "monthly_video_server": "admin.refused.monthly_video_server",
    TOOL_LIMIT: "admin.refused.tools_daily_per_user",
}


class QuotaBook:
    def __init__(
        self,
        settings: ServerSettingsStore,
        usage: UsageReader,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.usage = usage
        self._clock = clock

    def kinds(self, guild_id: int, kind: TaskKind) -> tuple[TaskKind, ...]:
        """The kinds counted together with `kind` in this server (see `counted_kinds`)."""
        return counted_kinds(kind, self.settings.get(guild_id).tools_daily_per_user)

    def _limit(self, server: ServerSettings, name: str, ask: Ask) -> tuple[int, str]:
        if name == "daily_per_user":
            return server.member_daily_limit(ask.user_id, ask.roles)
        return server.value(name), server.source(name)

    async def lines(
        self,
        ask: Ask,
        pending: Pending | None = None,
        *,
        only_limited: bool = False,
        usage: UsageReader | None = None,
    ) -> list[QuotaLine]:
        """Every quota of the ask's kind: accepted in the window, plus `pending`."""
        usage = usage or self.usage
        server = self.settings.get(ask.guild_id)
        now = self._clock()
        out = []
        kinds = counted_kinds(ask.kind, server.tools_daily_per_user)
        for quota in _limits_of(ask.kind, server.tools_daily_per_user):
            limit, source = self._limit(server, quota.name, ask)
            if only_limited and limit == 0:
                continue
            window: Window = (month_window if quota.monthly else day_window)(now, server.timezone)
            used = await usage.count_accepted(
                ask.guild_id,
                kinds,
                window.start,
                window.end,
                user_id=ask.user_id if quota.per_user else None,
            )
            if pending is not None:
                used += pending.user if quota.per_user else pending.guild
            out.append(QuotaLine(quota.name, used, limit, window.end, source))
        return out

    async def cooldown_left(
        self, ask: Ask, pending: Pending | None = None, usage: UsageReader | None = None
    ) -> float:
        seconds = self.settings.get(ask.guild_id).cooldown_seconds
        if seconds == 0:
            return 0.0
        now = self._clock()
        if pending is not None and pending.user_reserved > 1:
            return float(seconds)  # another ask of the member is being admitted right now
        last = await (usage or self.usage).last_asked(ask.guild_id, ask.user_id)
        return 0.0 if last is None else max(0.0, last + seconds - now)

    async def check(self, ask: Ask, pending: Pending, usage: UsageReader | None = None) -> None:
        """Refuse when this ask would take a member or the server past a limit."""
        left = await self.cooldown_left(ask, pending, usage)
        if left > 0:
            raise Refusal(
                "admin.refused.cooldown",
                seconds=int(left + 0.999),
                reset=int(self._clock() + left + 0.999),
            )
        for line in await self.lines(ask, pending, only_limited=True, usage=usage):
            # `used` includes this ask's outputs: it may go up to the limit, not past it,
            # and an ask that would pass it is refused whole.
            if line.used > line.limit:
                raise Refusal(
                    REFUSALS[line.name],
                    used=min(line.used - ask.units, line.limit),
                    limit=line.limit,
                    asked=ask.units,
                    reset=int(line.resets_at),
                )

    async def confirm(self, ask: Ask, db: Database) -> None:
        """`check` again, counted from `db` alone (a transaction holding the server's
        admission lock): accepted outputs, plus those of jobs written and not accepted yet,
        plus this ask's (a whole batch). Whatever another process admitted and wrote is
        counted; what it has not written yet will be counted when it writes, under the
        same lock."""
        usage = UsageReader(db)
        waiting = await usage.unaccepted(ask.guild_id, self.kinds(ask.guild_id, ask.kind))
        pending = Pending(
            user=waiting[ask.user_id] + ask.units,
            guild=sum(waiting.values()) + ask.units,
            user_reserved=1,
        )
        await self.check(ask, pending, usage)

    async def waiting(self, guild_id: int, user_id: int) -> Callable[[TaskKind], Pending]:
        """What waits to be accepted, per kind, counted from the database alone (for a
        process that does not run the engine, whose memory holds none of it)."""
        found: dict[TaskKind, Pending] = {}
        for kind in TaskKind:
            counts = await self.usage.unaccepted(guild_id, kind)
            found[kind] = Pending(user=counts[user_id], guild=sum(counts.values()), user_reserved=0)
        return found.__getitem__

    async def report(
        self,
        guild_id: int,
        user_id: int,
        roles: tuple[int, ...],
        pending: Callable[[TaskKind], Pending] | None = None,
    ) -> QuotaReport:
        """What a member has used and left, of images and videos, and their cooldown.
        `pending` gives what waits to be accepted, counted as used (as a refusal does)."""
        lines: list[QuotaLine] = []
        kinds = [TaskKind.IMAGE, TaskKind.VIDEO]
        if self.settings.get(guild_id).tools_daily_per_user:
            kinds.append(TaskKind.TOOL)  # counted apart only when the server says so
        for kind in kinds:
            waiting = pending(kind) if pending is not None else None
            lines += await self.lines(Ask(guild_id, user_id, kind, roles=roles), waiting)
        ask = Ask(guild_id, user_id, roles=roles)
        return QuotaReport(
            tuple(lines),
            await self.cooldown_left(ask),
            self.settings.get(guild_id).cooldown_seconds,
        )
