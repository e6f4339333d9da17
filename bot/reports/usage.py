"""What a server generated over the last days: per day (images, videos and the estimated
cost stored with each job), per model, per member, failures, and an estimated cost from
the tunables' price per image. Discord-free."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from ..config.tunables import ModelSpec
from ..engine.events import ErrorCategory
from ..mps.models import TaskKind
from ..rules.windows import day_start, day_window, local_day
from ..storage.usage import UsageReader
from .chart import ChartDay


@dataclass(frozen=True)
class UsageReport:
    days: list[ChartDay]  # images, videos and spend per local day, oldest first
    by_model: list[tuple[str, int]]  # images and videos per model, most first
    top_users: list[tuple[int, int]]  # (user id, images and videos), most first
    images: int
    videos: int
    failures: int  # failed jobs of every kind, tool uses included
    moderation: int  # refused or blocked for their content
    cost: float | None  # None when a model used has no price
    unpriced: tuple[str, ...]
    # Image tool uses MPS accepted (Upscale, Zoom out…): counted apart, without a price.
    tools: int = 0


async def build_usage(
    reader: UsageReader,
    guild_id: int,
    *,
    days: int,
    timezone: str,
    models: dict[str, ModelSpec],
    now: float,
) -> UsageReport:
    """Summed by the database (a few rows come back, whatever the history's size)."""
    today = day_window(now, timezone)
    first = local_day(today.start, timezone) - dt.timedelta(days=days - 1)
    start = day_start(first, timezone)
    local_days = [first + dt.timedelta(days=i) for i in range(days)]
    bounds = [day_start(day, timezone) for day in local_days] + [today.end]
    images = await reader.units_per_day(guild_id, TaskKind.IMAGE, bounds)
    videos = await reader.units_per_day(guild_id, TaskKind.VIDEO, bounds)
    spent = await reader.spent_per_day(guild_id, bounds)
    totals = await reader.totals(guild_id, start, today.end)
    failed = await reader.failures(guild_id, start, today.end)
    tools = await reader.count_accepted(guild_id, TaskKind.TOOL, start, today.end)
    per_model: Counter[str] = Counter()
    per_kind: Counter[TaskKind] = Counter()
    for (kind, model), units in totals.by_model.items():
        per_model[model] += units
        per_kind[kind] += units
    cost, unpriced = 0.0, []
    for model, count in per_model.items():
        spec = models.get(model)
        if spec is None or spec.price_per_image is None:
            unpriced.append(model)
        else:
            cost += spec.price_per_image * count
    return UsageReport(
        days=[ChartDay(*day) for day in zip(local_days, images, videos, spent, strict=True)],
        by_model=sorted(per_model.items(), key=lambda item: (-item[1], item[0])),
        top_users=totals.top_users,
        images=per_kind[TaskKind.IMAGE],
        videos=per_kind[TaskKind.VIDEO],
        failures=sum(failed.values()),
        moderation=failed.get(ErrorCategory.CONTENT_VIOLATION.value, 0),
        cost=None if unpriced else cost,
        unpriced=tuple(sorted(unpriced)),
        tools=tools,
    )
