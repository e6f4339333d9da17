"""Probation: the results of a member on probation wait for a moderator's Approve or
Reject before anyone else sees them.

A hold is one row per batch (by its first job's id), written before its results are shown
to moderators; its jobs stay `ready` (their files on disk) until the decision has been
carried out, so a restart finds every held batch where it was: not yet posted for review,
waiting for a decision, or decided and not yet carried out. One decision per hold (the
first wins), audited. `told_at` notes that the member was told of a rejection, so a restart
does not tell them twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ..refusal import Refusal
from ..storage.base import Database
from .models import AuditAction
from .store import ModerationStore


class HoldStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Hold:
    job_id: int  # the batch's first job
    guild_id: int
    user_id: int
    created_at: float
    status: HoldStatus
    decided_by: int | None
    decided_at: float | None
    log_channel_id: int | None
    log_message_id: int | None
    told_at: float | None

    @classmethod
    def from_row(cls, row: Any) -> Hold:
        data = dict(row)
        data["status"] = HoldStatus(data["status"])
        return cls(**data)

    @property
    def posted(self) -> bool:
        return self.log_channel_id is not None and self.log_message_id is not None


class HoldStore:
    """The only writer of `probation_holds`. Every read and decision names its server."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    async def get(self, guild_id: int, job_id: int) -> Hold | None:
        row = await self.db.fetchone(
            "SELECT * FROM probation_holds WHERE job_id = ? AND guild_id = ?", (job_id, guild_id)
        )
        return Hold.from_row(row) if row is not None else None

    async def hold(self, guild_id: int, job_id: int, user_id: int) -> Hold:
        """The batch's hold, written now unless it was already."""
        await self.db.write(
            "INSERT INTO probation_holds (job_id, guild_id, user_id, created_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (job_id) DO NOTHING",
            (job_id, guild_id, user_id, self.clock()),
        )
        found = await self.get(guild_id, job_id)
        assert found is not None
        return found

    async def set_post(self, job_id: int, channel_id: int, message_id: int) -> None:
        await self.db.write(
            "UPDATE probation_holds SET log_channel_id = ?, log_message_id = ? WHERE job_id = ?",
            (channel_id, message_id, job_id),
        )

    async def forget_post(self, job_id: int) -> None:
        """Its post is gone (deleted in Discord): the hold is to be posted again."""
        await self.db.write(
            "UPDATE probation_holds SET log_channel_id = NULL, log_message_id = NULL"
            " WHERE job_id = ? AND status = 'pending'",
            (job_id,),
        )

    async def decide(self, guild_id: int, job_id: int, status: HoldStatus, decided_by: int) -> bool:
        """Close a pending hold; False if someone decided it already (one decision wins)."""
        changed = await self.db.write(
            "UPDATE probation_holds SET status = ?, decided_by = ?, decided_at = ?"
            " WHERE job_id = ? AND guild_id = ? AND status = 'pending'",
            (status.value, decided_by, self.clock(), job_id, guild_id),
        )
        return changed == 1

    async def mark_told(self, job_id: int) -> None:
        await self.db.write(
            "UPDATE probation_holds SET told_at = ? WHERE job_id = ? AND told_at IS NULL",
            (self.clock(), job_id),
        )


class Holds:
    def __init__(self, *, holds: HoldStore, store: ModerationStore) -> None:
        self.records = holds  # the holds table
        self.store = store  # the audit log

    async def decide(self, guild_id: int, job_id: int, moderator_id: int, *, approve: bool) -> Hold:
        """Approve or reject a held result; one decision per hold, audited."""
        hold = await self.records.get(guild_id, job_id)
        if hold is None:
            raise Refusal("probation.not_found", job=job_id)
        status = HoldStatus.APPROVED if approve else HoldStatus.REJECTED
        if not await self.records.decide(guild_id, job_id, status, moderator_id):
            raise Refusal("probation.decided", job=job_id)
        action = AuditAction.RESULT_APPROVED if approve else AuditAction.RESULT_REJECTED
        await self.store.audit(
            guild_id, moderator_id, action, user_id=hold.user_id, reason=f"job #{job_id}"
        )
        decided = await self.records.get(guild_id, job_id)
        assert decided is not None
        return decided
