"""Styles, preferences, Remix, Info and spoilers in the services, without Discord: what a
member's ask becomes (the request MPS would be sent, the record kept), what is refused, and
what is noted."""

from __future__ import annotations

from dataclasses import replace

from bot.asks.images import ImageOptions
from bot.asks.styles import BUILTIN_STYLES
from bot.asks.videos import VideoOptions
from bot.storage.database import open_database
from bot.storage.preferences import PreferenceStore
from bot.storage.styles import StyleRow, StyleStore

from .conftest import test_database
from .test_services import ALICE, BOB, GUILD, PNG, refusal, world

CINEMATIC = next(s for s in BUILTIN_STYLES if s.name == "cinematic")
ANIME = next(s for s in BUILTIN_STYLES if s.name == "anime")


async def no_refresh(urls: list[str]) -> dict[str, str]:
    return {}


async def test_a_style_adds_its_text_and_the_record_keeps_the_members_words(tmp_path):
    async with world(tmp_path) as w:
        jobs, styles = w.services.jobs, w.services.styles
        ticket = await jobs.ask_image(BOB, ImageOptions(prompt="a cat", style="cinematic"))
        assert ticket.request["Prompt"] == f"a cat, {CINEMATIC.prompt}"
        assert (ticket.prompt, ticket.record["prompt"], ticket.record["style"]) == (
            "a cat",
            "a cat",
            "cinematic",
        )
        ticket.release()
        # A built-in style is found by its name in either language; its negative prompt
        # follows the member's own.
        ticket = await jobs.ask_image(
            BOB, ImageOptions(prompt="猫", negative_prompt="dogs", style="动漫")
        )
        assert ticket.request["NegativePrompt"] == f"dogs, {ANIME.negative_prompt}"
        assert ticket.record["negative_prompt"] == "dogs" and ticket.record["style"] == "anime"
        ticket.release()
        # The style's text counts towards the prompt's length, before any call.
        long = "x" * (w.services.jobs.tunables.max_prompt_chars - 10)
        too_long = await refusal(jobs.ask_image(BOB, ImageOptions(prompt=long, style="photo")))
        assert too_long.key == "error.prompt_too_long"
        # A server's own style: only admins add and remove it; names are one per server.
        assert (await refusal(styles.add(BOB, "Ghibli", "soft", None))).key == (
            "admin.refused.manage_guild"
        )
        await styles.add(ALICE, "Ghibli", "hand-painted, Studio Ghibli feel", "3d render")
        assert (await refusal(styles.add(ALICE, " ghibli ", "x", None))).key == (
            "styles.error.exists"
        )
        assert (await refusal(styles.add(ALICE, "Cinematic", "x", None))).key == (
            "styles.error.builtin_name"
        )
        assert (await refusal(styles.add(ALICE, "a,b", "x", None))).key == "styles.error.name"
        video = await jobs.ask_video(BOB, VideoOptions(prompt="a river", style="GHIBLI"))
        assert video.request["Prompt"] == "a river, hand-painted, Studio Ghibli feel"
        assert video.request["NegativePrompt"] == "3d render"
        video.release()
        labels = await styles.choices(GUILD, "", "zh-CN")
        assert ("电影感 (cinematic)", "cinematic") in labels and ("Ghibli", "Ghibli") in labels
        assert [v for _, v in await styles.choices(GUILD, "ghib", "en-US")] == ["Ghibli"]
        # Another server does not see it; once removed, asking with it is refused.
        elsewhere = replace(BOB, guild_id=GUILD + 1)
        gone = await refusal(jobs.ask_image(elsewhere, ImageOptions(prompt="x", style="ghibli")))
        assert gone.key == "styles.error.unknown"
        await styles.remove(ALICE, "ghibli")
        gone = await refusal(jobs.ask_image(BOB, ImageOptions(prompt="x", style="ghibli")))
        assert gone.key == "styles.error.unknown" and "cinematic" in gone.params["known"]
        assert (await refusal(styles.remove(ALICE, "photo"))).key == "styles.error.builtin_remove"


