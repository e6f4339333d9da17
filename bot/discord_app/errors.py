"""Every failure of a command or a button ends here, as a clear message in the user's
language; unexpected ones are logged with their traceback. Nothing else answers errors.

Commands reach `report_error` through the tree (`ImagineTree.on_error`); the methods that
buttons call are wrapped in `answers_errors`, which does the same for them.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Concatenate, ParamSpec, TypeVar

import discord
from discord import app_commands

from ..moderation.service import Blocked
from ..refusal import Refusal
from ..text.i18n import t
from .interactions import locale_of
from .mod_buttons import blocked_reply

log = logging.getLogger(__name__)

P = ParamSpec("P")
S = TypeVar("S")


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


def answers_errors(
    method: Callable[Concatenate[S, discord.Interaction, P], Awaitable[None]],
) -> Callable[Concatenate[S, discord.Interaction, P], Awaitable[None]]:
    """For what a button calls: any error becomes a message to the presser, as the tree
    does for commands."""

    @functools.wraps(method)
    async def answered(
        self: S, interaction: discord.Interaction, *args: P.args, **kwargs: P.kwargs
    ) -> None:
        try:
            await method(self, interaction, *args, **kwargs)
        except Exception as exc:
            await report_error(interaction, exc)

    return answered


class ImagineTree(app_commands.CommandTree):
    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await report_error(interaction, error)
