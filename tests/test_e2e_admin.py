"""End to end: server settings, quotas and usage through the fake Discord and the emulator."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import time
from zoneinfo import ZoneInfo

from PIL import Image

from bot.reports.chart import HEIGHT, IMAGES, WIDTH, plot_box
from tests.fakes.discord import MANAGE_GUILD
from tests.fakes.discord.models import default_guild

from .bot_stack import ROOT, bot_stack
from .databases import write_rows

CREATE = "CreateAigcImageTask"


def creates(stack) -> int:
    return stack.emulator.stats()["actions"].get(CREATE, {}).get("accepted", 0)


async def reply(interaction):
    """The text (and embeds) of the bot's first answer to an interaction."""
    await interaction.wait_for_response(timeout=15)
    return await interaction.wait_for_original(
        lambda m: not m.loading and (m.content or m.embeds), timeout=15
    )


def text_of(message) -> str:
    parts = [message.content or ""]
    for embed in message.embeds:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts += [f"{f['name']} {f['value']}" for f in embed.get("fields", [])]
    return "\n".join(parts)


def image_heights(image, days: int, colour=IMAGES) -> list[int]:
    """Pixels of `colour` in each day's column of the usage chart (left of the column's
    middle, clear of the spend line's points)."""
    pixels = image.convert("RGBA").load()
    left, top, right, bottom = plot_box()
    column = (right - left) / days
    heights = []
    for day in range(days):
        x = int(left + (day + 0.3) * column)
        heights.append(sum(1 for y in range(top, bottom) if pixels[x, y] == colour))
    return heights


async def settings_rows(stack) -> list[tuple]:
    return await stack.rows("SELECT guild_id, name, value_json FROM guild_settings")


async def test_members_without_manage_server_cannot_change_settings(tmp_path) -> None:
    async with bot_stack(tmp_path) as stack:
        fake = stack.fake
        for name in ("settings", "usage"):
            command = fake.command(name, fake.guild.id)
            assert int(command["default_member_permissions"]) == MANAGE_GUILD
        assert fake.command("quota", fake.guild.id).get("default_member_permissions") is None
        # bob lacks Manage Server; the server let him see the command anyway.
        denied = await fake.invoke(
            "settings", "limits", user="bob", options={"daily_per_user": 1}, locale="en-US"
        )
        message = await reply(denied)
        assert message.ephemeral and "Manage Server" in message.content
        denied = await fake.invoke("settings", "timezone", user="carol", options={"name": "UTC"})
        assert "Manage Server" in (await reply(denied)).content
        usage = await fake.invoke("usage", user="bob", locale="zh-CN")
        assert "管理服务器" in (await reply(usage)).content
        assert await settings_rows(stack) == []
        # With the permission, the same command works.
        await fake.set_permissions("bob", MANAGE_GUILD)
        allowed = await fake.invoke("settings", "limits", user="bob", options={"daily_per_user": 1})
        assert "已保存" in (await reply(allowed)).content
        assert await settings_rows(stack) == [(fake.guild.id, "daily_per_user", "1")]


async def test_daily_limit_of_three_holds_against_ten_simultaneous_asks(tmp_path) -> None:
    async with bot_stack(tmp_path) as stack:
        fake = stack.fake
        setup = await fake.invoke(
            "settings", "limits", options={"daily_per_user": 3, "queued_per_user": 20}
        )
        assert "Saved" in (await reply(setup)).content
        asks = await asyncio.gather(
            *(
                fake.invoke("imagine", user="carol", options={"prompt": f"cat {i}"})
                for i in range(10)
            )
        )
        answers = [await reply(a) for a in asks]
        refused = [m for m in answers if "Daily limit" in m.content]
        assert len(refused) == 7
        assert all("3 of your 3 images" in m.content for m in refused)
        # The refusal says when the limit resets: the next midnight UTC (the default zone).
        midnight = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        reset = int((midnight + dt.timedelta(days=1)).timestamp())
        assert all(f"<t:{reset}:R>" in m.content for m in refused)
        accepted = [a for a, m in zip(asks, answers, strict=True) if m not in refused]
        for interaction in accepted:
            await interaction.wait_for_original(lambda m: m.attachments, timeout=30)
        assert creates(stack) == 3
        quota = await reply(await fake.invoke("quota", user="carol"))
        assert quota.ephemeral and "**0** left of 3" in text_of(quota)
        assert f"<t:{reset}:R>" in text_of(quota)


async def seed_job(
    stack,
    user_id: int,
    submitted_at: float | None,
    *,
    model: str = "Hunyuan",
    count: int = 1,
    state: str = "delivered",
    category: str | None = None,
    guild_id: int | None = None,
) -> None:
    """A finished job written straight into the bot's database (a past day's work)."""
    guild_id = guild_id or stack.fake.guild.id
    created = (submitted_at or time.time()) - 5
    await write_rows(
        stack.database,
        "INSERT INTO jobs (kind, guild_id, user_id, state, model, prompt, request_json,"
        " options_json, units, created_at, submitted_at, updated_at, error_category)"
        " VALUES ('image', ?, ?, ?, ?, 'seeded', '{}', ?, ?, ?, ?, ?, ?)",
        (
            guild_id,
            user_id,
            state,
            model,
            f'{{"count": {count}}}',
            count,
            created,
            submitted_at,
            created,
            category,
        ),
    )