async def test_preferences_fill_what_was_left_out_and_the_server_still_wins(tmp_path):
    async with world(tmp_path) as w:
        jobs, prefs = w.services.jobs, w.services.preferences
        await prefs.set(
            BOB,
            {
                "model": "kling:O1",
                "aspect": "16:9",
                "size": "768x1024",
                "negative_prompt": "blur",
                "style": "watercolor",
                "enhance_prompt": True,
            },
        )
        ticket = await jobs.ask_image(BOB, ImageOptions(prompt="a harbour"))
        request = ticket.request
        assert (request["ModelName"], request["ModelVersion"]) == ("Kling", "O1")
        assert request["ExtraParameters"]["AspectRatio"] == "16:9"
        assert request["NegativePrompt"] == "blur" and request["EnhancePrompt"] is True
        assert request["Prompt"].startswith("a harbour, watercolour painting")
        assert ticket.notes == ()
        ticket.release()
        # Options given win over preferences; a model sized in pixels takes the size.
        ticket = await jobs.ask_image(
            BOB, ImageOptions(prompt="a harbour", model="Hunyuan", negative_prompt="rain")
        )
        assert ticket.request["AdditionalParameters"] == '{"size": "768x1024"}'
        assert ticket.request["NegativePrompt"] == "rain"
        ticket.release()
        # The server no longer allows the preferred model: its default, and a note.
        await w.services.admin.set_models(ALICE, "hunyuan,qwen", "qwen", None)
        ticket = await jobs.ask_image(BOB, ImageOptions(prompt="a harbour"))
        assert ticket.request["ModelName"] == "Qwen"
        (note,) = ticket.notes
        assert (note.key, note.params["model"]) == ("preferences.ignored.model", "Kling")
        ticket.release()
        assert set(await prefs.problems(BOB, await prefs.get(BOB))) == {"model"}
        # Setting a model the server does not allow is refused, and changes nothing.
        refused = await refusal(prefs.set(BOB, {"model": "Vidu", "aspect": "1:1"}))
        assert refused.key == "preferences.error.not_allowed"
        assert (await prefs.get(BOB)).aspect == "16:9"
        # Re-roll asks as its job did: preferences set since change nothing.
        job = await w.launched(ALICE, ImageOptions(prompt="a lighthouse"))
        again = await jobs.ask_reroll(BOB, job.id, no_refresh)
        assert "NegativePrompt" not in again.request and again.record["style"] is None
        again.release()
        await prefs.reset(BOB, "model")
        assert (await prefs.get(BOB)).model is None and (await prefs.get(BOB)).style
        await prefs.reset(BOB)
        assert (await prefs.get(BOB)).chosen() == {}
        # Preferences are per server.
        assert (await prefs.get(replace(BOB, guild_id=GUILD + 1))).chosen() == {}


async def test_video_preferences_and_a_removed_style(tmp_path):
    async with world(tmp_path) as w:
        jobs, prefs, styles = w.services.jobs, w.services.preferences, w.services.styles
        bad = await refusal(prefs.set(BOB, {"video_model": "Hailuo", "video_duration": 10}))
        assert (bad.key, bad.params["allowed"]) == ("video.error.duration", "6")
        await styles.add(ALICE, "Noir", "black and white, film noir", None)
        await prefs.set(BOB, {"video_model": "Vidu:q2", "video_duration": 8, "style": "noir"})
        ticket = await jobs.ask_video(BOB, VideoOptions(prompt="rain on a window"))
        assert (ticket.request["ModelName"], ticket.request["ModelVersion"]) == ("Vidu", "q2")
        assert ticket.request["Duration"] == 8
        assert ticket.request["Prompt"] == "rain on a window, black and white, film noir"
        ticket.release()
        # The style is removed: the ask goes on without it, and says so.
        await styles.remove(ALICE, "noir")
        ticket = await jobs.ask_video(BOB, VideoOptions(prompt="rain on a window"))
        assert ticket.request["Prompt"] == "rain on a window"
        assert [n.key for n in ticket.notes] == ["preferences.ignored.style"]
        ticket.release()
        # A server that requires the AI mark sets aside a video model that cannot add it.
        await prefs.set(BOB, {"video_model": "PixVerse", "video_duration": 5})
        await w.services.admin.set_ai_mark(ALICE, True)
        ticket = await jobs.ask_video(BOB, VideoOptions(prompt="waves"))
        assert ticket.request["ModelName"] == "Kling"
        assert "preferences.ignored.video_mark" in [n.key for n in ticket.notes]
        ticket.release()


