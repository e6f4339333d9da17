"""Videos end to end: /animate, the Animate button, transcoding to fit, Download, history."""

from __future__ import annotations

import io

import av

from bot.storage.database import open_database
from bot.storage.jobs import JobState, JobStore
from mps_emulator import EmulatorConfig

from .bot_stack import bot_stack
from .image_helpers import small_image

MIB = 1024 * 1024
# Fast videos: tasks of under a second, small frames (720P 16:9 * 0.25 = 320x180).
FAST_VIDEO = dict(
    image_wait=(0.1, 0.2),
    image_run=(0.2, 0.4),
    video_wait=(0.1, 0.2),
    video_run=(0.3, 0.5),
    video_scale=0.25,
)
CONFIG = {"polling": {"video_expected": [0.3, 1.5]}}


def video_info(data: bytes) -> tuple[float, int, int, bool]:
    """(seconds, width, height, has audio), read by decoding the file with PyAV."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        seconds = frames / float(stream.average_rate)
        has_audio = bool(container.streams.audio)
        return seconds, stream.codec_context.width, stream.codec_context.height, has_audio


def audio_seconds(data: bytes) -> float:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(stream))
        return samples / stream.codec_context.sample_rate


async def delivered(fake, interaction):
    return await fake.wait_for_message(
        lambda m: m.id == interaction.response_message_id and m.attachments, timeout=30
    )


async def stored_jobs(stack) -> list:
    db = await open_database(stack.database)
    try:
        store = JobStore(db)
        async with db.execute("SELECT id FROM jobs ORDER BY id") as cur:
            ids = [row[0] for row in await cur.fetchall()]
        return [await store.get(i) for i in ids]
    finally:
        await db.close()


def button(message, prefix: str) -> str:
    return next(i for i in message.custom_ids() if i.startswith(prefix))


async def test_animate_button_rerolls_and_history(tmp_path) -> None:
    config = EmulatorConfig(**FAST_VIDEO, seed=5)
    async with bot_stack(tmp_path, emulator_config=config, config=CONFIG) as stack:
        fake, emu = stack.fake, stack.emulator
        first = await fake.invoke("imagine", options={"prompt": "a paper boat"}, user="alice")
        image = await delivered(fake, first)
        assert any(i.startswith("imagine:animate:") for i in image.custom_ids())

        press = await fake.press_button(image.id, button(image, "imagine:animate:"), "alice")
        video_message = await delivered(fake, press)
        (attachment,) = video_message.attachments
        assert attachment.filename.endswith(".mp4")
        seconds, width, height, has_audio = video_info(attachment.data)
        # Kling 3.0 by default: 5 seconds at 720P 16:9, here scaled to 320x180.
        assert abs(seconds - 5) < 0.1 and (width, height) == (320, 180)
        assert not has_audio
        embed = video_message.embeds[0]
        assert embed["title"] == "a paper boat"
        assert "image" not in embed  # the video plays as the attachment itself
        fields = {f["name"]: f["value"] for f in embed["fields"]}
        assert fields["Length"] == "5 s" and fields["Sound"] == "no"
        # A video result can be re-rolled, not varied nor animated again.
        ids = video_message.custom_ids()
        assert not any(i.startswith(("imagine:vary:", "imagine:animate:")) for i in ids)
        assert emu.stats()["references"]["fetched"] == 1  # the image was the first frame

        reroll = await fake.press_button(
            video_message.id, button(video_message, "imagine:reroll:"), "bob"
        )
        rerolled = await delivered(fake, reroll)
        assert rerolled.attachments[0].filename.endswith(".mp4")

        image_job, video_job, again = await stored_jobs(stack)
        assert video_job.kind.value == again.kind.value == "video"
        assert video_job.request["ImageUrl"].startswith(fake.base_url)
        assert video_job.request["ModelName"] == "Kling"
        assert video_job.request["ModelVersion"] == "3.0"
        # The same video options again, with the first frame's attachment URL signed afresh.
        first, again_first = video_job.request["ImageUrl"], again.request["ImageUrl"]
        assert first.split("?")[0] == again_first.split("?")[0]
        assert {k: v for k, v in again.request.items() if k != "ImageUrl"} == {
            k: v for k, v in video_job.request.items() if k != "ImageUrl"
        }
        assert again.user_id == fake.guild.member("bob").user.id
        assert emu.stats()["actions"]["CreateAigcVideoTask"]["accepted"] == 2

        listing = await fake.invoke("history", user="alice")
        await listing.wait_for_response()
        text = listing.original.embeds[0]["description"]
        assert f"**#{video_job.id}** ✅ 🎬" in text
        assert f"**#{image_job.id}** ✅ done" in text

        details = await fake.invoke("history", options={"job": video_job.id}, user="alice")
        await details.wait_for_response()
        fields = {f["name"]: f["value"] for f in details.original.embeds[0]["fields"]}
        assert fields["Length"] == "5 s"
        assert fields["Resolution"] == "720P"
        assert fields["Frames given"] == "first frame"
        rerun = await fake.press_button(
            details.original.id, f"history:rerun:{video_job.id}", "alice"
        )
        await delivered(fake, rerun)
        assert emu.stats()["actions"]["CreateAigcVideoTask"]["accepted"] == 3


async def test_big_video_is_transcoded_and_one_too_big_is_offered_in_history(tmp_path) -> None:
    config = EmulatorConfig(**FAST_VIDEO, video_mode="noise", seed=6)
    async with bot_stack(tmp_path, emulator_config=config, config=CONFIG) as stack:
        fake, emu = stack.fake, stack.emulator
        fake.guild.attachment_size_limit = 10 * MIB
        frame = ("start.png", small_image(), "image/png")
        asked = await fake.invoke(
            "animate",
            options={"prompt": "static on a screen", "duration": 4, "audio": True},
            attachments=[frame],
            user="alice",
        )
        message = await delivered(fake, asked)
        (attachment,) = message.attachments
        served = emu.stats()["downloads"]["bytes"]
        assert served > 10 * MIB  # what MPS made was too big to post…
        assert len(attachment.data) <= 10 * MIB  # …so the bot made it fit
        seconds, *_, has_audio = video_info(attachment.data)
        assert abs(seconds - 4) < 0.1 and has_audio
        assert abs(audio_seconds(attachment.data) - 4) < 0.2
        fields = {f["name"]: f["value"] for f in message.embeds[0]["fields"]}
        assert fields["Length"] == "4 s" and fields["Sound"] == "yes"

        # A server whose limit no acceptable quality fits: the member is told, and the
        # file waits for /history's Download, which tries harder.
        fake.guild.attachment_size_limit = 80 * 1024
        tiny = await fake.invoke(
            "animate",
            options={"prompt": "more static", "duration": 3, "audio": True},
            user="alice",
        )
        failed = await tiny.wait_for_original(
            lambda m: m.embeds and "description" in m.embeds[0] and "/history" in str(m.embeds),
            timeout=30,
        )
        assert not failed.attachments
        text = failed.embeds[0]["description"]
        assert "The video was made but could not be posted here" in text
        *_, job = await stored_jobs(stack)
        assert job.state is JobState.FAILED and f"/history job:{job.id}" in text

        details = await fake.invoke("history", options={"job": job.id}, user="alice")
        await details.wait_for_response()
        download_id = f"history:download:{job.id}"
        assert download_id in details.original.custom_ids()
        press = await fake.press_button(details.original.id, download_id, "alice")
        copy = await press.wait_for_followup(lambda m: m.attachments, timeout=30)
        assert copy.ephemeral
        data = copy.attachments[0].data
        assert len(data) <= 80 * 1024
        seconds, *_, has_audio = video_info(data)
        assert abs(seconds - 3) < 0.1 and has_audio


async def test_bad_video_options_are_refused_before_any_call(tmp_path) -> None:
    async with bot_stack(tmp_path, config=CONFIG) as stack:
        fake, emu = stack.fake, stack.emulator
        frame = ("end.png", small_image(), "image/png")
        cases = [
            ({"prompt": "a long take", "duration": 20}, (), "3-15"),
            ({"prompt": "a quiet film", "model": "Hunyuan:1.5", "audio": True}, (), "sound"),
            ({"prompt": "big", "resolution": "540P"}, (), "540P"),
            ({"prompt": "ends", "model": "Hunyuan"}, [frame], "last frame"),
            ({"prompt": "x" * 10, "model": "Sora"}, (), "Sora"),
        ]
        for options, attachments, expected in cases:
            kwargs = {"options": options, "user": "alice"}
            if attachments:
                kwargs = {**kwargs, "options": {**options, "last_frame": attachments[0]}}
            refused = await fake.invoke("animate", attachments=attachments, **kwargs)
            await refused.wait_for_response()
            reply = refused.original
            assert reply.ephemeral, options
            if expected:
                assert expected in reply.content, (options, reply.content)
        zh = await fake.invoke(
            "animate", options={"prompt": "太长", "duration": 30}, user="bob", locale="zh-CN"
        )
        await zh.wait_for_response()
        assert zh.original.ephemeral and "秒" in zh.original.content
        assert emu.stats()["actions"] == {}  # not one call reached Tencent
        assert await stored_jobs(stack) == []


async def test_video_limits_count_apart_from_image_limits(tmp_path) -> None:
    config = EmulatorConfig(**FAST_VIDEO, seed=9)
    async with bot_stack(tmp_path, emulator_config=config, config=CONFIG) as stack:
        fake, emu = stack.fake, stack.emulator
        setup = await fake.invoke(
            "settings", "limits", options={"daily_video_per_user": 1, "daily_per_user": 2}
        )
        await setup.wait_for_response(timeout=15)

        def accepted(action: str) -> int:
            return emu.stats()["actions"].get(action, {}).get("accepted", 0)

        first = await fake.invoke("animate", options={"prompt": "waves"}, user="alice")
        await delivered(fake, first)
        second = await fake.invoke("animate", options={"prompt": "more waves"}, user="alice")
        await second.wait_for_response(timeout=15)
        refusal = await second.wait_for_original(lambda m: m.content, timeout=15)
        assert refusal.ephemeral and "1 of your 1 videos" in refusal.content
        assert accepted("CreateAigcVideoTask") == 1
        # The video spent nothing of the image budget: two images still go through.
        for prompt in ("a fox", "a hare"):
            await delivered(
                fake, await fake.invoke("imagine", options={"prompt": prompt}, user="alice")
            )
        assert accepted("CreateAigcImageTask") == 2
        third = await fake.invoke("imagine", options={"prompt": "a deer"}, user="alice")
        await third.wait_for_response(timeout=15)
        refused = await third.wait_for_original(lambda m: m.content, timeout=15)
        assert "2 of your 2 images" in refused.content
        # Another member's videos are theirs to spend.
        await delivered(fake, await fake.invoke("animate", options={"prompt": "rain"}, user="bob"))
        assert accepted("CreateAigcVideoTask") == 2


async def test_a_video_outliving_its_token_pings_its_owner_about_a_video(tmp_path) -> None:
    config = EmulatorConfig(**{**FAST_VIDEO, "video_wait": (0.5, 0.5)}, seed=4)
    async with bot_stack(tmp_path, emulator_config=config, config=CONFIG) as stack:
        fake = stack.fake
        interaction = await fake.invoke("animate", options={"prompt": "tides"}, user="alice")
        await interaction.wait_for_original(lambda m: m.embeds, timeout=15)
        fake.expire_token(interaction.token)
        message = await delivered(fake, interaction)
        alice = fake.guild.member("alice").user.id
        ping = await fake.wait_for_message(
            lambda m: m.channel_id == message.channel_id and f"<@{alice}>" in m.content
        )
        assert "your video is ready" in ping.content and str(message.id) in ping.content
