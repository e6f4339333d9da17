"""The fake Discord's members, roles, permissions, typed options, subcommands and buttons on
channel messages, driven by an unmodified discord.py client with grouped commands."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
import yarl
from discord import app_commands
from discord.http import Route

from tests.conftest import eventually
from tests.fakes.discord import (
    ADMINISTRATOR,
    MANAGE_GUILD,
    MANAGE_MESSAGES,
    FakeDiscord,
    use_fake_discord,
)


class UnblockButton(discord.ui.DynamicItem[discord.ui.Button], template=r"mod:unblock:(?P<u>\d+)"):
    def __init__(self, user_id: int) -> None:
        super().__init__(discord.ui.Button(label="Unblock", custom_id=f"mod:unblock:{user_id}"))
        self.user_id = user_id

    @classmethod
    async def from_custom_id(cls, interaction, item, match):
        return cls(int(match["u"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        client: SettingsBot = interaction.client  # type: ignore[assignment]
        client.seen.append(("unblock", self.user_id, interaction.user.id, interaction.permissions))
        await interaction.response.edit_message(content=f"Unblocked {self.user_id}", view=None)


class SettingsBot(discord.Client):
    """``/settings limits``, ``/settings role-limit``, ``/settings channels log`` (a group in a
    group) and ``/moderation block``, which posts to a log channel with a button."""

    def __init__(self, guild_id: int, log_channel_id: int) -> None:
        intents = discord.Intents.default()
        intents.members = True
        super().__init__(intents=intents, guild_ready_timeout=0.05)
        self.tree = app_commands.CommandTree(self)
        self.guild_id, self.log_channel_id = guild_id, log_channel_id
        self.seen: list[tuple[Any, ...]] = []
        self.ready = asyncio.Event()

    async def setup_hook(self) -> None:
        settings = app_commands.Group(
            name="settings",
            description="Bot settings",
            default_permissions=discord.Permissions(manage_guild=True),
        )
        channels = app_commands.Group(name="channels", description="Channels", parent=settings)
        moderation = app_commands.Group(name="moderation", description="Moderation")

        @settings.command(name="limits", description="Daily limits")
        async def limits(interaction: discord.Interaction, daily_per_user: int) -> None:
            member = interaction.guild.get_member(interaction.user.id)
            self.seen.append(("limits", daily_per_user, interaction, member.guild_permissions))
            await interaction.response.send_message("ok", ephemeral=True)

        @settings.command(name="role-limit", description="Daily limit of a role")
        async def role_limit(
            interaction: discord.Interaction, role: discord.Role, daily_per_user: int
        ) -> None:
            self.seen.append(("role-limit", role, daily_per_user))
            await interaction.response.send_message(f"{role.name}: {daily_per_user}")

        @channels.command(name="log", description="Where logs go")
        async def log(
            interaction: discord.Interaction,
            channel: discord.TextChannel,
            enabled: bool,
            ratio: float,
            sample: discord.Attachment,
        ) -> None:
            self.seen.append(("log", channel, enabled, ratio, sample, await sample.read()))
            await interaction.response.send_message("saved")

        @moderation.command(name="block", description="Block a member")
        async def block(
            interaction: discord.Interaction,
            member: discord.Member,
            duration: str,
            reason: str | None = None,
        ) -> None:
            self.seen.append(("block", member, duration, reason))
            await interaction.response.send_message("blocked", ephemeral=True)
            log = self.get_channel(self.log_channel_id)
            view = discord.ui.View(timeout=None).add_item(UnblockButton(member.id))
            await log.send(f"{member.mention} blocked for {duration}: {reason}", view=view)

        for group in (settings, moderation):
            self.tree.add_command(group, guild=discord.Object(self.guild_id))
        self.add_dynamic_items(UnblockButton)

    async def on_ready(self) -> None:
        self.ready.set()


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as fake:
        with use_fake_discord(fake.api_base, fake.gateway_url):
            yield fake
    assert not fake.internal_errors


@pytest.fixture
async def bot(fake: FakeDiscord) -> AsyncIterator[SettingsBot]:
    bot = SettingsBot(fake.guild.id, fake.guild.channel("images").id)
    task = asyncio.create_task(bot.start(fake.token))
    await asyncio.wait_for(bot.ready.wait(), 5)
    await bot.tree.sync(guild=discord.Object(fake.guild.id))
    try:
        yield bot
    finally:
        await bot.close()
        await task


async def test_subcommands_and_groups_carry_typed_options(fake, bot):
    role = await fake.create_role("Artists")
    await eventually(lambda: bot.get_guild(fake.guild.id).get_role(role.id))
    first = await fake.invoke(
        "settings", "role-limit", user="alice", options={"role": role, "daily_per_user": 5}
    )
    await first.wait_for_response()
    await fake.invoke("settings", "limits", options={"daily_per_user": 3})
    block = await fake.invoke(
        "moderation",
        "block",
        user=fake.guild.member("alice"),
        options={"member": fake.guild.member("bob").user, "duration": "1h", "reason": "spam"},
    )
    await block.wait_for_response()
    images = fake.guild.channel("images")
    await fake.invoke(
        "settings",
        "channels log",
        channel="general",
        options={"channel": images, "enabled": True, "ratio": 0.5},
        attachments=[("notes.png", b"not a png", "image/png")],
    )
    await eventually(lambda: len(bot.seen) == 4)

    (_, got_role, limit), (_, daily, *_), (_, member, duration, reason), log = bot.seen
    assert isinstance(got_role, discord.Role) and (got_role.id, limit) == (role.id, 5)
    assert daily == 3
    assert isinstance(member, discord.Member) and member.name == "bob"
    assert (duration, reason) == ("1h", "spam")
    _, channel, enabled, ratio, sample, data = log
    assert isinstance(channel, discord.TextChannel) and channel.id == images.id
    assert (enabled, ratio) == (True, 0.5)
    # the declared type is kept even though the bytes are no image
    assert (sample.filename, sample.content_type, sample.size, data) == (
        "notes.png",
        "image/png",
        9,
        b"not a png",
    )
    assert sample.width is None
    assert first.original.content == "Artists: 5"


async def test_permissions_come_from_roles_and_can_be_set(fake, bot):
    await fake.invoke("settings", "limits", user="carol", options={"daily_per_user": 1})
    await fake.set_permissions("bob", MANAGE_MESSAGES)
    cached = bot.get_guild(fake.guild.id).get_member(fake.guild.member("bob").user.id)
    await eventually(lambda: len(cached.roles) == 2)
    await fake.invoke("settings", "limits", user="bob", options={"daily_per_user": 2})
    await fake.invoke("settings", "limits", user="alice", options={"daily_per_user": 3})
    await eventually(lambda: len(bot.seen) == 3)

    carol, bob, alice = ((i.permissions, i.app_permissions, cached) for *_, i, cached in bot.seen)
    # default_member_permissions (Manage Server) is not enforced: carol ran the command anyway
    assert not carol[0].manage_guild and not carol[0].manage_messages
    assert bob[0].manage_messages and not bob[0].manage_guild
    assert bob[2].manage_messages  # the bot's cache saw the new role too
    assert alice[0].administrator  # the owner
    assert carol[1].attach_files and not carol[1].administrator  # the bot's own permissions

    stored = fake.command("settings", fake.guild.id)
    assert int(stored["default_member_permissions"]) == MANAGE_GUILD
    fake.enforce_default_permissions = True
    with pytest.raises(PermissionError):
        await fake.invoke("settings", "limits", user="carol", options={"daily_per_user": 1})
    admins = await fake.create_role("Admins", ADMINISTRATOR)
    await fake.give_role("carol", admins)
    await fake.invoke("settings", "limits", user="carol", options={"daily_per_user": 1})
    await fake.take_role("carol", "Admins")
    assert admins.id not in fake.guild.member("carol").roles


async def test_a_button_on_a_log_channel_message_is_pressed_as_a_member(fake, bot):
    bob = fake.guild.member("bob").user
    block = await fake.invoke("moderation", "block", options={"member": bob, "duration": "1d"})
    await block.wait_for_response()
    images = fake.guild.channel("images").id
    posted = await fake.wait_for_message(lambda m: m.channel_id == images)
    assert posted.interaction_id is None and posted.history[0].via == "channel"
    await fake.set_permissions("carol", MANAGE_MESSAGES)

    press = await fake.press_button(posted.id, f"mod:unblock:{bob.id}", fake.guild.member("carol"))
    await press.wait_for_response()
    _, unblocked, presser, permissions = bot.seen[-1]
    assert (unblocked, presser) == (bob.id, fake.guild.member("carol").user.id)
    assert permissions.manage_messages
    # the edit removing the button is recorded
    assert [r.components != [] for r in posted.history] == [True, False]
    assert posted.content == f"Unblocked {bob.id}" and posted.history[-1].via == "callback"


async def test_attachment_bytes_urls_expire_with_the_clock_and_refresh(fake, bot):
    empty = await fake.invoke(
        "settings",
        "channels log",
        options={"channel": "general", "enabled": False, "ratio": 1.0},
        attachments=[("empty.bin", b"")],
    )
    await eventually(lambda: bool(bot.seen))
    *_, sample, data = bot.seen[0]
    assert (sample.size, data) == (0, b"")
    url = empty.payload["data"]["resolved"]["attachments"][str(sample.id)]["url"]
    assert {"ex", "is", "hm"} <= set(yarl.URL(url).query)

    fake.advance(fake.attachment_url_lifetime + 1)
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as response:
            assert response.status == 404
        answer = await bot.http.request(
            Route("POST", "/attachments/refresh-urls"), json={"attachment_urls": [url]}
        )
        (entry,) = answer["refreshed_urls"]
        assert entry["original"] == url and entry["refreshed"] != url
        async with http.get(entry["refreshed"]) as response:
            assert (response.status, await response.read()) == (200, b"")
    with pytest.raises(discord.HTTPException) as error:
        await bot.http.request(Route("POST", "/attachments/refresh-urls"), json={})
    assert error.value.code == 50035


async def test_new_members_and_exact_permissions(fake, bot):
    dave = await fake.add_member("dave", roles=["Admin"])
    await eventually(lambda: bot.get_guild(fake.guild.id).get_member(dave.user.id))
    await fake.set_permissions("carol", 0, exact=True)  # not even @everyone's
    await fake.invoke("settings", "limits", user=dave, options={"daily_per_user": 1})
    await fake.invoke("settings", "limits", user="carol", options={"daily_per_user": 1})
    await eventually(lambda: len(bot.seen) == 2)
    (*_, by_dave, _), (*_, by_carol, _) = bot.seen
    assert by_dave.user.id == dave.user.id and by_dave.permissions.administrator
    assert by_carol.permissions.value == 0
