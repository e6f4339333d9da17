"""Appeals: a blocked member asks once per block to be let back, and a moderator lifts or
keeps that block. Each is written before anyone is told, and audited.

An appeal is recorded first and stays open until decided, whatever happens to its post in
the log channel (the front end posts it, tries again, and catches up at the next start);
so pressing Appeal again while it waits is no refusal: the member is told it is with the
moderators. Lifting acts on the block appealed, never on the member's other blocks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..refusal import Refusal
from .appeal_store import AppealStore
from .models import Appeal, AppealStatus, AuditAction, Block
from .store import ModerationStore


@dataclass(frozen=True)
class Appealed:
    appeal: Appeal
    block: Block
    new: bool  # False: the member had appealed this block already, and it is still open


class Appeals:
    def __init__(
        self, *, appeals: AppealStore, store: ModerationStore, clock: Callable[[], float]
    ) -> None:
        self.records = appeals  # the appeals table
        self.store = store  # blocks and the audit log
        self.clock = clock

    async def appeal(self, guild_id: int, block_id: int, user_id: int) -> Appealed:
        block = await self.store.block(guild_id, block_id)
        if block is None or block.user_id != user_id or not block.active(self.clock()):
            raise Refusal("moderation.appeal_not_blocked")
        appeal = await self.records.add(block)
        if appeal is None:
            known = await self.records.of_block(guild_id, block_id)
            if known is None or known.status is not AppealStatus.OPEN:
                raise Refusal("moderation.appeal_twice")
            return Appealed(known, block, new=False)
        await self.store.audit(
            guild_id,
            user_id,
            AuditAction.APPEAL,
            user_id=user_id,
            block_id=block_id,
            reason=f"appeal #{appeal.id}",
        )
        return Appealed(appeal, block, new=True)

    async def decide(
        self, guild_id: int, appeal_id: int, moderator_id: int, *, accept: bool
    ) -> tuple[Appeal, Block]:
        """Lift (`accept`) or keep the block appealed; one decision per appeal."""
        appeal = await self.records.get(guild_id, appeal_id)
        if appeal is None:
            raise Refusal("moderation.appeal_not_found", appeal=appeal_id)
        block = await self.store.block(guild_id, appeal.block_id)
        if block is None:
            raise Refusal("moderation.appeal_not_found", appeal=appeal_id)
        status = AppealStatus.ACCEPTED if accept else AppealStatus.REJECTED
        if not await self.records.decide(guild_id, appeal_id, status, moderator_id):
            raise Refusal("moderation.appeal_decided", appeal=appeal_id)
        if accept:
            # The block appealed, not the member's others (a newer one may be unrelated).
            await self.store.lift_block(guild_id, appeal.block_id, moderator_id)
        action = AuditAction.APPEAL_ACCEPTED if accept else AuditAction.APPEAL_REJECTED
        await self.store.audit(
            guild_id,
            moderator_id,
            action,
            user_id=appeal.user_id,
            block_id=appeal.block_id,
            reason=f"appeal #{appeal.id}",
        )
        decided = await self.records.get(guild_id, appeal_id)
        lifted = await self.store.block(guild_id, appeal.block_id)
        assert decided is not None and lifted is not None
        return decided, lifted

    async def listed(
        self, guild_id: int, status: AppealStatus | None, *, limit: int, offset: int
    ) -> list[tuple[Appeal, Block]]:
        """A page of the server's appeals, newest first, each with its block."""
        out = []
        for appeal in await self.records.listed(guild_id, status, limit=limit, offset=offset):
            block = await self.store.block(guild_id, appeal.block_id)
            if block is not None:
                out.append((appeal, block))
        return out
