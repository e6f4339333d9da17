"""`/settings moderation`: the log channel, moderators, blocked words, the warning text and
the automatic block. Part of the `/settings` group (see `cogs/settings.py`)."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.discord_app.client import bot_of
from bot.discord_app.interactions import RoleOption, ServerItem, TextChannelOption, member_of
from bot.discord_app.mod_actions import moderation_settings_embed

CLEAR_CHOICES = [
    app_commands.Choice(name="Log channel", value="log_channel"),
    app_commands.Choice(name="Moderator role", value="moderator_role"),
    app_commands.Choice(name="Blocked words", value="blocked_words"),
    app_commands.Choice(name="Warning text", value="warning_text"),
    app_commands.Choice(name="Automatic block", value="auto_block"),
    app_commands.Choice(name="Probation", value="probation"),
]


@app_commands.command(
    name="moderation", description="Log channel, moderators, blocked words, warnings"
)
@app_commands.describe(
    log_channel="Where incidents and appeals are posted",
    moderator_role="A role whose members moderate (Manage Messages always does)",
    blocked_words="Words refused before anything is generated, separated by commas",
    warning_text="What a warned member is sent",
    auto_block_incidents="Block a member automatically after this many incidents (0: never)",
    auto_block_days="…within this many days",
    probation_role="Members with this role have their results approved in the log channel",
    probation_days="Members who joined less than this many days ago too (0: nobody)",
    clear="Remove one of these settings",
)
@app_commands.choices(clear=CLEAR_CHOICES)
async def moderation(
    interaction: discord.Interaction,
    log_channel: app_commands.Transform[ServerItem, TextChannelOption] | None = None,
    moderator_role: app_commands.Transform[ServerItem, RoleOption] | None = None,
    blocked_words: app_commands.Range[str, 1, 1000] | None = None,
    warning_text: app_commands.Range[str, 1, 1500] | None = None,
    auto_block_incidents: app_commands.Range[int, 0, 100] | None = None,
    auto_block_days: app_commands.Range[int, 1, 365] | None = None,
    probation_role: app_commands.Transform[ServerItem, RoleOption] | None = None,
    probation_days: app_commands.Range[int, 0, 365] | None = None,
    clear: app_commands.Choice[str] | None = None,
) -> None:
    """Log channel, moderators, blocked words, warnings."""
    member = member_of(interaction)
    server = await bot_of(interaction).services.admin.set_moderation(
        member,
        {
            "log_channel_id": log_channel.id if log_channel else None,
            "moderator_role_id": moderator_role.id if moderator_role else None,
            "blocked_words": blocked_words,
            "warning_text": warning_text,
            "auto_block_count": auto_block_incidents,
            "auto_block_days": auto_block_days,
            "probation_role_id": probation_role.id if probation_role else None,
            "probation_days": probation_days,
        },
        clear.value if clear else None,
        log_channel_guild_id=log_channel.guild_id if log_channel else None,
        moderator_role_guild_id=moderator_role.guild_id if moderator_role else None,
        probation_role_guild_id=probation_role.guild_id if probation_role else None,
    )
    embed = moderation_settings_embed(server, member.locale)
    await interaction.response.send_message(embed=embed, ephemeral=True)
