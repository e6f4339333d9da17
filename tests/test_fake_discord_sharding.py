"""Sharding on the fake Discord: an unmodified ``discord.AutoShardedClient`` opens the shards
``GET /gateway/bot`` recommends, each session gets only its guilds' events, and IDENTIFYs with
an invalid shard or too many guilds per shard are closed as Discord closes them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import discord
import pytest
from discord import app_commands

from tests.fakes.discord import FakeDiscord, default_guild, guild_id_on_shard, use_fake_discord


class ShardedBot(discord.AutoShardedClient):
    def __init__(self) -> None:
        intents = discord.Intents(guilds=True, dm_messages=True)
        super().__init__(intents=intents, guild_ready_timeout=0.05)
        self.tree = app_commands.CommandTree(self)
        self.answered: list[tuple[int, int | None]] = []  # (guild id, its shard)
        self.ready = asyncio.Event()

    async def setup_hook(self) -> None:
        @app_commands.command(description="Which shard am I on?")
        async def where(interaction: discord.Interaction) -> None:
            self.answered.append((interaction.guild_id, interaction.guild.shard_id))
            await interaction.response.send_message(f"shard {interaction.guild.shard_id}")
            await interaction.user.send("hello from shard 0's DMs")

        self.tree.add_command(where)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py waits 5 s between shards by default; the fake needs no pause."""

    async def on_ready(self) -> None:
        self.ready.set()


def two_shard_guilds():
    first = default_guild(name="First", guild_id=guild_id_on_shard(0, 2))
    second = default_guild(name="Second", guild_id=guild_id_on_shard(1, 2))
    return first, second


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(guilds=list(two_shard_guilds()), shards=2) as fake:
        with use_fake_discord(fake.api_base, fake.gateway_url):
            yield fake
    assert not fake.internal_errors


async def test_each_shard_gets_only_its_guilds_events(fake):
    first, second = fake.guilds
    bot = ShardedBot()
    task = asyncio.create_task(bot.start(fake.token))
    try:
        await asyncio.wait_for(bot.ready.wait(), 5)
        await bot.tree.sync()
        assert bot.shard_count == 2
        assert {g.name: g.shard_id for g in bot.guilds} == {"First": 0, "Second": 1}
        sessions = {s.shard_id: s for s in fake.sessions}
        assert sorted(sessions) == [0, 1] and all(s.shard_count == 2 for s in sessions.values())

        def sent(shard: int, event: str) -> list[dict]:
            return [f["d"] for f in sessions[shard].sent if f["t"] == event]

        for shard, guild in ((0, first), (1, second)):
            (ready,) = sent(shard, "READY")
            assert [g["id"] for g in ready["guilds"]] == [str(guild.id)]
            assert ready["shard"] == [shard, 2]
            assert [g["id"] for g in sent(shard, "GUILD_CREATE")] == [str(guild.id)]

        asked = await fake.invoke("where", guild=second, user="bob")
        assert (await asked.wait_for_original()).content == "shard 1"
        assert asked.delivered_to == 1 and bot.answered == [(second.id, 1)]
        assert [i["guild_id"] for i in sent(1, "INTERACTION_CREATE")] == [str(second.id)]
        assert sent(0, "INTERACTION_CREATE") == []
        # direct messages belong to no guild: shard 0 hears of them
        await fake.wait_for_dm(second.member("bob").user, lambda m: "hello" in m.content)
        assert len(sent(0, "MESSAGE_CREATE")) == 1 and sent(1, "MESSAGE_CREATE") == []
    finally:
        await bot.close()
        await task


async def identify_close_code(fake: FakeDiscord, shard) -> int | None:
    async with aiohttp.ClientSession() as http, http.ws_connect(fake.gateway_url) as ws:
        assert (await ws.receive_json())["op"] == 10
        identify = {"token": fake.token, "intents": 1, "properties": {}}
        if shard is not None:
            identify["shard"] = shard
        await ws.send_json({"op": 2, "d": identify})
        frame = await ws.receive()
        if frame.type is aiohttp.WSMsgType.TEXT:
            return None  # READY
        return ws.close_code


async def recommended_shards(fake: FakeDiscord) -> int:
    auth = {"Authorization": f"Bot {fake.token}"}
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{fake.api_base}/gateway/bot", headers=auth) as response,
    ):
        return (await response.json())["shards"]


async def test_gateway_bot_recommends_shards_and_bad_identifies_are_closed(fake):
    assert await recommended_shards(fake) == 2
    for shard in ([2, 2], [0, 0], [-1, 2], "0,2", [0, 2, 1]):
        assert await identify_close_code(fake, shard) == 4010, shard
    assert await identify_close_code(fake, [1, 2]) is None

    fake.max_guilds_per_shard = 1  # both guilds on one shard is too many now
    assert await identify_close_code(fake, None) == 4011
    assert await identify_close_code(fake, [0, 2]) is None
    fake.shards = None  # the fake's own advice: one shard per 1000 guilds
    assert await recommended_shards(fake) == 1
