"""The services without Discord: a member (a plain value) asks, the service decides.

The engine here is real but never started (nothing is sent to MPS): what is checked is
what the services admit, refuse, write and read back.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import aiohttp
import pytest

from bot.asks.images import ImageOptions
from bot.asks.videos import VideoOptions
from bot.config.tunables import Limits
from bot.moderation.service import Moderation
from bot.moderation.store import ModerationStore
from bot.mps.signer import Credentials
from bot.refusal import Refusal
from bot.rules.server_settings_store import ServerSettingsStore
from bot.runtime import Services, build_engine, build_services, server_rules
from bot.services.members import Member
from bot.storage.database import open_database
from bot.storage.jobs import Job
from tests.databases import test_database

from .conftest import fast_tunables

GUILD = 10
ALICE = Member(GUILD, 1, channel_id=100, manage_guild=True, locale="zh-CN")
BOB = Member(GUILD, 2, channel_id=100)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(56)


@dataclass
class World:
    services: Services
    settings: ServerSettingsStore
    moderation: Moderation
    heads: dict[str, bytes]

    async def launched(self, member: Member, options: ImageOptions) -> Job:
        ticket = await self.services.jobs.ask_image(member, options)
        return await self.services.jobs.launch(ticket, {"channel_id": member.channel_id})


@asynccontextmanager
async def world(tmp_path: Path, queued: int = 50) -> AsyncIterator[World]:
    tunables = fast_tunables(
        limits=Limits(running_per_guild=2, running_per_user=1, queued_per_user=queued)
    )
    db = await open_database(test_database(tmp_path / "db.sqlite3"))
    heads: dict[str, bytes] = {}

    async def read_head(url: str) -> bytes:
        return heads[url]

    try:
        async with aiohttp.ClientSession() as session:
            settings = ServerSettingsStore(db, tunables)
            engine = build_engine(
                session=session,
                db=db,
                credentials=Credentials("id", "key"),
                endpoint="http://127.0.0.1:9",
                tunables=tunables,
                results_dir=tmp_path / "results",
                rules=server_rules(db, tunables, settings),
            )
            moderation = Moderation(ModerationStore(db), settings)
            moderation.attach(engine)
            services = build_services(
                engine=engine,
                moderation=moderation,
                settings=settings,
                session=session,
                read_head=read_head,  # the uploads a test serves
            )
            yield World(services, settings, moderation, heads)
            await engine.close(grace=0)
    finally:
        await db.close()


async def refusal(awaitable) -> Refusal:
    with pytest.raises(Refusal) as caught:
        await awaitable
    return caught.value


async def test_asking_applies_the_servers_defaults_and_launching_writes_the_job(tmp_path):
    async with world(tmp_path) as w:
        jobs = w.services.jobs
        await w.services.admin.set_models(ALICE, None, "qwen", "1328x1328")
        job = await w.launched(BOB, ImageOptions(prompt="  a\u200b cat  "))
        assert (job.model, job.request["ModelName"], job.guild_id, job.user_id) == (
            "Qwen",
            "Qwen",
            GUILD,
            BOB.user_id,
        )
        assert json.loads(job.request["AdditionalParameters"]) == {"size": "1328x1328"}
        assert job.prompt == "a cat" and job.options["shown_size"] == "1328x1328"
        assert job.frontend == {"channel_id": 100} and job.locale == "en-US"
        # A model chosen by the member is theirs; the default size belongs to the default.
        other = await w.launched(BOB, ImageOptions(prompt="a dog", model="Hunyuan"))
        assert "AdditionalParameters" not in other.request
        # Bad options cost nothing: refused before any place is taken.
        bad = await refusal(jobs.ask_image(BOB, ImageOptions(prompt="x", size="9x9")))
        assert bad.key == "error.size_format"


async def test_a_ticket_holds_a_place_until_launched_or_released(tmp_path):
    async with world(tmp_path, queued=1) as w:
        jobs = w.services.jobs
        ticket = await jobs.ask_image(BOB, ImageOptions(prompt="one"))
        full = await refusal(jobs.ask_image(BOB, ImageOptions(prompt="two")))
        assert (full.key, full.params) == ("error.queue_full", {"limit": 1})
        ticket.release()  # the front end could not answer in time
        ticket = await jobs.ask_image(BOB, ImageOptions(prompt="two"))
        await jobs.launch(ticket)
        full = await refusal(jobs.ask_image(BOB, ImageOptions(prompt="three")))
        assert full.key == "error.queue_full"


async def test_who_may_press_what(tmp_path):
    async with world(tmp_path) as w:
        jobs = w.services.jobs
        job = await w.launched(ALICE, ImageOptions(prompt="a lighthouse"))
        fresh: list[list[str]] = []

        async def refresh(urls: list[str]) -> dict[str, str]:
            fresh.append(urls)
            return {}

        # Anyone may re-roll by default; the new job is theirs.
        ticket = await jobs.ask_reroll(BOB, job.id, refresh)
        assert ticket.member == BOB and ticket.prompt == "a lighthouse"
        ticket.release()
        await w.services.admin.change(ALICE, {"buttons": "owner"})
        for ask in (
            jobs.ask_reroll(BOB, job.id, refresh),
            jobs.ask_vary(BOB, job.id, ["https://cdn/x.png"], 0),
            jobs.ask_animate(BOB, job.id, ["https://cdn/x.png"], 0),
        ):
            assert (await refusal(ask)).key == "admin.refused.buttons"
        # Run again, cancelling and downloading are the owner's only.
        assert (await refusal(jobs.ask_rerun(BOB, job.id, refresh))).key == "error.not_your_job"
        assert (await refusal(jobs.cancel(BOB, job.id))).key == "error.not_your_job"
        # Deleting: the owner, or whoever may manage messages.
        assert (await refusal(jobs.deletable(BOB, job.id))).key == "error.delete_not_allowed"
        moderator = replace(BOB, manage_messages=True)
        assert (await jobs.deletable(moderator, job.id)).id == job.id
        # Another server's job does not exist for this one.
        stranger = replace(BOB, guild_id=GUILD + 1)
        assert (await refusal(jobs.ask_rerun(stranger, job.id, refresh))).key == (
            "error.job_not_found"
        )
        # The owner's Vary and Animate take the image on the pressed message.
        assert (await refusal(jobs.ask_vary(ALICE, job.id, None, 0))).key == "error.result_gone"
        assert (await refusal(jobs.ask_vary(ALICE, job.id, ["u"], 1))).key == "error.result_gone"
        varied = await jobs.ask_vary(ALICE, job.id, ["https://cdn/a.png", "https://cdn/b.png"], 1)
        assert varied.request["ImageInfos"] == [{"ImageUrl": "https://cdn/b.png"}]
        varied.release()
        animated = await jobs.ask_animate(ALICE, job.id, ["https://cdn/a.png"], 0)
        assert animated.request["ImageUrl"] == "https://cdn/a.png"
        assert animated.prompt == "a lighthouse"
        animated.release()
        assert fresh == []  # nothing to refresh: the first job had no reference
        assert (await jobs.cancel(ALICE, job.id)).id == job.id
        assert (await refusal(jobs.cancel(ALICE, job.id))).key == "error.cannot_cancel"


async def test_asking_again_refreshes_uploaded_images(tmp_path):
    async with world(tmp_path) as w:
        jobs = w.services.jobs
        old = "https://cdn.example/attachments/1/2/ref.png?ex=1"
        w.heads[old] = PNG
        url = await jobs.reference(old, "image/png", "ref.png", len(PNG))
        job = await w.launched(BOB, ImageOptions(prompt="like this", references=(url,)))
        video_ticket = await jobs.ask_video(BOB, VideoOptions(prompt="waves", first_frame=url))
        video = await jobs.launch(video_ticket)

        async def refresh(urls: list[str]) -> dict[str, str]:
            return {u: u.replace("ex=1", "ex=2") for u in urls}

        again = await jobs.ask_rerun(BOB, job.id, refresh)
        assert again.request["ImageInfos"] == [{"ImageUrl": old.replace("ex=1", "ex=2")}]
        again.release()
        again = await jobs.ask_reroll(BOB, video.id, refresh)
        assert again.kind.value == "video" and again.request["ImageUrl"].endswith("ex=2")
        again.release()
        # References are checked from what they say, then from their first bytes.
        w.heads["https://cdn/t.png"] = b"hello"
        for args, key in (
            (("https://cdn/t.png", "text/plain", "t.png", 5), "error.reference_type"),
            (("https://cdn/t.png", "image/png", "t.png", 9 * 2**20), "error.reference_too_large"),
            (("https://cdn/t.png", "image/png", "t.png", 5), "error.reference_not_image"),
        ):
            assert (await refusal(jobs.reference(*args))).key == key


async def test_listings_show_a_members_own_jobs(tmp_path):
    async with world(tmp_path) as w:
        listings = w.services.listings
        mine = await w.launched(BOB, ImageOptions(prompt="mine"))
        theirs = await w.launched(ALICE, ImageOptions(prompt="theirs"))
        assert (await listings.own_job(BOB, mine.id)).id == mine.id
        assert (await refusal(listings.own_job(BOB, theirs.id))).key == "error.job_not_found"
        page = await listings.history(BOB, 5)
        assert ([j.id for j in page.jobs], page.page, page.pages) == ([mine.id], 0, 1)
        queue = await listings.queue(BOB)
        assert [job.id for job, _ in queue.mine] == [mine.id]
        assert queue.counts.queued == 2
        with pytest.raises(Refusal):
            listings.check_history_owner(BOB, ALICE.user_id)


async def test_probation_is_judged_at_each_ask_from_who_asks(tmp_path):
    async with world(tmp_path) as w:
        await w.services.admin.set_moderation(
            ALICE,
            {"log_channel_id": 555, "probation_role_id": 7, "probation_days": 2},
            None,
            log_channel_guild_id=GUILD,
            probation_role_guild_id=GUILD,
        )
        day = 86400.0
        newcomer = replace(BOB, roles=(7,))
        joined_today = replace(BOB, user_id=3, joined_at=time.time() - 0.5 * day)
        settled = replace(BOB, user_id=4, joined_at=time.time() - 30 * day)
        held = await w.launched(newcomer, ImageOptions(prompt="a harbour"))
        assert held.options["probation"] is True
        assert (await w.launched(joined_today, ImageOptions(prompt="x"))).options["probation"]
        assert "probation" not in (await w.launched(settled, ImageOptions(prompt="y"))).options
        # A moderator (Manage Messages) is never held, even with the role.
        moderator = replace(newcomer, user_id=5, manage_messages=True)
        assert "probation" not in (await w.launched(moderator, ImageOptions(prompt="z"))).options

        async def refresh(urls: list[str]) -> dict[str, str]:
            return {}

        # A re-roll of a held result by a member not on probation is not held, and the
        # other way round.
        ticket = await w.services.jobs.ask_reroll(settled, held.id, refresh)
        assert "probation" not in ticket.record
        ticket.release()
        free = await w.launched(settled, ImageOptions(prompt="free"))
        ticket = await w.services.jobs.ask_reroll(newcomer, free.id, refresh)
        assert ticket.record["probation"] is True
        ticket.release()
