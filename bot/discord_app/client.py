"""The bot: a `commands.Bot` that carries the front end to its cogs and buttons."""

from __future__ import annotations

import logging
import pkgutil

import discord
from discord.ext import commands

from ..config.tunables import Tunables
from ..runtime import Runtime
from ..storage.messages import JobMessages
from ..text.i18n import resolve
from .buttons import ALL_BUTTONS
from .errors import ImagineTree
from .frontend import FrontEnd
from .mod_buttons import MODERATION_BUTTONS
from .translator import CommandTranslator

log = logging.getLogger(__name__)


def extensions() -> list[str]:
    """Every module of the `cogs` package is an extension: adding a cog is adding a file."""
    import cogs

    return sorted(f"cogs.{m.name}" for m in pkgutil.iter_modules(cogs.__path__))


class ImagineBot(commands.Bot):
    """`runtime` is None when the bot only registers its commands (`python -m bot sync`):
    then there is no engine, no database and no Tencent key, only the command tree."""

    def __init__(self, tunables: Tunables, runtime: Runtime | None = None) -> None:
        # Slash commands and buttons need no privileged intents; guilds keeps channel info.
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            tree_cls=ImagineTree,
            help_command=None,
            # User text is data: nothing the bot sends pings anyone unless a message asks to.
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.tunables = tunables
        self.frontend: FrontEnd | None = None
        if runtime is not None:
            self.frontend = FrontEnd(
                session=runtime.session,
                engine=runtime.engine,
                store=runtime.store,
                messages=JobMessages(runtime.db),
                tunables=tunables,
                channels=lambda channel_id, guild_id: self.get_partial_messageable(
                    channel_id, guild_id=guild_id
                ),
                moderation=runtime.moderation,
                dm=lambda user_id: self.create_dm(discord.Object(user_id)),
                guild_locale=self.guild_locale,
            )
            self.button_handler = self.frontend.actions
            self.moderation_handler = self.frontend.moderation_actions

    def guild_locale(self, guild_id: int) -> str:
        """The server's language, for what the bot posts there unasked (the moderation log)."""
        guild = self.get_guild(guild_id)
        return resolve(guild.preferred_locale.value if guild else None)

    async def setup_hook(self) -> None:
        await self.tree.set_translator(CommandTranslator())
        self.add_dynamic_items(*ALL_BUTTONS, *MODERATION_BUTTONS)
        await self.load_extensions()
        if self.frontend is not None:
            await self.frontend.start()

    async def load_extensions(self) -> None:
        for name in extensions():
            try:
                await self.load_extension(name)
            except Exception:
                log.exception("could not load extension %s", name)

    async def close(self) -> None:
        # Stop our own tasks before discord.py closes its HTTP session under them.
        if self.frontend is not None:
            await self.frontend.close()
        await super().close()
