"""Results of members on probation: held in the log channel until a moderator decides.

A held batch goes through the same tracker as any other; once its results are on disk it
comes here instead of straight to `Delivery`, and what happens depends only on its hold
(`probation_holds`), so a restart at any point picks it up again:

- no hold yet, or a hold never posted: the member's message says the result waits for a
  moderator, and the results go to the log channel (as spoilers, moderators choose to
  look) with **Approve** and **Reject**. The files stay on disk (the jobs stay `ready`),
  so nothing depends on Tencent's URLs, which die after 12 hours;
- pending and posted: nothing to do until a moderator presses a button (after a restart,
  a post deleted meanwhile is made again, or nobody could decide);
- approved: delivered as any result, where it was asked (the member is pinged: the
  interaction token was dropped when the result was held);
- rejected: the member is pinged once (`told_at`), then the jobs fail with the reason,
  which their message shows.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import discord

from ..config.tunables import Tunables
from ..moderation.holds import Hold, HoldStatus, HoldStore
from ..rules.server_settings import ServerSettingsReader
from ..storage.jobs import Job, JobState
from ..text.i18n import t
from . import render
from .delivery import DEFAULT_UPLOAD_LIMIT, DISCORD_TROUBLE, Delivery, failure_of, job_locale
from .messenger import ChannelOpener, JobMessenger, nonce
from .mod_buttons import held_view
from .mod_render import review_embed
from .uploads import UploadError, as_spoilers, prepare_uploads

log = logging.getLogger(__name__)


class HeldResults:
    def __init__(
        self,
        *,
        holds: HoldStore,
        settings: ServerSettingsReader,
        delivery: Delivery,
        messenger: JobMessenger,
        channels: ChannelOpener,
        guild_locale: Callable[[int], str],
        tunables: Tunables,
    ) -> None:
        self.holds = holds
        self.settings = settings
        self.delivery = delivery
        self.messenger = messenger
        self._channels = channels
        self._guild_locale = guild_locale
        self.tunables = tunables

    async def settle(self, jobs: list[Job]) -> None:
        """A held batch whose jobs have all ended, some with results: take it one step."""
        job = jobs[0]
        hold = await self.holds.get(job.guild_id, job.id)
        # Waiting since before a restart: if its post was deleted meanwhile (its buttons
        # with it), nobody could ever decide, so it is posted again.
        if (
            hold is not None
            and hold.status is HoldStatus.PENDING
            and hold.posted
            and not await self._post_exists(hold)
        ):
            await self.holds.forget_post(job.id)
            hold = await self.holds.get(job.guild_id, job.id)
        if hold is None or (hold.status is HoldStatus.PENDING and not hold.posted):
            if self.settings.get(job.guild_id).log_channel_id is None:
                # Probation and its log channel were both cleared since the ask: nobody
                # reviews here any more, so the result is posted as any other.
                return await self.delivery.deliver(jobs)
            try:
                await self._post_for_review(jobs)
            except Exception as exc:
                log.error("job %d: could not be held for review", job.id, exc_info=exc)
                await self.delivery.fail(jobs, *failure_of(exc))
        elif hold.status is HoldStatus.APPROVED:
            await self.delivery.deliver(jobs)
        elif hold.status is HoldStatus.REJECTED:
            await self._reject(jobs, hold)
        # Pending and posted: it waits for a moderator's Approve or Reject.

    async def _post_exists(self, hold: Hold) -> bool:
        """False only when Discord says the post is gone; unsure, it is left as it is."""
        channel = self._channels(hold.log_channel_id or 0, hold.guild_id)
        try:
            await channel.fetch_message(hold.log_message_id or 0)
        except discord.NotFound:
            return False
        except DISCORD_TROUBLE as exc:
            log.info("job %d: could not check its review post: %r", hold.job_id, exc)
        return True

    async def _post_for_review(self, jobs: list[Job]) -> None:
        job = jobs[0]
        locale = job_locale(job)
        await self.holds.hold(job.guild_id, job.id, job.user_id)
        waiting = render.notice_embed(job, locale, t(locale, "probation.held"))
        await self.delivery.patiently(
            job, lambda: self.messenger.edit(job, embed=waiting, view=None)
        )
        # The decision may come long after the token dies; its answer pings the member.
        self.messenger.forget(job.id)
        ready = [j for j in jobs if j.state is JobState.READY]
        files = [(r.path, r.filename) for j in ready for r in j.results]
        limit = int(job.frontend.get("attachment_size_limit") or DEFAULT_UPLOAD_LIMIT)
        try:
            uploads = as_spoilers(
                await prepare_uploads(
                    job, files, limit, self.tunables.video, self.delivery.transcodes
                )
            )
        except UploadError as exc:
            return await self.delivery.fail(
                ready, "ResultUnreadable", t(locale, exc.key, **exc.params)
            )
        log_channel = self.settings.get(job.guild_id).log_channel_id
        assert log_channel is not None
        channel = self._channels(log_channel, job.guild_id)
        server_locale = self._guild_locale(job.guild_id)
        try:
            message = await self.delivery.patiently(
                job,
                lambda: channel.send(
                    content=t(server_locale, "probation.review_post", member=f"<@{job.user_id}>"),
                    embed=review_embed(job, server_locale),
                    view=held_view(job.id, server_locale),
                    files=[u.as_file() for u in uploads],
                    allowed_mentions=discord.AllowedMentions.none(),
                ),
            )
        except DISCORD_TROUBLE as exc:
            log.warning("job %d: could not be posted for review: %r", job.id, exc)
            unavailable = t(locale, "probation.unavailable")
            return await self.delivery.fail(ready, "ReviewUnavailable", unavailable)
        # The post is out: note it even if the bot is stopping right now, or the next
        # start would post it again.
        await asyncio.shield(self.holds.set_post(job.id, channel.id, message.id))

    async def _reject(self, jobs: list[Job], hold: Hold) -> None:
        job = jobs[0]
        locale = job_locale(job)
        if hold.told_at is None:
            known = await self.messenger.messages.get(job.id)
            channel_id = known.channel_id if known else job.frontend["channel_id"]
            link = render.message_link(job.guild_id, channel_id, known.message_id) if known else ""
            text = t(locale, "probation.rejected_ping", user=f"<@{job.user_id}>", link=link)
            try:
                await self.delivery.patiently(
                    job,
                    lambda: self.messenger.notify(
                        self._channels(channel_id, job.guild_id),
                        text,
                        once=nonce(job.id, "reject"),  # a retried post is not posted twice
                    ),
                )
            except DISCORD_TROUBLE as exc:
                log.warning("job %d: could not tell its owner: %r", job.id, exc)
            await asyncio.shield(self.holds.mark_told(job.id))
        ready = [j for j in jobs if j.state is JobState.READY]
        await self.delivery.fail(ready, "NotApproved", t(locale, "probation.not_approved"))
