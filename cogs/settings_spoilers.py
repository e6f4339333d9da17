"""`/settings spoilers add | remove`: channels where every result is posted as a spoiler.
Part of the `/settings` group (see `cogs/settings.py`)."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.discord_app.client import bot_of
from bot.discord_app.interactions import member_of, say

spoilers = app_commands.Group(
    name="spoilers", description="Channels where every result is posted as a spoiler"
)


async def _set(interaction: discord.Interaction, channel: discord.TextChannel, on: bool) -> None:
    member = member_of(interaction)
    server = await bot_of(interaction).services.admin.set_spoiler_channel(
        member, channel.id, channel.guild.id, enabled=on
    )
    listed = ", ".join(f"<#{c}>" for c in server.spoiler_channels)
    shown = listed or say(interaction, "spoilers.none")
    key = "spoilers.added" if on else "spoilers.removed"
    text = say(interaction, key, channel=channel.mention, channels=shown)
    await interaction.response.send_message(text, ephemeral=True)


@spoilers.command(name="add", description="Post every result in a channel as a spoiler")
@app_commands.describe(channel="The channel")
async def add(interaction: discord.Interaction, channel: discord.TextChannel) -> None:
    """Post every result in a channel as a spoiler."""
    await _set(interaction, channel, True)


@spoilers.command(name="remove", description="Stop posting results in a channel as spoilers")
@app_commands.describe(channel="The channel")
async def remove(interaction: discord.Interaction, channel: discord.TextChannel) -> None:
    """Stop posting results in a channel as spoilers."""
    await _set(interaction, channel, False)
