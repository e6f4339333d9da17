"""End to end: money budgets, the 80 % warning, the fallback model, and the time and price
each model shows in autocomplete, through the fake Discord and the emulator."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import time

from PIL import Image

from bot.reports.chart import BUDGET, HEIGHT, SPEND, VIDEOS, WIDTH
from tests.fakes.discord.models import default_guild
from tests.moderation_helpers import guild_with_log

from .bot_stack import bot_stack
from .databases import write_rows
from .test_e2e_admin import creates, image_heights, reply, text_of


def next_month_utc() -> int:
    today = dt.datetime.now(dt.UTC).date().replace(day=1)
    following = (today + dt.timedelta(days=32)).replace(day=1)
    return int(dt.datetime(following.year, following.month, 1, tzinfo=dt.UTC).timestamp())


async def test_budget_warns_once_at_80_percent_and_refuses_at_100_for_free(tmp_path) -> None:
    other = default_guild(name="Other Guild")
    async with bot_stack(tmp_path, guilds=[default_guild(), other]) as stack:
        fake = stack.fake
        guild = fake.guild
        await reply(await fake.invoke("settings", "limits", options={"queued_per_user": 20}))
        saved = await reply(await fake.invoke("settings", "budget", options={"monthly": 1.0}))
        assert saved.ephemeral and "Monthly budget: ¥0.00 of ¥1.00 (0 %)" in saved.content
        # Eight asks at once at ¥0.20 an image (Hunyuan, the default): five fit ¥1.00.
        asks = await asyncio.gather(
            *(
                fake.invoke("imagine", user="carol", options={"prompt": f"cat {i}"})
                for i in range(8)
            )
        )
        answers = [await reply(a) for a in asks]
        refused = [m for m in answers if "budget is spent" in m.content]
        assert len(refused) == 3
        for message in refused:  # refused before anything was shown: privately
            assert message.ephemeral
            assert "monthly budget is spent: ¥1.00 of ¥1.00, and this would cost ¥0.20" in (
                message.content
            )
            assert f"<t:{next_month_utc()}:R>" in message.content
        for interaction, message in zip(asks, answers, strict=True):
            if message not in refused:
                await interaction.wait_for_original(lambda m: m.attachments, timeout=30)
        assert creates(stack) == 5
        costs = await stack.rows("SELECT cost FROM jobs WHERE guild_id = ?", guild.id)
        assert sorted(round(c, 2) for (c,) in costs) == [0.2] * 5
        # The owner is told once (the server has no log channel), at 80 %.
        warning = await fake.wait_for_dm("alice", lambda m: "80 %" in m.content, timeout=15)
        assert "monthly budget: ¥0.80 of ¥1.00" in warning.content
        # Another server has no budget: its asks go on.
        elsewhere = await fake.invoke("imagine", guild=other, options={"prompt": "dog"})
        await elsewhere.wait_for_original(lambda m: m.attachments, timeout=30)
        assert creates(stack) == 6

        # After a restart the budget still holds, and the warning is not posted again.
        await stack.bots[0].stop()
        await stack.start_bot()
        again = await reply(await fake.invoke("imagine", user="carol", options={"prompt": "x"}))
        assert "monthly budget is spent: ¥1.00 of ¥1.00" in again.content
        assert creates(stack) == 6
        # A daily budget crossed now is warned about (after anything left from before).
        await reply(await fake.invoke("settings", "budget", options={"monthly": 5.0, "daily": 1.3}))
        asked = await fake.invoke("imagine", user="carol", options={"prompt": "one more"})
        await asked.wait_for_original(lambda m: m.attachments, timeout=30)
        await fake.wait_for_dm("alice", lambda m: "daily budget" in m.content, timeout=15)
        dms = [m.content for m in fake.dms("alice")]
        assert len(dms) == 2 and "monthly budget: ¥0.80" in dms[0]
        assert "92 % of its daily budget: ¥1.20 of ¥1.30" in dms[1]
        rows = await stack.rows("SELECT budget, posted_at IS NOT NULL FROM budget_alerts")
        assert sorted(rows) == [("daily", 1), ("monthly", 1)]


async def test_a_spent_budget_switches_asks_to_the_cheaper_fallback_model(tmp_path) -> None:
    guild = guild_with_log()
    async with bot_stack(tmp_path, guilds=[guild]) as stack:
        fake = stack.fake
        log = guild.channel("mod-log")
        await reply(await fake.invoke("settings", "moderation", options={"log_channel": log}))
        options = {"monthly": 0.5, "fallback_model": "Qwen:0925"}
        saved = await reply(await fake.invoke("settings", "budget", options=options))
        assert "images use Qwen 0925" in saved.content
        # Only those who may manage the server set budgets (bob speaks Chinese).
        denied = await fake.invoke("settings", "budget", user="bob", options={"monthly": 99.0})
        assert "管理服务器" in (await reply(denied)).content
        shown = text_of(await reply(await fake.invoke("settings", "show")))
        assert "Monthly: ¥0.50 · daily: none" in shown and "Fallback model: Qwen 0925" in shown
        for prompt in ("one", "two"):  # ¥0.40 of ¥0.50 on Hunyuan
            asked = await fake.invoke("imagine", user="carol", options={"prompt": prompt})
            await asked.wait_for_original(lambda m: m.attachments, timeout=30)
        posted = await fake.wait_for_message(
            lambda m: m.channel_id == log.id and "80 %" in m.content, timeout=15
        )
        assert "monthly budget: ¥0.40 of ¥0.50" in posted.content
        # A third Hunyuan image would pass ¥0.50: it is made with Qwen, and carol is told.
        asked = await fake.invoke("imagine", user="carol", options={"prompt": "three"})
        await asked.wait_for_original(lambda m: m.attachments, timeout=30)
        note = next(m for m in asked.followups if "budget is spent" in m.content)
        assert note.ephemeral and "uses Qwen 0925 (¥0.15 an image)" in note.content
        models = [stack.emulator.task(t).spec.model for t in stack.emulator.stats()["tasks"]]
        assert sorted(models) == ["Hunyuan", "Hunyuan", "Qwen"]
        rows = await stack.rows("SELECT model, cost FROM jobs ORDER BY id")
        assert [(m, round(c, 2)) for m, c in rows] == [
            ("Hunyuan", 0.2),
            ("Hunyuan", 0.2),
            ("Qwen", 0.15),
        ]
        # A video has no fallback: it is refused, for free.
        video = await reply(await fake.invoke("animate", user="carol", options={"prompt": "sea"}))
        assert "monthly budget is spent: ¥0.55 of ¥0.50" in video.content
        assert len(stack.emulator.stats()["tasks"]) == 3


async def seed_done(stack, model: str, seconds: float, count: int) -> None:
    """Delivered jobs of `model` whose tasks took `seconds`: the bot's own history."""
    now = time.time()
    for i in range(count):
        submitted = now - 3600 + i
        await write_rows(
            stack.database,
            "INSERT INTO jobs (kind, guild_id, user_id, state, model, prompt, request_json,"
            " options_json, created_at, submitted_at, mps_status, mps_final_at, updated_at)"
            " VALUES ('image', ?, 1, 'delivered', ?, 'seeded', '{}', '{}', ?, ?, 'DONE', ?, ?)",
            (stack.fake.guild.id, model, submitted, submitted, submitted + seconds, submitted),
        )


