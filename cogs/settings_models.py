"""`/settings models`: which models a server allows, and its default model and size. Part
of the `/settings` group (see `cogs/settings.py`)."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.discord_app.admin_views import settings_embed
from bot.discord_app.client import bot_of
from bot.discord_app.interactions import member_of, say


@app_commands.command(
    name="models", description="Which models this server allows, its default model and size"
)
@app_commands.describe(
    allowed="Image model names separated by commas, or 'all'",
    default_model="The image model used when none is chosen",
    default_size="The size used when none is chosen (WIDTHxHEIGHT, or 'model')",
    video_allowed="Video model names separated by commas, or 'all'",
    video_default_model="The video model used when none is chosen",
)
async def models(
    interaction: discord.Interaction,
    allowed: str | None = None,
    default_model: str | None = None,
    default_size: str | None = None,
    video_allowed: str | None = None,
    video_default_model: str | None = None,
) -> None:
    """Which models this server allows, its default model and size."""
    member = member_of(interaction)
    admin = bot_of(interaction).services.admin
    server = await admin.set_models(
        member, allowed, default_model, default_size, video_allowed, video_default_model
    )
    if server is None:
        text = say(interaction, "admin.nothing_given")
        await interaction.response.send_message(text, ephemeral=True)
        return
    await interaction.response.send_message(
        say(interaction, "admin.saved"),
        embed=settings_embed(member.locale, server, bot_of(interaction).tunables.currency),
        ephemeral=True,
    )


@models.autocomplete("default_model")
async def model_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    return [
        app_commands.Choice(name=name, value=name)
        for name in bot_of(interaction).tunables.models
        if current.lower() in name.lower()
    ][:25]


@models.autocomplete("video_default_model")
async def video_model_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    return [
        app_commands.Choice(name=name, value=name)
        for name in bot_of(interaction).tunables.video_models
        if current.lower() in name.lower()
    ][:25]


@app_commands.command(
    name="ai-mark", description="Mark every result as AI generated (a visible mark)"
)
@app_commands.describe(enabled="Add the mark to every image and video")
async def ai_mark(interaction: discord.Interaction, enabled: bool) -> None:
    """Mark every result as AI generated (a visible mark)."""
    member = member_of(interaction)
    server = await bot_of(interaction).services.admin.set_ai_mark(member, enabled)
    await interaction.response.send_message(
        say(interaction, "admin.saved"),
        embed=settings_embed(member.locale, server, bot_of(interaction).tunables.currency),
        ephemeral=True,
    )
