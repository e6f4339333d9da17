"""Appeal rows: this store is the only writer of the appeals table. Every read and write
names its server."""

from __future__ import annotations

import time
from collections.abc import Callable

from ..storage.base import Database
from .models import Appeal, AppealStatus, Block


class AppealStore:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    async def _appeals(self, sql: str, params: tuple) -> list[Appeal]:
        return [Appeal.from_row(row) for row in await self.db.fetchall(sql, params)]

    async def add(self, block: Block) -> Appeal | None:
        """The appeal, written; None if this block was appealed already (one per block)."""
        added = await self.db.write(
            "INSERT INTO appeals (block_id, guild_id, user_id, created_at) VALUES (?,?,?,?)"
            " ON CONFLICT (block_id) DO NOTHING",
            (block.id, block.guild_id, block.user_id, self.clock()),
        )
        if added != 1:
            return None
        return await self.of_block(block.guild_id, block.id)

    async def get(self, guild_id: int, appeal_id: int) -> Appeal | None:
        found = await self._appeals(
            "SELECT * FROM appeals WHERE id = ? AND guild_id = ?", (appeal_id, guild_id)
        )
        return found[0] if found else None

    async def of_block(self, guild_id: int, block_id: int) -> Appeal | None:
        found = await self._appeals(
            "SELECT * FROM appeals WHERE block_id = ? AND guild_id = ?", (block_id, guild_id)
        )
        return found[0] if found else None

    async def decide(
        self, guild_id: int, appeal_id: int, status: AppealStatus, decided_by: int
    ) -> bool:
        """Close an open appeal; False if someone decided it already (one decision wins)."""
        changed = await self.db.write(
            "UPDATE appeals SET status = ?, decided_by = ?, decided_at = ?"
            " WHERE id = ? AND guild_id = ? AND status = 'open'",
            (status.value, decided_by, self.clock(), appeal_id, guild_id),
        )
        return changed == 1

    async def set_post(self, appeal_id: int, channel_id: int, message_id: int) -> None:
        await self.db.write(
            "UPDATE appeals SET log_channel_id = ?, log_message_id = ? WHERE id = ?",
            (channel_id, message_id, appeal_id),
        )

    async def listed(
        self, guild_id: int, status: AppealStatus | None, *, limit: int, offset: int
    ) -> list[Appeal]:
        """A server's appeals, newest first, optionally of one status."""
        where, params = (
            ("guild_id = ? AND status = ?", (guild_id, status.value))
            if status
            else (
                "guild_id = ?",
                (guild_id,),
            )
        )
        return await self._appeals(
            f"SELECT * FROM appeals WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )

    async def count(self, guild_id: int, status: AppealStatus | None) -> int:
        sql = "SELECT COUNT(*) FROM appeals WHERE guild_id = ?"
        params: tuple = (guild_id,)
        if status is not None:
            sql, params = sql + " AND status = ?", (guild_id, status.value)
        return int(await self.db.fetchval(sql, params))

    async def unposted(self, since: float, until: float) -> list[Appeal]:
        """Open appeals made in [since, until) that never reached a log channel."""
        return await self._appeals(
            "SELECT * FROM appeals WHERE status = 'open' AND log_message_id IS NULL"
            " AND created_at >= ? AND created_at < ? ORDER BY id",
            (since, until),
        )
