"""`/settings styles add | remove | list`: a server's own styles (text added to the prompt,
and an optional negative prompt). Part of the `/settings` group (see `cogs/settings.py`)."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.discord_app.client import bot_of
from bot.discord_app.interactions import member_of, say
from bot.discord_app.preference_views import styles_embed

styles = app_commands.Group(name="styles", description="This server's own styles")


@styles.command(name="add", description="Add a style: text added to the prompts that use it")
@app_commands.describe(
    name="What members pick it by",
    prompt="Text added after the member's prompt",
    negative_prompt="What to keep out, added to the member's negative prompt",
)
async def add(
    interaction: discord.Interaction,
    name: app_commands.Range[str, 1, 32],
    prompt: app_commands.Range[str, 1, 500],
    negative_prompt: app_commands.Range[str, 1, 500] | None = None,
) -> None:
    """Add a style: text added to the prompts that use it."""
    member = member_of(interaction)
    style = await bot_of(interaction).services.styles.add(member, name, prompt, negative_prompt)
    text = say(interaction, "styles.added", style=discord.utils.escape_markdown(style.name))
    await interaction.response.send_message(text, ephemeral=True)


@styles.command(name="remove", description="Remove one of this server's styles")
@app_commands.describe(name="The style")
async def remove(interaction: discord.Interaction, name: str) -> None:
    """Remove one of this server's styles."""
    await bot_of(interaction).services.styles.remove(member_of(interaction), name)
    text = say(interaction, "styles.removed", style=discord.utils.escape_markdown(name))
    await interaction.response.send_message(text, ephemeral=True)


@remove.autocomplete("name")
async def server_style_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """This server's own styles (the built-in ones cannot be removed)."""
    found = await bot_of(interaction).services.styles.own_choices(
        interaction.guild_id or 0, current
    )
    return [app_commands.Choice(name=n, value=n) for n in found[:25]]


@styles.command(name="list", description="Every style members may use here")
async def list_(interaction: discord.Interaction) -> None:
    """Every style members may use here."""
    member = member_of(interaction)
    found = await bot_of(interaction).services.styles.listing(member)
    await interaction.response.send_message(
        embed=styles_embed(member.locale, found), ephemeral=True
    )
