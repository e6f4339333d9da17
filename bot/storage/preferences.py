"""A member's own defaults (`member_preferences`): the only writer of the table.

One row per preference a member set in a server, its value as JSON; read at every fresh
ask (one indexed read), so a change applies to the next ask at once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .base import Database


class PreferenceStore:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self._clock = clock

    async def get(self, guild_id: int, user_id: int) -> dict[str, Any]:
        """The member's preferences by name (a name this release does not know included)."""
        rows = await self.db.fetchall(
            "SELECT name, value_json FROM member_preferences WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        return {r[0]: json.loads(r[1]) for r in rows}

    async def set(self, guild_id: int, user_id: int, values: Mapping[str, Any]) -> None:
        """Set the named preferences (checked already), in one statement."""
        if not values:
            return
        now = self._clock()
        rows = ",".join("(?,?,?,?,?)" for _ in values)
        args = [
            x
            for name, value in values.items()
            for x in (guild_id, user_id, name, json.dumps(value, ensure_ascii=False), now)
        ]
        await self.db.write(
            "INSERT INTO member_preferences (guild_id, user_id, name, value_json, updated_at)"
            f" VALUES {rows} ON CONFLICT (guild_id, user_id, name)"
            " DO UPDATE SET value_json = excluded.value_json, updated_at = excluded.updated_at",
            args,
        )

    async def clear(self, guild_id: int, user_id: int, names: Iterable[str] | None = None) -> int:
        """Forget the named preferences (None: every one); how many were set."""
        if names is None:
            return await self.db.write(
                "DELETE FROM member_preferences WHERE guild_id = ? AND user_id = ?",
                (guild_id, user_id),
            )
        chosen = list(names)
        if not chosen:
            return 0
        marks = ",".join("?" * len(chosen))
        return await self.db.write(
            "DELETE FROM member_preferences WHERE guild_id = ? AND user_id = ?"
            f" AND name IN ({marks})",
            (guild_id, user_id, *chosen),
        )
