"""`/preferences show | set | reset`: a member's own defaults for /imagine and /animate."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.config.tunables import ASPECTS
from bot.discord_app.client import ImagineBot
from bot.discord_app.interactions import locale_of, member_of, say
from bot.discord_app.preference_views import preferences_embed

ASPECT_CHOICES = [app_commands.Choice(name=a, value=a) for a in ASPECTS]
NAME_CHOICES = [
    app_commands.Choice(name=n, value=n)
    for n in (
        "model",
        "aspect",
        "size",
        "negative_prompt",
        "style",
        "enhance_prompt",
        "video_model",
        "video_duration",
    )
]
Choices = list[app_commands.Choice[str]]


@app_commands.guild_only()
class Preferences(
    commands.GroupCog,
    group_name="preferences",
    group_description="Your own defaults for /imagine and /animate",
):
    def __init__(self, bot: ImagineBot) -> None:
        self.bot = bot
        super().__init__()

    async def _show(self, interaction: discord.Interaction, saved: bool = False) -> None:
        member = member_of(interaction)
        service = self.bot.services.preferences
        prefs = await service.get(member)
        embed = preferences_embed(member.locale, prefs, await service.problems(member, prefs))
        text = say(interaction, "admin.saved") if saved else None
        await interaction.response.send_message(text, embed=embed, ephemeral=True)

    @app_commands.command(name="show", description="Your defaults in this server")
    async def show(self, interaction: discord.Interaction) -> None:
        """Your defaults in this server."""
        await self._show(interaction)

    @app_commands.command(name="set", description="Defaults used when you leave an option out")
    @app_commands.describe(
        model="The image model (and version) you prefer",
        aspect="The shape of your images",
        size="Exact size as WIDTHxHEIGHT, for models that take one",
        negative_prompt="What to keep out of your images and videos",
        style="A style added to your prompts",
        enhance_prompt="Let the service improve your prompts",
        video_model="The video model (and version) you prefer",
        video_duration="The length of your videos, in seconds",
    )
    @app_commands.choices(aspect=ASPECT_CHOICES)
    async def set_(
        self,
        interaction: discord.Interaction,
        model: str | None = None,
        aspect: app_commands.Choice[str] | None = None,
        size: app_commands.Range[str, 3, 11] | None = None,
        negative_prompt: app_commands.Range[str, 1, 1000] | None = None,
        style: str | None = None,
        enhance_prompt: bool | None = None,
        video_model: str | None = None,
        video_duration: app_commands.Range[int, 1, 60] | None = None,
    ) -> None:
        """Defaults used when you leave an option out."""
        values = {
            "model": model,
            "aspect": aspect.value if aspect else None,
            "size": size,
            "negative_prompt": negative_prompt,
            "style": style,
            "enhance_prompt": enhance_prompt,
            "video_model": video_model,
            "video_duration": video_duration,
        }
        await self.bot.services.preferences.set(member_of(interaction), values)
        await self._show(interaction, saved=True)

    @app_commands.command(name="reset", description="Forget your defaults (or one of them)")
    @app_commands.describe(preference="Only this one")
    @app_commands.choices(preference=NAME_CHOICES)
    async def reset(
        self,
        interaction: discord.Interaction,
        preference: app_commands.Choice[str] | None = None,
    ) -> None:
        """Forget your defaults (or one of them)."""
        member = member_of(interaction)
        await self.bot.services.preferences.reset(member, preference.value if preference else None)
        await self._show(interaction, saved=True)

    @set_.autocomplete("model")
    async def model_choices(self, interaction: discord.Interaction, current: str) -> Choices:
        found = self.bot.services.jobs.model_choices(interaction.guild_id or 0, current)
        return [app_commands.Choice(name=label, value=value) for label, value in found[:25]]

    @set_.autocomplete("video_model")
    async def video_model_choices(self, interaction: discord.Interaction, current: str) -> Choices:
        found = self.bot.services.jobs.video_model_choices(interaction.guild_id or 0, current)
        return [app_commands.Choice(name=label, value=value) for label, value in found[:25]]

    @set_.autocomplete("style")
    async def style_choices(self, interaction: discord.Interaction, current: str) -> Choices:
        styles = self.bot.services.styles
        found = await styles.choices(interaction.guild_id or 0, current, locale_of(interaction))
        return [app_commands.Choice(name=label, value=value) for label, value in found[:25]]


async def setup(bot: ImagineBot) -> None:
    await bot.add_cog(Preferences(bot))
