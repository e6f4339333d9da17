"""Account outages: when Tencent Cloud refused the account, why, and who was told.

The engine writes `service_outages` (its outage watch is the only writer); the Discord
front end writes `outage_notices`, one row per server whose log channel was told.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from .base import Database


@dataclass(frozen=True)
class Outage:
    id: int
    code: str
    message: str
    started_at: float
    ended_at: float | None = None


class OutageStore:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self._clock = clock

    async def begin(self, code: str, message: str) -> Outage:
        now = self._clock()
        outage_id = await self.db.insert(
            "INSERT INTO service_outages (code, message, started_at) VALUES (?, ?, ?)",
            (code, message[:1000], now),
        )
        return Outage(outage_id, code, message[:1000], now)

    async def end(self, outage_id: int) -> None:
        await self.db.write(
            "UPDATE service_outages SET ended_at = ? WHERE id = ? AND ended_at IS NULL",
            (self._clock(), outage_id),
        )

    async def current(self) -> Outage | None:
        """The outage still going on, if any (the newest, should there be several)."""
        row = await self.db.fetchone(
            "SELECT id, code, message, started_at FROM service_outages"
            " WHERE ended_at IS NULL ORDER BY id DESC LIMIT 1"
        )
        return None if row is None else Outage(row[0], row[1], row[2] or "", row[3])

    async def told(self, outage_id: int) -> set[int]:
        """The servers whose log channel was told of this outage."""
        rows = await self.db.fetchall(
            "SELECT guild_id FROM outage_notices WHERE outage_id = ?", (outage_id,)
        )
        return {row[0] for row in rows}

    async def mark_told(self, outage_id: int, guild_id: int) -> None:
        await self.db.write(
            "INSERT INTO outage_notices (outage_id, guild_id, posted_at) VALUES (?, ?, ?)",
            (outage_id, guild_id, self._clock()),
        )
