"""End to end, one bot process: preferences applied when an option is left out and
overridden when given (and left out, with a note, once the server no longer allows them),
three reference images reaching MPS as three images, two on a model that takes one refused
for free, and the message menus: Use as reference (a form, then the message's image as
`ImageInfos`) and Animate (a video from the message's image)."""

from __future__ import annotations

from bot.asks.styles import BUILTIN_STYLES
from mps_emulator import EmulatorConfig

from .bot_stack import bot_stack
from .test_e2e_admin import text_of
from .test_e2e_remix import creates, delivered, sha
from .test_e2e_video import CONFIG as VIDEO_CONFIG
from .test_e2e_video import FAST_VIDEO
from .test_fake_discord import png

PHOTO = next(s for s in BUILTIN_STYLES if s.name == "photo")
CINEMATIC = next(s for s in BUILTIN_STYLES if s.name == "cinematic")


async def test_preferences_references_and_message_menus(tmp_path) -> None:
    config = EmulatorConfig(**FAST_VIDEO, seed=11)
    async with bot_stack(tmp_path, emulator_config=config, config=VIDEO_CONFIG) as stack:
        fake, emu = stack.fake, stack.emulator
        guild = fake.guild.id

        async def imagine(options: dict, files=()):
            return await fake.slash_command(
                guild, "general", "carol", "imagine", options=options, attachments=files
            )

        chosen = await fake.slash_command(
            guild,
            "general",
            "carol",
            "preferences",
            subcommand="set",
            options={
                "model": "Kling:O1",
                "aspect": "16:9",
                "negative_prompt": "blur",
                "style": "photo",
            },
        )
        shown = text_of(await chosen.wait_for_original())
        assert "Kling O1" in shown and "16:9" in shown and "Photo" in shown

        # Left out: the preferences apply.
        await delivered(fake, await imagine({"prompt": "a harbour"}))
        params = creates(emu)[-1].params
        assert (params["ModelName"], params["ModelVersion"]) == ("Kling", "O1")
        assert params["ExtraParameters"]["AspectRatio"] == "16:9"
        assert params["Prompt"] == f"a harbour, {PHOTO.prompt}"
        assert params["NegativePrompt"] == f"blur, {PHOTO.negative_prompt}"
        # Given: the options win.
        given = {
            "prompt": "a harbour",
            "model": "Hunyuan:3.0",
            "aspect": "1:1",
            "negative_prompt": "rain",
            "style": "cinematic",
        }
        await delivered(fake, await imagine(given))
        params = creates(emu)[-1].params
        assert params["ModelName"] == "Hunyuan" and "AspectRatio" not in params.get(
            "ExtraParameters", {}
        )
        assert params["AdditionalParameters"] == '{"size": "1024x1024"}'
        assert (params["Prompt"], params["NegativePrompt"]) == (
            f"a harbour, {CINEMATIC.prompt}",
            "rain",
        )

        # Three references reach MPS as three images, in order.
        images = [png(40, 40, colour) for colour in ("red", "green", "blue")]
        files = [(f"ref{i}.png", data) for i, data in enumerate(images)]
        three = await imagine({"prompt": "blend them", "model": "Hunyuan:3.0"}, files)
        await delivered(fake, three)
        task = creates(emu)[-1]
        assert len(task.params["ImageInfos"]) == 3
        assert task.reference_digests == tuple(sha(data) for data in images)
        # Two on a model that takes one: refused privately, nothing sent.
        before = emu.stats()["actions"]["CreateAigcImageTask"]["requests"]
        two = await imagine({"prompt": "blend", "model": "Qwen"}, files[:2])
        refused = await two.wait_for_original()
        assert refused.ephemeral and "at most 1 reference" in refused.content
        assert emu.stats()["actions"]["CreateAigcImageTask"]["requests"] == before

        # The server stops allowing Kling: the preference is left out, with one line.
        models = await fake.invoke(
            "settings", "models", options={"allowed": "hunyuan,qwen", "default_model": "hunyuan"}
        )
        await models.wait_for_original()
        noted = await imagine({"prompt": "a lighthouse"})
        note = await noted.wait_for_followup(lambda m: m.ephemeral, timeout=10)
        assert "Kling" in note.content and "not allowed on this server" in note.content
        await delivered(fake, noted)
        assert creates(emu)[-1].params["ModelName"] == "Hunyuan"
        mine = await fake.slash_command(guild, "general", "carol", "preferences", subcommand="show")
        assert "not allowed on this server" in text_of(await mine.wait_for_original())

        # Use as reference: Bob's picture becomes the reference of Carol's image.
        cat = png(64, 48, "purple")
        posted = await fake.post_message("bob", "my cat", attachments=[("cat.png", cat)])
        used = await fake.message_command("Use as reference", posted, "carol")
        form = await used.wait_for_modal()
        assert form.title == "Use as reference"
        submitted = await fake.submit_modal(used, {"prompt": "a cat in space"})
        await delivered(fake, submitted)
        task = creates(emu)[-1]
        assert task.params["Prompt"].startswith("a cat in space")
        assert task.reference_digests == (sha(cat),)
        # A message without an image is refused at once, privately.
        words = await fake.post_message("bob", "just words")
        nothing = await fake.message_command("Animate", words, "carol")
        assert (await nothing.wait_for_original()).ephemeral

        # Animate: a video whose first frame is the message's image.
        animated = await fake.message_command("Animate", posted, "carol")
        video = await delivered(fake, animated)
        assert video.attachments[0].filename.endswith(".mp4")
        task = creates(emu)[-1]
        assert task.kind == "video" and task.params["ImageUrl"]
        assert task.reference_digests == (sha(cat),)

        cleared = await fake.slash_command(
            guild, "general", "carol", "preferences", subcommand="reset"
        )
        assert "no defaults" in text_of(await cleared.wait_for_original())
