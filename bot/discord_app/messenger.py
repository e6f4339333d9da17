"""Edit a job's message through whichever door is still open.

While the interaction token lives (15 minutes) edits go through it; shortly before it dies,
or as soon as Discord refuses it, they go through the channel with the bot token (the
original response of a public interaction is an ordinary message the bot may edit). If the
message is gone, a new one is posted in the channel, mentioning its owner.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import discord

from ..config import DiscordTunables
from ..storage.jobs import Job
from ..storage.messages import JobMessages
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

    def remember(self, job_id: int, interaction: discord.Interaction) -> None:
        """Keep the interaction (and its token) in memory only: tokens never reach the DB."""
        age = (discord.utils.utcnow() - interaction.created_at).total_seconds()
        self._tokens[job_id] = _Token(interaction, time.monotonic() - max(0.0, age))

    def forget(self, job_id: int) -> None:
        """The job's message is final: drop its token."""
        self._tokens.pop(job_id, None)

    def token_alive(self, job_id: int) -> bool:
        token = self._tokens.get(job_id)
        if token is None:
            return False
        settings = self.tunables
        if time.monotonic() - token.issued < settings.token_lifetime - settings.token_margin:
            return True
        self._tokens.pop(job_id, None)
        return False

    async def edit(
        self,
        job: Job,
        *,
        embed: discord.Embed,
        view: discord.ui.View | None = None,
        uploads: list[Upload] | None = None,
    ) -> discord.Message:
        """Edit the job's message (posting a new one if it is gone) and return it.

        With `uploads`, the message's attachments become exactly those files."""

        def fields() -> dict[str, Any]:
            # Fresh File objects for every attempt: a failed upload may have read them.
            out: dict[str, Any] = {"content": None, "embed": embed, "view": view}
            if uploads is not None:
                out["attachments"] = [_file(u) for u in uploads]
            return out

        if self.token_alive(job.id):
            token = self._tokens[job.id]
            try:
                message = await token.interaction.edit_original_response(**fields())
                await self._remember(job, message)
                return message
            except discord.HTTPException as exc:
                if exc.code in (INVALID_WEBHOOK_TOKEN, UNKNOWN_WEBHOOK) or exc.status == 401:
                    log.info("job %d: interaction token refused; using the bot token", job.id)
                    self.forget(job.id)
                elif exc.code != UNKNOWN_MESSAGE:
                    raise
        channel = self._channels(job.frontend["channel_id"], job.guild_id)
        known = await self.messages.get(job.id)
        message_id = known.message_id if known else job.frontend.get("message_id")
        if message_id:
            try:
                return await channel.get_partial_message(message_id).edit(**fields())
            except discord.NotFound:
                log.info("job %d: its message was deleted; posting a new one", job.id)
        message = await channel.send(
            content=f"<@{job.user_id}>",
            embed=embed,
            view=view or discord.utils.MISSING,
            files=[_file(u) for u in uploads] if uploads else discord.utils.MISSING,
            allowed_mentions=discord.AllowedMentions(users=True),
        )
        await self._remember(job, message)
        return message

    async def _remember(self, job: Job, message: discord.Message) -> None:
        known = await self.messages.get(job.id)
        if known is None or known.message_id != message.id:
            await self.messages.remember(job.id, message.channel.id, message.id)


def _file(upload: Upload) -> discord.File:
    return discord.File(io.BytesIO(upload.data), filename=upload.filename)
