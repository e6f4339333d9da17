"""Follow each job from queue to result and keep its Discord message up to date.

One small task per unfinished job: it renders the job's progress, edits the message when
the text changed (at most once per `progress_interval`), and delivers the result files as
attachments when the engine has them. Engine events only wake it early; the database and
the engine's live view are what it reads, so a restart simply starts the trackers again.
"""

from __future__ import annotations

import asyncio
import logging
import time

import discord

from ..config import Tunables
from ..engine.bus import JobFollower
from ..engine.engine import JobEngine
from ..engine.tasks import OwnedTasks
from ..i18n import t
from ..storage.jobs import Job, JobState, JobStore
from . import render
from .buttons import result_view
from .messenger import JobMessenger
from .uploads import fit_uploads

log = logging.getLogger(__name__)

# Discord error codes that mean "these files are too big for this request".
TOO_LARGE = (40005, 50045)
DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024


class JobTracker:
    def __init__(
        self,
        *,
        engine: JobEngine,
        store: JobStore,
        messenger: JobMessenger,
        tunables: Tunables,
    ) -> None:
        self.engine = engine
        self.store = store  # read only: the engine writes jobs
        self.messenger = messenger
        self.tunables = tunables
        self._tracking: set[int] = set()
        self._tasks = OwnedTasks("track")

    def track(self, job_id: int) -> None:
        if job_id in self._tracking:
            return
        self._tracking.add(job_id)
        task = self._tasks.spawn(self._run(job_id), f"track-{job_id}")
        task.add_done_callback(lambda _: self._tracking.discard(job_id))

    async def resume(self) -> None:
        """After a restart: follow every unfinished job that came from Discord."""
        for job in await self.store.unfinished():
            if job.frontend.get("channel_id"):
                self.track(job.id)

    async def close(self) -> None:
        await self._tasks.cancel()

    async def _run(self, job_id: int) -> None:
        with await self.engine.follow(job_id) as follower:
            await self._follow(follower)

    async def _follow(self, follower: JobFollower) -> None:
        interval = self.tunables.discord.progress_interval
        last_shown: dict | None = None
        last_edit = float("-inf")
        while True:
            job = follower.latest
            if job is None or job.state is JobState.DELIVERED:
                return
            if job.state is JobState.READY:
                await self._deliver(job)
                return
            if job.state in (JobState.FAILED, JobState.CANCELLED):
                await self._show_failure(job)
                return
            progress = self.engine.progress(job.id)
            now = time.monotonic()
            if progress is not None and now - last_edit >= interval:
                embed = render.progress_embed(job, progress, _locale(job))
                if embed.to_dict() != last_shown:
                    try:
                        await self.messenger.edit(job, embed=embed)
                        last_shown, last_edit = embed.to_dict(), now
                    except discord.HTTPException as exc:
                        # A progress edit may fail; the next one or the result will follow.
                        log.warning("job %d: progress edit failed: %s", job.id, exc)
            wait = interval - (time.monotonic() - last_edit)
            await follower.changed(within=max(0.2, wait))

    async def _show_failure(self, job: Job) -> None:
        embed = render.failure_embed(job, _locale(job), self.tunables.polling.timeout_seconds)
        try:
            await self.messenger.edit(job, embed=embed, view=None)
        except discord.HTTPException as exc:
            log.warning("job %d: could not show its failure: %s", job.id, exc)
        self.messenger.forget(job.id)

    async def _deliver(self, job: Job) -> None:
        locale = _locale(job)
        token_was_alive = self.messenger.token_alive(job.id)
        limit = int(job.frontend.get("attachment_size_limit") or DEFAULT_UPLOAD_LIMIT)
        files = [(r.path, r.filename) for r in job.results]
        took = (job.mps_final_at or time.time()) - job.created_at
        message = None
        for attempt_limit in (limit, DEFAULT_UPLOAD_LIMIT // 2):
            try:
                uploads = await asyncio.to_thread(fit_uploads, files, attempt_limit)
            except (OSError, ValueError) as exc:
                await self.engine.fail_delivery(job.id, "ResultUnreadable", str(exc))
                return await self._show_failure(await self.store.get(job.id))
            embed = render.result_embed(job, locale, uploads[0].filename, took)
            view = result_view(job, len(uploads), locale)
            try:
                message = await self.messenger.edit(job, embed=embed, view=view, uploads=uploads)
                break
            except discord.HTTPException as exc:
                if exc.code not in TOO_LARGE and exc.status != 413:
                    log.warning("job %d: delivery failed: %s", job.id, exc)
                    await self.engine.fail_delivery(job.id, str(exc.code), exc.text)
                    return await self._show_failure(await self.store.get(job.id))
                log.info(
                    "job %d: upload refused as too large at %d bytes; shrinking",
                    job.id,
                    attempt_limit,
                )
        if message is None:
            await self.engine.fail_delivery(job.id, "TooLarge", t(locale, "discord.upload_refused"))
            return await self._show_failure(await self.store.get(job.id))
        await self.engine.mark_delivered(job.id)
        self.messenger.forget(job.id)
        if not token_was_alive:
            # Edits do not notify anyone: after a long wait, tell the owner it is ready.
            link = render.message_link(job.guild_id, message.channel.id, message.id)
            try:
                await message.channel.send(
                    t(locale, "discord.ready_ping", user=f"<@{job.user_id}>", link=link),
                    allowed_mentions=discord.AllowedMentions(users=True),
                )
            except discord.HTTPException as exc:
                log.warning("job %d: could not notify its owner: %s", job.id, exc)


def _locale(job: Job) -> str:
    return job.locale or "en-US"
