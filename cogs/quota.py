"""`/quota`: what a member has left today and this month, and when it resets."""

from __future__ import annotations

import time

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app.admin_views import quota_embed
from bot.discord_app.errors import locale_of
from bot.discord_app.frontend import FrontEnd
from bot.rules.quotas import QuotaBook


class Quota(commands.Cog):
    def __init__(self, quotas: QuotaBook | None) -> None:
        self.quotas = quotas

    @app_commands.command(name="quota", description="What you have left today and this month")
    @app_commands.guild_only()
    async def quota(self, interaction: discord.Interaction) -> None:
        """What you have left today and this month."""
        assert self.quotas is not None and interaction.guild_id is not None
        roles = tuple(r.id for r in getattr(interaction.user, "roles", ()))
        report = await self.quotas.report(interaction.guild_id, interaction.user.id, roles)
        await interaction.response.send_message(
            embed=quota_embed(locale_of(interaction), report, time.time()), ephemeral=True
        )


async def setup(bot: commands.Bot) -> None:
    frontend: FrontEnd | None = bot.frontend  # type: ignore[attr-defined]
    await bot.add_cog(Quota(frontend.engine.rules.quotas if frontend is not None else None))
