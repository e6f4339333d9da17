"""Moderation rows. This store is the only writer of the moderation tables (incidents and
their attempts, blocks, pending_warnings, moderation_audit) but appeals (`AppealStore`); a
server's moderation settings are its `ServerSettings` (written by the server settings store).

Every read and write names its server: nothing of one server is reachable from another.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..storage.base import Database
from .models import (
    Attempt,
    AuditEntry,
    Block,
    Incident,
    IncidentStatus,
)


class ModerationStore:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    async def _one(self, sql: str, params: tuple) -> Any:
        return await self.db.fetchone(sql, params)

    async def _all(self, sql: str, params: tuple) -> list[Any]:
        return await self.db.fetchall(sql, params)

    # -- incidents -------------------------------------------------------------------------

    async def add_incident(
        self,
        *,
        guild_id: int,
        user_id: int,
        channel_id: int | None,
        job_id: int | None,
        prompt: str | None,
        negative_prompt: str | None,
        model: str | None,
        reference: str | None,
        code: str,
        message: str | None,
    ) -> Incident:
        now = self.clock()
        incident_id = await self.db.insert(
            "INSERT INTO incidents (guild_id, user_id, channel_id, job_id, prompt,"
            " negative_prompt, model, reference, code, message, created_at, last_attempt_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                guild_id,
                user_id,
                channel_id,
                job_id,
                prompt,
                negative_prompt,
                model,
                reference,
                code,
                (message or "")[:1000] or None,
                now,
                now,
            ),
        )
        incident = await self.incident(guild_id, incident_id)
        assert incident is not None
        return incident

    # -- repeated attempts -------------------------------------------------------------------

    async def open_incident_of(
        self, guild_id: int, user_id: int, code: str, since: float
    ) -> Incident | None:
        """The member's open incident of `code` whose latest attempt was at `since` or later."""
        row = await self._one(
            "SELECT * FROM incidents WHERE guild_id = ? AND user_id = ? AND code = ?"
            " AND status = 'open' AND last_attempt_at >= ? ORDER BY id DESC LIMIT 1",
            (guild_id, user_id, code, since),
        )
        return Incident.from_row(row) if row else None

    async def add_attempt(
        self,
        incident: Incident,
        *,
        channel_id: int | None,
        prompt: str | None,
        negative_prompt: str | None,
        model: str | None,
    ) -> Incident | None:
        """Group one more attempt into an incident still open; None if it was decided
        meanwhile (the attempt is then an incident of its own)."""
        now = self.clock()
        counted = await self.db.write(
            "UPDATE incidents SET attempts = attempts + 1, last_attempt_at = ?"
            " WHERE id = ? AND guild_id = ? AND status = 'open'",
            (now, incident.id, incident.guild_id),
        )
        if counted != 1:
            return None
        await self.db.write(
            "INSERT INTO incident_attempts (incident_id, guild_id, user_id, channel_id, prompt,"
            " negative_prompt, model, created_at) VALUES (?,?,?,?,?,?,?,?)",
            (
                incident.id,
                incident.guild_id,
                incident.user_id,
                channel_id,
                prompt,
                negative_prompt,
                model,
                now,
            ),
        )
        return await self.incident(incident.guild_id, incident.id)

    async def latest_attempt(self, incident_id: int) -> Attempt | None:
        row = await self._one(
            "SELECT * FROM incident_attempts WHERE incident_id = ? ORDER BY id DESC LIMIT 1",
            (incident_id,),
        )
        return Attempt.from_row(row) if row else None

    async def last_attempt_at(self, guild_id: int, user_id: int, code: str) -> float | None:
        """When the member last made an attempt recorded as `code`, if ever."""
        row = await self._one(
            "SELECT MAX(last_attempt_at) FROM incidents"
            " WHERE guild_id = ? AND user_id = ? AND code = ?",
            (guild_id, user_id, code),
        )
        return None if row is None or row[0] is None else float(row[0])

    async def unrecorded_violations(self) -> list[int]:
        """Jobs that ended in a content violation with no incident yet (the process stopped
        between the failure and its incident): read from the jobs table, never written."""
        rows = await self._all(
            "SELECT id FROM jobs j WHERE j.state = 'failed'"
            " AND j.error_category = 'content_violation'"
            " AND NOT EXISTS (SELECT 1 FROM incidents i"
            " WHERE i.job_id = COALESCE(j.batch_id, j.id)) ORDER BY id",
            (),
        )
        return [row[0] for row in rows]

    async def unposted_incidents(self, since: float, until: float) -> list[Incident]:
        """Open incidents created in [since, until) that never reached a log channel."""
        rows = await self._all(
            "SELECT * FROM incidents WHERE status = 'open' AND log_message_id IS NULL"
            " AND created_at >= ? AND created_at < ? ORDER BY id",
            (since, until),
        )
        return [Incident.from_row(row) for row in rows]

    async def incident_for_job(self, job_id: int) -> Incident | None:
        row = await self._one("SELECT * FROM incidents WHERE job_id = ?", (job_id,))
        return Incident.from_row(row) if row else None

    async def incident(self, guild_id: int, incident_id: int) -> Incident | None:
        row = await self._one(
            "SELECT * FROM incidents WHERE id = ? AND guild_id = ?", (incident_id, guild_id)
        )
        return Incident.from_row(row) if row else None

    def _filter(self, guild_id: int, status: str | None, user_id: int | None) -> tuple[str, tuple]:
        where, params = ["guild_id = ?"], [guild_id]
        if status:
            where.append("status = ?")
            params.append(status)
        if user_id:
            where.append("user_id = ?")
            params.append(user_id)
        return " AND ".join(where), tuple(params)

    async def incidents(
        self,
        guild_id: int,
        *,
        status: str | None = None,
        user_id: int | None = None,
        limit: int = 10,
        offset: int = 0,
    ) -> list[Incident]:
        where, params = self._filter(guild_id, status, user_id)
        rows = await self._all(
            f"SELECT * FROM incidents WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [Incident.from_row(r) for r in rows]

    async def count_incidents(
        self, guild_id: int, *, status: str | None = None, user_id: int | None = None
    ) -> int:
        where, params = self._filter(guild_id, status, user_id)
        row = await self._one(f"SELECT COUNT(*) FROM incidents WHERE {where}", params)
        return row[0]

    async def incidents_since(self, guild_id: int, user_id: int, since: float) -> int:
        """The member's incidents since then, each repeated attempt counted as one."""
        row = await self._one(
            "SELECT (SELECT COUNT(*) FROM incidents WHERE guild_id = ? AND user_id = ?"
            " AND created_at >= ?) + (SELECT COUNT(*) FROM incident_attempts"
            " WHERE guild_id = ? AND user_id = ? AND created_at >= ?)",
            (guild_id, user_id, since, guild_id, user_id, since),
        )
        return row[0]

    async def decide_incident(
        self, guild_id: int, incident_id: int, status: IncidentStatus, reviewer_id: int | None
    ) -> bool:
        """Close an open incident; False if someone decided it already (one decision wins)."""
        changed = await self.db.write(
            "UPDATE incidents SET status = ?, reviewer_id = ?, reviewed_at = ?"
            " WHERE id = ? AND guild_id = ? AND status = 'open'",
            (status.value, reviewer_id, self.clock(), incident_id, guild_id),
        )
        return changed == 1

    async def set_incident_post(self, incident_id: int, channel_id: int, message_id: int) -> None:
        await self.db.write(
            "UPDATE incidents SET log_channel_id = ?, log_message_id = ? WHERE id = ?",
            (channel_id, message_id, incident_id),
        )

    # -- blocks ----------------------------------------------------------------------------

    async def add_block(
        self,
        *,
        guild_id: int,
        user_id: int,
        reason: str,
        created_by: int | None,
        until: float | None,
        incident_id: int | None = None,
    ) -> Block:
        block_id = await self.db.insert(
            "INSERT INTO blocks (guild_id, user_id, reason, created_by, created_at, until,"
            " incident_id) VALUES (?,?,?,?,?,?,?)",
            (guild_id, user_id, reason, created_by, self.clock(), until, incident_id),
        )
        block = await self.block(guild_id, block_id)
        assert block is not None
        return block

    async def block(self, guild_id: int, block_id: int) -> Block | None:
        row = await self._one(
            "SELECT * FROM blocks WHERE id = ? AND guild_id = ?", (block_id, guild_id)
        )
        return Block.from_row(row) if row else None

    async def active_block(self, guild_id: int, user_id: int) -> Block | None:
        """The member's block that ends last (a permanent one first), if any is in force."""
        row = await self._one(
            "SELECT * FROM blocks WHERE guild_id = ? AND user_id = ? AND lifted_at IS NULL"
            " AND (until IS NULL OR until > ?) ORDER BY until IS NOT NULL, until DESC LIMIT 1",
            (guild_id, user_id, self.clock()),
        )
        return Block.from_row(row) if row else None

    async def lift_block(self, guild_id: int, block_id: int, lifted_by: int | None) -> bool:
        """Lift one block, if it is still in force; the member's other blocks stay."""
        changed = await self.db.write(
            "UPDATE blocks SET lifted_at = ?, lifted_by = ? WHERE id = ? AND guild_id = ?"
            " AND lifted_at IS NULL AND (until IS NULL OR until > ?)",
            (self.clock(), lifted_by, block_id, guild_id, self.clock()),
        )
        return changed == 1

    async def lift_blocks(self, guild_id: int, user_id: int, lifted_by: int | None) -> int:
        """Lift every block of the member in force (`/moderation unblock`)."""
        changed = await self.db.write(
            "UPDATE blocks SET lifted_at = ?, lifted_by = ? WHERE guild_id = ? AND user_id = ?"
            " AND lifted_at IS NULL AND (until IS NULL OR until > ?)",
            (self.clock(), lifted_by, guild_id, user_id, self.clock()),
        )
        return changed

    # -- warnings that wait for the member -------------------------------------------------

    async def add_pending_warning(self, guild_id: int, user_id: int, text: str) -> None:
        await self.db.write(
            "INSERT INTO pending_warnings (guild_id, user_id, text, created_at) VALUES (?,?,?,?)",
            (guild_id, user_id, text, self.clock()),
        )

    async def pending_warnings(self, guild_id: int, user_id: int) -> list[tuple[int, str]]:
        """The member's warnings not shown yet, (id, text) oldest first."""
        rows = await self._all(
            "SELECT id, text FROM pending_warnings WHERE guild_id = ? AND user_id = ?"
            " AND shown_at IS NULL ORDER BY id",
            (guild_id, user_id),
        )
        return [(r[0], r[1]) for r in rows]

    async def warnings_shown(self, ids: list[int]) -> None:
        """Those warnings reached the member: never shown again."""
        if not ids:
            return
        marks = ",".join("?" * len(ids))
        await self.db.write(
            f"UPDATE pending_warnings SET shown_at = ? WHERE id IN ({marks}) AND shown_at IS NULL",
            (self.clock(), *ids),
        )

    # -- audit log -------------------------------------------------------------------------

    async def audit(
        self,
        guild_id: int,
        actor_id: int | None,
        action: str,
        *,
        user_id: int | None = None,
        incident_id: int | None = None,
        block_id: int | None = None,
        reason: str | None = None,
    ) -> None:
        await self.db.write(
            "INSERT INTO moderation_audit (guild_id, actor_id, action, user_id, incident_id,"
            " block_id, reason, created_at) VALUES (?,?,?,?,?,?,?,?)",
            (guild_id, actor_id, action, user_id, incident_id, block_id, reason, self.clock()),
        )

    async def audit_for(self, guild_id: int, user_id: int, limit: int = 20) -> list[AuditEntry]:
        rows = await self._all(
            "SELECT * FROM moderation_audit WHERE guild_id = ? AND user_id = ?"
            " ORDER BY id DESC LIMIT ?",
            (guild_id, user_id, limit),
        )
        return [AuditEntry.from_row(r) for r in rows]