async def test_remix_keeps_the_options_and_info_shows_the_parent(tmp_path):
    async with world(tmp_path) as w:
        jobs, listings = w.services.jobs, w.services.listings
        url = "https://cdn.example/attachments/1/2/ref.png?ex=1"
        w.heads[url] = PNG
        await jobs.reference(url, "image/png", "ref.png", len(PNG))
        options = ImageOptions(
            prompt="a red fox",
            negative_prompt="snow",
            model="Kling",
            version="O1",
            aspect="3:4",
            references=(url,),
            style="ink",
        )
        parent = await w.launched(ALICE, options)
        form = await jobs.remix_form(BOB, parent.id)
        assert (form.options["prompt"], form.options["negative_prompt"]) == ("a red fox", "snow")

        async def refresh(urls: list[str]) -> dict[str, str]:
            return {u: u.replace("ex=1", "ex=2") for u in urls}

        ticket = await jobs.ask_remix(BOB, parent.id, "a white fox", None, refresh)
        request = ticket.request
        assert request["Prompt"].startswith("a white fox, traditional Chinese ink")
        assert (request["ModelName"], request["ModelVersion"]) == ("Kling", "O1")
        assert request["ExtraParameters"]["AspectRatio"] == "3:4"
        assert request["ImageInfos"] == [{"ImageUrl": url.replace("ex=1", "ex=2")}]
        assert request["NegativePrompt"] == "saturated colours"  # the style's alone now
        remix = await jobs.launch(ticket, {"channel_id": BOB.channel_id})
        assert remix.options["parent_id"] == parent.id and remix.user_id == BOB.user_id
        info = await listings.info(ALICE, remix.id)
        assert info.parent is not None and info.parent.id == parent.id
        assert (info.images, info.cost, info.waited) == (0, 0.0, None)  # not sent: nothing spent
        # Another server's member finds nothing.
        stranger = replace(BOB, guild_id=GUILD + 1)
        assert (await refusal(listings.info(stranger, remix.id))).key == "error.job_not_found"
        await w.services.admin.change(ALICE, {"buttons": "owner"})
        assert (await refusal(jobs.remix_form(BOB, parent.id))).key == "admin.refused.buttons"


async def test_spoilers_by_option_and_by_channel(tmp_path):
    async with world(tmp_path) as w:
        jobs, admin = w.services.jobs, w.services.admin
        asked = await w.launched(BOB, ImageOptions(prompt="a surprise", spoiler=True))
        plain = await w.launched(BOB, ImageOptions(prompt="no surprise"))
        assert (asked.options["spoiler"], plain.options["spoiler"]) == (True, False)
        refused = await refusal(admin.set_spoiler_channel(ALICE, 100, GUILD + 1, enabled=True))
        assert refused.key == "admin.refused.foreign_channel"
        await admin.set_spoiler_channel(ALICE, 100, GUILD, enabled=True)
        await admin.set_spoiler_channel(ALICE, 101, GUILD, enabled=True)
        assert w.settings.get(GUILD).spoiler_channels == (100, 101)
        video = await jobs.launch(await jobs.ask_video(BOB, VideoOptions(prompt="a twist")))
        elsewhere = await w.launched(replace(BOB, channel_id=102), ImageOptions(prompt="x"))
        assert (video.options["spoiler"], elsewhere.options["spoiler"]) == (True, False)
        await admin.set_spoiler_channel(ALICE, 100, GUILD, enabled=False)
        assert w.settings.get(GUILD).spoiler_channels == (101,)
    # Kept across a restart: the setting is a row like any other.
    db = await open_database(test_database(tmp_path / "db.sqlite3"))
    try:
        rows = await db.fetchall(
            "SELECT value_json FROM guild_settings WHERE name = 'spoiler_channels'"
        )
        assert [r[0] for r in rows] == ["[101]"]
    finally:
        await db.close()


