"""The Discord front end's parts, wired once with exactly what each uses.

`FrontEnd` owns the lifetimes of the tracker (its per-job tasks) and the messenger (the
interaction tokens it holds in memory): `start()` resumes tracking after a restart,
`close()` stops it before discord.py closes its HTTP session.
"""

from __future__ import annotations

from collections.abc import Callable

import aiohttp

from ..config.tunables import Tunables
from ..engine.engine import JobEngine
from ..moderation.service import Moderation
from ..storage.jobs import JobStore
from ..storage.messages import JobMessages
from .actions import JobActions
from .delivery import Delivery
from .listings import Listings
from .messenger import ChannelOpener, JobMessenger
from .mod_actions import DmOpener, ModerationActions
from .modlog import ModerationLog
from .tracker import JobTracker


class FrontEnd:
    def __init__(
        self,
        *,
        session: aiohttp.ClientSession,
        engine: JobEngine,
        store: JobStore,
        messages: JobMessages,
        tunables: Tunables,
        channels: ChannelOpener,
        moderation: Moderation,
        dm: DmOpener,
        guild_locale: Callable[[int], str],
    ) -> None:
        self.engine = engine
        self.store = store
        self.tunables = tunables
        self.messenger = JobMessenger(channels, messages, tunables.discord)
        self.delivery = Delivery(
            engine=engine, store=store, messenger=self.messenger, tunables=tunables
        )
        self.tracker = JobTracker(
            engine=engine,
            store=store,
            messenger=self.messenger,
            delivery=self.delivery,
            tunables=tunables,
        )
        self.listings = Listings(engine=engine, store=store, messages=messages, tunables=tunables)
        self.actions = JobActions(
            session=session,
            engine=engine,
            store=store,
            messenger=self.messenger,
            tracker=self.tracker,
            listings=self.listings,
            tunables=tunables,
            warnings=moderation.take_warnings,
        )
        self.moderation = moderation
        self.modlog = ModerationLog(
            moderation=moderation, channels=channels, guild_locale=guild_locale
        )
        self.moderation_actions = ModerationActions(
            moderation=moderation, modlog=self.modlog, dm=dm
        )

    async def start(self) -> None:
        """Jobs left unfinished by the last run get their messages updated again."""
        self.modlog.start()
        await self.tracker.resume()

    async def close(self) -> None:
        await self.modlog.close()
        await self.tracker.close()
