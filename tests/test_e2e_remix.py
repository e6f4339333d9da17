"""End to end, one bot process: Remix (a form pre-filled with the prompt, a new job with its
parent's options), Info (the parent of a remix), /history, built-in and server styles
reaching the emulator's prompt, and spoilers asked for or set per channel."""

from __future__ import annotations

import hashlib

from bot.asks.styles import BUILTIN_STYLES

from .bot_stack import bot_stack
from .test_e2e_admin import text_of
from .test_fake_discord import png

INK = next(s for s in BUILTIN_STYLES if s.name == "ink")


def button(message, prefix: str) -> str:
    return next(i for i in message.custom_ids() if i.startswith(prefix))


async def delivered(fake, interaction):
    return await fake.wait_for_message(
        lambda m: m.id == interaction.response_message_id and m.attachments, timeout=30
    )


def creates(emulator) -> list:
    """Every task MPS created, oldest first, each with the parameters it was sent."""
    tasks = [emulator.task(task_id) for task_id in emulator.stats()["tasks"]]
    return sorted(tasks, key=lambda task: task.created_at)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def test_remix_info_history_styles_and_spoilers(tmp_path) -> None:
    async with bot_stack(tmp_path) as stack:
        fake, emu = stack.fake, stack.emulator
        guild = fake.guild.id
        fox = png(48, 64, "orange")

        # An admin adds a server style; autocomplete offers it with the built-in ones,
        # those named in the member's language.
        added = await fake.invoke(
            "settings",
            "styles add",
            options={
                "name": "Noir",
                "prompt": "black and white film noir",
                "negative_prompt": "colour",
            },
        )
        assert "Noir" in (await added.wait_for_original()).content
        typed = await fake.autocomplete(
            guild,
            "general",
            "bob",
            "imagine",
            "style",
            options={"prompt": "x", "style": ""},
            locale="zh-CN",
        )
        await typed.wait_for_response()
        offered = {c["value"]: c["name"] for c in typed.autocomplete_choices}
        assert offered["cinematic"] == "电影感 (cinematic)" and offered["Noir"] == "Noir"

        # Alice asks with a model, an aspect, a style, a negative prompt, a reference, and
        # as a spoiler.
        first = await fake.slash_command(
            guild,
            "general",
            "alice",
            "imagine",
            options={
                "prompt": "a red fox",
                "negative_prompt": "snow",
                "model": "Kling:O1",
                "aspect": "3:4",
                "style": "ink",
                "spoiler": True,
            },
            attachments=[("fox.png", fox)],
        )
        result = await delivered(fake, first)
        (attachment,) = result.attachments
        assert attachment.spoiler and attachment.filename.startswith("SPOILER_")
        assert "image" not in result.embeds[0]  # the embed does not show it uncovered
        (parent_task,) = creates(emu)
        assert parent_task.params["Prompt"] == f"a red fox, {INK.prompt}"
        assert parent_task.reference_digests == (sha(fox),)

        # Bob remixes it: the form holds Alice's words (not the style's), and what he
        # submits is made with everything else kept.
        shown = await fake.press_button(result.id, button(result, "imagine:remix:"), "bob")
        form = await shown.wait_for_modal()
        assert form.field("prompt").value == "a red fox"
        assert form.field("negative_prompt").value == "snow"
        submitted = await fake.submit_modal(shown, {"prompt": "a white fox"})
        remixed = await delivered(fake, submitted)
        remix_task = creates(emu)[1]
        params = remix_task.params
        assert params["Prompt"] == f"a white fox, {INK.prompt}"
        assert (params["ModelName"], params["ModelVersion"]) == ("Kling", "O1")
        assert params["ExtraParameters"]["AspectRatio"] == "3:4"
        assert params["NegativePrompt"] == f"snow, {INK.negative_prompt}"
        assert remix_task.reference_digests == (sha(fox),)  # the same reference image
        assert all(a.spoiler for a in remixed.attachments)

        # Anyone may read Info, privately: the remix names its parent, and the options.
        info = await fake.press_button(remixed.id, button(remixed, "imagine:info:"), "carol")
        card = await info.wait_for_original()
        text = text_of(card)
        assert card.ephemeral and "Remix of #1" in text
        assert "Kling O1" in text and "Ink wash" in text and "a white fox" in text
        history = await fake.slash_command(guild, "general", "bob", "history")
        listed = await history.wait_for_original()
        assert "改写自 #1" in text_of(listed)  # Bob reads Chinese

        # A channel where every result is a spoiler, and the server's style on a plain ask.
        channel = fake.guild.channel("general")
        done = await fake.invoke("settings", "spoilers add", options={"channel": channel})
        assert "spoiler" in (await done.wait_for_original()).content
        noir = await fake.slash_command(
            guild, "general", "carol", "imagine", options={"prompt": "a city", "style": "noir"}
        )
        city = await delivered(fake, noir)
        assert city.attachments[0].spoiler
        noir_task = creates(emu)[2]
        assert noir_task.params["Prompt"] == "a city, black and white film noir"
        assert noir_task.params["NegativePrompt"] == "colour"
        assert emu.stats()["tasks_created"] == 3