async def test_autocomplete_shows_the_time_learnt_here_and_the_price(tmp_path) -> None:
    async with bot_stack(tmp_path) as stack:
        fake = stack.fake
        await seed_done(stack, "Hunyuan", 42.0, 30)
        # The history is read at start.
        await stack.bots[0].stop()
        await stack.start_bot()
        await reply(await fake.invoke("settings", "models", options={"allowed": "Hunyuan,Qwen"}))
        typed = await fake.autocomplete(
            fake.guild.id, "general", "carol", "imagine", "model", options={"prompt": "x"}
        )
        await typed.wait_for_response()
        labels = {c["value"]: c["name"] for c in typed.autocomplete_choices}
        assert labels["Hunyuan:3.0"] == "Hunyuan 3.0 · ~40 s · ¥0.20"
        # Qwen has no history here: its prior (0.2-0.8 s in the tests' tunables).
        assert labels["Qwen:0925"] == "Qwen 0925 · ~1 s · ¥0.15"
        assert set(labels) == {"Hunyuan:3.0", "Hunyuan:3.5-preview", "Qwen:0925"}
        chinese = await fake.autocomplete(
            fake.guild.id, "general", "bob", "imagine", "model", options={"prompt": "x"}
        )
        await chinese.wait_for_response()
        names = [c["name"] for c in chinese.autocomplete_choices]
        assert "Hunyuan 3.0 · 约 40 秒 · ¥0.20" in names
        # Videos: the price of one video of the model's default length (Kling 3.0: 5 s).
        video = await fake.autocomplete(
            fake.guild.id, "general", "carol", "animate", "model", options={"prompt": "x"}
        )
        await video.wait_for_response()
        found = {c["value"]: c["name"] for c in video.autocomplete_choices}
        assert found["Kling:3.0"].endswith(" · ¥5.00") and all(
            len(name) <= 100 for name in found.values()
        )
        # The progress message estimates the time left from the same figure.
        asked = await fake.invoke("imagine", user="carol", options={"prompt": "a lighthouse"})
        await asked.wait_for_original(lambda m: "~40 s left" in text_of(m), timeout=15)


