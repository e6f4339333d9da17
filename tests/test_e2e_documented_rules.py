"""End to end, one bot process: what Tencent documents is what members can ask for.

Through the fake Discord and the emulator: `/imagine` and `/animate` refuse every documented
violation privately and for free (not one request reaches the emulator); `count:4` is four
tasks delivered in one message; a task Describe no longer finds ends its job within
seconds; limits count images and refuse an ask whole, as `/quota` says; and an account
Tencent refuses stops Creates, keeps the queue, is posted once in the log channel, and
resumes when the account works again.
"""

from __future__ import annotations

import time

from mps_emulator import EmulatorConfig
from tests.fakes.discord.models import FakeChannel, default_guild

from .bot_stack import bot_stack
from .image_helpers import small_image

PNG = ("frame.png", small_image("PNG"), "image/png")
WEBP = ("frame.webp", small_image("WEBP"), "image/webp")
GIF = ("ref.gif", small_image("GIF"), "image/gif")

IMAGE_REFUSALS = [
    ({"model": "Kling:2.1", "size": "1024x1024"}, (), "takes an aspect ratio, not a size"),
    ({"model": "Hunyuan:3.5-preview", "aspect": "1:1"}, (), "does not let you choose the image"),
    ({"model": "Hunyuan:3.0", "size": "500x1024"}, (), "between 512 and 2048 pixels"),
    ({"model": "Qwen:0925", "size": "512x511"}, (), "between 512x512 and 2048x2048"),
    ({"model": "Hunyuan:3.0", "resolution": "2K"}, (), "does not let you choose a resolution"),
    ({"model": "Midjourney"}, (), "There is no model called “Midjourney”"),
    ({"model": "Kling:2.0"}, (), "Kling has no version “2.0”"),
    ({"reference": GIF}, [GIF], "JPEG, PNG or WebP"),
]
VIDEO_REFUSALS = [
    ({"model": "Kling:O1", "duration": 11}, (), "Allowed lengths (seconds): 3-10"),
    ({"model": "Hailuo:2.3", "duration": 10}, (), "Allowed lengths (seconds): 6."),
    ({"model": "Hunyuan:1.5", "duration": 5}, (), "does not let you choose the length"),
    ({"model": "Kling:2.6", "resolution": "4K"}, (), "Choose one of: 720P, 1080P"),
    ({"model": "Kling:3.0", "aspect": "4:3"}, (), "Choose one of: 16:9, 9:16, 1:1"),
    ({"aspect": "16:9", "first_frame": PNG}, [PNG], "no aspect ratio with a first frame"),
    ({"model": "Hailuo:2.3", "aspect": "16:9"}, (), "does not let you choose the shape"),
    ({"model": "Vidu:q2-pro", "aspect": "4:3"}, (), "Choose one of: 16:9, 9:16, 1:1"),
    ({"model": "PixVerse:v5.6", "aspect": "2:3"}, (), "16:9, 9:16, 4:3, 3:4, 1:1."),
    (
        {"model": "Hailuo:2.3", "first_frame": PNG, "last_frame": PNG},
        [PNG, PNG],
        "does not take a last frame",
    ),
    (
        {"model": "Kling:2.5", "resolution": "720P", "first_frame": PNG, "last_frame": PNG},
        [PNG, PNG],
        "takes a last frame only at 1080P",
    ),
    ({"last_frame": PNG}, [PNG], "A last frame needs a first frame"),
    ({"model": "H2:1.0", "audio": True}, (), "H2 1.0 cannot add sound"),
    ({"first_frame": WEBP}, [WEBP], "must be a JPEG or PNG file"),
    ({"model": "Kling:2.1", "reference": PNG}, [PNG], "does not take reference images"),
]


async def refused(fake, command: str, options: dict, attachments, user: str = "carol") -> str:
    # Files go in the options they are given for (`attachments` fills the free ones).
    asked = await fake.invoke(command, options={"prompt": "a test", **options}, user=user)
    await asked.wait_for_response()
    assert asked.original is not None and asked.original.ephemeral, options
    return asked.original.content


def texts(message) -> str:
    return "\n".join(
        " ".join(str(e.get(k) or "") for e in r.embeds for k in ("title", "description"))
        for r in message.history
    )


