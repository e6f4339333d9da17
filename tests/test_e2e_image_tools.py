"""End to end through the fake Discord and the emulator: the image tools on a result
(Upscale ×2 → an attachment twice the size, Remove background → a PNG with transparent
pixels, Zoom out → a wider picture), Describe on any message (a text and Imagine this,
which starts a job with that text), the tools' uses counted by the limits, and nothing
offered without the output bucket."""

from __future__ import annotations

from bot.engine.downloader import result_text
from bot.storage.jobs import JobState

from .bot_stack import bot_stack
from .test_e2e_admin import text_of
from .test_e2e_buttons import button, settled
from .test_e2e_remix import creates
from .tool_helpers import BUCKET, REGION, decode, subject_picture, tool_config

TOOLS_ON = {"MPS_OUTPUT_COS_BUCKET": BUCKET, "MPS_OUTPUT_COS_REGION": REGION}


async def posted(fake, interaction, within: float = 30):
    """The job's message once it holds its attachments."""
    return await fake.wait_for_message(
        lambda m: m.id == interaction.response_message_id and m.attachments, timeout=within
    )


async def answered(fake, interaction, within: float = 30):
    """The job's message once it holds its final buttons (a description has no file)."""
    return await fake.wait_for_message(
        lambda m: (
            m.id == interaction.response_message_id
            and any(i.startswith(("tool:imagine:", "imagine:delete:")) for i in m.custom_ids())
        ),
        timeout=within,
    )


def picture(message):
    return decode(message.attachments[0].data)


async def test_upscale_remove_background_and_zoom_out_on_a_result(tmp_path) -> None:
    async with bot_stack(tmp_path, emulator_config=tool_config(), environ=TOOLS_ON) as stack:
        fake, emu = stack.fake, stack.emulator
        first = await fake.invoke("imagine", user="alice", options={"prompt": "a red kite"})
        result = await posted(fake, first)
        original = picture(result)
        ids = result.custom_ids()
        for prefix in ("tool:upscale2:", "tool:upscale4:", "tool:zoomout:", "tool:cutout:"):
            assert any(i.startswith(prefix) for i in ids), prefix

        upscale = await fake.press_button(
            result.id, button(result, "tool:upscale2:"), "bob", locale="en-US"
        )
        upscaled = await posted(fake, upscale)
        assert picture(upscaled).size == (original.width * 2, original.height * 2)
        assert "Upscale ×2" in text_of(upscaled) and "a red kite" in text_of(upscaled)
        assert f"{original.width * 2}x{original.height * 2}" in text_of(upscaled)
        assert emu.stats()["actions"]["ProcessImage"]["accepted"] == 1
        # ×4 of the upscaled picture would pass 4096 px: refused privately, for free.
        too_big = await fake.press_button(
            upscaled.id, button(upscaled, "tool:upscale4:"), "bob", locale="en-US"
        )
        await too_big.wait_for_response()
        assert too_big.original.ephemeral and "4096" in too_big.original.content
        assert emu.stats()["actions"]["ProcessImage"]["requests"] == 1

        cutout = await fake.press_button(result.id, button(result, "tool:cutout:"), "alice")
        cut = await posted(fake, cutout)
        assert cut.attachments[0].filename.endswith(".png")
        alpha = picture(cut).convert("RGBA").getchannel("A")
        assert alpha.getextrema()[0] == 0  # some pixels are transparent

        zoom = await fake.press_button(result.id, button(result, "tool:zoomout:"), "alice")
        zoomed = picture(await posted(fake, zoom))
        assert zoomed.width / zoomed.height > original.width / original.height

        jobs = await settled(stack)
        assert [j.kind.value for j in jobs] == ["image", "tool", "tool", "tool"]
        assert all(j.state is JobState.DELIVERED for j in jobs)
        assert [j.model for j in jobs[1:]] == ["upscale_2x", "remove_background", "zoom_out"]
        # Each tool job was written with its request before it was sent, the input being
        # the Discord attachment.
        assert all(
            j.request["InputInfo"]["UrlInputInfo"]["Url"].startswith(fake.base_url)
            for j in jobs[1:]
        )
        history = await fake.invoke("history", user="alice")
        shown = text_of(await history.wait_for_original())
        assert "Remove background" in shown and "Zoom out" in shown


async def test_describe_then_imagine_this(tmp_path) -> None:
    async with bot_stack(tmp_path, emulator_config=tool_config(), environ=TOOLS_ON) as stack:
        fake, emu = stack.fake, stack.emulator
        photo = subject_picture((160, 90))
        message = await fake.post_message("bob", "my photo", attachments=[("p.png", photo)])
        describe = await fake.message_command("Describe", message, "carol")
        described = await answered(fake, describe)
        text = described.embeds[0]["description"]
        assert text and "Imagine this" in str(described.components)

        imagine = await fake.press_button(described.id, button(described, "tool:imagine:"), "alice")
        await posted(fake, imagine)
        (task,) = creates(emu)
        assert task.params["Prompt"].replace("\\", "") == text.replace("\\", "")
        jobs = await settled(stack)
        assert [j.kind.value for j in jobs] == ["tool", "image"]
        assert result_text(jobs[0]) and jobs[1].user_id == fake.guild.member("alice").user.id
        # /history job: shows the description, and offers no Run again for a tool.
        detail = await fake.invoke("history", user="carol", options={"job": jobs[0].id})
        card = await detail.wait_for_original()
        assert text in text_of(card) and "Describe" in text_of(card)
        assert not [i for i in card.custom_ids() if i.startswith("history:rerun:")]

        # A message without an image is refused privately, for free.
        words = await fake.post_message("bob", "just words")
        refused = await fake.message_command("Describe", words, "carol")
        assert (await refused.wait_for_response()).original.ephemeral


