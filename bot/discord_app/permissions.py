"""Permission checks that run when a command runs, whatever Discord was told to show."""

from __future__ import annotations

import discord
from discord import app_commands

from ..refusal import Refusal


class ManageServerRequired(Refusal, app_commands.CheckFailure):
    """The member lacks Manage Server (the server let them see the command anyway)."""

    def __init__(self) -> None:
        super().__init__("admin.refused.manage_guild")


def require_manage_guild(interaction: discord.Interaction) -> None:
    """A server can override a command's default permissions: check them again here."""
    if interaction.guild_id is None:
        raise Refusal("error.guild_only")
    if not interaction.permissions.manage_guild:
        raise ManageServerRequired()
