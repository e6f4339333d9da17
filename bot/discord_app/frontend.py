"""The Discord front end's parts, wired once with exactly what each uses.

`FrontEnd` owns the lifetimes of the tracker (its per-job tasks) and the messenger (the
interaction tokens it holds in memory): `start()` resumes tracking after a restart,
`close()` stops it before discord.py closes its HTTP session.
"""

from __future__ import annotations

import aiohttp

from ..config import Tunables
from ..engine.engine import JobEngine
from ..storage.jobs import JobStore
from ..storage.messages import JobMessages
from .actions import JobActions
from .delivery import Delivery
from .listings import Listings
from .messenger import ChannelOpener, JobMessenger
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
        )

    async def start(self) -> None:
        """Jobs left unfinished by the last run get their messages updated again."""
        await self.tracker.resume()

    async def close(self) -> None:
        await self.tracker.close()
