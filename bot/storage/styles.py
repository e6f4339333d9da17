"""A server's own styles (`guild_styles`): the only writer of the table.

Read at every ask that names a style and at every autocomplete keystroke: one indexed
read (the table's key is the server and the folded name), so nothing is cached. Names are
folded by the caller (`asks.styles.name_key`): "Ghibli" and "ghibli" are one style.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from .base import Database


@dataclass(frozen=True)
class StyleRow:
    name: str  # as its admin typed it
    prompt: str
    negative_prompt: str | None


class StyleStore:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self._clock = clock

    async def all(self, guild_id: int) -> list[StyleRow]:
        """The server's styles, by name."""
        rows = await self.db.fetchall(
            "SELECT name, prompt, negative_prompt FROM guild_styles WHERE guild_id = ?"
            " ORDER BY name_key",
            (guild_id,),
        )
        return [StyleRow(r[0], r[1], r[2]) for r in rows]

    async def get(self, guild_id: int, key: str) -> StyleRow | None:
        row = await self.db.fetchone(
            "SELECT name, prompt, negative_prompt FROM guild_styles"
            " WHERE guild_id = ? AND name_key = ?",
            (guild_id, key),
        )
        return None if row is None else StyleRow(row[0], row[1], row[2])

    async def add(self, guild_id: int, key: str, style: StyleRow, user_id: int) -> bool:
        """Keep a new style; False (nothing written) when the server has one of that name."""
        written = await self.db.write(
            "INSERT INTO guild_styles"
            " (guild_id, name_key, name, prompt, negative_prompt, created_by, created_at)"
            " VALUES (?,?,?,?,?,?,?) ON CONFLICT (guild_id, name_key) DO NOTHING",
            (
                guild_id,
                key,
                style.name,
                style.prompt,
                style.negative_prompt,
                user_id,
                self._clock(),
            ),
        )
        return written == 1

    async def remove(self, guild_id: int, key: str) -> bool:
        removed = await self.db.write(
            "DELETE FROM guild_styles WHERE guild_id = ? AND name_key = ?", (guild_id, key)
        )
        return removed == 1

    async def count(self, guild_id: int) -> int:
        found = await self.db.fetchval(
            "SELECT COUNT(*) FROM guild_styles WHERE guild_id = ?", (guild_id,)
        )
        return int(found or 0)
