"""The blocked-word rule: a prompt with one of the server's blocked words is refused before
anything is queued or sent to Tencent, and recorded for the moderators.

A blocked-word attempt is an ask like any other until its word is found: the engine has
already held it to the member's queue limit, and here it is held to the cooldown first (a
member in their cooldown is told so, and the attempt is not recorded). Then it starts the
cooldown, as a job would: the member's next ask, clean or not, waits it out.

Repeated attempts of a member are grouped: while their last blocked-word incident is open
and its latest attempt less than `GROUP_SECONDS` old, a new attempt joins it (its count
goes up, its words are kept) instead of making a new incident, so fifteen attempts make one
log post, edited with the count, not fifteen.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from ..refusal import Refusal
from ..rules.rulebook import Ask
from ..rules.server_settings import ServerSettings, ServerSettingsReader
from .models import Incident
from .store import ModerationStore
from .words import blocked_word_in

log = logging.getLogger(__name__)

BLOCKED_WORD = "BlockedWord"
# A new attempt joins the member's open incident if its last attempt is this recent.
GROUP_SECONDS = 3600.0

# How long the member's jobs keep them waiting (the quotas' cooldown), for an ask.
JobCooldown = Callable[[Ask], Awaitable[float]]


def refuse_if_waiting(left: float, now: float) -> None:
    """The cooldown refusal the quotas give, with `left` seconds to wait (if any)."""
    if left > 0:
        raise Refusal(
            "admin.refused.cooldown", seconds=int(left + 0.999), reset=int(now + left + 0.999)
        )


class IncidentRecorder(Protocol):
    """What records incidents and tells the moderators (the moderation core)."""

    async def record(self, **fields: object) -> Incident: ...
    async def grouped(self, incident: Incident) -> None: ...


class BlockedWordRule:
    def __init__(
        self,
        *,
        store: ModerationStore,
        settings: ServerSettingsReader,
        recorder: IncidentRecorder,
        clock: Callable[[], float],
    ) -> None:
        self.store = store
        self.settings = settings
        self.recorder = recorder
        self.clock = clock
        self.job_cooldown: JobCooldown | None = None  # set when attached to an engine
        # One attempt of a member is looked at at a time (the cooldown and the grouping read
        # what the previous one wrote); the count says how many hold or wait for the lock.
        self._locks: dict[tuple[int, int], tuple[asyncio.Lock, int]] = {}

    async def check(self, ask: Ask) -> None:
        """A rulebook check: refuse a blocked word (recorded), or an ask still waiting out
        the cooldown a blocked-word attempt started."""
        settings = self.settings.get(ask.guild_id)
        word = blocked_word_in(settings.blocked_words, ask.prompt, ask.negative_prompt)
        if word is None:
            if settings.cooldown_seconds:
                refuse_if_waiting(await self._attempt_left(ask, settings), self.clock())
            return
        key = (ask.guild_id, ask.user_id)
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)  # before the first await: concurrent asks see it
        try:
            async with lock:
                if settings.cooldown_seconds:
                    left = await self._attempt_left(ask, settings, own=True)
                    if self.job_cooldown is not None:
                        left = max(left, await self.job_cooldown(ask))
                    refuse_if_waiting(left, self.clock())
                await self._record(ask, word)
        finally:
            lock, users = self._locks[key]
            if users > 1:
                self._locks[key] = (lock, users - 1)
            else:
                del self._locks[key]
        raise Refusal("moderation.blocked_word")

    async def _attempt_left(self, ask: Ask, settings: ServerSettings, own: bool = False) -> float:
        """Seconds of cooldown left since the member's last blocked-word attempt (all of it
        while another attempt of theirs is being looked at)."""
        if not own and (ask.guild_id, ask.user_id) in self._locks:
            return float(settings.cooldown_seconds)
        last = await self.store.last_attempt_at(ask.guild_id, ask.user_id, BLOCKED_WORD)
        return 0.0 if last is None else max(0.0, last + settings.cooldown_seconds - self.clock())

    async def _record(self, ask: Ask, word: str) -> Incident:
        since = self.clock() - GROUP_SECONDS
        incident = await self.store.open_incident_of(ask.guild_id, ask.user_id, BLOCKED_WORD, since)
        if incident is not None:
            grouped = await self.store.add_attempt(
                incident,
                channel_id=ask.channel_id,
                prompt=ask.prompt,
                negative_prompt=ask.negative_prompt,
                model=ask.model,
            )
            if grouped is not None:
                log.info("incident %d: attempt %d", grouped.id, grouped.attempts)
                await self.recorder.grouped(grouped)
                return grouped
        return await self.recorder.record(
            guild_id=ask.guild_id,
            user_id=ask.user_id,
            channel_id=ask.channel_id,
            job_id=None,
            prompt=ask.prompt,
            negative_prompt=ask.negative_prompt,
            model=ask.model,
            reference=None,
            code=BLOCKED_WORD,
            message=f"blocked word: {word}",
        )
