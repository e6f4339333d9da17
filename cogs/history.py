"""`/history`: your own jobs in this server."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app.client import ImagineBot
from bot.discord_app.interactions import member_of


class History(commands.Cog):
    def __init__(self, bot: ImagineBot) -> None:
        self.bot = bot

    @app_commands.command(name="history", description="Your images in this server")
    @app_commands.guild_only()
    @app_commands.describe(job="Show one job with all its settings")
    async def history(
        self, interaction: discord.Interaction, job: app_commands.Range[int, 1] | None = None
    ) -> None:
        """Your images in this server."""
        member = member_of(interaction)
        views = self.bot.frontend.views
        if job is None:
            embed, view = await views.history(member, 0)
        else:
            # Someone else's job, or another server's, does not exist as far as you know.
            found = await self.bot.services.listings.own_job(member, job)
            embed, view = await views.job(found, member.locale)
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)


async def setup(bot: ImagineBot) -> None:
    await bot.add_cog(History(bot))
