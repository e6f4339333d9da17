"""Context menus, attachment options and member data on the fake Discord, driven by an
unmodified discord.py client without the message content intent: a member's message used as a
reference through Apps → "Use as reference", a user command reading a member's join date,
and a slash command with three attachment options."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.http import Route

from tests.conftest import eventually
from tests.fakes.discord import FakeDiscord, use_fake_discord
from tests.test_fake_discord import png

ZH_NAMES = {"Use as reference": "用作参考图", "Join date": "加入日期"}


class ChineseNames(app_commands.Translator):
    async def translate(self, string, locale, context):
        return ZH_NAMES.get(string.message) if locale is discord.Locale.chinese else None


class MenuBot(discord.Client):
    def __init__(self, guild_id: int) -> None:
        intents = discord.Intents(guilds=True, guild_messages=True)  # no message content
        super().__init__(intents=intents, guild_ready_timeout=0.05)
        self.tree = app_commands.CommandTree(self)
        self.guild_id = guild_id
        self.seen: list[tuple[str, Any]] = []
        self.gateway_messages: list[discord.Message] = []
        self.ready = asyncio.Event()

    async def setup_hook(self) -> None:
        guild = discord.Object(self.guild_id)

        @app_commands.context_menu(name="Use as reference")
        async def use_as_reference(interaction: discord.Interaction, message: discord.Message):
            files = [(a.filename, a.content_type, await a.read()) for a in message.attachments]
            self.seen.append(("reference", (message, files, interaction.user)))
            await interaction.response.send_message(f"{len(files)} reference(s)", ephemeral=True)
            response = await interaction.original_response()
            self.seen.append(("metadata", response.interaction_metadata))

        @app_commands.context_menu(name="Join date")
        async def join_date(interaction: discord.Interaction, member: discord.Member):
            self.seen.append(("joined", (member, interaction.user)))
            await interaction.response.send_message(f"{member.joined_at:%Y-%m-%d}")

        @app_commands.command(description="Blend up to three images")
        async def blend(
            interaction: discord.Interaction,
            reference: discord.Attachment,
            reference2: discord.Attachment | None = None,
            reference3: discord.Attachment | None = None,
        ) -> None:
            given = [a for a in (reference, reference2, reference3) if a is not None]
            self.seen.append(("blend", [(a, await a.read()) for a in given]))
            await interaction.response.send_message(f"blending {len(given)}")

        for command in (use_as_reference, join_date, blend):
            self.tree.add_command(command, guild=guild)
        await self.tree.set_translator(ChineseNames())

    async def on_message(self, message: discord.Message) -> None:
        self.gateway_messages.append(message)

    async def on_ready(self) -> None:
        self.ready.set()

    def last(self, kind: str) -> Any:
        return next(value for seen, value in reversed(self.seen) if seen == kind)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as fake:
        with use_fake_discord(fake.api_base, fake.gateway_url):
            yield fake
    assert not fake.internal_errors


@pytest.fixture
async def bot(fake: FakeDiscord) -> AsyncIterator[MenuBot]:
    bot = MenuBot(fake.guild.id)
    task = asyncio.create_task(bot.start(fake.token))
    await asyncio.wait_for(bot.ready.wait(), 5)
    await bot.tree.sync(guild=discord.Object(fake.guild.id))
    try:
        yield bot
    finally:
        await bot.close()
        await task


async def test_a_message_command_gets_the_whole_message_without_the_content_intent(fake, bot):
    menu = fake.command("Use as reference", fake.guild.id)
    assert (menu["type"], menu["description"], menu["options"]) == (3, "", [])
    assert menu["name_localizations"] == {"zh-CN": "用作参考图"}
    assert fake.command("Join date", fake.guild.id)["type"] == 2

    image, embed = png(6, 4, "green"), {"title": "my cat", "description": "fluffy"}
    posted = await fake.post_message(
        "alice", "like this one", attachments=[("cat.png", image)], embeds=[embed]
    )
    await eventually(lambda: bot.gateway_messages)
    (event,) = bot.gateway_messages  # without the intent the gateway hides what it says
    assert (event.id, event.content, event.attachments, event.embeds) == (posted.id, "", [], [])

    used = await fake.message_command("Use as reference", posted, "bob")
    reply = await used.wait_for_original()
    assert reply.content == "1 reference(s)" and reply.ephemeral and reply.type == 23
    message, files, user = bot.last("reference")
    assert (message.id, message.content) == (posted.id, "like this one")
    assert message.author.name == "alice" and message.embeds[0].title == "my cat"
    assert "/attachments/" in message.attachments[0].url and not message.attachments[0].ephemeral
    assert files == [("cat.png", "image/png", image)]
    assert user.name == "bob" and isinstance(user, discord.Member)
    data = used.payload["data"]
    assert (data["type"], data["target_id"], used.target_id) == (3, str(posted.id), posted.id)
    await eventually(lambda: bot.seen[-1][0] == "metadata")
    metadata = bot.last("metadata")
    assert metadata.target_message_id == posted.id and metadata.user.name == "bob"

    with pytest.raises(ValueError):  # no app commands on an ephemeral message
        await fake.message_command("Use as reference", reply, "bob")
    with pytest.raises(LookupError):
        await fake.message_command("Translate", posted, "bob")


async def test_member_join_date_and_roles_arrive_with_every_interaction(fake, bot):
    await fake.set_joined_at("carol", ago=2 * 86400)
    artists = await fake.create_role("Artists")
    await fake.give_role("bob", artists)
    joined = await fake.user_command("Join date", "carol", "bob")
    await joined.wait_for_original()
    target, invoker = bot.last("joined")
    two_days_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=2)
    assert abs((target.joined_at - two_days_ago).total_seconds()) < 5
    assert [r.name for r in invoker.roles] == ["@everyone", "Artists"]
    assert invoker.joined_at == datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    member = joined.payload["member"]
    assert member["roles"] == [str(artists.id)] and member["joined_at"].endswith("+00:00")
    assert joined.payload["data"]["resolved"]["members"][str(target.id)]["joined_at"]
    assert joined.original.content == f"{target.joined_at:%Y-%m-%d}"

    dave = await fake.add_member("dave", joined_ago=3600)
    blend = await fake.invoke("blend", user=dave, attachments=[("a.png", png(2, 2, "red"))])
    await blend.wait_for_response()
    stamp = datetime.datetime.fromisoformat(blend.payload["member"]["joined_at"])
    assert abs(fake.now() - 3600 - stamp.timestamp()) < 1


async def test_three_attachment_options_resolve_download_and_refresh(fake, bot):
    files = [(f"ref{n}.png", png(n + 1, n + 2, "blue")) for n in range(3)]
    blended = await fake.invoke("blend", user="bob", attachments=files)
    assert (await blended.wait_for_original()).content == "blending 3"
    got = bot.last("blend")
    assert [(a.filename, a.width, a.height, data) for a, data in got] == [
        (name, n + 1, n + 2, data) for n, (name, data) in enumerate(files)
    ]
    assert all(a.ephemeral and a.content_type == "image/png" for a, _ in got)
    data = blended.payload["data"]
    options = {o["name"]: o["value"] for o in data["options"]}
    assert list(options) == ["reference", "reference2", "reference3"]
    resolved = data["resolved"]["attachments"]
    assert sorted(resolved) == sorted(options.values())

    urls = [resolved[options[name]]["url"] for name in options]
    assert all("/ephemeral-attachments/" in url for url in urls)
    fake.advance(fake.attachment_url_lifetime + 1)
    refreshed = await bot.http.request(
        Route("POST", "/attachments/refresh-urls"), json={"attachment_urls": urls}
    )
    fresh = [entry["refreshed"] for entry in refreshed["refreshed_urls"]]
    async with aiohttp.ClientSession() as http:
        for old, new, (_, expected) in zip(urls, fresh, files, strict=True):
            async with http.get(old) as response:
                assert response.status == 404
            async with http.get(new) as response:
                assert (response.status, await response.read()) == (200, expected)

    # an option given by name; the uploaded file fills the first attachment option left
    mixed = await fake.invoke(
        "blend", user="bob", options={"reference3": files[2]}, attachments=[files[0]]
    )
    await mixed.wait_for_response()
    assert [a.filename for a, _ in bot.last("blend")] == ["ref0.png", "ref2.png"]


async def test_command_registration_rules_without_a_bot(fake):
    url = f"{fake.api_base}/applications/{fake.application_id}/guilds/{fake.guild.id}/commands"
    auth = {"Authorization": f"Bot {fake.token}"}
    menu = {"type": 3, "name": "Use as reference", "name_localizations": {"zh-CN": "用作参考图"}}
    slash = {"name": "blend", "description": "Blend", "options": []}

    async def put(commands: list[dict]) -> tuple[int, dict | list]:
        async with (
            aiohttp.ClientSession() as http,
            http.put(url, json=commands, headers=auth) as response,
        ):
            return response.status, await response.json()

    status, stored = await put([menu, {**menu, "type": 2}, slash])
    assert status == 200 and [(c["type"], c["description"]) for c in stored] == [
        (3, ""),
        (2, ""),
        (1, "Blend"),
    ]
    refused = {
        "0.name_localizations.zh": [{**menu, "name_localizations": {"zh": "参考"}}],
        "0.name": [{**slash, "name": "Blend"}],
        "0.name_localizations.fr": [{**slash, "name_localizations": {"fr": "Mélange"}}],
        "0.options": [{**menu, "options": [{"name": "x", "description": "x", "type": 3}]}],
        "0.description": [{**slash, "description": ""}],
        "0.options.0.description_localizations.zh-CN": [
            {
                **slash,
                "options": [
                    {
                        "name": "image",
                        "description": "An image",
                        "description_localizations": {"zh-CN": "图" * 101},
                        "type": 11,
                    }
                ],
            }
        ],
    }
    for path, commands in refused.items():
        status, body = await put(commands)
        errors = body["errors"]
        for key in path.split("."):
            errors = errors[key]
        assert (status, body["code"], "_errors" in errors) == (400, 50035, True), path
    too_many = [{**menu, "name": f"Menu {n}"} for n in range(16)]
    assert await put(too_many) == (
        400,
        {"message": "Maximum number of application commands reached (15)", "code": 30032},
    )
    # what was stored before the refusals is still there
    assert [c["name"] for c in fake.commands[fake.guild.id]] == [
        "Use as reference",
        "Use as reference",
        "blend",
    ]
