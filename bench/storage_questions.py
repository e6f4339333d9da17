"""The questions the storage benchmark asks, the bot's way and the baseline's way, each
timed with a loop-lag probe running beside it (how long the event loop was held)."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from bot.config.tunables import Tunables
from bot.moderation.store import ModerationStore
from bot.mps.models import TaskKind
from bot.reports.usage import build_usage
from bot.rules.asks import Ask, Pending
from bot.rules.budgets import BudgetBook
from bot.rules.quotas import QuotaBook
from bot.rules.rulebook import Rulebook
from bot.rules.server_settings_store import ServerSettingsStore
from bot.rules.windows import day_start, day_window, local_day
from bot.storage.base import Database
from bot.storage.jobs import UNFINISHED, JobStore
from bot.storage.usage import UsageReader

from .storage_history import BIG

ZONE = "Asia/Shanghai"
LIMITS = {"daily_per_user": 50, "daily_server": 100_000, "monthly_server": 1_000_000}
# Money budgets too, set high enough never to refuse: their spend is summed at each ask.
BUDGETS = {"budget_monthly": 10_000_000.0, "budget_daily": 1_000_000.0}


class LoopProbe:
    """Wakes every millisecond and keeps the longest it was late: the longest the event
    loop was held by something else."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task | None = None

    async def _watch(self) -> None:
        while True:
            began = time.perf_counter()
            await asyncio.sleep(0.001)
            self.worst = max(self.worst, time.perf_counter() - began - 0.001)

    async def __aenter__(self) -> LoopProbe:
        self._task = asyncio.create_task(self._watch())
        await asyncio.sleep(0)  # let it start
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


@dataclass(frozen=True)
class Timing:
    p50_ms: float
    p95_ms: float
    max_ms: float
    loop_block_ms: float
    runs: int

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 2) for k, v in vars(self).items()}


async def timed(ask: Callable[[], Awaitable[Any]], runs: int) -> Timing:
    took = []
    async with LoopProbe() as probe:
        for _ in range(runs):
            began = time.perf_counter()
            await ask()
            took.append((time.perf_counter() - began) * 1000)
    ordered = sorted(took)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return Timing(statistics.median(took), p95, ordered[-1], probe.worst * 1000, runs)


def _rules(
    db: Database, usage: UsageReader, with_budgets: bool
) -> tuple[ServerSettingsStore, Rulebook]:
    settings = ServerSettingsStore(db, Tunables())
    quotas = QuotaBook(settings, usage)
    budgets = BudgetBook(settings, usage, currency="¥") if with_budgets else None
    return settings, Rulebook(Tunables().limits, settings=settings, quotas=quotas, budgets=budgets)


async def prepare_rules(db: Database, usage: UsageReader | None = None) -> Rulebook:
    """Today's rules; with `usage` (the baseline's counts), the rules of the bot before,
    which had no money budgets."""
    settings, rules = _rules(db, usage or UsageReader(db), with_budgets=usage is None)
    await settings.load()
    await settings.set(BIG, {**LIMITS, **BUDGETS, "cooldown_seconds": 1, "timezone": ZONE})
    return rules


class Members:
    def __init__(self) -> None:
        self._next = 0

    def __call__(self) -> Ask:
        self._next += 1
        return Ask(BIG, 10_000 + self._next % 400, TaskKind.IMAGE, model="Hunyuan", cost=0.2)


async def admission_check(db: Database, runs: int) -> Timing:
    """The rules' questions for a member of the big server (quotas, cooldown, budgets)."""
    rules, members = await prepare_rules(db), Members()
    return await timed(lambda: rules.check(members(), Pending()), runs)


async def budget_share(db: Database, runs: int) -> dict[str, float]:
    """What the money budgets add to the rules' queries: the same asks with and without
    them, taken in turn (so a busy machine slows both alike); medians in ms."""
    with_budgets = await prepare_rules(db)
    without = Rulebook(
        Tunables().limits,
        settings=with_budgets.settings,
        quotas=with_budgets.quotas,
    )
    members, took = Members(), {True: [], False: []}
    for i in range(runs):
        for budgets in (True, False) if i % 2 else (False, True):
            rules = with_budgets if budgets else without
            began = time.perf_counter()
            await rules.check(members(), Pending())
            took[budgets].append((time.perf_counter() - began) * 1000)
    with_ms, without_ms = statistics.median(took[True]), statistics.median(took[False])
    return {
        "with_ms": round(with_ms, 2),
        "without_ms": round(without_ms, 2),
        "ratio": round(with_ms / without_ms, 2),
    }


class _JobCounts(UsageReader):
    """The quotas' count before the `units` column: accepted jobs, one each."""

    async def count_accepted(
        self,
        guild_id: int,
        kind: TaskKind | Sequence[TaskKind],
        since: float,
        until: float,
        user_id: int | None = None,
    ) -> int:
        member = " AND user_id = ?" if user_id is not None else ""
        # The kinds the quotas count together (a tool use counts as an image by default).
        kinds = [kind.value] if isinstance(kind, TaskKind) else [k.value for k in kind]
        return int(
            await self.db.fetchval(
                f"SELECT COUNT(*) FROM jobs WHERE guild_id = ?{member}"
                f" AND kind IN ({','.join('?' * len(kinds))})"
                " AND submitted_at IS NOT NULL AND submitted_at >= ? AND submitted_at < ?",
                (guild_id, *([user_id] if user_id is not None else []), *kinds, since, until),
            )
        )


