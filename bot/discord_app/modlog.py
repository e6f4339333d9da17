"""The moderation log channel: each incident and each appeal posted for moderators, and
how those posts look before and after a decision. Pure renderers plus one poster."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import discord

from ..engine.tasks import OwnedTasks
from ..moderation.models import Appeal, Block, Incident
from ..moderation.service import Moderation
from ..text.formatting import plain
from ..text.i18n import t
from .delivery import CONNECTION_ERRORS, transient
from .messenger import ChannelOpener
from .mod_buttons import appeal_decision_view, block_end, incident_view

log = logging.getLogger(__name__)

COLOUR_OPEN = discord.Colour.orange()
COLOUR_DONE = discord.Colour.light_grey()


def spoiler(text: str | None, limit: int) -> str | None:
    """User text, escaped, behind a spoiler: moderators choose to read it."""
    shown = plain(text, limit - 4)
    return f"||{shown}||" if shown else None


def incident_embed(incident: Incident, locale: str, decision: str | None = None) -> discord.Embed:
    embed = discord.Embed(
        title=t(locale, "moderation.incident_title", incident=incident.id, code=incident.code),
        description=spoiler(incident.prompt, 2000) or t(locale, "moderation.no_prompt"),
        colour=COLOUR_DONE if decision else COLOUR_OPEN,
    )
    fields = [
        ("moderation.field_member", f"<@{incident.user_id}>"),
        ("moderation.field_channel", f"<#{incident.channel_id}>" if incident.channel_id else None),
        ("moderation.field_model", plain(incident.model, 100) or None),
        ("moderation.field_negative", spoiler(incident.negative_prompt, 1024)),
        ("moderation.field_reference", spoiler(incident.reference, 1024)),
        ("moderation.field_message", plain(incident.message, 1024) or None),
        ("moderation.field_time", f"<t:{int(incident.created_at)}:f>"),
    ]
    for key, value in fields:
        if value:
            embed.add_field(name=t(locale, key), value=value, inline=len(value) < 40)
    if decision:
        embed.add_field(name=t(locale, "moderation.field_decision"), value=decision, inline=False)
    return embed


# What a post in the log channel says once decided, by the decision.
DECIDED = {
    "dismiss": "moderation.decided.dismiss",
    "warn": "moderation.decided.warn",
    "block:24h": "moderation.decided.block_24h",
    "block:7d": "moderation.decided.block_7d",
    "block:perm": "moderation.decided.block_perm",
    "lift": "moderation.decided.lift",
    "keep": "moderation.decided.keep",
}


def decision_text(locale: str, action: str, moderator_id: int, when: float) -> str:
    return t(
        locale,
        DECIDED[action],
        moderator=f"<@{moderator_id}>",
        when=f"<t:{int(when)}:R>",
    )


def appeal_embed(
    appeal: Appeal, block: Block, locale: str, decision: str | None = None
) -> discord.Embed:
    embed = discord.Embed(
        title=t(locale, "moderation.appeal_title", appeal=appeal.id),
        colour=COLOUR_DONE if decision else COLOUR_OPEN,
    )
    embed.add_field(name=t(locale, "moderation.field_member"), value=f"<@{appeal.user_id}>")
    embed.add_field(name=t(locale, "moderation.field_block_ends"), value=block_end(block, locale))
    embed.add_field(
        name=t(locale, "moderation.field_reason"), value=plain(block.reason, 1024), inline=False
    )
    if decision:
        embed.add_field(name=t(locale, "moderation.field_decision"), value=decision, inline=False)
    return embed


# A post the log channel refused for a while (429, 5xx, a reset) is tried again after these.
RETRY_DELAYS = (2.0, 10.0, 30.0, 120.0)
# At start, open incidents this recent that never reached the log channel are posted (the
# bot was stopped, or Discord refused the post); older ones stay in /moderation incidents.
CATCH_UP_SECONDS = 24 * 3600.0


class ModerationLog:
    """Posts every new incident and every appeal to the server's log channel, if it has one."""

    def __init__(
        self,
        *,
        moderation: Moderation,
        channels: ChannelOpener,
        guild_locale: Callable[[int], str],
    ) -> None:
        self.moderation = moderation
        self._channels = channels
        self._guild_locale = guild_locale
        self._tasks = OwnedTasks("moderation-log")

    def start(self) -> None:
        self.moderation.add_listener(self._on_incident)
        # Incidents from now on come through the listener; older unposted ones are caught up
        # once, so none is posted twice.
        now = self.moderation.clock()
        self._tasks.spawn(self._catch_up(now - CATCH_UP_SECONDS, now), "post-unposted-incidents")

    async def _catch_up(self, since: float, until: float) -> None:
        for incident in await self.moderation.store.unposted_incidents(since, until):
            await self.post_incident(incident)

    async def close(self) -> None:
        self.moderation.remove_listener(self._on_incident)
        await self._tasks.cancel()

    def _on_incident(self, incident: Incident) -> None:
        self._tasks.spawn(self.post_incident(incident), f"post-incident-{incident.id}")

    async def post_incident(self, incident: Incident) -> None:
        settings = self.moderation.settings.get(incident.guild_id)
        if settings.log_channel_id is None:
            return  # still listed by /moderation incidents
        locale = self._guild_locale(incident.guild_id)
        channel = self._channels(settings.log_channel_id, incident.guild_id)
        for delay in (*RETRY_DELAYS, None):
            try:
                message = await channel.send(
                    content=t(locale, "moderation.new_incident", member=f"<@{incident.user_id}>"),
                    embed=incident_embed(incident, locale),
                    view=incident_view(incident.id, locale),
                    allowed_mentions=discord.AllowedMentions.none(),
                )
            except (discord.HTTPException, *CONNECTION_ERRORS) as exc:
                if delay is None or not transient(exc):
                    # Still listed by /moderation incidents, and posted at the next start.
                    log.warning("incident %d: not posted to the log channel: %r", incident.id, exc)
                    return
                await asyncio.sleep(delay)
                continue
            # The post is out: note it even if the bot is stopping right now, or the next
            # start would post the incident again.
            await asyncio.shield(
                self.moderation.store.set_incident_post(incident.id, channel.id, message.id)
            )
            return

    async def post_appeal(self, appeal: Appeal, block: Block) -> bool:
        settings = self.moderation.settings.get(appeal.guild_id)
        if settings.log_channel_id is None:
            return False
        locale = self._guild_locale(appeal.guild_id)
        channel = self._channels(settings.log_channel_id, appeal.guild_id)
        message = await channel.send(
            content=t(locale, "moderation.new_appeal", member=f"<@{appeal.user_id}>"),
            embed=appeal_embed(appeal, block, locale),
            view=appeal_decision_view(appeal.id, locale),
            allowed_mentions=discord.AllowedMentions.none(),
        )
        await self.moderation.store.set_appeal_post(appeal.id, channel.id, message.id)
        return True
