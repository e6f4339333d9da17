"""The bot: a `commands.Bot` that carries the services and the front end to its cogs and
buttons.

Cogs are loaded by name (`EXTENSIONS`); nothing in `bot/` imports them. A cog that fails
to load stops the start (`CogLoadFailed`): a bot without `/imagine` is not half-running.
"""

from __future__ import annotations

import logging

import discord
from discord.ext import commands

from ..config.tunables import Tunables
from ..runtime import Runtime, Services
from ..storage.messages import JobMessages
from ..text.i18n import resolve
from .buttons import ALL_BUTTONS
from .errors import ImagineTree
from .frontend import FrontEnd
from .job_actions import JobActions
from .mod_actions import ModerationActions
from .mod_buttons import MODERATION_BUTTONS
from .tool_actions import ToolActions
from .tool_buttons import TOOL_BUTTONS
from .translator import CommandTranslator

log = logging.getLogger(__name__)

# Every cog, by extension name: adding a cog is adding its module and its name here.
EXTENSIONS = (
    "cogs.animate",
    "cogs.describe_menu",
    "cogs.history",
    "cogs.imagine",
    "cogs.moderation",
    "cogs.preferences",
    "cogs.queue",
    "cogs.quota",
    "cogs.reference_menus",
    "cogs.settings",
    "cogs.usage",
)

# Seconds discord.py may sleep on a 429 inside a request (30 is the least it takes).
MAX_RATELIMIT_WAIT = 30.0

NO_RUNTIME = "the bot was built to register its commands only (python -m bot sync)"


class CogLoadFailed(Exception):
    """A cog could not be loaded; the bot does not start without it."""

    def __init__(self, name: str, error: BaseException) -> None:
        original = getattr(error, "original", error)
        self.name = name
        self.reason = f"{type(original).__name__}: {original}"
        super().__init__(f"the cog {name} could not be loaded ({self.reason})")


class ImagineBot(commands.AutoShardedBot):
    """Built with a `Runtime` to run; without one (`python -m bot sync`) it has only its
    command tree, and asking for its services raises RuntimeError.

    It runs the gateway shards it is given (`shard_ids` of `shard_count`; by default every
    shard Discord recommends) and answers the interactions of their servers."""

    def __init__(
        self,
        tunables: Tunables,
        runtime: Runtime | None = None,
        *,
        shard_count: int | None = None,
        shard_ids: tuple[int, ...] | None = None,
        tools: bool | None = None,
    ) -> None:
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
            # A 429 asking for more than this (discord.py's least) raises RateLimited
            # instead of sleeping inside the request; delivery bounds shorter ones itself.
            max_ratelimit_timeout=MAX_RATELIMIT_WAIT,
            shard_count=shard_count,
            shard_ids=list(shard_ids) if shard_ids is not None else None,
        )
        self.tunables = tunables
        self._runtime = runtime
        # The image tools are on when the operator set their output bucket: only then are
        # the Describe menu registered and the tool buttons offered.
        if tools is None:
            tools = runtime is not None and runtime.services.tools.enabled
        self.tools_enabled = tools
        self._frontend: FrontEnd | None = None
        if runtime is not None:
            self._frontend = FrontEnd(
                engine=runtime.engine,
                store=runtime.store,
                messages=JobMessages(runtime.db),
                jobs=runtime.services.jobs,
                listings=runtime.services.listings,
                moderation=runtime.moderation,
                moderation_service=runtime.services.moderation,
                tunables=tunables,
                channels=lambda channel_id, guild_id: self.get_partial_messageable(
                    channel_id, guild_id=guild_id
                ),
                dm=lambda user_id: self.create_dm(discord.Object(user_id)),
                guild_locale=self.guild_locale,
                log_channels=runtime.settings.log_channels,
                budgets=runtime.services.budgets,
                guild_owner=self.guild_owner,
                ready=self.wait_until_ready,
                tools=runtime.services.tools,
            )

    @property
    def services(self) -> Services:
        if self._runtime is None:
            raise RuntimeError(f"no services: {NO_RUNTIME}")
        return self._runtime.services

    @property
    def frontend(self) -> FrontEnd:
        if self._frontend is None:
            raise RuntimeError(f"no front end: {NO_RUNTIME}")
        return self._frontend

    @property
    def job_buttons(self) -> JobActions:
        """What the job buttons call (see `buttons.job_actions`)."""
        return self.frontend.jobs

    @property
    def tool_buttons(self) -> ToolActions:
        """What the image tools' buttons call (see `tool_buttons.tool_actions`)."""
        return self.frontend.tools

    @property
    def moderation_buttons(self) -> ModerationActions:
        """What the moderation buttons call (see `mod_buttons.moderation_actions`)."""
        return self.frontend.moderation

    def guild_owner(self, guild_id: int) -> int | None:
        """Who owns a server (told by direct message what its log channel would be)."""
        guild = self.get_guild(guild_id)
        return guild.owner_id if guild else None

    def guild_locale(self, guild_id: int) -> str:
        """The server's language, for what the bot posts there unasked (the moderation log)."""
        guild = self.get_guild(guild_id)
        return resolve(guild.preferred_locale.value if guild else None)

    async def setup_hook(self) -> None:
        await self.tree.set_translator(CommandTranslator())
        self.add_dynamic_items(*ALL_BUTTONS, *TOOL_BUTTONS, *MODERATION_BUTTONS)
        await self.load_extensions()
        if self._frontend is not None:
            await self._frontend.start()

    async def load_extensions(self) -> None:
        for name in EXTENSIONS:
            try:
                await self.load_extension(name)
            except commands.ExtensionError as exc:
                log.critical("could not load the cog %s", name, exc_info=exc)
                raise CogLoadFailed(name, exc) from exc

    async def close(self) -> None:
        # Stop our own tasks before discord.py closes its HTTP session under them.
        if self._frontend is not None:
            await self._frontend.close()
        await super().close()


def bot_of(interaction: discord.Interaction) -> ImagineBot:
    """The bot an interaction arrived at, for commands written as plain functions."""
    client = interaction.client
    if not isinstance(client, ImagineBot):
        raise RuntimeError("commands run in the ImagineBot client only")
    return client
