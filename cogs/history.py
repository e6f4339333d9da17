"""`/history`: your own jobs in this server."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app.errors import locale_of
from bot.discord_app.frontend import FrontEnd
from bot.refusal import Refusal


class History(commands.Cog):
    def __init__(self, frontend: FrontEnd | None) -> None:
        self.frontend = frontend

    @app_commands.command(name="history", description="Your images in this server")
    @app_commands.guild_only()
    @app_commands.describe(job="Show one job with all its settings")
    async def history(
        self, interaction: discord.Interaction, job: app_commands.Range[int, 1] | None = None
    ) -> None:
        """Your images in this server."""
        assert self.frontend is not None
        listings = self.frontend.listings
        if job is None:
            embed, view = await listings.history(interaction, 0)
        else:
            found = await self.frontend.store.get(job)
            # Someone else's job, or another server's, does not exist as far as you know.
            if found is None or (found.guild_id, found.user_id) != (
                interaction.guild_id,
                interaction.user.id,
            ):
                raise Refusal("error.job_not_found", job=job)
            embed, view = await listings.job(found, locale_of(interaction))
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(History(bot.frontend))  # type: ignore[attr-defined]
