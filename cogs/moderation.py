"""`/moderation`: incidents, appeals, blocks and each member's moderation history, for
moderators."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app.client import ImagineBot
from bot.discord_app.interactions import member_of

STATUS_CHOICES = [
    app_commands.Choice(name="Open", value="open"),
    app_commands.Choice(name="Dismissed", value="dismissed"),
    app_commands.Choice(name="Warned", value="warned"),
    app_commands.Choice(name="Blocked", value="blocked"),
]
APPEAL_STATUS_CHOICES = [
    app_commands.Choice(name="Open", value="open"),
    app_commands.Choice(name="Lifted", value="accepted"),
    app_commands.Choice(name="Kept", value="rejected"),
]
DURATION_CHOICES = [
    app_commands.Choice(name="1 hour", value="1h"),
    app_commands.Choice(name="24 hours", value="24h"),
    app_commands.Choice(name="7 days", value="7d"),
    app_commands.Choice(name="30 days", value="30d"),
    app_commands.Choice(name="Permanently", value="perm"),
]


@app_commands.guild_only()
@app_commands.default_permissions(manage_messages=True)
class Moderation(
    commands.GroupCog,
    group_name="moderation",
    group_description="Review incidents and block members",
):
    def __init__(self, bot: ImagineBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="incidents", description="Prompts that broke the rules here")
    @app_commands.describe(status="Only incidents in this state", member="Only this member's")
    @app_commands.choices(status=STATUS_CHOICES)
    async def incidents(
        self,
        interaction: discord.Interaction,
        status: app_commands.Choice[str] | None = None,
        member: discord.Member | None = None,
    ) -> None:
        """Prompts that broke the rules here."""
        embed, view = await self.bot.frontend.moderation.incidents(
            member_of(interaction),
            0,
            status.value if status else None,
            member.id if member else None,
        )
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    @app_commands.command(name="appeals", description="Appeals of blocked members: lift or keep")
    @app_commands.describe(status="Only appeals in this state")
    @app_commands.choices(status=APPEAL_STATUS_CHOICES)
    async def appeals(
        self, interaction: discord.Interaction, status: app_commands.Choice[str] | None = None
    ) -> None:
        """Appeals of blocked members: lift or keep."""
        embed, view = await self.bot.frontend.moderation.appeals(
            member_of(interaction), 0, status.value if status else None
        )
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    @app_commands.command(name="block", description="Stop a member from generating images here")
    @app_commands.describe(
        member="Who to block", duration="For how long", reason="Why (the member sees it)"
    )
    @app_commands.choices(duration=DURATION_CHOICES)
    async def block(
        self,
        interaction: discord.Interaction,
        member: discord.Member,
        duration: app_commands.Choice[str],
        reason: app_commands.Range[str, 1, 500],
    ) -> None:
        """Stop a member from generating images here."""
        actions = self.bot.frontend.moderation
        text = await actions.block(member_of(interaction), member.id, duration.value, reason)
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="unblock", description="Let a blocked member generate images again")
    @app_commands.describe(member="Who to unblock")
    async def unblock(self, interaction: discord.Interaction, member: discord.Member) -> None:
        """Let a blocked member generate images again."""
        text = await self.bot.frontend.moderation.unblock(member_of(interaction), member.id)
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="history", description="A member's incidents, blocks and warnings")
    @app_commands.describe(member="Whose history")
    async def history(self, interaction: discord.Interaction, member: discord.Member) -> None:
        """A member's incidents, blocks and warnings."""
        embed = await self.bot.frontend.moderation.history(member_of(interaction), member.id)
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: ImagineBot) -> None:
    await bot.add_cog(Moderation(bot))
