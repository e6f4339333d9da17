"""The moderation log channel: each incident and each appeal posted for moderators, an
incident's post kept up to date while repeated attempts join it, and an appeal's post
showing a decision made from `/moderation appeals`.

Posts are made from what the database holds, one incident at a time: a change that comes
while its post is being made or edited is shown by one more edit afterwards, so a burst of
attempts costs a few edits, never one post each. A post Discord refuses for a while (429,
5xx, a reset) is tried again; what a stop missed is posted at the next start."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from typing import TypeVar

import discord

from ..engine.tasks import OwnedTasks
from ..moderation.models import Appeal, AppealStatus, Incident, IncidentStatus
from ..moderation.service import Moderation
from ..text.i18n import t
from .delivery import DISCORD_TROUBLE, transient
from .messenger import ChannelOpener
from .mod_buttons import appeal_decision_view, incident_view
from .mod_render import appeal_embed, decision_text, incident_content, incident_embed

log = logging.getLogger(__name__)

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)

# A post the log channel refused for a while (429, 5xx, a reset) is tried again after these.
RETRY_DELAYS = (2.0, 10.0, 30.0, 120.0)
# At start, open incidents and appeals this recent that never reached the log channel are
# posted (the bot was stopped, or Discord refused the post); older ones stay listed in
# /moderation incidents and /moderation appeals.
CATCH_UP_SECONDS = 24 * 3600.0


class OneAtATime:
    """Runs `work(key)` once at a time per key; asked again while it runs, it runs once
    more afterwards (however many times it was asked), so it always ends on the latest."""

    def __init__(self, tasks: OwnedTasks, work: Callable[[K], Awaitable[None]], name: str) -> None:
        self._tasks, self._work, self._name = tasks, work, name
        self._running: set[K] = set()
        self._again: set[K] = set()

    def ask(self, key: K) -> None:
        if key in self._running:
            self._again.add(key)
            return
        self._running.add(key)
        self._tasks.spawn(self._run(key), f"{self._name}-{key}")

    async def _run(self, key: K) -> None:
        try:
            while True:
                self._again.discard(key)
                await self._work(key)
                if key not in self._again:
                    return
        finally:
            self._running.discard(key)


async def with_retries(what: str, call: Callable[[], Awaitable[T]]) -> T | None:
    """`call()`, tried again through Discord's passing refusals; None if it never went
    through (logged: what depends on it is caught up later)."""
    for delay in (*RETRY_DELAYS, None):
        try:
            return await call()
        except DISCORD_TROUBLE as exc:
            if delay is None or not transient(exc):
                log.warning("%s: %r", what, exc)
                return None
            await asyncio.sleep(delay)
    return None


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
        self._incidents = OneAtATime(self._tasks, self._show_incident, "incident-post")
        self._appeals = OneAtATime(self._tasks, self._show_appeal, "appeal-post")
        # Attempts each incident's post shows, for the posts made by this process.
        self._shown: dict[int, int] = {}

    def listen(self) -> None:
        """Post the incidents this process records from now on (with several processes,
        each posts its own: an incident is recorded by one of them)."""
        self.moderation.add_listener(self._on_incident)

    def catch_up(self) -> None:
        """Post what was left unposted (by the last run, or a process that stopped): once,
        by one process (the engine's holder), after `listen`, so none is posted twice."""
        now = self.moderation.clock()
        self._tasks.spawn(self._catch_up(now - CATCH_UP_SECONDS, now), "post-unposted")

    async def _catch_up(self, since: float, until: float) -> None:
        for incident in await self.moderation.store.unposted_incidents(since, until):
            self._on_incident(incident)
        for appeal in await self.moderation.appeals.records.unposted(since, until):
            self.show_appeal(appeal)

    async def close(self) -> None:
        self.moderation.remove_listener(self._on_incident)
        await self._tasks.cancel()

    def _on_incident(self, incident: Incident) -> None:
        """A new incident, or an open one with one more attempt."""
        self._incidents.ask((incident.guild_id, incident.id))

    async def _show_incident(self, key: tuple[int, int]) -> None:
        """Post the incident if it is not posted yet, or bring its count up to date."""
        store = self.moderation.store
        incident = await store.incident(*key)
        if incident is None or incident.status is not IncidentStatus.OPEN:
            self._shown.pop(key[1], None)
            return
        settings = self.moderation.settings.get(incident.guild_id)
        locale = self._guild_locale(incident.guild_id)
        latest = await store.latest_attempt(incident.id) if incident.attempts > 1 else None
        content = incident_content(incident, latest, locale)
        none = discord.AllowedMentions.none()
        if incident.log_message_id is None or incident.log_channel_id is None:
            if settings.log_channel_id is None:
                return  # still listed by /moderation incidents
            channel = self._channels(settings.log_channel_id, incident.guild_id)
            message = await with_retries(
                f"incident {incident.id}: not posted to the log channel",
                lambda: channel.send(
                    content=content,
                    embed=incident_embed(incident, locale),
                    view=incident_view(incident.id, locale),
                    allowed_mentions=none,
                ),
            )
            if message is not None:  # else still listed, and posted at the next start
                # The post is out: note it even if the bot is stopping right now, or the
                # next start would post the incident again.
                await asyncio.shield(store.set_incident_post(incident.id, channel.id, message.id))
                self._shown[incident.id] = incident.attempts
        elif incident.attempts > self._shown.get(incident.id, 1):
            # Only the line above the embed changes: a decision made meanwhile (which edits
            # the embed and removes the buttons) is never undone.
            post = self._channels(incident.log_channel_id, incident.guild_id).get_partial_message(
                incident.log_message_id
            )
            edited = await with_retries(
                f"incident {incident.id}: the count was not updated",
                lambda: post.edit(content=content, allowed_mentions=none),
            )
            if edited is not None:
                self._shown[incident.id] = incident.attempts

    def show_appeal(self, appeal: Appeal) -> None:
        """Post an open appeal not posted yet, or show a decision made away from its post
        (from `/moderation appeals`) on it; in the background, tried again through errors."""
        self._appeals.ask((appeal.guild_id, appeal.id))

    async def _show_appeal(self, key: tuple[int, int]) -> None:
        records = self.moderation.appeals.records
        appeal = await records.get(*key)
        block = await self.moderation.store.block(key[0], appeal.block_id) if appeal else None
        if appeal is None or block is None:
            return
        locale = self._guild_locale(appeal.guild_id)
        posted = appeal.log_channel_id is not None and appeal.log_message_id is not None
        if appeal.status is not AppealStatus.OPEN:
            if posted and appeal.decided_by is not None:
                action = "lift" if appeal.status is AppealStatus.ACCEPTED else "keep"
                text = decision_text(locale, action, appeal.decided_by, appeal.decided_at or 0)
                post = self._channels(appeal.log_channel_id or 0, appeal.guild_id)
                message = post.get_partial_message(appeal.log_message_id or 0)
                await with_retries(
                    f"appeal {appeal.id}: the decision was not shown on its post",
                    lambda: message.edit(
                        embed=appeal_embed(appeal, block, locale, text), view=None
                    ),
                )
            return
        settings = self.moderation.settings.get(appeal.guild_id)
        if posted or settings.log_channel_id is None:
            return  # without a log channel, /moderation appeals lists it
        channel = self._channels(settings.log_channel_id, appeal.guild_id)
        message = await with_retries(
            f"appeal {appeal.id}: not posted to the log channel",
            lambda: channel.send(
                content=t(locale, "moderation.new_appeal", member=f"<@{appeal.user_id}>"),
                embed=appeal_embed(appeal, block, locale),
                view=appeal_decision_view(appeal.id, locale),
                allowed_mentions=discord.AllowedMentions.none(),
            ),
        )
        if message is not None:  # else listed, and posted at the next start
            # Noted even if the bot is stopping right now (see the incidents' post).
            await asyncio.shield(records.set_post(appeal.id, channel.id, message.id))
