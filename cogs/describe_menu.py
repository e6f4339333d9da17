"""The message context menu **Describe**: any message's (first) image described as a
prompt, answered with the text and an **Imagine this** button.

Only there when the image tools are on (the operator set their output bucket): without
them the menu is neither registered nor added."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app.client import ImagineBot


class DescribeMenu(commands.Cog):
    def __init__(self, bot: ImagineBot) -> None:
        self.bot = bot
        self.menu = app_commands.ContextMenu(name="Describe", callback=self.describe)
        self.menu.guild_only = True

    async def cog_load(self) -> None:
        if self.bot.tools_enabled:
            self.bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    async def describe(self, interaction: discord.Interaction, message: discord.Message) -> None:
        await self.bot.frontend.tools.describe_message(interaction, message)


async def setup(bot: ImagineBot) -> None:
    await bot.add_cog(DescribeMenu(bot))