async def baseline_admission(db: Database, runs: int) -> Timing:
    """The same rules, counting jobs as the bot did before (on the indexes it had)."""
    rules, members = await prepare_rules(db, _JobCounts(db)), Members()
    return await timed(lambda: rules.check(members(), Pending()), runs)


async def admission_write(db: Database, runs: int) -> Timing:
    """The job written in one transaction with the rules' last word (the quotas counted
    again from the database under the server's admission lock)."""
    rules, members, store = await prepare_rules(db), Members(), JobStore(db)

    async def write() -> None:
        ask = members()
        await store.create(
            kind=TaskKind.IMAGE,
            guild_id=BIG,
            user_id=ask.user_id,
            model="Hunyuan",
            prompt="benchmark",
            request={"Prompt": "benchmark"},
            options={"count": 1},
            confirm=partial(rules.confirm, ask),
        )

    timing = await timed(write, runs)
    await db.write("DELETE FROM jobs WHERE prompt = 'benchmark'")
    return timing


async def usage(db: Database, days: int, runs: int, now: float) -> Timing:
    reader, models = UsageReader(db), Tunables().models
    return await timed(
        lambda: build_usage(reader, BIG, days=days, timezone=ZONE, models=models, now=now), runs
    )


async def startup(db: Database, runs: int) -> Timing:
    """What a start reads: unfinished jobs, recent durations of every model, violations
    without an incident, every server's settings."""
    store, tunables = JobStore(db), Tunables()
    models = [(s.kind, s.name) for s in tunables.models.values()]
    models += [(TaskKind.VIDEO, s.name) for s in tunables.video_models.values()]

    async def start() -> None:
        await store.unfinished()
        for kind, name in models:
            await store.recent_durations(name, kind)
        await ModerationStore(db).unrecorded_violations()
        await ServerSettingsStore(db, tunables).load()

    return await timed(start, runs)


# -- the baseline: the same questions the way the bot answered them before ------------------


async def baseline_usage(db: Database, days: int, runs: int, now: float) -> Timing:
    """Every accepted job of the period loaded, its options JSON parsed on the event loop,
    and summed in Python (the bot's /usage before the units column)."""
    return await timed(lambda: _old_usage(db, days, now), runs)


async def _old_usage(db: Database, days: int, now: float) -> None:
    today = day_window(now, ZONE)
    first = local_day(today.start, ZONE).toordinal() - (days - 1)
    import datetime as dt

    start = day_start(dt.date.fromordinal(first), ZONE)
    rows = await db.fetchall(
        "SELECT submitted_at, kind, model, user_id, state, error_category, options_json"
        " FROM jobs WHERE guild_id = ? AND submitted_at IS NOT NULL"
        " AND submitted_at >= ? AND submitted_at < ? ORDER BY submitted_at",
        (BIG, start, today.end),
    )
    per_day: Counter[Any] = Counter()
    per_model: Counter[str] = Counter()
    per_user: Counter[int] = Counter()
    for r in rows:
        count = json.loads(r[6] or "{}").get("count")
        outputs = count if isinstance(count, int) and count > 0 else 1
        per_model[r[2]] += outputs
        per_user[r[3]] += outputs
        if r[1] == "image":
            per_day[local_day(r[0], ZONE)] += outputs
    await db.fetchall(
        "SELECT COALESCE(error_category, 'unknown'), COUNT(*) FROM jobs"
        " WHERE guild_id = ? AND state = 'failed' AND created_at >= ? AND created_at < ?"
        " GROUP BY 1",
        (BIG, start, today.end),
    )
    per_user.most_common(5)


async def baseline_startup(db: Database, runs: int) -> Timing:
    """Unfinished jobs read one by one with their results, as before; the other start-up
    questions are the same SQL, answered without the indexes migration 9 added."""
    tunables = Tunables()
    models = [(s.kind, s.name) for s in tunables.models.values()]
    models += [(TaskKind.VIDEO, s.name) for s in tunables.video_models.values()]
    marks = ",".join("?" * len(UNFINISHED))

    async def start() -> None:
        for row in await db.fetchall(
            f"SELECT * FROM jobs WHERE state IN ({marks}) ORDER BY id", UNFINISHED
        ):
            for column in ("request_json", "options_json", "frontend_json"):
                json.loads(row[column])
            await db.fetchall(
                "SELECT * FROM job_results WHERE job_id = ? ORDER BY idx", (row["id"],)
            )
        store = JobStore(db)
        for kind, name in models:
            await store.recent_durations(name, kind)
        # The violations without an incident, as asked before batches.
        await db.fetchall(
            "SELECT id FROM jobs j WHERE j.state = 'failed'"
            " AND j.error_category = 'content_violation'"
            " AND NOT EXISTS (SELECT 1 FROM incidents i WHERE i.job_id = j.id) ORDER BY id"
        )
        await ServerSettingsStore(db, tunables).load()

    return await timed(start, runs)