async def seed_billed(stack, kind: str, submitted_at: float, units: int, cost: float) -> None:
    """An accepted job of the past with its estimated cost."""
    await write_rows(
        stack.database,
        "INSERT INTO jobs (kind, guild_id, user_id, state, model, prompt, request_json,"
        " options_json, units, cost, created_at, submitted_at, updated_at)"
        " VALUES (?, ?, 1, 'delivered', 'Kling', 'seeded', '{}', '{}', ?, ?, ?, ?, ?)",
        (kind, stack.fake.guild.id, units, cost, submitted_at, submitted_at, submitted_at),
    )


async def test_usage_shows_spend_against_the_budget_and_stacks_videos_on_images(tmp_path) -> None:
    async with bot_stack(tmp_path) as stack:
        fake = stack.fake
        # Today 3 images and 2 videos, yesterday 1 image (none of them over a month ago).
        today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=1).timestamp()
        await seed_billed(stack, "image", today, 3, 0.6)
        await seed_billed(stack, "video", today + 1, 1, 5.0)
        await seed_billed(stack, "video", today + 2, 1, 5.0)
        await seed_billed(stack, "image", today - 86400, 1, 0.2)
        await reply(await fake.invoke("settings", "budget", options={"monthly": 20.0}))
        asked = await fake.invoke("usage", options={"days": 7})
        message = await asked.wait_for_original(lambda m: m.attachments, timeout=15)
        text = text_of(message)
        spent = 10.6 + (0.2 if dt.datetime.fromtimestamp(today - 86400, dt.UTC).day != 1 else 0)
        percent = int(100 * spent / 20)
        assert f"Monthly budget: ¥{spent:.2f} of ¥20.00 ({percent} %)" in text
        image = Image.open(io.BytesIO(message.attachments[0].data)).convert("RGBA")
        assert image.size == (WIDTH, HEIGHT) and image.getpixel((0, 0))[3] == 0  # card corner
        images, videos = image_heights(image, 7), image_heights(image, 7, VIDEOS)
        assert images[:5] == [0] * 5 and images[5] > 0 and abs(images[6] / images[5] - 3) < 0.1
        assert videos[:6] == [0] * 6 and abs(videos[6] / images[5] - 2) < 0.1
        # The budget's dashed line and the spend's line are drawn.
        colours = {colour for _, colour in image.getcolors(WIDTH * HEIGHT)}
        assert BUDGET in colours and SPEND in colours


async def test_a_warning_written_before_a_stop_is_posted_at_the_next_start(tmp_path) -> None:
    async with bot_stack(tmp_path) as stack:
        fake = stack.fake
        await stack.bots[0].stop()
        # The job that crossed 80 % was written with its warning; the bot stopped before
        # posting it. A warning of a month already over is not posted any more.
        end, now = next_month_utc(), time.time()
        for start, stop in ((now - 86400, end), (now - 40 * 86400, now - 9 * 86400)):
            await write_rows(
                stack.database,
                "INSERT INTO budget_alerts (guild_id, budget, period_start, period_end, amount,"
                " spent, created_at) VALUES (?, 'monthly', ?, ?, 10.0, 8.4, ?)",
                (fake.guild.id, start, stop, start),
            )
        await stack.start_bot()
        dm = await fake.wait_for_dm("alice", lambda m: "84 %" in m.content, timeout=15)
        assert "monthly budget: ¥8.40 of ¥10.00" in dm.content and f"<t:{end}:R>" in dm.content
        rows = await stack.rows("SELECT posted_at IS NOT NULL FROM budget_alerts ORDER BY 1")
        assert rows == [(0,), (1,)]
        assert len(fake.dms("alice")) == 1
