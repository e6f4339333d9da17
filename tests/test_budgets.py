"""Money budgets on both databases: spend summed from each job's stored cost, the last word
inside the admission's transaction, the 80 % warning written once, the fallback model; the
chart's scales and the time shown to members."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from bot.asks.images import ImageOptions, validate_image
from bot.asks.videos import VideoOptions, validate_video
from bot.config.checks import tunables_from_json
from bot.config.tunables import Tunables
from bot.engine.admission import Reservations
from bot.mps.models import TaskKind
from bot.refusal import Refusal
from bot.reports.chart import ChartDay, month_to_date, nice_top
from bot.rules.asks import Ask
from bot.rules.budgets import BudgetBook
from bot.rules.quotas import QuotaBook
from bot.rules.rulebook import Rulebook
from bot.rules.server_settings import check_setting
from bot.rules.server_settings_store import ServerSettingsStore
from bot.services.spending import Spending
from bot.storage.budget_alerts import BudgetAlertStore
from bot.storage.database import open_database
from bot.storage.jobs import JobStore
from bot.storage.usage import UsageReader
from bot.text.wording import duration_estimate

GUILD = 1_234_567_890_123_456_789
NOW = dt.datetime(2026, 3, 20, 12, tzinfo=dt.UTC).timestamp()
APRIL = dt.datetime(2026, 4, 1, tzinfo=dt.UTC).timestamp()


@pytest.fixture
async def db(both_databases: Path | str):
    database = await open_database(both_databases)
    try:
        yield database
    finally:
        await database.close()


def rules_on(db, tunables: Tunables | None = None) -> tuple[Rulebook, ServerSettingsStore]:
    tunables = tunables or Tunables()
    settings = ServerSettingsStore(db, tunables)
    usage = UsageReader(db)
    budgets = BudgetBook(settings, usage, currency="¥", clock=lambda: NOW)
    quotas = QuotaBook(settings, usage, clock=lambda: NOW)
    return Rulebook(tunables.limits, settings=settings, quotas=quotas, budgets=budgets), settings


async def write_job(db, *, cost: float, submitted: float | None, status: str | None = None):
    job = await JobStore(db, clock=lambda: NOW).create(
        kind=TaskKind.IMAGE,
        guild_id=GUILD,
        user_id=1,
        model="Hunyuan",
        prompt="p",
        request={},
        cost=cost,
    )
    await JobStore(db).update(job.id, submitted_at=submitted, mps_status=status)
    return job


async def test_admissions_from_two_processes_never_pass_a_budget_together(
    both_databases: Path | str,
) -> None:
    # Two handles on one database stand for two bot processes admitting into one server.
    handles = [await open_database(both_databases) for _ in range(2)]
    try:
        sides = [(JobStore(db, clock=lambda: NOW), *rules_on(db)) for db in handles]
        await sides[0][2].set(GUILD, {"budget_monthly": 1.0})
        await sides[1][2].load()

        async def ask(side: int, user: int) -> bool:
            store, rules, _ = sides[side]
            ask = Ask(GUILD, user, TaskKind.IMAGE, cost=0.2)
            try:
                await store.create(
                    kind=TaskKind.IMAGE,
                    guild_id=GUILD,
                    user_id=user,
                    model="Hunyuan",
                    prompt="p",
                    request={},
                    cost=0.2,
                    confirm=lambda tx, ask=ask, rules=rules: rules.confirm(ask, tx),
                )
            except Refusal as exc:
                assert exc.key == "budget.refused.monthly"
                assert exc.params["spent"] == "¥1.00" and exc.params["reset"] == int(APRIL)
                return False
            return True

        admitted = await asyncio.gather(*(ask(i % 2, 10 + i) for i in range(12)))
        assert sum(admitted) == 5
        db = handles[0]
        assert round(await db.fetchval("SELECT SUM(cost) FROM jobs"), 2) == 1.0
        # The 80 % warning was written once, with the job that crossed it.
        rows = await db.fetchall("SELECT budget, amount, spent, period_end FROM budget_alerts")
        assert [(r[0], r[1], round(r[2], 2), r[3]) for r in rows] == [("monthly", 1.0, 0.8, APRIL)]
    finally:
        for handle in handles:
            await handle.close()


async def test_spend_counts_billed_and_waiting_jobs_of_the_period_only(db) -> None:
    rules, settings = rules_on(db)
    await settings.set(GUILD, {"budget_monthly": 10.0, "budget_daily": 1.0})
    await write_job(db, cost=0.5, submitted=NOW - 3600)  # today, billed
    await write_job(db, cost=0.3, submitted=None)  # waiting: will be billed
    await write_job(db, cost=4.0, submitted=NOW - 3600, status="FAIL")  # made nothing
    await write_job(db, cost=2.0, submitted=NOW - 5 * 86400)  # earlier this month
    await write_job(db, cost=9.0, submitted=NOW - 30 * 86400)  # last month
    assert rules.budgets is not None
    lines = {line.name: round(line.spent, 2) for line in await rules.budgets.lines(GUILD)}
    assert lines == {"daily": 0.8, "monthly": 2.8}
    # 0.2 more fits the day exactly; 0.21 does not.
    await rules.check(Ask(GUILD, 2, cost=0.2))
    with pytest.raises(Refusal) as refused:
        await rules.check(Ask(GUILD, 2, cost=0.21))
    assert refused.value.key == "budget.refused.daily"
    # An ask on the fallback model passes, and a free one (no price) always does.
    await rules.check(Ask(GUILD, 2, cost=0.21, fallback=True))
    await rules.check(Ask(GUILD, 2, cost=0.0))


async def test_warnings_are_claimed_once_and_given_back_when_not_posted(db) -> None:
    rules, settings = rules_on(db)
    await settings.set(GUILD, {"budget_monthly": 1.0})
    for _ in range(2):  # the second crossing of the same period writes nothing
        async with db.transaction() as tx:
            await rules.confirm(Ask(GUILD, 1, cost=0.9), tx)
    alerts = BudgetAlertStore(db)
    (alert,) = await alerts.claim(NOW)
    assert (alert.budget, alert.amount, round(alert.spent, 2)) == ("monthly", 1.0, 0.9)
    assert await alerts.claim(NOW) == [] and await alerts.claim(NOW, GUILD) == []
    await alerts.give_back(alert)
    assert await alerts.claim(NOW, GUILD + 1) == []
    assert await alerts.claim(NOW, GUILD) == [alert]


async def test_a_spent_budget_moves_dearer_images_to_the_fallback_and_refuses_videos(db) -> None:
    tunables = Tunables()
    rules, settings = rules_on(db, tunables)
    spending = Spending(budgets=rules.budgets, settings=settings, tunables=tunables)
    await settings.set(GUILD, {"budget_monthly": 1.0})
    await write_job(db, cost=1.0, submitted=NOW - 60)

    async def priced(model: str, **options):
        asked = ImageOptions(prompt="a cat", model=model, **options)
        valid = validate_image(asked, tunables)
        return await spending.image(GUILD, asked, valid, mark=False, style=None)

    with pytest.raises(Refusal) as refused:  # no fallback: refused, saying when it resets
        await priced("Hunyuan")
    assert refused.value.key == "budget.refused.monthly"
    assert refused.value.params["reset"] == int(APRIL)
    await settings.set(GUILD, {"budget_fallback": "wand-vega-image:1.0-flash"})
    moved = await priced("Hunyuan", size="768x1024", count=2)
    assert (moved.valid.spec.name, moved.valid.version) == ("wand-vega-image", "1.0-flash")
    assert moved.options.size is None and moved.fallback  # it takes no size: its default
    assert round(moved.cost, 2) == 0.2 and moved.note is not None
    assert moved.note.params["price"] == "¥0.10"
    qwen = await priced("Qwen", size="768x1024")  # a size the fallback has none of...
    assert qwen.valid.spec.name == "wand-vega-image"  # ...dropped, the ask moved all the same
    same = await priced("wand-vega-image")  # no dearer than the fallback: asked as it is
    assert same.valid.version == "1.0-lite" and same.note is None and same.fallback
    video = validate_video(VideoOptions(prompt="waves", model="Kling"), tunables)
    with pytest.raises(Refusal):
        await spending.video(GUILD, video)


def test_chart_scales_and_the_month_to_date_spend() -> None:
    assert nice_top(17) == (20, 5) and nice_top(4) == (4, 1) and nice_top(230) == (250, 50)
    days = [
        ChartDay(dt.date(2026, 3, 30), 1, 0, 1.0),
        ChartDay(dt.date(2026, 3, 31), 1, 0, 2.0),
        ChartDay(dt.date(2026, 4, 1), 1, 0, 0.5),
        ChartDay(dt.date(2026, 4, 2), 1, 1, 1.5),
    ]
    assert month_to_date(days) == [1.0, 3.0, 0.5, 2.0]


def test_durations_read_as_a_person_says_them() -> None:
    assert duration_estimate("en-US", 0.4) == "~1 s"
    assert duration_estimate("en-US", 42) == "~40 s"
    assert duration_estimate("en-US", 73) == "~75 s"
    assert duration_estimate("en-US", 250) == "~4 min"
    assert duration_estimate("zh-CN", 42) == "约 40 秒"


def test_prices_are_tunables_checked_by_name() -> None:
    tunables = tunables_from_json({"tool_prices": {"describe": 0.02}, "currency": "$"})
    assert tunables.tool_prices.of("describe") == 0.02 and tunables.currency == "$"
    assert tunables.tool_prices.of("upscale_2x") == Tunables().tool_prices.upscale_2x
    with pytest.raises(ValueError, match=r"tool_prices\.zoom_out"):
        tunables_from_json({"tool_prices": {"zoom_out": -1}})
    priced = Tunables()
    assert priced.models["Hunyuan"].price_per_image == 0.2
    assert priced.video_models["Kling"].price_per_second == 1.0


def test_budget_settings_are_checked_before_they_are_stored() -> None:
    tunables = Tunables()
    assert check_setting("budget_fallback", "qwen", tunables) == "Qwen:0925"
    assert check_setting("budget_fallback", "Kling:O1", tunables) == "Kling:O1"
    assert check_setting("budget_monthly", 12.345, tunables) == 12.35
    for name, value, key in (
        ("budget_fallback", "Qwen:9", "budget.refused.fallback_version"),
        ("budget_fallback", "Nope", "admin.refused.unknown_model"),
        ("budget_monthly", -1, "budget.refused.amount"),
        ("budget_daily", float("nan"), "budget.refused.amount"),
        ("budget_daily", "5", "budget.refused.amount"),
    ):
        with pytest.raises(Refusal) as refused:
            check_setting(name, value, tunables)
        assert refused.value.key == key
    unpriced = dict(tunables.models)
    unpriced["Qwen"] = dataclasses.replace(unpriced["Qwen"], price_per_image=None)
    with pytest.raises(Refusal) as refused:
        check_setting("budget_fallback", "Qwen", dataclasses.replace(tunables, models=unpriced))
    assert refused.value.key == "budget.refused.fallback_unpriced"


async def test_asks_being_admitted_count_their_cost_until_their_jobs_are_written() -> None:
    ledger = Reservations()
    first = ledger.reserve(GUILD, 1, TaskKind.IMAGE, 1, 0.2)
    second = ledger.reserve(GUILD, 2, TaskKind.IMAGE, 1, 0.3)
    assert round(ledger.cost(GUILD), 2) == 0.5 and ledger.cost(GUILD + 1) == 0.0
    seen = []

    async def confirm(ask: Ask, tx) -> None:  # inside the transaction writing the jobs
        seen.append(round(ledger.cost(GUILD), 2))

    await first.confirming(confirm, Ask(GUILD, 1, cost=0.2))(None)
    assert seen == [0.3]  # from here on the database counts the first ask's cost
    first.release()
    assert round(ledger.cost(GUILD), 2) == 0.3
    second.release()
    second.release()  # idempotent
    assert ledger.cost(GUILD) == 0.0