async def test_role_and_user_overrides_apply(tmp_path) -> None:
    async with bot_stack(tmp_path) as stack:
        fake = stack.fake
        vip = await fake.create_role("VIP")
        await fake.give_role("bob", vip)
        await fake.give_role("carol", vip)
        bob = fake.member_of("bob").user
        for sub, options in (
            ("limits", {"daily_per_user": 1}),
            ("role-limit", {"role": vip, "daily_per_user": 2}),
            ("user-limit", {"user": bob, "daily_per_user": 1}),
        ):
            assert (
                "Saved"
                in (await reply(await fake.invoke("settings", sub, options=options))).content
                or sub != "limits"
            )
        show = text_of(await reply(await fake.invoke("settings", "show")))
        assert f"<@&{vip.id}>: 2" in show and f"<@{bob.id}>: 1" in show

        async def ask(user: str, n: int) -> list:
            asks = await asyncio.gather(
                *(
                    fake.invoke("imagine", user=user, options={"prompt": f"p{i}"}, locale="en-US")
                    for i in range(n)
                )
            )
            return [await reply(a) for a in asks]

        carol, bobs = await asyncio.gather(ask("carol", 3), ask("bob", 2))
        # carol: the VIP role's 2 a day; bob: his own 1, which wins over his role.
        assert [("2 of your 2" in m.content) for m in carol].count(True) == 1
        assert [("1 of your 1" in m.content) for m in bobs].count(True) == 1
        await fake.wait_for(lambda: creates(stack) == 3, 30, "three Creates")
        removed = await fake.invoke("settings", "user-limit", options={"user": bob, "remove": True})
        assert "no longer" in (await reply(removed)).content
        (again,) = await ask("bob", 1)
        assert "Daily limit" not in again.content
        await fake.wait_for(lambda: creates(stack) == 4, 30, "a fourth Create")


async def test_day_and_month_reset_at_midnight_in_the_servers_zone(tmp_path) -> None:
    async with bot_stack(tmp_path) as stack:
        fake = stack.fake
        await reply(await fake.invoke("settings", "timezone", options={"name": "Asia/Shanghai"}))
        tz = ZoneInfo("Asia/Shanghai")
        day_start = dt.datetime.now(tz).replace(hour=0, minute=0, second=0, microsecond=0)
        month_start = day_start.replace(day=1)
        next_day = day_start + dt.timedelta(days=1)
        next_month = (month_start + dt.timedelta(days=32)).replace(day=1)
        bob = fake.member_of("bob").user.id
        # One second before local midnight: yesterday's, not today's.
        await seed_job(stack, bob, day_start.timestamp() - 1)
        # One second either side of the month's first midnight.
        await seed_job(stack, 999, month_start.timestamp() - 1)
        await seed_job(stack, 999, month_start.timestamp() + 1)
        this_month = 1 + (
            day_start > month_start
        )  # yesterday is this month unless today is the 1st
        monthly = this_month + 1
        await reply(
            await fake.invoke(
                "settings", "limits", options={"daily_per_user": 1, "monthly_server": monthly}
            )
        )
        first = await fake.invoke("imagine", user="bob", options={"prompt": "a"}, locale="en-US")
        assert (await reply(first)).content == ""
        await first.wait_for_original(lambda m: m.attachments, timeout=30)
        second = await fake.invoke("imagine", user="bob", options={"prompt": "b"}, locale="en-US")
        refused = (await reply(second)).content
        assert "1 of your 1" in refused and f"<t:{int(next_day.timestamp())}:R>" in refused
        third = await fake.invoke("imagine", user="carol", options={"prompt": "c"})
        refused = (await reply(third)).content
        assert "monthly limit" in refused and f"{monthly} of {monthly} images" in refused
        assert f"<t:{int(next_month.timestamp())}:R>" in refused
        assert creates(stack) == 1


async def test_channel_restriction_and_bad_values(tmp_path) -> None:
    guilds = [default_guild(), default_guild(name="Other Guild")]
    async with bot_stack(tmp_path, guilds=guilds) as stack:
        fake = stack.fake
        images = fake.guild.channel("images")
        added = await fake.invoke("settings", "channels add", options={"channel": images})
        assert f"<#{images.id}>" in (await reply(added)).content
        elsewhere = await fake.invoke(
            "imagine", user="bob", channel="general", options={"prompt": "x"}, locale="en-US"
        )
        message = await reply(elsewhere)
        assert message.ephemeral and f"Use it in: <#{images.id}>" in message.content
        there = await fake.invoke("imagine", user="bob", channel="images", options={"prompt": "x"})
        await there.wait_for_original(lambda m: m.attachments, timeout=30)
        assert creates(stack) == 1
        # Bad values are refused, in the member's language, and change nothing.
        for options in ({"daily_server": -1}, {"monthly_server": 1_000_001}):
            bad = await fake.invoke("settings", "limits", options=options)
            assert "whole number from 0" in (await reply(bad)).content
        bad = await fake.invoke(
            "settings", "timezone", options={"name": "Mars/Base"}, locale="zh-CN"
        )
        assert "不是时区名称" in (await reply(bad)).content
        assert await settings_rows(stack) == []
        assert await stack.rows("SELECT guild_id, channel_id FROM guild_channels") == [
            (fake.guild.id, images.id)
        ]
        # The other server is not restricted by this one's settings.
        other = await fake.invoke(
            "imagine",
            guild=guilds[1],
            channel="general",
            user=guilds[1].owner_id,
            options={"prompt": "z"},
        )
        await other.wait_for_original(lambda m: m.attachments, timeout=30)
        assert creates(stack) == 2
        removed = await fake.invoke("settings", "channels remove", options={"channel": images})
        assert "everywhere" in (await reply(removed)).content
        free = await fake.invoke("imagine", user="bob", channel="general", options={"prompt": "y"})
        await free.wait_for_original(lambda m: m.attachments, timeout=30)
        assert creates(stack) == 3


