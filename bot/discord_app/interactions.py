"""From an interaction to what the services take: who asks, where, in which language."""

from __future__ import annotations

import discord

from ..refusal import Refusal
from ..services.members import Member
from ..text.i18n import resolve, t


def locale_of(interaction: discord.Interaction) -> str:
    """The member's language, else the server's, else English."""
    guild_locale = interaction.guild_locale.value if interaction.guild_locale else None
    return resolve(interaction.locale.value, guild_locale)


def guild_locale_of(interaction: discord.Interaction) -> str:
    """The server's language, for what everyone there reads (the moderation log)."""
    return resolve(interaction.guild_locale.value if interaction.guild_locale else None)


def say(interaction: discord.Interaction, key: str, **params: object) -> str:
    """`key` in the language of whoever is interacting."""
    return t(locale_of(interaction), key, **params)


def member_of(interaction: discord.Interaction) -> Member:
    """The member behind an interaction in a server; a Refusal outside servers."""
    if interaction.guild_id is None:
        raise Refusal("error.guild_only")
    user = interaction.user
    roles = tuple(role.id for role in user.roles) if isinstance(user, discord.Member) else ()
    permissions = interaction.permissions
    return Member(
        guild_id=interaction.guild_id,
        user_id=user.id,
        channel_id=interaction.channel_id,
        roles=roles,
        locale=locale_of(interaction),
        manage_guild=permissions.manage_guild,
        manage_messages=permissions.manage_messages,
        upload_limit=interaction.filesize_limit,
    )
