"""Message context menus that reuse a message's image: **Use as reference** (a form asks
for the prompt; the image is the reference) and **Animate** (a video from the image).

Context menus cannot be declared inside a cog class, so they are made here and added to
the tree when the cog loads (and removed when it unloads)."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app.client import ImagineBot


class ReferenceMenus(commands.Cog):
    def __init__(self, bot: ImagineBot) -> None:
        self.bot = bot
        self.menus = [
            app_commands.ContextMenu(name="Use as reference", callback=self.use_as_reference),
            app_commands.ContextMenu(name="Animate", callback=self.animate),
        ]
        for menu in self.menus:
            menu.guild_only = True

    async def cog_load(self) -> None:
        for menu in self.menus:
            self.bot.tree.add_command(menu)

    async def cog_unload(self) -> None:
        for menu in self.menus:
            self.bot.tree.remove_command(menu.name, type=menu.type)

    async def use_as_reference(
        self, interaction: discord.Interaction, message: discord.Message
    ) -> None:
        await self.bot.frontend.jobs.use_as_reference(interaction, message)

    async def animate(self, interaction: discord.Interaction, message: discord.Message) -> None:
        await self.bot.frontend.jobs.animate_message(interaction, message)


async def setup(bot: ImagineBot) -> None:
    await bot.add_cog(ReferenceMenus(bot))
