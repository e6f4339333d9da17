"""The bot: a `commands.Bot` that is handed the engine's runtime and wires the front end."""

from __future__ import annotations

import logging

import discord
from discord.ext import commands

from ..runtime import Runtime
from .actions import JobActions
from .buttons import ALL_BUTTONS
from .errors import ImagineTree
from .messenger import JobMessenger
from .tracker import JobTracker
from .translator import CommandTranslator

log = logging.getLogger(__name__)

EXTENSIONS = ("cogs.imagine", "cogs.history", "cogs.queue")


class ImagineBot(commands.Bot):
    def __init__(self, runtime: Runtime, *, serve_jobs: bool = True) -> None:
        # Slash commands and buttons need no privileged intents; guilds keeps channel info.
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            tree_cls=ImagineTree,
            help_command=None,
        )
        self.runtime = runtime
        self.engine = runtime.engine
        self.store = runtime.store
        self.tunables = runtime.settings.tunables
        self.messenger = JobMessenger(self)
        self.tracker = JobTracker(self)
        self.actions = JobActions(self)
        self.serve_jobs = serve_jobs  # False when only syncing commands

    async def setup_hook(self) -> None:
        await self.tree.set_translator(CommandTranslator())
        self.add_dynamic_items(*ALL_BUTTONS)
        await self.load_extensions()
        if self.serve_jobs:
            self.engine.add_listener(self.tracker.on_event)
            # Jobs left unfinished by the last run get their messages updated again.
            await self.tracker.resume()

    async def load_extensions(self) -> None:
        for name in EXTENSIONS:
            try:
                await self.load_extension(name)
            except Exception:
                log.exception("could not load extension %s", name)

    async def close(self) -> None:
        # Stop our own tasks before discord.py closes its HTTP session under them.
        await self.tracker.close()
        self.engine.remove_listener(self.tracker.on_event)
        await super().close()