async def test_tool_uses_count_as_images_unless_the_server_sets_a_tool_limit(tmp_path) -> None:
    async with bot_stack(tmp_path, emulator_config=tool_config(), environ=TOOLS_ON) as stack:
        fake = stack.fake
        limit = await fake.invoke("settings", "limits", options={"daily_per_user": 2})
        await limit.wait_for_response()
        first = await fake.invoke("imagine", user="alice", options={"prompt": "owl"})
        result = await posted(fake, first)
        upscale = await fake.press_button(result.id, button(result, "tool:upscale2:"), "alice")
        await posted(fake, upscale)
        # The image and the upscale are two images: a third use is refused, for free.
        third = await fake.press_button(result.id, button(result, "tool:zoomout:"), "alice")
        await third.wait_for_response()
        assert third.original.ephemeral and "2 of your 2" in third.original.content

        # With a tool limit of its own, tool uses count apart, against it alone.
        limit = await fake.invoke("settings", "limits", options={"tools_daily_per_user": 2})
        await limit.wait_for_response()
        again = await fake.press_button(result.id, button(result, "tool:zoomout:"), "alice")
        await posted(fake, again)
        over = await fake.press_button(result.id, button(result, "tool:cutout:"), "alice")
        await over.wait_for_response()
        assert "2 of your 2 tool uses" in over.original.content
        # ...and images no longer count them: one image made, a second is allowed.
        await posted(fake, await fake.invoke("imagine", user="alice", options={"prompt": "fox"}))
        quota = await fake.invoke("quota", user="alice")
        shown = text_of(await quota.wait_for_original())
        assert "Image tool uses per member per day: 2 used" in shown
        usage = await fake.invoke("usage", locale="en-US")
        shown = text_of(await usage.wait_for_original(lambda m: m.embeds))
        assert "2 image tool uses" in shown
        jobs = await settled(stack)
        assert [j.model for j in jobs if j.kind.value == "tool"] == ["upscale_2x", "zoom_out"]


async def test_without_the_output_bucket_nothing_is_offered(tmp_path) -> None:
    async with bot_stack(tmp_path, emulator_config=tool_config()) as stack:
        fake = stack.fake
        result = await posted(fake, await fake.invoke("imagine", options={"prompt": "a bay"}))
        assert not [i for i in result.custom_ids() if i.startswith("tool:")]
        assert "imagine:reroll:" in " ".join(result.custom_ids())  # the rest is there
        # The Describe menu is not registered; the other menus are.
        guild = fake.guild.id
        assert fake.command("Describe", guild) is None
        assert fake.command("Use as reference", guild) is not None


async def test_a_result_of_several_images_offers_the_tools_in_a_picker(tmp_path) -> None:
    """And a spoiler's tools make spoilers."""
    async with bot_stack(tmp_path, emulator_config=tool_config(), environ=TOOLS_ON) as stack:
        fake = stack.fake
        options = {"prompt": "twins", "count": 2, "spoiler": True}
        ask = await fake.invoke("imagine", user="alice", options=options)
        result = await fake.wait_for_message(
            lambda m: m.id == ask.response_message_id and len(m.attachments) == 2, timeout=30
        )
        picker = button(result, "tool:pick:")
        # No tool buttons: one picker with each tool for each image, within Discord's rows.
        assert not [i for i in result.custom_ids() if i.startswith("tool:upscale2:")]
        assert len(result.components) <= 5
        assert all(len(row["components"]) <= 5 for row in result.components)
        second = decode(result.attachments[1].data)
        picked = await fake.select(result.id, picker, ["upscale_2x:1"], "bob", locale="en-US")
        tool_result = await posted(fake, picked)
        upscaled = picture(tool_result)
        assert upscaled.size == (second.width * 2, second.height * 2)
        assert tool_result.attachments[0].spoiler  # a spoiler's tool result stays one
        jobs = await settled(stack)
        tool_job = next(j for j in jobs if j.kind.value == "tool")
        url = tool_job.request["InputInfo"]["UrlInputInfo"]["Url"]
        assert result.attachments[1].filename in url  # the second image was the input


async def test_a_member_on_probation_has_a_tools_picture_held_not_a_description(
    tmp_path,
) -> None:
    from .moderation_helpers import guild_with_log, log_post
    from .test_e2e_probation import held_notice

    guild = guild_with_log()
    config = tool_config()
    async with bot_stack(
        tmp_path, guilds=[guild], emulator_config=config, environ=TOOLS_ON
    ) as stack:
        fake = stack.fake
        newcomers = await fake.create_role("Newcomers")
        options = {"log_channel": guild.channel("mod-log"), "probation_role": newcomers}
        setup = await fake.invoke("settings", "moderation", user="alice", options=options)
        await setup.wait_for_response()
        await fake.give_role("carol", newcomers)
        result = await posted(
            fake, await fake.invoke("imagine", user="bob", options={"prompt": "a bay"})
        )

        cutout = await fake.press_button(result.id, button(result, "tool:cutout:"), "carol")
        await held_notice(fake, cutout)
        post = await log_post(fake, guild, "held:approve:")
        assert post.attachments[0].filename.startswith("SPOILER_")
        job_id = int(post.custom_ids()[0].rsplit(":", 1)[1])
        # A description makes no picture: it is answered at once.
        describe = await fake.message_command("Describe", result, "carol")
        assert (await answered(fake, describe)).embeds[0]["description"]

        approved = await fake.press_button(post.id, f"held:approve:{job_id}", "alice")
        await approved.wait_for_response()
        cut = await posted(fake, cutout)
        assert picture(cut).mode == "RGBA"
