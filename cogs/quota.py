"""`/quota`: what a member has left today and this month, and when it resets."""

from __future__ import annotations

import time

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app.admin_views import quota_embed
from bot.discord_app.client import ImagineBot
from bot.discord_app.interactions import member_of


class Quota(commands.Cog):
    def __init__(self, bot: ImagineBot) -> None:
        self.bot = bot

    @app_commands.command(name="quota", description="What you have left today and this month")
    @app_commands.guild_only()
    async def quota(self, interaction: discord.Interaction) -> None:
        """What you have left today and this month."""
        member = member_of(interaction)
        report = await self.bot.services.usage.quota(member)
        await interaction.response.send_message(
            embed=quota_embed(member.locale, report, time.time()), ephemeral=True
        )


async def setup(bot: ImagineBot) -> None:
    await bot.add_cog(Quota(bot))
