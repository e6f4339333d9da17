"""Re-roll and Run again after a reference's Discord URL expired: the URL is refreshed."""

from __future__ import annotations

import io

from PIL import Image

from .bot_stack import bot_stack


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 40, 40)).save(out, "PNG")
    return out.getvalue()


def button(message, prefix: str) -> str:
    return next(i for i in message.custom_ids() if i.startswith(prefix))


async def delivered(fake, interaction):
    return await fake.wait_for_message(
        lambda m: m.id == interaction.response_message_id and m.attachments, timeout=30
    )


async def test_reroll_and_rerun_refresh_an_expired_reference_url(tmp_path) -> None:
    async with bot_stack(tmp_path) as stack:
        fake, emu = stack.fake, stack.emulator
        first = await fake.slash_command(
            fake.guild.id,
            "general",
            "alice",
            "imagine",
            options={"prompt": "the same cat"},
            attachments=[("cat.png", png(), "image/png")],
        )
        result = await delivered(fake, first)
        assert emu.stats()["references"]["fetched"] == 1
        fake.advance(2 * 24 * 3600)  # the reference's signed URL has expired

        reroll = await fake.press_button(result.id, button(result, "imagine:reroll:"), "carol")
        rerolled = await delivered(fake, reroll)
        assert rerolled.embeds[0]["title"] == "the same cat"

        details = await fake.invoke("history", user="alice", options={"job": 1})
        card = await details.wait_for_original(lambda m: m.custom_ids())
        rerun = await fake.press_button(card.id, button(card, "history:rerun:"), "alice")
        await delivered(fake, rerun)
        # Both new jobs fetched the reference again, through a refreshed URL.
        assert emu.stats()["references"]["fetched"] == 3
        assert emu.stats()["actions"]["CreateAigcImageTask"]["accepted"] == 3