async def test_the_preference_and_style_stores_on_both_databases(both_databases):
    db = await open_database(both_databases)
    try:
        guild, user = 1579497438442553349, 1579497438442553350  # 64-bit snowflakes
        prefs = PreferenceStore(db, clock=lambda: 1.0)
        await prefs.set(guild, user, {"model": "Kling:O1", "video_duration": 8})
        await prefs.set(guild, user, {"model": "Qwen", "enhance_prompt": True})
        assert await prefs.get(guild, user) == {
            "model": "Qwen",
            "video_duration": 8,
            "enhance_prompt": True,
        }
        assert await prefs.get(guild, user + 1) == {}
        assert await prefs.clear(guild, user, ["model", "aspect"]) == 1
        assert await prefs.clear(guild, user) == 2
        assert await prefs.get(guild, user) == {}
        styles = StyleStore(db, clock=lambda: 2.0)
        noir = StyleRow("Noir", "black and white", None)
        assert await styles.add(guild, "noir", noir, user)
        assert not await styles.add(guild, "noir", StyleRow("NOIR", "x", "y"), user)
        await styles.add(guild, "aqua", StyleRow("Aqua", "blue", "red"), user)
        assert [r.name for r in await styles.all(guild)] == ["Aqua", "Noir"]
        assert await styles.get(guild, "noir") == noir and await styles.count(guild) == 2
        assert await styles.get(guild + 1, "noir") is None
        assert await styles.remove(guild, "noir") and not await styles.remove(guild, "noir")
    finally:
        await db.close()


async def test_info_estimates_the_cost_of_what_was_billed_and_remixes_videos(tmp_path):
    from bot.discord_app.info_card import info_embed
    from bot.services.listings import JobListings

    async with world(tmp_path) as w:
        jobs, store = w.services.jobs, w.services.jobs.store
        batch = await w.launched(BOB, ImageOptions(prompt="two owls", count=2, style="anime"))
        first, second = await store.batch(batch.batch_key)
        # MPS accepted one task of the two (the other is still queued): one image billed.
        await store.update(first.id, task_id="t-1", submitted_at=first.created_at + 3)
        await store.update(first.id, mps_final_at=first.created_at + 63)
        tunables = w.services.listings.tunables
        priced = dict(tunables.models)
        priced["Hunyuan"] = replace(priced["Hunyuan"], price_per_image=0.25)
        listings = JobListings(
            engine=w.services.listings.engine,
            store=store,
            tunables=replace(tunables, models=priced),
        )
        info = await listings.info(ALICE, second.id)
        assert info.job.id == first.id and (info.images, info.cost) == (1, 0.25)
        assert (info.waited, info.generated) == (3, 60)
        embed = info_embed(info, "zh-CN", None)
        fields = {f.name: f.value for f in embed.fields}
        assert fields["预估费用"].startswith("0.25") and fields["风格"] == "动漫"
        assert (fields["排队"], fields["生成"]) == ("0:03", "1:00")
        # Without a price, no estimate is shown.
        unpriced = {name: replace(spec, price_per_image=None) for name, spec in priced.items()}
        listings = JobListings(
            engine=listings.engine, store=store, tunables=replace(tunables, models=unpriced)
        )
        plain = info_embed(await listings.info(ALICE, first.id), "en-US", None)
        assert "Estimated cost" not in [f.name for f in plain.fields]
        # A video is remixed like an image: its options kept, its prompt changed.
        video = await jobs.launch(
            await jobs.ask_video(BOB, VideoOptions(prompt="waves", duration=10, aspect="9:16"))
        )
        again = await jobs.ask_remix(ALICE, video.id, "calm waves", "storm", no_refresh)
        assert (again.request["Prompt"], again.request["NegativePrompt"]) == ("calm waves", "storm")
        assert again.request["Duration"] == 10
        assert again.request["ExtraParameters"]["AspectRatio"] == "9:16"
        assert again.record["parent_id"] == video.id
        again.release()
