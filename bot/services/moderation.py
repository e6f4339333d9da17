"""Moderators' work, for every front end: who moderates, and what they may see and decide.

Members with Manage Messages always moderate, and so does the server's moderator role.
Decisions themselves (and their audit entries) are the moderation core's (`Moderation`);
this service checks who asks first, and gathers what listings show.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..moderation.appeals import Appealed
from ..moderation.holds import Hold
from ..moderation.models import Appeal, AppealStatus, AuditEntry, Block, Incident
from ..moderation.service import Decision, Moderation
from ..refusal import Refusal
from ..rules.server_settings import ServerSettings, ServerSettingsReader
from .members import Member

PAGE_SIZE = 10
# Appeals per page: each open one carries a row of Lift / Keep buttons (five rows at most,
# one for the pages).
APPEALS_PAGE_SIZE = 4


@dataclass(frozen=True)
class IncidentsPage:
    incidents: list[Incident]
    page: int  # from 0
    pages: int
    total: int


@dataclass(frozen=True)
class AppealsPage:
    appeals: list[tuple[Appeal, Block]]
    page: int  # from 0
    pages: int
    total: int


@dataclass(frozen=True)
class MemberRecord:
    """A member's moderation history in one server."""

    entries: list[AuditEntry]  # newest first
    block: Block | None  # the block in force, if any
    incidents: int


class ModerationService:
    def __init__(self, *, moderation: Moderation, settings: ServerSettingsReader) -> None:
        self.moderation = moderation
        self.store = moderation.store  # read here; written through the moderation core
        self.settings = settings

    def require_moderator(self, member: Member) -> ServerSettings:
        settings = self.settings.get(member.guild_id)
        if not settings.is_moderator(member.manage_messages, member.roles):
            raise Refusal("moderation.not_moderator")
        return settings

    async def decide(self, member: Member, incident_id: int, action: str) -> Decision:
        """Dismiss, warn, or block (`block:<duration>`) for an open incident here."""
        self.require_moderator(member)
        return await self.moderation.decide(member.guild_id, incident_id, action, member.user_id)

    async def block(self, member: Member, user_id: int, duration: str, reason: str) -> Block:
        self.require_moderator(member)
        return await self.moderation.block(
            member.guild_id, user_id, member.user_id, duration, reason
        )

    async def unblock(self, member: Member, user_id: int) -> int:
        """How many blocks were lifted (0: the member was not blocked)."""
        self.require_moderator(member)
        return await self.moderation.unblock(member.guild_id, user_id, member.user_id)

    async def decide_held(self, member: Member, job_id: int, *, approve: bool) -> Hold:
        """Approve or reject the held result of a member on probation, here."""
        self.require_moderator(member)
        return await self.moderation.holds.decide(
            member.guild_id, job_id, member.user_id, approve=approve
        )

    async def keep_warning(self, guild_id: int, user_id: int, text: str) -> None:
        """A warning that could not reach the member: shown with their next request."""
        await self.moderation.keep_warning(guild_id, user_id, text)

    async def appeal(self, member: Member, block_id: int) -> Appealed:
        """A blocked member appeals their block: recorded once; pressed again while it is
        open, the same appeal (`new` False)."""
        return await self.moderation.appeals.appeal(member.guild_id, block_id, member.user_id)

    async def decide_appeal(
        self, member: Member, appeal_id: int, *, accept: bool
    ) -> tuple[Appeal, Block]:
        """Lift (`accept`) or keep the block appealed."""
        self.require_moderator(member)
        return await self.moderation.appeals.decide(
            member.guild_id, appeal_id, member.user_id, accept=accept
        )

    async def appeals(self, member: Member, page: int, status: str | None) -> AppealsPage:
        """A page of this server's appeals, newest first, optionally of one status."""
        self.require_moderator(member)
        known = {s.value: s for s in AppealStatus}
        wanted = known.get(status or "")  # anything else: every status
        total = await self.moderation.appeals.records.count(member.guild_id, wanted)
        pages = max(1, -(-total // APPEALS_PAGE_SIZE))
        page = max(0, min(page, pages - 1))
        found = await self.moderation.appeals.listed(
            member.guild_id, wanted, limit=APPEALS_PAGE_SIZE, offset=page * APPEALS_PAGE_SIZE
        )
        return AppealsPage(found, page, pages, total)

    async def incidents(
        self, member: Member, page: int, status: str | None, user_id: int | None
    ) -> IncidentsPage:
        """A page of this server's incidents, newest first, optionally of one status or
        one member."""
        self.require_moderator(member)
        guild_id = member.guild_id
        total = await self.store.count_incidents(guild_id, status=status, user_id=user_id)
        pages = max(1, -(-total // PAGE_SIZE))
        page = max(0, min(page, pages - 1))
        found = await self.store.incidents(
            guild_id, status=status, user_id=user_id, limit=PAGE_SIZE, offset=page * PAGE_SIZE
        )
        return IncidentsPage(found, page, pages, total)

    async def record(self, member: Member, user_id: int) -> MemberRecord:
        self.require_moderator(member)
        guild_id = member.guild_id
        return MemberRecord(
            entries=await self.store.audit_for(guild_id, user_id),
            block=await self.store.active_block(guild_id, user_id),
            incidents=await self.store.count_incidents(guild_id, user_id=user_id),
        )
