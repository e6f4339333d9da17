"""End to end: the real bot process, the fake Discord and the MPS emulator."""

from __future__ import annotations

import asyncio
import hashlib
import sys
from pathlib import Path

import aiohttp

from mps_emulator import EmulatorConfig

from .bot_stack import bot_stack


def final_message(fake, interaction):
    return fake.wait_for_message(
        lambda m: m.id == interaction.response_message_id and m.attachments, timeout=30
    )


async def test_imagine_defers_shows_progress_and_delivers_the_images(tmp_path) -> None:
    async with bot_stack(tmp_path) as stack:
        fake, emu = stack.fake, stack.emulator
        interaction = await fake.slash_command(
            fake.guild.id, "general", "alice", "imagine", options={"prompt": "一只戴着草帽的橘猫"}
        )
        await interaction.wait_for_response()
        assert interaction.callback_type == 5
        assert interaction.response_delay < 3
        message = await final_message(fake, interaction)
        texts = [" ".join(e.get("description") or "" for e in r.embeds) for r in message.history]
        assert any("Generating" in text or "Queued" in text for text in texts)
        (task_id,) = emu.stats()["tasks"]
        url = emu.service.result_urls(emu.task(task_id), emu.url)[0]
        async with aiohttp.ClientSession() as session, session.get(url) as resp:
            served = await resp.read()
        (attachment,) = message.attachments
        assert hashlib.sha256(attachment.data).digest() == hashlib.sha256(served).digest()
        embed = message.embeds[0]
        assert embed["title"] == "一只戴着草帽的橘猫"
        assert embed["image"]["url"] == f"attachment://{attachment.filename}"
        ids = message.custom_ids()
        assert any(i.startswith("imagine:reroll:") for i in ids)
        assert any(i.startswith("imagine:vary:") for i in ids)
        assert any(i.startswith("imagine:delete:") for i in ids)


async def test_chinese_user_sees_chinese_queue_position_and_result(tmp_path) -> None:
    # The running task takes long enough that the queued one's state is shown even on a
    # busy machine (its message is edited at most once a second).
    slow = EmulatorConfig(image_wait=(0.2, 0.3), image_run=(2.5, 2.5), seed=3)
    async with bot_stack(tmp_path, emulator_config=slow) as stack:
        fake = stack.fake
        first = await fake.slash_command(
            fake.guild.id, "general", "bob", "imagine", options={"prompt": "山水画"}, locale="zh-CN"
        )
        second = await fake.slash_command(
            fake.guild.id, "general", "bob", "imagine", options={"prompt": "竹林"}, locale="zh-CN"
        )
        done = await final_message(fake, second)
        other = await final_message(fake, first)
        texts = [
            " ".join(e.get("description") or "" for e in r.embeds)
            for r in (*done.history, *other.history)
        ]
        # One running job per user: whichever of the two was admitted second waited in the
        # queue, and said so in Chinese.
        assert any("排队中:本服务器队列第 1 位" in text for text in texts), texts
        rows = [[c["label"] for c in row["components"]] for row in done.components]
        # Remix and Info keep a row of their own.
        assert rows == [["重新生成", "变体", "生成视频", "删除"], ["改写", "详情"]]
        assert done.embeds[0]["fields"][0]["name"] == "模型"


async def test_bad_input_is_refused_at_once_and_costs_nothing(tmp_path) -> None:
    async with bot_stack(tmp_path) as stack:
        fake, emu = stack.fake, stack.emulator
        too_big = await fake.slash_command(
            fake.guild.id,
            "general",
            "bob",
            "imagine",
            options={"prompt": "猫", "size": "4096x4096"},
            locale="zh-CN",
        )
        await too_big.wait_for_response()
        assert too_big.callback_type == 4
        reply = too_big.original
        assert reply.ephemeral
        assert "4096x4096" in reply.content and "像素" in reply.content

        text_file = await fake.slash_command(
            fake.guild.id,
            "general",
            "alice",
            "imagine",
            options={"prompt": "cat"},
            attachments=[("notes.txt", b"not an image", "text/plain")],
        )
        await text_file.wait_for_response()
        assert "JPEG, PNG or WebP" in text_file.original.content

        wrong_model = await fake.slash_command(
            fake.guild.id,
            "general",
            "alice",
            "imagine",
            options={"prompt": "cat", "model": "Dall-E"},
        )
        await wrong_model.wait_for_response()
        assert "Dall-E" in wrong_model.original.content
        assert emu.stats()["actions"] == {}  # not one call reached Tencent


