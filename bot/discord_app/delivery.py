"""Finished jobs onto Discord: the results as attachments, or the reason there are none.

Results are on disk until the job is marked delivered, so delivery can be retried; files
over the server's upload limit are re-encoded to fit (in a worker thread).

Each ending is shown once: a job posted is recorded as delivered even when the bot is
stopping (the recording is not cancelled with the delivery, and `close` waits for it), a
resumed job whose message already holds its results is recorded without posting again,
and a failure is recorded as shown (`job_notices`) only once its message says so.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TypeVar

import aiohttp
import discord

from ..config.tunables import Tunables
from ..engine.downloader import result_text
from ..engine.engine import JobEngine
from ..media.transcode_pool import TranscodePool
from ..mps.models import TaskKind
from ..services.listings import is_video
from ..storage.jobs import Job, JobState, JobStore
from ..text.i18n import t
from . import render
from .buttons import DeleteButton, RerollButton, result_view
from .messenger import JobMessenger, nonce
from .tool_buttons import tool_result_view, with_tools
from .tool_render import describe_embed
from .uploads import UploadError, as_spoilers, prepare_uploads

log = logging.getLogger(__name__)

# Discord error codes that mean "these files are too big for this request".
TOO_LARGE = (40005, 50045)
DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024


# A connection reset or a dropped answer. discord.py retries a reset only for the
# Windows/BSD errno, so on Linux (ECONNRESET, 104) it reaches us.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (aiohttp.ClientConnectionError, OSError)


class OutOfPatience(TimeoutError):
    """Discord kept a request waiting (a long 429, a slow answer) past the patience."""


# What a request to Discord may meet that is Discord's doing, not ours: an error answer,
# a rate limit longer than discord.py waits (`max_ratelimit_timeout`), a dropped
# connection, the patience running out.
DISCORD_TROUBLE: tuple[type[BaseException], ...] = (
    discord.HTTPException,
    discord.RateLimited,
    *CONNECTION_ERRORS,
)

T = TypeVar("T")


def job_locale(job: Job) -> str:
    return job.locale or "en-US"


def transient(exc: BaseException) -> bool:
    """Worth waiting for: Discord will take the same request again in a while."""
    if isinstance(exc, discord.HTTPException):
        return exc.status == 429 or exc.status >= 500
    return isinstance(exc, (discord.RateLimited, *CONNECTION_ERRORS))


def failure_of(exc: BaseException) -> tuple[str, str]:
    """(code, message) recorded on a job whose delivery failed: no paths, no URLs."""
    if isinstance(exc, OutOfPatience):
        return "Timeout", "Discord did not take the result within the delivery patience"
    if isinstance(exc, discord.RateLimited):
        return "429", f"Discord asked to wait {exc.retry_after:.0f} s, past the delivery patience"
    if isinstance(exc, discord.HTTPException):
        return str(exc.code or exc.status), exc.text or f"HTTP {exc.status}"
    if isinstance(exc, CONNECTION_ERRORS):
        return "ConnectionError", "the connection to Discord failed"
    return "InternalError", "unexpected error while posting the result"


class Delivery:
    def __init__(
        self,
        *,
        engine: JobEngine,
        store: JobStore,
        messenger: JobMessenger,
        tunables: Tunables,
        transcodes: TranscodePool,
        tools: bool = False,
    ) -> None:
        self.engine = engine
        self.store = store  # read only: the engine writes jobs
        self.messenger = messenger
        self.tunables = tunables
        self.transcodes = transcodes
        self._recording: set[asyncio.Future] = set()
        self.tools = tools  # the image tools are on: image results offer them
        self._delivering: set[asyncio.Task] = set()  # tasks inside `deliver`

    async def drain(self, grace: float) -> None:
        """At a stop: let the deliveries under way finish (for at most `grace` s), so a
        result Discord has just taken is recorded, not cut off between the two."""
        if self._delivering:
            await asyncio.wait(set(self._delivering), timeout=grace)

    async def close(self, grace: float) -> None:
        """Let the recording of results already posted finish (for at most `grace` s)."""
        if self._recording:
            await asyncio.wait(set(self._recording), timeout=grace)

    async def _shown(self, job: Job) -> None:
        await self.messenger.messages.shown(job.batch_key)

    async def _uncancelled(self, work: Awaitable[None]) -> None:
        """Run `work` to its end even if the caller is cancelled (a stop after the post)."""
        task = asyncio.ensure_future(work)
        self._recording.add(task)
        task.add_done_callback(_settled(self._recording))
        await asyncio.shield(task)

    async def patiently(
        self, job: Job, send: Callable[[], Awaitable[T]], *, any_error: bool = False
    ) -> T:
        """Send, waiting out rate limits, server errors and connection resets with backoff
        (jittered) for up to `delivery_patience`; other errors, and the last one, raise.

        The patience bounds every wait, the request's own included: discord.py sleeps
        through a 429's `retry_after` inside the request (an interaction token's always, the
        bot token's up to `max_ratelimit_timeout`), so the request is cut off when the
        patience runs out (`OutOfPatience`). Cutting a request off is safe: edits are
        idempotent and new messages carry a nonce. `any_error`: every error Discord answers
        is waited out too (a notice without files has nothing to shrink or change)."""
        settings = self.tunables.discord
        first, most = settings.delivery_backoff
        give_up = time.monotonic() + settings.delivery_patience
        tries = 0
        last: Exception | None = None  # what was waited out last: the reason given up
        while True:
            left = give_up - time.monotonic()
            if left <= 0:
                raise last or OutOfPatience()
            window = asyncio.timeout(left)
            try:
                async with window:
                    return await send()
            except Exception as exc:
                if isinstance(exc, TimeoutError) and window.expired():
                    raise (last or OutOfPatience()) from None
                last = exc
                if not (transient(exc) or (any_error and isinstance(exc, DISCORD_TROUBLE))):
                    raise
                delay = random.uniform(0.5, 1.0) * min(most, first * 2**tries)
                if isinstance(exc, discord.RateLimited):
                    delay = max(delay, exc.retry_after)
                if time.monotonic() + delay > give_up:
                    raise
                tries += 1
                log.info("job %d: Discord said %r; trying again in %.1fs", job.id, exc, delay)
                await asyncio.sleep(delay)

    async def show_failure(self, jobs: list[Job]) -> None:
        """A batch none of whose jobs has a result: why, on its message."""
        if not jobs:
            return
        job = jobs[0]
        embed = render.failure_embed(jobs, job_locale(job), self.tunables.polling.timeout_seconds)
        try:
            await self.patiently(
                job, lambda: self.messenger.edit(job, embed=embed, view=None), any_error=True
            )
        except DISCORD_TROUBLE as exc:
            # Not recorded as shown: the next start shows it.
            log.warning("job %d: could not show its failure: %r", job.id, exc)
        else:
            await self._uncancelled(self._shown(job))
        self.messenger.forget(job.id)

    async def mark_posted(self, jobs: list[Job]) -> None:
        """The batch's message holds its results already (a stop came between posting and
        recording it): record the rest as delivered, post nothing again."""
        ready = [job for job in jobs if job.state is JobState.READY]
        await self._uncancelled(self._record_delivered(ready, jobs[0]))
        self.messenger.forget(jobs[0].id)

    async def deliver(
        self, jobs: list[Job], *, resumed: bool = False, answered_elsewhere: bool = False
    ) -> None:
        """Post the results of a batch's jobs as attachments on its message (with a line
        for those that failed), then mark each delivered. `resumed` (after a restart or a
        takeover): the message is looked at first, and results it already holds are not
        posted again. `answered_elsewhere`: another process answered the command (this one
        never had its token).

        Whatever goes wrong, its jobs end delivered or failed with a message saying why."""
        delivering = asyncio.current_task()
        if delivering is not None:
            self._delivering.add(delivering)
        try:
            if resumed and await self._already_posted(jobs[0]):
                log.info("job %d: its results were posted before the stop", jobs[0].id)
                return await self.mark_posted(jobs)
            await self._deliver(jobs, answered_elsewhere)
        except Exception as exc:
            log.error("job %d: delivery failed unexpectedly", jobs[0].id, exc_info=exc)
            await self.fail(jobs, *failure_of(exc))
        finally:
            self._delivering.discard(delivering)

    async def _already_posted(self, job: Job) -> bool:
        """Whether the batch's message holds its results: attachments, and the buttons
        only a result carries (a stop came between the post and its recording)."""
        try:
            message = await self.patiently(job, lambda: self.messenger.current(job))
        except DISCORD_TROUBLE as exc:
            log.warning("job %d: could not look at its message: %r", job.id, exc)
            return False
        if message is None or not (message.attachments or result_text(job) is not None):
            return False
        # A tool's result carries no Re-roll: its Delete (with its picture, or the text).
        button = DeleteButton if job.kind is TaskKind.TOOL else RerollButton
        if button is RerollButton and not message.attachments:
            return False
        marker = f"{button.prefix}:{job.id}"
        return any(
            getattr(child, "custom_id", None) == marker
            for row in message.components
            for child in getattr(row, "children", ())
        )

    async def fail(self, jobs: list[Job], code: str, message: str) -> None:
        """The batch's jobs still waiting to be posted fail with `message`, which its
        message then shows."""
        for job in jobs:
            if job.state is JobState.READY:
                await self.engine.fail_delivery(job.id, code, message)
        await self.show_failure(await self.store.batch(jobs[0].batch_key))

    async def _deliver(self, jobs: list[Job], answered_elsewhere: bool) -> None:
        job = jobs[0]  # the message is its batch's first job's
        locale = job_locale(job)
        ready = [j for j in jobs if j.state is JobState.READY]
        if result_text(job) is not None and not job.results:
            return await self._deliver_text(job)
        # Whether its token is alive (or would be, had this process answered it): after
        # that long the owner may have left, and is told the result is ready.
        token_was_alive = self.messenger.token_alive(job.id) or (
            answered_elsewhere and self.messenger.token_would_live(job)
        )
        limit = int(job.frontend.get("attachment_size_limit") or DEFAULT_UPLOAD_LIMIT)
        files = [(r.path, r.filename) for j in ready for r in j.results]
        took = max(j.mps_final_at or time.time() for j in ready) - job.created_at
        message = None
        for attempt_limit in (limit, DEFAULT_UPLOAD_LIMIT // 2):
            try:
                uploads = await prepare_uploads(
                    job, files, attempt_limit, self.tunables.video, self.transcodes
                )
            except UploadError as exc:
                return await self.fail(ready, "ResultUnreadable", t(locale, exc.key, **exc.params))
            # A spoiler's picture is not put in the embed, which would show it uncovered.
            spoiler = bool(job.options.get("spoiler"))
            if spoiler:
                uploads = as_spoilers(uploads)
            pictured = None if spoiler else uploads[0].filename
            timeout = self.tunables.polling.timeout_seconds
            embed = render.result_embed(job, locale, pictured, took, jobs, timeout)
            view = self._view(job, len(uploads), locale)
            try:
                send = partial(self.messenger.edit, job, embed=embed, view=view, uploads=uploads)
                message = await self.patiently(job, send)
                break
            except DISCORD_TROUBLE as exc:
                if not isinstance(exc, discord.HTTPException) or (
                    exc.code not in TOO_LARGE and exc.status != 413
                ):
                    log.warning("job %d: delivery failed: %r", job.id, exc)
                    return await self.fail(ready, *failure_of(exc))
                log.info(
                    "job %d: upload refused as too large at %d bytes; shrinking",
                    job.id,
                    attempt_limit,
                )
        if message is None:
            return await self.fail(ready, "TooLarge", t(locale, "discord.upload_refused"))
        await self._posted(ready, message, token_was_alive)

    def _view(self, job: Job, images: int, locale: str) -> discord.ui.View:
        if job.kind is TaskKind.TOOL:
            return tool_result_view(job, images, locale, self.tools)
        view = result_view(job, images, locale)
        if self.tools and job.kind is TaskKind.IMAGE:
            with_tools(view, job.id, images, locale)
        return view

    async def _deliver_text(self, job: Job) -> None:
        """A description: its text on the job's message, with "Imagine this"."""
        locale = job_locale(job)
        took = (job.mps_final_at or time.time()) - job.created_at
        embed = describe_embed(job, locale, took)
        view = tool_result_view(job, 0, locale, self.tools)
        token_was_alive = self.messenger.token_alive(job.id)
        try:
            message = await self.patiently(
                job, partial(self.messenger.edit, job, embed=embed, view=view)
            )
        except DISCORD_TROUBLE as exc:
            log.warning("job %d: delivery failed: %r", job.id, exc)
            return await self.fail([job], *failure_of(exc))
        await self._posted([job], message, token_was_alive)

    async def _posted(
        self, ready: list[Job], message: discord.Message, token_was_alive: bool
    ) -> None:
        """The batch's results are on its message: record them, and ping the owner when
        the wait outlived the interaction (edits do not notify anyone)."""
        job = ready[0]
        locale = job_locale(job)
        await self._uncancelled(self._record_delivered(ready, job))
        self.messenger.forget(job.id)
        if not token_was_alive:
            link = render.message_link(job.guild_id, message.channel.id, message.id)
            key = "video.ready_ping" if is_video(job) else "discord.ready_ping"
            try:
                await self.messenger.notify(
                    message.channel,
                    t(locale, key, user=f"<@{job.user_id}>", link=link),
                    once=nonce(job.id, "ready"),
                )
            except DISCORD_TROUBLE as exc:
                log.warning("job %d: could not notify its owner: %r", job.id, exc)

    async def _record_delivered(self, ready: list[Job], job: Job) -> None:
        for done in ready:
            await self.engine.mark_delivered(done.id)
        await self._shown(job)


def _settled(pending: set[asyncio.Future]) -> Callable[[asyncio.Future], None]:
    def done(task: asyncio.Future) -> None:
        pending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("recording a delivery failed", exc_info=task.exception())

    return done
