"""What a server generated over the last days: per day, per model, per member, failures,
and an estimated cost from the tunables' price per image. Discord-free."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from ..config.tunables import ModelSpec
from ..engine.events import ErrorCategory
from ..mps.models import TaskKind
from ..rules.windows import day_start, day_window, local_day
from ..storage.usage import UsageReader


@dataclass(frozen=True)
class UsageReport:
    days: list[tuple[dt.date, int]]  # images accepted per local day, oldest first
    by_model: list[tuple[str, int]]  # images and videos per model, most first
    top_users: list[tuple[int, int]]  # (user id, images and videos), most first
    images: int
    videos: int
    failures: int
    moderation: int  # refused or blocked for their content
    cost: float | None  # None when a model used has no price
    unpriced: tuple[str, ...]


async def build_usage(
    reader: UsageReader,
    guild_id: int,
    *,
    days: int,
    timezone: str,
    models: dict[str, ModelSpec],
    now: float,
) -> UsageReport:
    today = day_window(now, timezone)
    first = local_day(today.start, timezone) - dt.timedelta(days=days - 1)
    start = day_start(first, timezone)
    jobs = await reader.accepted(guild_id, start, today.end)
    per_day: Counter[dt.date] = Counter()
    per_model: Counter[str] = Counter()
    per_user: Counter[int] = Counter()
    for job in jobs:
        per_model[job.model] += job.outputs
        per_user[job.user_id] += job.outputs
        if job.kind is TaskKind.IMAGE:
            per_day[local_day(job.submitted_at, timezone)] += job.outputs
    failed = await reader.failures(guild_id, start, today.end)
    cost, unpriced = 0.0, []
    for model, count in per_model.items():
        spec = models.get(model)
        if spec is None or spec.price_per_image is None:
            unpriced.append(model)
        else:
            cost += spec.price_per_image * count
    return UsageReport(
        days=[(day, per_day[day]) for day in (first + dt.timedelta(days=i) for i in range(days))],
        by_model=per_model.most_common(),
        top_users=per_user.most_common(5),
        images=sum(j.outputs for j in jobs if j.kind is TaskKind.IMAGE),
        videos=sum(j.outputs for j in jobs if j.kind is TaskKind.VIDEO),
        failures=sum(failed.values()),
        moderation=failed.get(ErrorCategory.CONTENT_VIOLATION.value, 0),
        cost=None if unpriced else cost,
        unpriced=tuple(sorted(unpriced)),
    )
