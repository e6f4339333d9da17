"""Server settings, quota windows and quotas at the rules level, with an injected clock."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config.tunables import Tunables
from bot.mps.models import TaskKind
from bot.refusal import Refusal
from bot.rules.asks import Ask, Pending
from bot.rules.quotas import QuotaBook
from bot.rules.rulebook import Rulebook
from bot.rules.server_settings import check_setting
from bot.rules.server_settings_store import ServerSettingsStore
from bot.rules.windows import day_window, month_window
from bot.storage.database import open_database
from bot.storage.jobs import JobState, JobStore
from bot.storage.usage import UsageReader

GUILD, OTHER_GUILD = 10, 20
BOB, CAROL = 1, 2


def utc(*args: int) -> float:
    return dt.datetime(*args, tzinfo=dt.UTC).timestamp()


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_shanghai_day_and_month_reset_at_local_midnight() -> None:
    # 2026-03-31 23:59:59 in Shanghai (UTC+8) is 15:59:59 UTC.
    now = utc(2026, 3, 31, 15, 59, 59)
    assert day_window(now, "Asia/Shanghai").end == utc(2026, 3, 31, 16)
    assert day_window(now, "Asia/Shanghai").start == utc(2026, 3, 30, 16)
    assert month_window(now, "Asia/Shanghai").end == utc(2026, 3, 31, 16)
    assert month_window(now, "Asia/Shanghai").start == utc(2026, 2, 28, 16)
    # One second later it is April in Shanghai, still March in UTC.
    later = now + 1
    assert day_window(later, "Asia/Shanghai").start == utc(2026, 3, 31, 16)
    assert month_window(later, "Asia/Shanghai").start == utc(2026, 3, 31, 16)
    assert month_window(later, "UTC").start == utc(2026, 3, 1)


def test_dst_days_are_23_and_25_hours_long() -> None:
    # New York springs forward on 2026-03-08 and falls back on 2026-11-01.
    spring = day_window(utc(2026, 3, 8, 12), "America/New_York")
    assert spring.start == utc(2026, 3, 8, 5)  # midnight EST
    assert spring.end == utc(2026, 3, 9, 4)  # midnight EDT
    assert spring.end - spring.start == 23 * 3600
    autumn = day_window(utc(2026, 11, 1, 12), "America/New_York")
    assert autumn.end - autumn.start == 25 * 3600
    november = month_window(utc(2026, 11, 15), "America/New_York")
    assert november.start == utc(2026, 11, 1, 4) and november.end == utc(2026, 12, 1, 5)


def test_bad_values_are_refused() -> None:
    tunables = Tunables()
    for bad in (-1, 1_000_001, "5", True):
        with pytest.raises(Refusal) as info:
            check_setting("daily_server", bad, tunables)
        assert info.value.key == "admin.refused.range"
    assert check_setting("daily_server", 0, tunables) == 0
    assert check_setting("daily_server", 1_000_000, tunables) == 1_000_000
    for bad in ("Mars/Olympus_Mons", "../../etc/passwd"):
        with pytest.raises(Refusal) as info:
            check_setting("timezone", bad, tunables)
        assert info.value.key == "admin.refused.timezone"
    assert check_setting("timezone", " Asia/Shanghai ", tunables) == "Asia/Shanghai"
    with pytest.raises(Refusal) as info:
        check_setting("models", ["Hunyuan", "Dall-E"], tunables)
    assert info.value.key == "admin.refused.unknown_model"
    assert check_setting("models", ["qwen", "HUNYUAN"], tunables) == ("Hunyuan", "Qwen")
    assert check_setting("blocked_words", "a, b,,a\nc", tunables) == ("a", "b", "c")
    with pytest.raises(Refusal) as info:
        check_setting("buttons", "everyone", tunables)
    assert info.value.key == "admin.refused.value"
    with pytest.raises(Refusal) as info:
        check_setting("auto_block_days", 0, tunables)
    assert info.value.key == "admin.refused.between"
    assert check_setting("warning_text", None, tunables) is None  # back to the default


class World:
    def __init__(self, db, clock: Clock) -> None:
        self.jobs = JobStore(db, clock=clock)
        self.settings = ServerSettingsStore(db, Tunables(), clock=clock)
        self.quotas = QuotaBook(self.settings, UsageReader(db), clock=clock)
        self.rules = Rulebook(Tunables().limits, settings=self.settings, quotas=self.quotas)
        self.clock = clock

    async def accepted(self, user: int, at: float, kind=TaskKind.IMAGE, guild=GUILD) -> None:
        job = await self.jobs.create(
            kind=kind, guild_id=guild, user_id=user, model="Hunyuan", prompt="p", request={}
        )
        await self.jobs.update(
            job.id, state=JobState.DELIVERED, task_id=f"t{job.id}", submitted_at=at
        )


@pytest.fixture
async def world(both_databases: Path | str):
    # Quotas are counted by the database: on SQLite and on PostgreSQL.
    db = await open_database(both_databases)
    try:
        yield World(db, Clock(utc(2026, 3, 31, 12)))
    finally:
        await db.close()


async def refusal(rules: Rulebook, ask: Ask, pending: Pending | None = None) -> Refusal | None:
    try:
        await rules.check(ask, pending or Pending())
    except Refusal as exc:
        return exc
    return None


async def test_daily_limit_resets_at_midnight_in_the_servers_zone(world: World) -> None:
    await world.settings.set(GUILD, {"daily_per_user": 1, "timezone": "Asia/Shanghai"})
    world.clock.now = utc(2026, 3, 31, 15, 59, 58)  # 23:59:58 in Shanghai
    await world.accepted(BOB, world.clock.now - 1)
    refused = await refusal(world.rules, Ask(GUILD, BOB))
    assert refused is not None and refused.key == "admin.refused.daily_per_user"
    assert refused.params == {
        "used": 1,
        "limit": 1,
        "asked": 1,
        "reset": int(utc(2026, 3, 31, 16)),
    }
    world.clock.now = utc(2026, 3, 31, 16)  # midnight in Shanghai: a new day
    assert await refusal(world.rules, Ask(GUILD, BOB)) is None
    # In UTC the same job is still today's.
    await world.settings.set(GUILD, {"timezone": "UTC"})
    assert (await refusal(world.rules, Ask(GUILD, BOB))).key == "admin.refused.daily_per_user"


async def test_monthly_limit_resets_on_the_first_in_a_dst_zone(world: World) -> None:
    await world.settings.set(GUILD, {"monthly_server": 2, "timezone": "America/New_York"})
    await world.accepted(BOB, utc(2026, 3, 2))
    await world.accepted(CAROL, utc(2026, 3, 20))
    world.clock.now = utc(2026, 4, 1, 3, 59, 59)  # 23:59:59 EDT on March 31st
    refused = await refusal(world.rules, Ask(GUILD, BOB))
    assert refused.key == "admin.refused.monthly_server"
    assert refused.params["reset"] == int(utc(2026, 4, 1, 4))
    world.clock.now = utc(2026, 4, 1, 4)
    assert await refusal(world.rules, Ask(GUILD, BOB)) is None


async def test_pending_jobs_count_with_accepted_ones(world: World) -> None:
    await world.settings.set(GUILD, {"daily_per_user": 3, "daily_server": 4})
    await world.accepted(BOB, world.clock.now - 60)
    # One accepted, one queued, this ask: 3 of 3 is allowed; one more pending is not.
    assert await refusal(world.rules, Ask(GUILD, BOB), Pending(user=2, guild=2)) is None
    refused = await refusal(world.rules, Ask(GUILD, BOB), Pending(user=3, guild=3))
    assert refused.key == "admin.refused.daily_per_user" and refused.params["used"] == 3
    # Other members' pending jobs count against the server.
    refused = await refusal(world.rules, Ask(GUILD, CAROL), Pending(user=1, guild=4))
    assert refused.key == "admin.refused.daily_server"


async def test_role_and_user_overrides(world: World) -> None:
    vip, staff = 100, 200
    await world.settings.set(GUILD, {"daily_per_user": 1})
    await world.settings.set_role_limit(GUILD, vip, 2)
    await world.settings.set_role_limit(GUILD, staff, 5)
    await world.settings.set_user_limit(GUILD, BOB, 1)
    guild = world.settings.get(GUILD)
    assert guild.member_daily_limit(CAROL, ()) == (1, "server")
    assert guild.member_daily_limit(CAROL, (vip,)) == (2, "role")
    assert guild.member_daily_limit(CAROL, (vip, staff)) == (5, "role")  # the highest role wins
    assert guild.member_daily_limit(BOB, (vip, staff)) == (1, "user")  # the member's own wins
    await world.settings.set_role_limit(GUILD, staff, 0)
    assert world.settings.get(GUILD).member_daily_limit(CAROL, (vip, staff)) == (0, "role")
    await world.settings.set_user_limit(GUILD, BOB, None)
    assert world.settings.get(GUILD).member_daily_limit(BOB, (vip,)) == (2, "role")


async def test_video_counts_apart_from_images(world: World) -> None:
    await world.settings.set(GUILD, {"daily_per_user": 1, "daily_video_per_user": 1})
    await world.accepted(BOB, world.clock.now - 10, kind=TaskKind.VIDEO)
    video = Ask(GUILD, BOB, TaskKind.VIDEO)
    assert (await refusal(world.rules, video)).key == "admin.refused.daily_video_per_user"
    assert await refusal(world.rules, Ask(GUILD, BOB)) is None  # images are untouched
    await world.accepted(BOB, world.clock.now - 5)
    assert (await refusal(world.rules, Ask(GUILD, BOB))).key == "admin.refused.daily_per_user"
    await world.settings.set(
        GUILD, {"daily_video_per_user": 0, "daily_video_server": 2, "monthly_video_server": 3}
    )
    assert await refusal(world.rules, video) is None
    refused = await refusal(world.rules, video, Pending(user=2, guild=2))
    assert refused.key == "admin.refused.daily_video_server"
    report = await world.quotas.report(GUILD, BOB, ())
    lines = {line.name: line for line in report.lines}
    assert lines["daily_video_server"].used == 1 and lines["daily_video_server"].left == 1
    assert lines["daily_per_user"].left == 0


async def test_cooldown_counts_from_the_last_ask_and_concurrent_asks(world: World) -> None:
    await world.settings.set(GUILD, {"cooldown_seconds": 30})
    assert await refusal(world.rules, Ask(GUILD, BOB)) is None
    assert (await refusal(world.rules, Ask(GUILD, BOB), Pending(user_reserved=2))).key == (
        "admin.refused.cooldown"
    )
    await world.jobs.create(
        kind=TaskKind.IMAGE, guild_id=GUILD, user_id=BOB, model="Hunyuan", prompt="p", request={}
    )
    refused = await refusal(world.rules, Ask(GUILD, BOB))
    assert refused.key == "admin.refused.cooldown" and refused.params["seconds"] == 30
    world.clock.now += 30
    assert await refusal(world.rules, Ask(GUILD, BOB)) is None


async def test_servers_are_apart_and_settings_survive_a_reload(world: World) -> None:
    await world.settings.set(GUILD, {"daily_server": 7, "timezone": "Asia/Shanghai"})
    await world.settings.set_channel(GUILD, 555, True)
    await world.settings.set(GUILD, {"models": ("Qwen",), "blocked_words": ("dragon",)})
    assert world.settings.get(OTHER_GUILD).daily_server == 0
    assert world.settings.get(OTHER_GUILD).source("daily_server") == "default"
    fresh = ServerSettingsStore(world.settings.db, Tunables())
    await fresh.load()
    guild = fresh.get(GUILD)
    assert guild.daily_server == 7 and guild.source("daily_server") == "server"
    assert guild.timezone == "Asia/Shanghai" and guild.blocked_words == ("dragon",)
    assert guild.channels == {555} and guild.models == ("Qwen",)
    # Back to the default: the row goes, the default shows again.
    await world.settings.set(GUILD, {"models": None})
    assert (
        world.settings.get(GUILD).models == ()
        and world.settings.get(GUILD).source("models") == "default"
    )
    rules = Rulebook(Tunables().limits, settings=fresh)
    assert (await refusal(rules, Ask(GUILD, BOB, channel_id=556))).key == "admin.refused.channel"
    refused = await refusal(rules, Ask(GUILD, BOB, model="Hunyuan", channel_id=555))
    assert refused.key == "admin.refused.model"
    assert await refusal(rules, Ask(OTHER_GUILD, BOB, model="Hunyuan", channel_id=556)) is None


async def test_zero_means_no_limit_for_queue_and_running(world: World) -> None:
    assert world.rules.queued_limit(Ask(GUILD, BOB)) == Tunables().limits.queued_per_user
    await world.settings.set(GUILD, {"queued_per_user": 0, "running_per_user": 3})
    assert world.rules.queued_limit(Ask(GUILD, BOB)) >= 1_000_000
    assert world.rules.running_limits(GUILD).per_user == 3
    assert world.rules.running_limits(OTHER_GUILD).per_user == Tunables().limits.running_per_user


def test_admin_strings_exist_in_both_languages_with_the_same_placeholders() -> None:
    import string

    root = Path(__file__).resolve().parent.parent / "bot" / "text" / "locales"
    en = json.loads((root / "en-US" / "admin.json").read_text(encoding="utf-8"))
    zh = json.loads((root / "zh-CN" / "admin.json").read_text(encoding="utf-8"))
    assert en.keys() == zh.keys()
    for key in en:
        fields = [
            {f for _, f, _, _ in string.Formatter().parse(text[key]) if f} for text in (en, zh)
        ]
        assert fields[0] == fields[1], key
    # Every refusal the rules can raise has a string.
    for name in (
        "daily_per_user",
        "daily_server",
        "monthly_server",
        "daily_video_per_user",
        "daily_video_server",
        "monthly_video_server",
        "cooldown",
        "channel",
        "model",
        "range",
        "timezone",
    ):
        assert f"admin.refused.{name}" in en


def test_tzdata_is_a_pinned_dependency() -> None:
    pyproject = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text()
    assert '"tzdata==' in pyproject
    assert ZoneInfo("Asia/Shanghai").key == "Asia/Shanghai"
