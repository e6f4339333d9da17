"""`/queue`: your waiting and running jobs, and how busy this server is."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app.frontend import FrontEnd


class Queue(commands.Cog):
    def __init__(self, frontend: FrontEnd | None) -> None:
        self.frontend = frontend

    @app_commands.command(name="queue", description="Your waiting and running images")
    @app_commands.guild_only()
    async def queue(self, interaction: discord.Interaction) -> None:
        """Your waiting and running images."""
        assert self.frontend is not None
        embed, view = await self.frontend.listings.queue(interaction)
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Queue(bot.frontend))  # type: ignore[attr-defined]
