"""Every failure of a command or a button ends here, as a clear message in the user's
language; unexpected ones are logged with their traceback. Nothing else answers errors."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from ..moderation.service import Blocked
from ..refusal import Refusal
from ..text.i18n import resolve, t
from .mod_buttons import blocked_reply

log = logging.getLogger(__name__)


def locale_of(interaction: discord.Interaction) -> str:
    guild_locale = interaction.guild_locale.value if interaction.guild_locale else None
    return resolve(interaction.locale.value, guild_locale)


def say(interaction: discord.Interaction, key: str, **params: object) -> str:
    """`key` in the language of whoever is interacting."""
    return t(locale_of(interaction), key, **params)


def message_for(error: BaseException, locale: str) -> str:
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    match error:
        case Blocked():
            return blocked_reply(error.block, locale)[0]
        case Refusal():
            return t(locale, error.key, **error.params)
        case app_commands.NoPrivateMessage():
            return t(locale, "error.guild_only")
        case app_commands.MissingPermissions() | app_commands.CheckFailure():
            return t(locale, "error.not_allowed")
        case app_commands.CommandOnCooldown():
            return t(locale, "error.cooldown", seconds=round(error.retry_after))
        case _:
            log.error("unexpected error in an interaction", exc_info=error)
            return t(locale, "error.unexpected")


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Answer with the error, ephemeral where Discord still allows it."""
    locale = locale_of(interaction)
    text = message_for(error, locale)
    original = getattr(error, "original", error)
    # A blocked member may appeal: the refusal carries the Appeal button.
    view = blocked_reply(original.block, locale)[1] if isinstance(original, Blocked) else None
    try:
        if not interaction.response.is_done():
            await interaction.response.send_message(
                text, ephemeral=True, view=view or discord.utils.MISSING
            )
        elif interaction.response.type in (
            discord.InteractionResponseType.deferred_channel_message,
        ):
            # A public "thinking…" message is waiting: it becomes the error.
            await interaction.edit_original_response(content=text, embed=None, view=None)
        else:
            await interaction.followup.send(
                text, ephemeral=True, view=view or discord.utils.MISSING
            )
    except discord.HTTPException:
        log.warning("could not tell the user about an error", exc_info=True)


class ImagineTree(app_commands.CommandTree):
    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await report_error(interaction, error)
