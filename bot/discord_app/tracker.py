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
from typing import TYPE_CHECKING

import discord

from ..engine.events import JobEvent
from ..engine.limiter import wait_event
from ..i18n import t
from ..storage.jobs import Job, JobState
from . import render
from .buttons import result_view
from .uploads import fit_uploads

if TYPE_CHECKING:
    from .client import ImagineBot

log = logging.getLogger(__name__)

# Discord error codes that mean "these files are too big for this request".
TOO_LARGE = (40005, 50045)
DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024


class JobTracker:
    def __init__(self, bot: ImagineBot) -> None:
        self.bot = bot
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._wake: dict[int, asyncio.Event] = {}
        self._latest: dict[int, Job] = {}  # the job as the last event carried it

    def on_event(self, event: JobEvent) -> None:
        wake = self._wake.get(event.job.id)
        if wake is not None:
            self._latest[event.job.id] = event.job
            wake.set()

    def track(self, job_id: int) -> None:
        if job_id in self._tasks:
            return
        self._wake[job_id] = asyncio.Event()
        task = asyncio.create_task(self._run(job_id), name=f"track-{job_id}")
        self._tasks[job_id] = task
        task.add_done_callback(lambda done: self._done(job_id, done))

    def _done(self, job_id: int, task: asyncio.Task[None]) -> None:
        self._tasks.pop(job_id, None)
        self._wake.pop(job_id, None)
        self._latest.pop(job_id, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("tracking job %d failed", job_id, exc_info=task.exception())

    async def resume(self) -> None:
        """After a restart: follow every unfinished job that came from Discord."""
        for job in await self.bot.store.unfinished():
            if job.frontend.get("channel_id"):
                self.track(job.id)

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, job_id: int) -> None:
        engine, interval = self.bot.engine, self.bot.tunables.discord.progress_interval
        last_shown: dict | None = None
        last_edit = float("-inf")
        wake = self._wake[job_id]
        job = await self.bot.store.get(job_id)
        while True:
            wake.clear()
            # The database is read once; after that, events bring every change of state.
            job = self._latest.pop(job_id, job)
            if job is None or job.state is JobState.DELIVERED:
                return
            if job.state is JobState.READY:
                await self._deliver(job)
                return
            if job.state in (JobState.FAILED, JobState.CANCELLED):
                await self._show_failure(job)
                return
            progress = engine.progress(job_id)
            now = time.monotonic()
            if progress is not None and now - last_edit >= interval:
                embed = render.progress_embed(job, progress, _locale(job))
                if embed.to_dict() != last_shown:
                    try:
                        await self.bot.messenger.edit(job, embed=embed)
                        last_shown, last_edit = embed.to_dict(), now
                    except discord.HTTPException as exc:
                        # A progress edit may fail; the next one or the result will follow.
                        log.warning("job %d: progress edit failed: %s", job_id, exc)
            wait = interval - (time.monotonic() - last_edit)
            await wait_event(wake, max(0.2, wait))

    async def _show_failure(self, job: Job) -> None:
        embed = render.failure_embed(job, _locale(job), self.bot.tunables.polling.timeout_seconds)
        try:
            await self.bot.messenger.edit(job, embed=embed, view=None)
        except discord.HTTPException as exc:
            log.warning("job %d: could not show its failure: %s", job.id, exc)
        self.bot.messenger.forget(job.id)

    async def _deliver(self, job: Job) -> None:
        locale = _locale(job)
        token_was_alive = self.bot.messenger.token_alive(job.id)
        limit = int(job.frontend.get("attachment_size_limit") or DEFAULT_UPLOAD_LIMIT)
        files = [(r.path, r.filename) for r in job.results]
        took = (job.mps_final_at or time.time()) - job.created_at
        message = None
        for attempt_limit in (limit, DEFAULT_UPLOAD_LIMIT // 2):
            try:
                uploads = await asyncio.to_thread(fit_uploads, files, attempt_limit)
            except (OSError, ValueError) as exc:
                await self.bot.engine.fail_delivery(job.id, "ResultUnreadable", str(exc))
                return await self._show_failure(await self.bot.store.get(job.id))
            embed = render.result_embed(job, locale, uploads[0].filename, took)
            view = result_view(job, len(uploads), locale)
            try:
                message = await self.bot.messenger.edit(
                    job, embed=embed, view=view, uploads=uploads
                )
                break
            except discord.HTTPException as exc:
                if exc.code not in TOO_LARGE and exc.status != 413:
                    log.warning("job %d: delivery failed: %s", job.id, exc)
                    await self.bot.engine.fail_delivery(job.id, str(exc.code), exc.text)
                    return await self._show_failure(await self.bot.store.get(job.id))
                log.info(
                    "job %d: upload refused as too large at %d bytes; shrinking",
                    job.id,
                    attempt_limit,
                )
        if message is None:
            await self.bot.engine.fail_delivery(
                job.id, "TooLarge", t(locale, "discord.upload_refused")
            )
            return await self._show_failure(await self.bot.store.get(job.id))
        await self.bot.engine.mark_delivered(job.id)
        self.bot.messenger.forget(job.id)
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
