"""`/usage`: what this server generated, per day (as a chart), per model and per member."""

from __future__ import annotations

import asyncio
import io
import time

import discord
from discord import app_commands
from discord.ext import commands

from bot.config.tunables import Tunables
from bot.discord_app.admin_views import usage_embed
from bot.discord_app.errors import locale_of
from bot.discord_app.frontend import FrontEnd
from bot.discord_app.permissions import require_manage_guild
from bot.reports.chart import draw_daily_chart
from bot.reports.usage import build_usage
from bot.rules.quotas import QuotaBook

CHART_NAME = "usage.png"


class Usage(commands.Cog):
    def __init__(self, quotas: QuotaBook | None, tunables: Tunables) -> None:
        self.quotas = quotas
        self.tunables = tunables

    @app_commands.command(name="usage", description="Images per day, per model and per member")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.describe(days="How many days back (30 if not given)")
    async def usage(
        self, interaction: discord.Interaction, days: app_commands.Range[int, 1, 366] = 30
    ) -> None:
        """Images per day, per model and per member."""
        require_manage_guild(interaction)
        assert self.quotas is not None and interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild = self.quotas.settings.get(interaction.guild_id)
        report = await build_usage(
            self.quotas.usage,
            interaction.guild_id,
            days=days,
            timezone=guild.get("timezone"),
            models=self.tunables.models,
            now=time.time(),
        )
        png = await asyncio.to_thread(draw_daily_chart, report.days)
        await interaction.edit_original_response(
            embed=usage_embed(locale_of(interaction), report, days, CHART_NAME),
            attachments=[discord.File(io.BytesIO(png), filename=CHART_NAME)],
        )


async def setup(bot: commands.Bot) -> None:
    frontend: FrontEnd | None = bot.frontend  # type: ignore[attr-defined]
    quotas = frontend.engine.rules.quotas if frontend is not None else None
    await bot.add_cog(Usage(quotas, bot.tunables))  # type: ignore[attr-defined]
