"""`/usage`: what this server generated, per day (as a chart), per model and per member."""

from __future__ import annotations

import io

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app.admin_views import usage_embed
from bot.discord_app.client import ImagineBot
from bot.discord_app.interactions import member_of

CHART_NAME = "usage.png"


class Usage(commands.Cog):
    def __init__(self, bot: ImagineBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="usage", description="Images and videos per day, spend against the budget"
    )
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.describe(days="How many days back (30 if not given)")
    async def usage(
        self, interaction: discord.Interaction, days: app_commands.Range[int, 1, 366] = 30
    ) -> None:
        """Images and videos per day, per model and per member, and spend."""
        member = member_of(interaction)
        usage = self.bot.services.usage
        usage.require_access(member)  # before the answer, which the report takes a while for
        await interaction.response.defer(ephemeral=True, thinking=True)
        report, budgets, chart = await usage.usage(member, days)
        currency = self.bot.tunables.currency
        await interaction.edit_original_response(
            embed=usage_embed(member.locale, report, days, CHART_NAME, budgets, currency),
            attachments=[discord.File(io.BytesIO(chart), filename=CHART_NAME)],
        )


async def setup(bot: ImagineBot) -> None:
    await bot.add_cog(Usage(bot))
