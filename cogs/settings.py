"""`/settings`: a server's own settings, changed from Discord by those who may manage it.

The group is assembled here from its commands, one module per part: limits and
overrides (`settings_limits`), models and the AI mark (`settings_models`), moderation
(`settings_moderation`), styles (`settings_styles`), spoiler channels
(`settings_spoilers`), money budgets (`settings_budget`), and the small ones below. Each
command only translates its options into a `ServerAdmin` call and draws the answer; the
service checks the permission (a server can let other members see the group) and every
value.
"""

from __future__ import annotations

import zoneinfo

import discord
from discord import app_commands

from bot.discord_app.admin_views import channel_list, settings_embed
from bot.discord_app.client import ImagineBot, bot_of
from bot.discord_app.interactions import member_of, say
from cogs.settings_budget import budget
from cogs.settings_limits import limits, role_limit, user_limit
from cogs.settings_models import ai_mark, models
from cogs.settings_moderation import moderation
from cogs.settings_spoilers import spoilers
from cogs.settings_styles import styles

BUTTON_CHOICES = [
    app_commands.Choice(name="Anyone", value="anyone"),
    app_commands.Choice(name="Only the person who asked", value="owner"),
]


@app_commands.command(
    name="show", description="Every setting of this server and where it comes from"
)
async def show(interaction: discord.Interaction) -> None:
    """Every setting of this server and where it comes from."""
    member = member_of(interaction)
    bot = bot_of(interaction)
    server = bot.services.admin.show(member)
    embed = settings_embed(member.locale, server, bot.tunables.currency)
    await interaction.response.send_message(embed=embed, ephemeral=True)


channels = app_commands.Group(name="channels", description="Where /imagine may be used")


async def _set_channel(
    interaction: discord.Interaction, channel: discord.TextChannel, allowed: bool
) -> None:
    member = member_of(interaction)
    server = await bot_of(interaction).services.admin.set_channel(
        member, channel.id, channel.guild.id, allowed=allowed
    )
    key = "admin.channels.added" if allowed else "admin.channels.removed"
    text = say(
        interaction,
        key,
        channel=channel.mention,
        channels=channel_list(member.locale, server.channels),
    )
    await interaction.response.send_message(text, ephemeral=True)


@channels.command(name="add", description="Allow /imagine in a channel (none set: everywhere)")
@app_commands.describe(channel="The channel")
async def channels_add(interaction: discord.Interaction, channel: discord.TextChannel) -> None:
    """Allow /imagine in a channel (none set: everywhere)."""
    await _set_channel(interaction, channel, True)


@channels.command(name="remove", description="Stop allowing /imagine in a channel")
@app_commands.describe(channel="The channel")
async def channels_remove(interaction: discord.Interaction, channel: discord.TextChannel) -> None:
    """Stop allowing /imagine in a channel."""
    await _set_channel(interaction, channel, False)


@app_commands.command(
    name="buttons", description="Who may press Re-roll and Vary on someone else's result"
)
@app_commands.describe(who="Anyone, or only the person who asked")
@app_commands.choices(who=BUTTON_CHOICES)
async def buttons(interaction: discord.Interaction, who: app_commands.Choice[str]) -> None:
    """Who may press Re-roll and Vary on someone else's result."""
    await bot_of(interaction).services.admin.change(member_of(interaction), {"buttons": who.value})
    await interaction.response.send_message(say(interaction, "admin.saved"), ephemeral=True)


@app_commands.command(name="timezone", description="The time zone where days and months reset")
@app_commands.describe(name="An IANA name such as Asia/Shanghai")
async def timezone(interaction: discord.Interaction, name: str) -> None:
    """The time zone where days and months reset."""
    await bot_of(interaction).services.admin.change(member_of(interaction), {"timezone": name})
    await interaction.response.send_message(say(interaction, "admin.saved"), ephemeral=True)


@timezone.autocomplete("name")
async def timezone_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    wanted = current.lower()
    names = sorted(n for n in zoneinfo.available_timezones() if wanted in n.lower())
    return [app_commands.Choice(name=n, value=n) for n in names[:25]]


def settings_group() -> app_commands.Group:
    """`/settings` with every command of its parts."""
    group = app_commands.Group(
        name="settings",
        description="Server settings",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )
    for command in (
        show,
        limits,
        role_limit,
        user_limit,
        channels,
        models,
        ai_mark,
        buttons,
        moderation,
        timezone,
        styles,
        spoilers,
        budget,
    ):
        group.add_command(command)
    return group


async def setup(bot: ImagineBot) -> None:
    bot.tree.add_command(settings_group())


async def teardown(bot: ImagineBot) -> None:
    bot.tree.remove_command("settings")
