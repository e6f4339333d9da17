"""The moderation core: records incidents, refuses blocked members and blocked words (as
rulebook checks, before anything reaches Tencent), and carries out moderators' decisions,
each checked whole first and written to the audit log. Its parts: the blocked-word rule
(`attempts.BlockedWordRule`) and appeals (`appeals.Appeals`).

It listens to the engine's events for content-policy failures and tells its own listeners
(the Discord log channel) about every new incident and every repeated attempt joining an
open one; it knows nothing of Discord.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..engine.engine import JobEngine
from ..engine.events import ErrorCategory, EventType, JobEvent
from ..engine.tasks import OwnedTasks
from ..refusal import Refusal
from ..rules.rulebook import Ask
from ..rules.server_settings import ServerSettingsReader
from ..storage.jobs import Job, JobStore
from ..text.formatting import plain
from .appeal_store import AppealStore
from .appeals import Appeals
from .attempts import BlockedWordRule
from .holds import Holds, HoldStore
from .models import (
    DAY,
    DURATIONS,
    AuditAction,
    Block,
    Incident,
    IncidentStatus,
)
from .store import ModerationStore

log = logging.getLogger(__name__)

# Told of every new incident, and of an open one that grew (a repeated attempt).
IncidentListener = Callable[[Incident], None]


class Blocked(Refusal):
    """The member is blocked in this server; the front end explains `block` and offers an
    appeal."""

    def __init__(self, block: Block) -> None:
        super().__init__("moderation.blocked")
        self.block = block


@dataclass(frozen=True)
class Decision:
    incident: Incident
    action: AuditAction
    moderator_id: int
    block: Block | None = None
    warning: str | None = None  # the text to send the member, for a warning


# What a moderator may decide on an incident, and the status it leaves.
DECISIONS = {
    "dismiss": IncidentStatus.DISMISSED,
    "warn": IncidentStatus.WARNED,
    "block": IncidentStatus.BLOCKED,
}


def parse_decision(action: str) -> tuple[str, str | None]:
    """`dismiss`, `warn` or `block:<duration>` as (kind, duration), or a Refusal."""
    kind, has_duration, duration = action.partition(":")
    if kind not in DECISIONS or (has_duration and kind != "block"):
        raise Refusal("moderation.bad_decision")
    if kind != "block":
        return kind, None
    if not duration:
        raise Refusal("moderation.block_needs_duration")
    if duration not in DURATIONS:
        raise Refusal("moderation.bad_duration", duration=plain(duration, 20))
    return kind, duration


def _reference(job: Job) -> str | None:
    references = job.options.get("references") or ()
    return references[0] if references else None


class Moderation:
    def __init__(
        self,
        store: ModerationStore,
        settings: ServerSettingsReader,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.settings = settings  # blocked words, auto-block, warning text: read only
        self.clock = clock
        self._listeners: list[IncidentListener] = []
        self._tasks = OwnedTasks("moderation")
        self.words = BlockedWordRule(store=store, settings=settings, recorder=self, clock=clock)
        self.appeals = Appeals(appeals=AppealStore(store.db, store.clock), store=store, clock=clock)
        self.holds = Holds(holds=HoldStore(store.db, store.clock), store=store)
        # The jobs of one ask (a batch) fail together: one incident is recorded for them.
        self._recording = asyncio.Lock()

    def attach(self, engine: JobEngine) -> None:
        """Listen to the engine's failures and add the block and blocked-word rules."""
        engine.add_listener(self._on_event)
        engine.rules.add_check(self.check_block)
        engine.rules.add_check(self.words.check)
        if engine.rules.quotas is not None:
            # A blocked-word attempt waits out the cooldown the member's jobs started.
            self.words.job_cooldown = engine.rules.quotas.cooldown_left

    def add_listener(self, listener: IncidentListener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: IncidentListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    async def close(self) -> None:
        await self._tasks.wait(5.0)
        await self._tasks.cancel()

    async def settled(self) -> None:
        """Wait until every incident seen so far is recorded (for tests and shutdown)."""
        await self._tasks.wait(10.0)

    # -- incidents -------------------------------------------------------------------------

    def _on_event(self, event: JobEvent) -> None:
        job = event.job
        if event.type is EventType.FAILED and job.error_category == ErrorCategory.CONTENT_VIOLATION:
            self._tasks.spawn(self.record_job_incident(job), f"incident-{job.id}")

    async def catch_up(self, jobs: JobStore) -> int:
        """Record the incidents a stopped process did not get to (its job had failed, the
        incident was not written yet). Run at start, before the engine; returns how many."""
        recorded = 0
        for job_id in await self.store.unrecorded_violations():
            job = await jobs.get(job_id)
            if job is not None:
                await self.record_job_incident(job)
                recorded += 1
        if recorded:
            log.info("recorded %d incidents left over from the last run", recorded)
        return recorded

    async def record_job_incident(self, job: Job) -> Incident:
        """A job Tencent refused (its Create or its output): one incident per ask, under
        its batch's first job (an ask for several images is several jobs)."""
        async with self._recording:
            known = await self.store.incident_for_job(job.batch_key)
            if known is not None:
                return known
            return await self._record_job(job)

    async def _record_job(self, job: Job) -> Incident:
        return await self.record(
            guild_id=job.guild_id,
            user_id=job.user_id,
            channel_id=job.frontend.get("channel_id"),
            job_id=job.batch_key,
            # What Tencent was sent (a style's text included), which is what it refused.
            prompt=job.request.get("Prompt") or job.prompt,
            negative_prompt=job.request.get("NegativePrompt") or job.options.get("negative_prompt"),
            model=job.model,
            reference=_reference(job),
            code=job.error_code or "ContentViolation",
            message=job.error_message,
        )

    async def record(self, **fields: object) -> Incident:
        incident = await self.store.add_incident(**fields)  # type: ignore[arg-type]
        log.info("incident %d in guild %d (%s)", incident.id, incident.guild_id, incident.code)
        await self._maybe_auto_block(incident)
        self._tell(incident)
        return incident

    async def grouped(self, incident: Incident) -> None:
        """A repeated attempt joined an open incident: it counts toward the automatic
        block, and the log post shows the new count."""
        await self._maybe_auto_block(incident)
        self._tell(incident)

    def _tell(self, incident: Incident) -> None:
        for listener in list(self._listeners):
            try:
                listener(incident)
            except Exception:
                log.exception("incident listener failed")

    async def _maybe_auto_block(self, incident: Incident) -> None:
        settings = self.settings.get(incident.guild_id)
        if settings.auto_block_count <= 0:
            return
        since = self.clock() - settings.auto_block_days * DAY
        count = await self.store.incidents_since(incident.guild_id, incident.user_id, since)
        if count < settings.auto_block_count:
            return
        if await self.store.active_block(incident.guild_id, incident.user_id) is not None:
            return
        reason = f"{count} incidents within {settings.auto_block_days} days"
        block = await self.store.add_block(
            guild_id=incident.guild_id,
            user_id=incident.user_id,
            reason=reason,
            created_by=None,
            until=None,
            incident_id=incident.id,
        )
        await self.store.audit(
            incident.guild_id,
            None,
            AuditAction.AUTO_BLOCK,
            user_id=incident.user_id,
            incident_id=incident.id,
            block_id=block.id,
            reason=reason,
        )

    # -- rules (run by the engine's rulebook before anything is queued) --------------------

    async def check_block(self, ask: Ask) -> None:
        block = await self.store.active_block(ask.guild_id, ask.user_id)
        if block is not None:
            raise Blocked(block)

    # -- moderators' decisions -------------------------------------------------------------

    async def decide(
        self, guild_id: int, incident_id: int, action: str, moderator_id: int
    ) -> Decision:
        """Dismiss, warn, or block (`block:<duration>`) for an open incident of this server."""
        # Everything is checked before anything changes: a decision that cannot be carried
        # out leaves the incident open for a valid one.
        kind, duration = parse_decision(action)
        incident = await self.store.incident(guild_id, incident_id)
        if incident is None:
            raise Refusal("moderation.incident_not_found", incident=incident_id)
        if incident.status is not IncidentStatus.OPEN:
            raise Refusal("moderation.already_decided", incident=incident_id)
        status = DECISIONS[kind]
        # The status changes first (one decision wins), then its effect follows.
        if not await self.store.decide_incident(guild_id, incident_id, status, moderator_id):
            raise Refusal("moderation.already_decided", incident=incident_id)
        incident = await self.store.incident(guild_id, incident_id)
        assert incident is not None
        if kind == "block":
            assert duration is not None  # checked by parse_decision
            block = await self.block(
                guild_id,
                incident.user_id,
                moderator_id,
                duration,
                f"incident #{incident_id} ({incident.code})",
                incident_id=incident_id,
            )
            return Decision(incident, AuditAction.BLOCK, moderator_id, block=block)
        if kind == "warn":
            settings = self.settings.get(guild_id)
            await self.store.audit(
                guild_id,
                moderator_id,
                AuditAction.WARN,
                user_id=incident.user_id,
                incident_id=incident_id,
            )
            return Decision(incident, AuditAction.WARN, moderator_id, warning=settings.warning_text)
        await self.store.audit(
            guild_id,
            moderator_id,
            AuditAction.DISMISS,
            user_id=incident.user_id,
            incident_id=incident_id,
        )
        return Decision(incident, AuditAction.DISMISS, moderator_id)

    async def block(
        self,
        guild_id: int,
        user_id: int,
        moderator_id: int,
        duration: str,
        reason: str,
        *,
        incident_id: int | None = None,
    ) -> Block:
        if duration not in DURATIONS:
            raise Refusal("moderation.bad_duration", duration=plain(duration, 20))
        length = DURATIONS[duration]
        block = await self.store.add_block(
            guild_id=guild_id,
            user_id=user_id,
            reason=reason,
            created_by=moderator_id,
            until=None if length is None else self.clock() + length,
            incident_id=incident_id,
        )
        await self.store.audit(
            guild_id,
            moderator_id,
            AuditAction.BLOCK,
            user_id=user_id,
            incident_id=incident_id,
            block_id=block.id,
            reason=f"{duration}: {reason}",
        )
        return block

    async def unblock(
        self, guild_id: int, user_id: int, moderator_id: int, reason: str | None = None
    ) -> int:
        lifted = await self.store.lift_blocks(guild_id, user_id, moderator_id)
        if lifted:
            await self.store.audit(
                guild_id, moderator_id, AuditAction.UNBLOCK, user_id=user_id, reason=reason
            )
        return lifted

    async def keep_warning(self, guild_id: int, user_id: int, text: str) -> None:
        """The member's DMs are closed: show the warning with their next command."""
        await self.store.add_pending_warning(guild_id, user_id, text)

    async def pending_warnings(self, guild_id: int, user_id: int) -> list[tuple[int, str]]:
        """Warnings waiting for the member, (id, text); marked shown only once shown."""
        return await self.store.pending_warnings(guild_id, user_id)

    async def warnings_shown(self, ids: list[int]) -> None:
        await self.store.warnings_shown(ids)
