"""Tell each server's moderators, once per outage, that the bot's account was refused.

When Tencent Cloud refuses the account (arrears, an unregistered account, a rejected key…)
the engine stops creating tasks until its operator fixes it. Members' jobs wait in the
queue; each server with a moderation log channel gets one post saying so, in its language.
Which servers were told is recorded, so a restart during the outage does not post again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import discord

from ..engine.outage import AccountOutage
from ..engine.tasks import OwnedTasks
from ..storage.outages import Outage
from ..text.i18n import t
from .delivery import DISCORD_TROUBLE, transient
from .messenger import ChannelOpener

log = logging.getLogger(__name__)

# A post Discord refuses for a while (429, 5xx, a reset) is tried again after these.
RETRY_DELAYS = (2.0, 10.0, 30.0, 120.0)


class OutageNotices:
    def __init__(
        self,
        *,
        outage: AccountOutage,
        log_channels: Callable[[], dict[int, int]],
        channels: ChannelOpener,
        guild_locale: Callable[[int], str],
    ) -> None:
        self.outage = outage
        self._log_channels = log_channels
        self._channels = channels
        self._guild_locale = guild_locale
        self._tasks = OwnedTasks("outage-notices")

    def start(self) -> None:
        self.outage.add_listener(self._on_outage)
        if self.outage.current is not None:  # still going on from before a restart
            self._on_outage(self.outage.current, True)

    async def close(self) -> None:
        self.outage.remove_listener(self._on_outage)
        await self._tasks.cancel()

    def _on_outage(self, outage: Outage, began: bool) -> None:
        if began:
            self._tasks.spawn(self.announce(outage), f"announce-outage-{outage.id}")

    async def announce(self, outage: Outage) -> None:
        told = await self.outage.store.told(outage.id)
        for guild_id, channel_id in sorted(self._log_channels().items()):
            if guild_id not in told and await self._post(outage, guild_id, channel_id):
                # Noted even if the bot is stopping right now: each server is told once.
                await asyncio.shield(self.outage.store.mark_told(outage.id, guild_id))

    async def _post(self, outage: Outage, guild_id: int, channel_id: int) -> bool:
        text = t(self._guild_locale(guild_id), "outage.notice", code=outage.code)
        channel = self._channels(channel_id, guild_id)
        for delay in (*RETRY_DELAYS, None):
            try:
                await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
                return True
            except DISCORD_TROUBLE as exc:
                if delay is None or not transient(exc):
                    log.warning("server %d: outage notice not posted: %r", guild_id, exc)
                    return False
                await asyncio.sleep(delay)
        return False