async def test_blocked_prompt_becomes_an_incident_and_is_not_repeated(tmp_path) -> None:
    from mps_emulator import EmulatorConfig
    from tests.moderation_helpers import stored_incidents

    config = EmulatorConfig(
        image_wait=(0.1, 0.1), image_run=(0.2, 0.2), banned_words=("forbidden",)
    )
    async with bot_stack(tmp_path, emulator_config=config) as stack:
        fake = stack.fake
        interaction = await fake.slash_command(
            fake.guild.id, "general", "carol", "imagine", options={"prompt": "something forbidden"}
        )
        message = await fake.wait_for_message(
            lambda m: (
                m.id == interaction.response_message_id
                and m.embeds
                and "moderation" in (m.embeds[0].get("description") or "")
            ),
            timeout=20,
        )
        assert "forbidden" not in str(message.embeds)
        (incident,) = await stored_incidents(stack.database, fake.guild.id, count=1)
        assert incident.prompt == "something forbidden"
        assert incident.code == "InvalidParameter.ViolationContent"


async def test_large_result_is_reencoded_under_the_upload_limit(tmp_path) -> None:
    import io

    from PIL import Image

    from mps_emulator import EmulatorConfig
    from tests.fakes.discord.models import default_guild

    guild = default_guild()
    guild.attachment_size_limit = 1024 * 1024
    config = EmulatorConfig(image_wait=(0.1, 0.1), image_run=(0.2, 0.2), image_mode="noise")
    async with bot_stack(tmp_path, emulator_config=config, guilds=[guild]) as stack:
        fake = stack.fake
        interaction = await fake.slash_command(
            guild.id, "general", "alice", "imagine", options={"prompt": "static"}
        )
        message = await final_message(fake, interaction)
        (attachment,) = message.attachments
        assert len(attachment.data) <= 1024 * 1024
        assert attachment.filename.endswith(".jpg")
        image = Image.open(io.BytesIO(attachment.data))
        assert image.format == "JPEG" and image.size[0] >= 256
        assert stack.emulator.stats()["downloads"]["bytes"] > 1024 * 1024


async def test_sync_registers_chinese_names_and_descriptions(tmp_path) -> None:
    async with bot_stack(tmp_path, start=False) as stack:
        fake = stack.fake
        imagine = fake.command("imagine", fake.guild.id)
        assert imagine["name_localizations"]["zh-CN"] == "画图"
        assert imagine["description_localizations"]["zh-CN"] == "用腾讯云生成图片"
        options = {o["name"]: o for o in imagine["options"]}
        assert options["prompt"]["name_localizations"]["zh-CN"] == "提示词"
        assert options["prompt"]["max_length"] == 1000
        for name in (
            "history",
            "queue",
            "animate",
            "moderation",
            "settings",
            "quota",
            "usage",
            "preferences",
        ):
            assert fake.command(name, fake.guild.id)["name_localizations"]["zh-CN"]
        for name, chinese in (("Use as reference", "用作参考图"), ("Animate", "生成视频")):
            menu = fake.command(name, fake.guild.id)
            assert (menu["type"], menu["name_localizations"]["zh-CN"]) == (3, chinese)
        code, _ = await stack.run_cli("sync", "--guild", str(fake.guild.id))
        assert code == 0
        # imagine, history, queue, animate, settings, quota, usage, moderation, preferences
        # and two message menus; a second sync created nothing new
        assert fake.command_creates[fake.guild.id] == 11


async def test_sync_needs_only_the_discord_token(tmp_path) -> None:
    async with bot_stack(tmp_path, start=False) as stack:
        env = stack.env()
        for name in ("TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY", "MPS_ENDPOINT"):
            env.pop(name)
        # Neither the database nor the engine is opened: a path that cannot exist is fine.
        env["DATABASE_PATH"] = "/nonexistent/forbidden/bot.sqlite3"
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "sync",
            "--guild",
            str(stack.fake.guild.id),
            env=env,
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, out.decode()
        assert "Synced" in out.decode() and "Traceback" not in out.decode()
        assert not await asyncio.to_thread(Path("/nonexistent").exists)
