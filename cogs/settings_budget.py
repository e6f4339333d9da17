"""`/settings budget`: a server's money budgets and the cheaper model asks switch to once
one is spent. Part of the `/settings` group (see `cogs/settings.py`)."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.discord_app.budget_views import budget_summary
from bot.discord_app.client import bot_of
from bot.discord_app.interactions import locale_of, member_of, say

Amount = app_commands.Range[float, 0, 10_000_000]


@app_commands.command(
    name="budget", description="Money budgets (price list currency); monthly:0 removes them"
)
@app_commands.describe(
    monthly="The most this server may spend a month (0 removes every budget)",
    daily="The most it may spend a day (left out: no daily budget)",
    fallback_model="A cheaper image model asks switch to once a budget is spent",
)
async def budget(
    interaction: discord.Interaction,
    monthly: Amount,
    daily: Amount | None = None,
    fallback_model: str | None = None,
) -> None:
    """Money budgets, and the model asks switch to once one is spent."""
    member = member_of(interaction)
    bot = bot_of(interaction)
    budgets = bot.services.budgets
    server = await budgets.set_budget(member, monthly, daily, fallback_model)
    if not monthly:
        await interaction.response.send_message(say(interaction, "budget.cleared"), ephemeral=True)
        return
    lines = await budgets.standing(member.guild_id)
    summary = budget_summary(member.locale, server, lines, bot.tunables.currency)
    text = say(interaction, "budget.saved", summary=summary)
    await interaction.response.send_message(text, ephemeral=True)


@budget.autocomplete("fallback_model")
async def fallback_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Every image model and version, with its time and price."""
    jobs = bot_of(interaction).services.jobs
    found = jobs.model_choices(0, current, locale_of(interaction))
    return [app_commands.Choice(name=label, value=value) for label, value in found[:25]]
