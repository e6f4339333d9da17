"""`/settings limits`, `/settings role-limit` and `/settings user-limit`: how much members
may generate. Part of the `/settings` group (see `cogs/settings.py`)."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.discord_app.admin_views import settings_embed
from bot.discord_app.client import bot_of
from bot.discord_app.interactions import member_of, say


@app_commands.command(name="limits", description="Set limits; 0 means no limit")
@app_commands.describe(
    daily_per_user="Images a member may generate per day",
    daily_server="Images the whole server may generate per day",
    monthly_server="Images the whole server may generate per month",
    running_per_user="Jobs of one member running at once",
    queued_per_user="Jobs of one member waiting in the queue",
    cooldown_seconds="Seconds a member waits between two asks",
    daily_video_per_user="Videos a member may generate per day",
    daily_video_server="Videos the whole server may generate per day",
    monthly_video_server="Videos the whole server may generate per month",
    tools_daily_per_user="Image tool uses a member may make per day (0: each counts as an image)",
)
async def limits(
    interaction: discord.Interaction,
    daily_per_user: int | None = None,
    daily_server: int | None = None,
    monthly_server: int | None = None,
    running_per_user: int | None = None,
    queued_per_user: int | None = None,
    cooldown_seconds: int | None = None,
    daily_video_per_user: int | None = None,
    daily_video_server: int | None = None,
    monthly_video_server: int | None = None,
    tools_daily_per_user: int | None = None,
) -> None:
    """Set limits; 0 means no limit."""
    member = member_of(interaction)
    server = await bot_of(interaction).services.admin.set_limits(
        member,
        {
            "daily_per_user": daily_per_user,
            "daily_server": daily_server,
            "monthly_server": monthly_server,
            "running_per_user": running_per_user,
            "queued_per_user": queued_per_user,
            "cooldown_seconds": cooldown_seconds,
            "daily_video_per_user": daily_video_per_user,
            "daily_video_server": daily_video_server,
            "monthly_video_server": monthly_video_server,
            "tools_daily_per_user": tools_daily_per_user,
        },
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


@app_commands.command(name="role-limit", description="A daily image limit for members with a role")
@app_commands.describe(
    role="The role",
    daily_per_user="Images per day for its members (the highest of a member's roles applies)",
    remove="Remove this role's own limit",
)
async def role_limit(
    interaction: discord.Interaction,
    role: discord.Role,
    daily_per_user: int | None = None,
    remove: bool = False,
) -> None:
    """A daily image limit for members with a role."""
    admin = bot_of(interaction).services.admin
    member = member_of(interaction)
    await admin.set_role_limit(member, role.id, role.guild.id, daily_per_user, remove=remove)
    if remove:
        text = say(interaction, "admin.role_limit.removed", role=role.mention)
    else:
        text = say(interaction, "admin.role_limit.set", role=role.mention, limit=daily_per_user)
    await interaction.response.send_message(text, ephemeral=True)


@app_commands.command(
    name="user-limit", description="A daily image limit for one member, above their roles'"
)
@app_commands.describe(
    user="The member",
    daily_per_user="Images per day for this member",
    remove="Remove this member's own limit",
)
async def user_limit(
    interaction: discord.Interaction,
    user: discord.User,
    daily_per_user: int | None = None,
    remove: bool = False,
) -> None:
    """A daily image limit for one member, above their roles'."""
    admin = bot_of(interaction).services.admin
    await admin.set_user_limit(member_of(interaction), user.id, daily_per_user, remove=remove)
    if remove:
        text = say(interaction, "admin.user_limit.removed", user=user.mention)
    else:
        text = say(interaction, "admin.user_limit.set", user=user.mention, limit=daily_per_user)
    await interaction.response.send_message(text, ephemeral=True)
