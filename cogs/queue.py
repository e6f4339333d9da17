"""`/queue`: your waiting and running jobs, and how busy this server is."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app.client import ImagineBot
from bot.discord_app.interactions import member_of


class Queue(commands.Cog):
    def __init__(self, bot: ImagineBot) -> None:
        self.bot = bot

    @app_commands.command(name="queue", description="Your waiting and running images")
    @app_commands.guild_only()
    async def queue(self, interaction: discord.Interaction) -> None:
        """Your waiting and running images."""
        embed, view = await self.bot.frontend.views.queue(member_of(interaction))
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)


async def setup(bot: ImagineBot) -> None:
    await bot.add_cog(Queue(bot))
