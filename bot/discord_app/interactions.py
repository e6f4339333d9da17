"""From an interaction to what the services take: who asks, where, in which language, and
the server a channel or role option belongs to."""

from __future__ import annotations

from dataclasses import dataclass

import discord
from discord import app_commands

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
    joined = user.joined_at if isinstance(user, discord.Member) else None
    return Member(
        guild_id=interaction.guild_id,
        user_id=user.id,
        channel_id=interaction.channel_id,
        roles=roles,
        locale=locale_of(interaction),
        manage_guild=permissions.manage_guild,
        manage_messages=permissions.manage_messages,
        upload_limit=interaction.filesize_limit,
        joined_at=joined.timestamp() if joined is not None else None,
    )


@dataclass(frozen=True)
class ServerItem:
    """A channel or role named in an option, and the server it is in as far as the bot
    knows: the interaction's, or None (another server's, or one the bot cannot see)."""

    id: int
    guild_id: int | None


def _placed(interaction: discord.Interaction, item_id: int, known: bool) -> ServerItem:
    return ServerItem(item_id, interaction.guild_id if known else None)


class TextChannelOption(app_commands.Transformer):
    """A text channel option (registered as discord.py registers `discord.TextChannel`)
    that reaches the command even when the channel is not one of this server's, so the
    service can refuse it clearly; discord.py's own fails with a generic error."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return [discord.ChannelType.text, discord.ChannelType.news]

    async def transform(self, interaction: discord.Interaction, value: object) -> ServerItem:
        channel_id = getattr(value, "id", 0)
        guild = interaction.guild
        return _placed(
            interaction, channel_id, guild is not None and bool(guild.get_channel(channel_id))
        )


class RoleOption(app_commands.Transformer):
    """A role option; discord.py builds every resolved role with the interaction's server,
    so whether the role is this server's is read from the server's own roles."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.role

    async def transform(self, interaction: discord.Interaction, value: object) -> ServerItem:
        role_id = getattr(value, "id", 0)
        guild = interaction.guild
        return _placed(interaction, role_id, guild is not None and bool(guild.get_role(role_id)))