async def test_settings_survive_a_restart_and_apply_models_and_buttons(tmp_path) -> None:
    async with bot_stack(tmp_path) as stack:
        fake = stack.fake
        for sub, options in (
            ("limits", {"daily_server": 50, "cooldown_seconds": 0}),
            ("timezone", {"name": "Europe/Paris"}),
            ("models", {"allowed": "Qwen, Kling", "default_model": "Qwen"}),
            ("buttons", {"who": "owner"}),
        ):
            await reply(await fake.invoke("settings", sub, options=options))
        await stack.bots[0].stop()
        await stack.start_bot()
        show = text_of(await reply(await fake.invoke("settings", "show")))
        assert "Images per day (server): **50** (server setting)" in show
        assert "Images per member per day: **no limit** (default)" in show
        assert "Time zone: **Europe/Paris** (server setting)" in show
        assert "Default model: **Qwen** (server setting)" in show
        assert "only the person who asked" in show
        refused = await fake.invoke(
            "imagine", user="bob", options={"prompt": "x", "model": "Hunyuan:3.0"}, locale="en-US"
        )
        assert "does not allow the model Hunyuan" in (await reply(refused)).content
        choices = await fake.autocomplete(
            fake.guild.id, "general", "bob", "imagine", "model", options={"prompt": "x"}
        )
        await choices.wait_for_response()
        assert {c["value"].split(":")[0] for c in choices.autocomplete_choices} == {"Qwen", "Kling"}
        asked = await fake.invoke("imagine", user="bob", options={"prompt": "y"})
        result = await asked.wait_for_original(lambda m: m.attachments, timeout=30)
        (task,) = stack.emulator.stats()["tasks"]
        assert stack.emulator.task(task).spec.model == "Qwen"
        reroll = next(i for i in result.custom_ids() if i.startswith("imagine:reroll:"))
        pressed = await fake.press_button(result.id, reroll, "carol")
        assert (
            "only the person who asked for an image can re-roll" in (await reply(pressed)).content
        )
        assert creates(stack) == 1
        own = await fake.press_button(result.id, reroll, "bob")
        await own.wait_for_response()
        await fake.wait_for(lambda: creates(stack) == 2, 30, "the owner's re-roll")


async def test_usage_draws_the_days_in_a_png_with_totals_and_cost(tmp_path) -> None:
    import json

    models = json.loads((ROOT / "config.example.json").read_text())["models"]
    models["Hunyuan"]["price_per_image"] = 0.5
    models["Qwen"]["price_per_image"] = 0.25
    async with bot_stack(tmp_path, config={"models": models}) as stack:
        fake = stack.fake
        now = time.time()
        bob, carol = fake.member_of("bob").user.id, fake.member_of("carol").user.id
        await seed_job(stack, bob, now - 2 * 86400, count=2)  # two days ago: 3 images
        await seed_job(stack, carol, now - 2 * 86400, model="Qwen")
        await seed_job(stack, bob, now - 60)  # today: 1 image
        await seed_job(stack, carol, None, state="failed", category="content_violation")
        await seed_job(stack, carol, now - 40 * 86400)  # outside the 7 days
        await seed_job(stack, bob, now - 60, guild_id=12345)  # another server's
        asked = await fake.invoke("usage", options={"days": 7})
        message = await asked.wait_for_original(lambda m: m.attachments, timeout=15)
        assert message.ephemeral
        text = text_of(message)
        assert "4 images and 0 videos" in text and "1 failed jobs, 1 of them" in text
        assert "Hunyuan: 3" in text and "Qwen: 1" in text
        assert f"<@{bob}>: 3" in text and "1.75" in text  # 3 x 0.5 + 1 x 0.25
        (attachment,) = message.attachments
        image = Image.open(io.BytesIO(attachment.data))
        assert image.format == "PNG" and image.size == (WIDTH, HEIGHT)
        heights = image_heights(image, 7)
        assert heights[0:4] == [0, 0, 0, 0] and heights[5] == 0
        assert heights[4] > 0 and heights[6] > 0
        assert abs(heights[4] / heights[6] - 3) < 0.05
