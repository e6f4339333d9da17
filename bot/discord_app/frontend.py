"""The Discord front end's parts, wired once with exactly what each uses.

`FrontEnd` owns the lifetimes of the tracker (its per-job tasks), the messenger (the
interaction tokens it holds in memory) and the moderation log (its posts): `start()`
resumes tracking after a restart, `close()` stops them before discord.py closes its HTTP
session.

With several processes on one database only the engine's holder follows jobs, edits and
posts their messages, posts outage notices and catches up on unposted moderation log posts
(through REST with the bot token, which any process may use for any channel): one process
spends each channel's edit budget, as when the bot is one process. A standby answers its
servers' interactions, writes their jobs, posts the incidents it records itself (a blocked
word), and starts the rest the moment it takes the engine over.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from ..config.tunables import Tunables
from ..engine.engine import JobEngine
from ..engine.tasks import OwnedTasks
from ..media.transcode_pool import TranscodePool
from ..moderation.service import Moderation
from ..services.budgets import BudgetService
from ..services.jobs import JobService
from ..services.listings import JobListings
from ..services.moderation import ModerationService
from ..services.tools import ToolService
from ..storage.jobs import Job, JobStore
from ..storage.messages import JobMessages
from .budget_notices import BudgetNotices
from .delivery import Delivery
from .held_results import HeldResults
from .job_actions import JobActions
from .listings import ListingViews
from .messenger import ChannelOpener, JobMessenger
from .mod_actions import DmOpener, ModerationActions
from .modlog import ModerationLog
from .outage_notices import OutageNotices
from .tool_actions import ToolActions
from .tracker import JobTracker

log = logging.getLogger(__name__)


class FrontEnd:
    def __init__(
        self,
        *,
        engine: JobEngine,
        store: JobStore,
        messages: JobMessages,
        jobs: JobService,
        listings: JobListings,
        moderation: Moderation,
        moderation_service: ModerationService,
        tunables: Tunables,
        channels: ChannelOpener,
        dm: DmOpener,
        guild_locale: Callable[[int], str],
        log_channels: Callable[[], dict[int, int]],
        budgets: BudgetService,
        guild_owner: Callable[[int], int | None],
        ready: Callable[[], Awaitable[None]],
        tools: ToolService,
    ) -> None:
        self.engine = engine
        self.tunables = tunables
        self.messenger = JobMessenger(channels, messages, tunables.discord)
        # Video transcodes, in processes of their own (see transcode_pool).
        self.transcodes = TranscodePool(
            workers=tunables.video.transcode_workers, time_limit=tunables.video.transcode_seconds
        )
        self.delivery = Delivery(
            engine=engine,
            store=store,
            messenger=self.messenger,
            tunables=tunables,
            transcodes=self.transcodes,
            tools=tools.enabled,
        )
        self.held = HeldResults(
            holds=moderation.holds.records,
            settings=moderation.settings,
            delivery=self.delivery,
            messenger=self.messenger,
            channels=channels,
            guild_locale=guild_locale,
            tunables=tunables,
        )
        self.tracker = JobTracker(
            engine=engine,
            store=store,
            messenger=self.messenger,
            delivery=self.delivery,
            held=self.held,
            tunables=tunables,
        )
        self.views = ListingViews(listings=listings, messages=messages, tunables=tunables)
        self.jobs = JobActions(
            jobs=jobs,
            messenger=self.messenger,
            tracker=self.tracker,
            listings=listings,
            views=self.views,
            tunables=tunables,
            transcodes=self.transcodes,
        )
        self.tools = ToolActions(tools=tools, jobs=self.jobs)
        self.modlog = ModerationLog(
            moderation=moderation, channels=channels, guild_locale=guild_locale
        )
        self.moderation = ModerationActions(
            moderation=moderation_service,
            modlog=self.modlog,
            dm=dm,
            jobs=store,
            track=self.tracker.track,
        )
        self.outage_notices = OutageNotices(
            outage=engine.outage,
            log_channels=log_channels,
            channels=channels,
            guild_locale=guild_locale,
        )
        self.budget_notices = BudgetNotices(
            budgets=budgets,
            currency=tunables.currency,
            channels=channels,
            dm=dm,
            guild_owner=guild_owner,
            guild_locale=guild_locale,
            ready=ready,
        )
        self._waiting = OwnedTasks("frontend")
        if engine.cluster is not None:
            # Jobs another process wrote, once this process's engine took them up.
            engine.cluster.adopted.append(self._adopted)

    async def start(self) -> None:
        """Jobs left unfinished by the last run get their messages updated again (on a
        standby: once it holds the engine)."""
        self.modlog.listen()
        if self.engine.running:
            await self._lead()
        else:
            self._waiting.spawn(self._lead_when_started(), "frontend-lead")

    async def _lead_when_started(self) -> None:
        await self.engine.started.wait()
        log.info("this process now edits job messages and posts to log channels")
        if self.engine.cluster is not None and self.engine.cluster.took_over:
            discord = self.tunables.discord
            self.tracker.hold_edits(discord.channel_edit_window + discord.edit_margin)
        await self._lead()

    async def _lead(self) -> None:
        self.modlog.catch_up()
        self.outage_notices.start()
        self.budget_notices.start()
        await self.tracker.resume()

    def _adopted(self, job: Job) -> None:
        if job.frontend.get("channel_id"):
            self.tracker.track(job.batch_key, elsewhere=True)

    async def close(self) -> None:
        await self._waiting.cancel()
        # Results on their way out get a moment to be posted and recorded (within the
        # launcher's 2 s for Discord's close).
        await self.delivery.drain(grace=0.5)
        await self.modlog.close()
        await self.outage_notices.close()
        await self.budget_notices.close()
        await self.tracker.close()
        # Results already posted are recorded as delivered before the session goes.
        await self.delivery.close(grace=0.5)
