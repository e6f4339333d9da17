"""Edit a job's message through whichever door is still open.

While the interaction token lives (15 minutes) edits go through it; shortly before it dies,
or as soon as Discord refuses it, they go through the channel with the bot token (the
original response of a public interaction is an ordinary message the bot may edit). If the
message is gone, a new one is posted in the channel, mentioning its owner.

Every request first takes a lease from the `EditBudget` (unless `discord.edit_budget` is
off): a progress edit that would overrun its channel's or token's rate limit is dropped (the
tracker tries again with the latest state), a final edit waits for a slot ahead of them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import discord

from ..config.tunables import DiscordTunables
from ..storage.jobs import Job
from ..storage.messages import JobMessages
from .edit_budget import CHANNEL, FREE, SEND, TOKEN, EditBudget, Lease, Rate
from .uploads import Upload

log = logging.getLogger(__name__)

UNKNOWN_MESSAGE = 10008
INVALID_WEBHOOK_TOKEN = 50027
UNKNOWN_WEBHOOK = 10015


@dataclass
class _Token:
    interaction: discord.Interaction
    issued: float  # monotonic


ChannelOpener = Callable[[int, int], discord.PartialMessageable]


class JobMessenger:
    def __init__(
        self, channels: ChannelOpener, messages: JobMessages, tunables: DiscordTunables
    ) -> None:
        self._channels = channels  # (channel id, guild id) -> a channel to send to
        self.messages = messages
        self.tunables = tunables
        self._tokens: dict[int, _Token] = {}
        self.budget = budget_from(tunables)

    def remember(self, job_id: int, interaction: discord.Interaction) -> None:
        """Keep the interaction (and its token) in memory only: tokens never reach the DB."""
        age = (discord.utils.utcnow() - interaction.created_at).total_seconds()
        self._tokens[job_id] = _Token(interaction, time.monotonic() - max(0.0, age))

    def forget(self, job_id: int) -> None:
        """The job's message is final: drop its token."""
        self._tokens.pop(job_id, None)
        if self.budget is not None:
            self.budget.forget(job_id)

    def token_alive(self, job_id: int) -> bool:
        token = self._tokens.get(job_id)
        if token is None:
            return False
        settings = self.tunables
        if time.monotonic() - token.issued < settings.token_lifetime - settings.token_margin:
            return True
        self._tokens.pop(job_id, None)
        return False

    def token_would_live(self, job: Job) -> bool:
        """A job answered by another process: whether its token would still be in use."""
        settings = self.tunables
        return time.time() - job.created_at < settings.token_lifetime - settings.token_margin

    async def edit(
        self,
        job: Job,
        *,
        embed: discord.Embed,
        view: discord.ui.View | None = None,
        uploads: list[Upload] | None = None,
        progress: bool = False,
    ) -> discord.Message | None:
        """Edit the job's message (posting a new one if it is gone) and return it.

        With `uploads`, the message's attachments become exactly those files. A `progress`
        edit is dropped (None returned) when the rate limits have no room for it now; any
        other edit waits for room."""

        def fields() -> dict[str, Any]:
            # Fresh File objects for every attempt: a failed upload may have read them.
            out: dict[str, Any] = {"content": None, "embed": embed, "view": view}
            if uploads is not None:
                out["attachments"] = [_file(u) for u in uploads]
            return out

        if self.token_alive(job.id):
            token = self._tokens[job.id]
            lease = await self._lease((TOKEN, job.id), job.id, progress)
            if lease is None:
                return None
            try:
                with lease:
                    message = await token.interaction.edit_original_response(**fields())
                await self._remember(job, message)
                return message
            except discord.HTTPException as exc:
                if exc.code in (INVALID_WEBHOOK_TOKEN, UNKNOWN_WEBHOOK) or exc.status == 401:
                    log.info("job %d: interaction token refused; using the bot token", job.id)
                    self.forget(job.id)
                elif exc.code != UNKNOWN_MESSAGE:
                    raise
        channel_id = job.frontend["channel_id"]
        channel = self._channels(channel_id, job.guild_id)
        known = await self.messages.get(job.id)
        message_id = known.message_id if known else job.frontend.get("message_id")
        if message_id:
            lease = await self._lease((CHANNEL, channel_id), job.id, progress)
            if lease is None:
                return None
            try:
                with lease:
                    return await channel.get_partial_message(message_id).edit(**fields())
            except discord.NotFound:
                log.info("job %d: its message was deleted; posting a new one", job.id)
        lease = await self._lease((SEND, channel_id), job.id, progress)
        if lease is None:
            return None
        with lease:
            message = await channel.send(
                content=f"<@{job.user_id}>",
                embed=embed,
                view=view or discord.utils.MISSING,
                files=[_file(u) for u in uploads] if uploads else discord.utils.MISSING,
                allowed_mentions=discord.AllowedMentions(users=True),
                # A retry after a lost answer (5xx, reset) gets the message Discord made.
                nonce=nonce(job.id, "result" if uploads else "post"),
            )
        await self._remember(job, message)
        return message

    async def notify(
        self, channel: discord.abc.Messageable, text: str, *, once: str | None = None
    ) -> discord.Message:
        """Post a message in a job's channel (e.g. "your result is ready"), within the
        channel's budget for new messages. `once` (a nonce, see `nonce`) makes a retry of
        a post whose answer was lost return the message Discord already made."""
        channel_id = getattr(channel, "id", None)
        lease = FREE if channel_id is None else await self._lease((SEND, channel_id), None, False)
        assert lease is not None
        with lease:
            return await channel.send(
                text, allowed_mentions=discord.AllowedMentions(users=True), nonce=once
            )

    async def current(self, job: Job) -> discord.Message | None:
        """The job's message as Discord has it now (through the bot token), or None when
        it is unknown or gone."""
        known = await self.messages.get(job.id)
        message_id = known.message_id if known else job.frontend.get("message_id")
        if not message_id:
            return None
        channel = self._channels(job.frontend["channel_id"], job.guild_id)
        try:
            return await channel.fetch_message(message_id)
        except discord.NotFound:
            return None

    def progress_retry_in(self, job: Job) -> float | None:
        """After a dropped progress edit: seconds until one may find room (None: unknown)."""
        if self.budget is None:
            return None
        if self.token_alive(job.id):
            return self.budget.retry_in((TOKEN, job.id))
        return self.budget.retry_in((CHANNEL, job.frontend["channel_id"]))

    async def _lease(
        self, key: tuple[str, int], job_id: int | None, progress: bool
    ) -> Lease | None:
        if self.budget is None:
            return FREE
        if progress:
            return self.budget.try_progress(key, job_id)
        return await self.budget.final(key)

    async def _remember(self, job: Job, message: discord.Message) -> None:
        known = await self.messages.get(job.id)
        if known is None or known.message_id != message.id:
            await self.messages.remember(job.id, message.channel.id, message.id)


def budget_from(tunables: DiscordTunables) -> EditBudget | None:
    if not tunables.edit_budget:
        return None
    return EditBudget(
        channel=Rate(tunables.channel_edit_limit, tunables.channel_edit_window),
        token=Rate(tunables.token_edit_limit, tunables.token_edit_window),
        margin=tunables.edit_margin,
        reserve=tunables.final_reserve,
        # A refused job asks again within a progress interval; twice that and it is gone.
        stale=2 * max(tunables.progress_interval, tunables.channel_edit_window),
    )


def nonce(job_id: int, purpose: str) -> str:
    """The nonce of one new message about a job: Discord (with `enforce_nonce`, which
    discord.py sets with every nonce) makes one message per nonce within a few minutes, so
    a post retried after its answer was lost is not posted twice. At most 25 characters."""
    return f"{purpose[:6]}-{job_id}"[:25]


def _file(upload: Upload) -> discord.File:
    return upload.as_file()
