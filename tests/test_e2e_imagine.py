"""End to end: the real bot process, the fake Discord and the MPS emulator."""

from __future__ import annotations

import hashlib

import aiohttp

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
