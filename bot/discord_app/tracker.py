"""Follow each job from queue to result and keep its Discord message up to date.

One small task per unfinished job: it follows the job's events, renders its progress, edits
the message when the text changed (at most once per `progress_interval`), and hands the
finished job to `Delivery`. A restart simply starts the trackers again.

When the messenger drops a progress edit (its channel's edit budget is spent), the tracker
asks again as soon as the budget may have room, rendering the latest progress then: the
edits that do go out always show the newest state.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time

from ..config.tunables import Tunables
from ..engine.bus import BatchFollower
from ..engine.engine import JobEngine
from ..engine.tasks import OwnedTasks
from ..storage.jobs import JobState, JobStore
from . import render
from .delivery import DISCORD_TROUBLE, Delivery, job_locale
from .held_results import HeldResults
from .messenger import JobMessenger

log = logging.getLogger(__name__)

# States in which a job's part of its batch is over (READY: its results wait to be posted).
ENDED = (JobState.READY, JobState.DELIVERED, JobState.FAILED, JobState.CANCELLED)
# How far back a start looks for failures never shown to their member.
NOTICE_WINDOW = 7 * 24 * 3600.0


class JobTracker:
    def __init__(
        self,
        *,
        engine: JobEngine,
        store: JobStore,
        messenger: JobMessenger,
        delivery: Delivery,
        held: HeldResults,
        tunables: Tunables,
    ) -> None:
        self.engine = engine
        self.store = store  # read only: the engine writes jobs
        self.messenger = messenger
        self.delivery = delivery
        self.held = held  # results of members on probation go here instead
        self.tunables = tunables
        self._tracking: set[int] = set()
        # Batches asked for again while followed: followed once more afterwards (a held
        # result decided while its post was being made).
        self._again: set[int] = set()
        self._tasks = OwnedTasks("track")
        self._closed = False
        self._quiet_until = 0.0  # monotonic: no edit before (see `hold_edits`)

    def hold_edits(self, seconds: float) -> None:
        """Edit nothing for `seconds`: a process taking the engine over does not know what
        the last holder spent of each channel's rate limit in its last window."""
        self._quiet_until = time.monotonic() + seconds

    def track(
        self, job_id: int, *, delay: float = 0.0, resumed: bool = False, elsewhere: bool = False
    ) -> None:
        """Follow a job's batch (`job_id` is its first job's id) on its one message; asked
        while it is followed, it is followed once more afterwards, from its latest state.
        `resumed`: it was left unfinished by an earlier run (or a takeover); `elsewhere`:
        another process answered it."""
        # Closed: Discord's session is going away; the job is tracked again at next start.
        # Not running the engine: its holder tracks it (it heard of the job).
        if self._closed or not self.engine.running:
            return
        if job_id in self._tracking:
            self._again.add(job_id)
            return
        self._tracking.add(job_id)
        self._tasks.spawn(self._run(job_id, delay, resumed, elsewhere), f"track-{job_id}")

    async def resume(self) -> None:
        """After a restart: follow every unfinished job that came from Discord (by its
        batch), and every failure its member was never shown, each one's first edit at a
        random moment of `resume_spread` (no burst of edits at once)."""
        spread = self.tunables.discord.resume_spread
        for job in await self.store.unfinished():
            if job.frontend.get("channel_id"):
                self.track(job.batch_key, delay=random.uniform(0, spread), resumed=True)
        messages = self.messenger.messages
        for key in await messages.unshown_failures(time.time() - NOTICE_WINDOW):
            job = await self.store.get(key)
            if job is not None and job.frontend.get("channel_id"):
                self.track(key, delay=random.uniform(0, spread), resumed=True)
            else:
                await messages.shown(key)  # not asked from Discord: nothing to show here

    async def close(self) -> None:
        self._closed = True
        await self._tasks.cancel()

    async def _run(self, job_id: int, delay: float, resumed: bool, elsewhere: bool) -> None:
        try:
            delay = max(delay, self._quiet_until - time.monotonic())
            if delay > 0:
                await asyncio.sleep(delay)
            while True:
                self._again.discard(job_id)
                with await self.engine.follow_batch(job_id) as follower:
                    await self._follow(follower, resumed, elsewhere)
                # No await between this check and the discard below: a `track` call is
                # either seen here or starts a follower of its own.
                if job_id not in self._again:
                    return
        finally:
            self._tracking.discard(job_id)

    async def _follow(
        self, follower: BatchFollower, resumed: bool = False, elsewhere: bool = False
    ) -> None:
        interval = self.tunables.discord.progress_interval
        last_shown: dict | None = None
        last_edit = float("-inf")
        while True:
            jobs = follower.latest
            if not jobs:
                return
            # A batch is shown when every job of it has ended: its images in one message.
            if all(j.state in ENDED for j in jobs):
                if any(j.state is JobState.DELIVERED for j in jobs):
                    # Posted before a stop cut the marking short: finish marking.
                    await self.delivery.mark_posted(jobs)
                elif any(j.state is JobState.READY for j in jobs):
                    if jobs[0].options.get("probation"):
                        await self.held.settle(jobs)
                    else:
                        await self.delivery.deliver(
                            jobs, resumed=resumed, answered_elsewhere=elsewhere
                        )
                else:
                    await self.delivery.show_failure(jobs)
                return
            job = jobs[0]
            waiting = next(j for j in jobs if j.state not in ENDED)
            progress = self.engine.progress(waiting.id)
            now = time.monotonic()
            retry: float | None = None
            if progress is not None and now - last_edit >= interval:
                embed = render.progress_embed(job, progress, job_locale(job))
                if embed.to_dict() != last_shown:
                    try:
                        if await self.messenger.edit(job, embed=embed, progress=True) is None:
                            retry = self.messenger.progress_retry_in(job)
                            retry = interval / 5 if retry is None else retry
                        else:
                            last_shown, last_edit = embed.to_dict(), now
                    except DISCORD_TROUBLE as exc:
                        # A progress edit may fail; the next one or the result will follow.
                        log.warning("job %d: progress edit failed: %s", job.id, exc)
            if retry is not None:
                await follower.changed(within=min(interval, max(0.25, retry)))
                continue
            wait = interval - (time.monotonic() - last_edit)
            await follower.changed(within=max(0.2, wait))