async def test_members_get_what_is_documented_and_nothing_else(tmp_path) -> None:
    guild = default_guild()
    guild.channels.append(FakeChannel("mod-log", position=2))
    emulator = EmulatorConfig(
        image_wait=(0.1, 0.1),
        image_run=(0.3, 0.3),
        video_wait=(0.1, 0.1),
        video_run=(0.3, 0.3),
        video_scale=0.1,
        seed=5,
    )
    config = {"outage_probe": [0.3, 0.6], "polling": {"video_expected": [0.3, 1.0]}}
    async with bot_stack(
        tmp_path, emulator_config=emulator, guilds=[guild], config=config
    ) as stack:
        fake, emu = stack.fake, stack.emulator

        # Every violation is refused privately, naming what is allowed, for free.
        for options, attachments, expected in IMAGE_REFUSALS:
            text = await refused(fake, "imagine", options, attachments)
            assert expected in text, (options, text)
        for options, attachments, expected in VIDEO_REFUSALS:
            text = await refused(fake, "animate", options, attachments)
            assert expected in text, (options, text)
        assert emu.stats()["actions"] == {}  # not one request reached Tencent

        # count:4 is four tasks of one image each, delivered together in one message.
        four = await fake.invoke("imagine", user="alice", options={"prompt": "cats", "count": 4})
        message = await four.wait_for_original(lambda m: m.attachments, timeout=30)
        assert len(message.attachments) == 4
        assert [len(r.attachments) for r in message.history if r.attachments] == [4]
        tasks = emu.stats()["tasks"]
        assert len(tasks) == 4 and all(emu.task(t).spec.output_count == 1 for t in tasks)
        history = await fake.invoke("history", user="alice")
        await history.wait_for_response()
        assert texts(history.original).count("cats") == 1  # one ask, one line
        # Re-roll asks for the same count again; a task that fails is a line in the message.
        emu.fail_next_task("no luck this time")
        reroll = next(i for i in message.custom_ids() if i.startswith("imagine:reroll:"))
        again = await fake.press_button(message.id, reroll, "alice")
        rerolled = await again.wait_for_original(lambda m: m.attachments, timeout=30)
        assert len(rerolled.attachments) == 3 and emu.stats()["tasks_created"] == 8
        assert "1 of 4 images failed: Generation failed: no luck this time" in texts(rerolled)

        # A task Describe no longer knows ends its job within seconds, clearly.
        emu.inject_fault(
            "error", "DescribeAigcImageTask", code="FailedOperation.TaskNotFound", count=50
        )
        started = time.monotonic()
        lost = await fake.invoke("imagine", user="alice", options={"prompt": "lost"})
        gone = await lost.wait_for_original(
            lambda m: "no longer knows this task" in texts(m), timeout=15
        )
        assert time.monotonic() - started < 10 and not gone.attachments
        emu.service.faults.clear()

        # Limits count images: an ask past one is refused whole, and /quota agrees.
        limits = await fake.invoke("settings", "limits", options={"daily_per_user": 2})
        await limits.wait_for_response()
        creates = emu.stats()["tasks_created"]
        text = await refused(fake, "imagine", {"count": 4}, ())
        assert "used 0 of your 2 images today, so 4 more would pass it" in text
        quota = await fake.invoke("quota", user="carol")
        await quota.wait_for_response()
        assert "0 used, **2** left of 2" in texts(quota.original) + str(quota.original.embeds)
        assert emu.stats()["tasks_created"] == creates

        # The account refused: jobs wait (not failed), one post in the log channel, and
        # both are made once the account works again.
        log = guild.channel("mod-log")
        moderation = await fake.invoke("settings", "moderation", options={"log_channel": log})
        await moderation.wait_for_response()
        emu.set_account_error("FailedOperation.UserArrears")
        first = await fake.invoke("imagine", user="carol", options={"prompt": "patience"})
        await first.wait_for_original(lambda m: "operator" in texts(m), timeout=15)
        notice = await fake.wait_for_message(
            lambda m: m.channel_id == log.id and "FailedOperation.UserArrears" in m.content
        )
        second = await fake.invoke("imagine", user="bob", options={"prompt": "waiting too"})
        await second.wait_for_original(lambda m: "运营者" in texts(m), timeout=15)
        emu.set_account_error(None)
        for asked in (first, second):
            await asked.wait_for_original(lambda m: m.attachments, timeout=30)
        notices = [m for m in fake.channel_messages(log.id) if "UserArrears" in (m.content or "")]
        assert [m.id for m in notices] == [notice.id]

        # Image and video models are apart: an image list does not refuse a plain /animate.
        models = await fake.invoke("settings", "models", options={"allowed": "Hunyuan, Qwen"})
        await models.wait_for_response()
        plain = await fake.invoke("animate", user="alice", options={"prompt": "waves"})
        await plain.wait_for_original(lambda m: m.attachments, timeout=30)
        (video,) = [emu.task(t) for t in emu.stats()["tasks"] if emu.task(t).kind == "video"]
        assert (video.spec.model, video.spec.version) == ("Kling", "3.0")

        # The AI mark: every result asks for it, and a model that cannot add it is refused.
        mark = await fake.invoke("settings", "ai-mark", options={"enabled": True})
        await mark.wait_for_response()
        text = await refused(fake, "animate", {"model": "PixVerse:v6"}, ())
        assert "cannot add the mark" in text and "Kling" in text
        marked = await fake.invoke("imagine", user="carol", options={"prompt": "labelled"})
        await marked.wait_for_original(lambda m: m.attachments, timeout=30)
        newest = max(emu.stats()["tasks"], key=lambda t: emu.task(t).created_at)
        assert emu.task(newest).spec.logo and not video.spec.logo
