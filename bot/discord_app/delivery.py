"""Finished jobs onto Discord: the results as attachments, or the reason there are none.

Results are on disk until the job is marked delivered, so delivery can be retried; files
over the server's upload limit are re-encoded to fit (in a worker thread).
"""

from __future__ import annotations

import logging
import time

import discord

from ..config import Tunables
from ..engine.engine import JobEngine
from ..i18n import t
from ..storage.jobs import Job, JobStore
from . import render
from .buttons import result_view
from .messenger import JobMessenger
from .uploads import UploadError, prepare_uploads

log = logging.getLogger(__name__)

# Discord error codes that mean "these files are too big for this request".
TOO_LARGE = (40005, 50045)
DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024


def job_locale(job: Job) -> str:
    return job.locale or "en-US"


class Delivery:
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

    async def show_failure(self, job: Job) -> None:
        embed = render.failure_embed(job, job_locale(job), self.tunables.polling.timeout_seconds)
        try:
            await self.messenger.edit(job, embed=embed, view=None)
        except discord.HTTPException as exc:
            log.warning("job %d: could not show its failure: %s", job.id, exc)
        self.messenger.forget(job.id)

    async def deliver(self, job: Job) -> None:
        """Post the results as attachments on the job's message, then mark it delivered."""
        locale = job_locale(job)
        token_was_alive = self.messenger.token_alive(job.id)
        limit = int(job.frontend.get("attachment_size_limit") or DEFAULT_UPLOAD_LIMIT)
        files = [(r.path, r.filename) for r in job.results]
        took = (job.mps_final_at or time.time()) - job.created_at
        message = None
        for attempt_limit in (limit, DEFAULT_UPLOAD_LIMIT // 2):
            try:
                uploads = await prepare_uploads(job, files, attempt_limit, self.tunables.video)
            except UploadError as exc:
                await self.engine.fail_delivery(
                    job.id, "ResultUnreadable", t(locale, exc.key, **exc.params)
                )
                return await self.show_failure(await self.store.get(job.id))
            embed = render.result_embed(job, locale, uploads[0].filename, took)
            view = result_view(job, len(uploads), locale)
            try:
                message = await self.messenger.edit(job, embed=embed, view=view, uploads=uploads)
                break
            except discord.HTTPException as exc:
                if exc.code not in TOO_LARGE and exc.status != 413:
                    log.warning("job %d: delivery failed: %s", job.id, exc)
                    await self.engine.fail_delivery(job.id, str(exc.code), exc.text)
                    return await self.show_failure(await self.store.get(job.id))
                log.info(
                    "job %d: upload refused as too large at %d bytes; shrinking",
                    job.id,
                    attempt_limit,
                )
        if message is None:
            await self.engine.fail_delivery(job.id, "TooLarge", t(locale, "discord.upload_refused"))
            return await self.show_failure(await self.store.get(job.id))
        await self.engine.mark_delivered(job.id)
        self.messenger.forget(job.id)
        if not token_was_alive:
            # Edits do not notify anyone: after a long wait, tell the owner it is ready.
            link = render.message_link(job.guild_id, message.channel.id, message.id)
            try:
                await self.messenger.notify(
                    message.channel,
                    t(locale, "discord.ready_ping", user=f"<@{job.user_id}>", link=link),
                )
            except discord.HTTPException as exc:
                log.warning("job %d: could not notify its owner: %s", job.id, exc)
