"""Per-server settings in SQLite, and the only writer of their tables.

All servers' settings are read once at start (`load`) and kept in memory, because the
engine asks for queue and running limits without awaiting; every change is written in
one transaction and then replaces the server's entry, so it takes effect at once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import Any

import aiosqlite

from ..storage.sql import run
from .guild_settings import SETTINGS, GuildSettings


class SettingsStore:
    def __init__(
        self,
        db: aiosqlite.Connection,
        defaults: dict[str, Any],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.defaults = defaults
        self._clock = clock
        self._guilds: dict[int, GuildSettings] = {}

    def get(self, guild_id: int) -> GuildSettings:
        found = self._guilds.get(guild_id)
        return found if found is not None else GuildSettings(guild_id, self.defaults)

    async def load(self) -> None:
        self._guilds = {}
        for guild_id in await self._guild_ids():
            self._guilds[guild_id] = await self._read(guild_id)

    async def _guild_ids(self) -> set[int]:
        ids: set[int] = set()
        for table in ("guild_settings", "guild_role_limits", "guild_user_limits"):
            ids |= await self._column(f"SELECT DISTINCT guild_id FROM {table}")
        ids |= await self._column("SELECT DISTINCT guild_id FROM guild_channels")
        return ids

    async def _column(self, sql: str, *args: object) -> set[Any]:
        async with self.db.execute(sql, args) as cur:
            return {row[0] for row in await cur.fetchall()}

    async def _pairs(self, sql: str, *args: object) -> dict[Any, Any]:
        async with self.db.execute(sql, args) as cur:
            return {row[0]: row[1] for row in await cur.fetchall()}

    async def _read(self, guild_id: int) -> GuildSettings:
        values = await self._pairs(
            "SELECT name, value_json FROM guild_settings WHERE guild_id = ?", guild_id
        )
        return GuildSettings(
            guild_id,
            self.defaults,
            values={k: json.loads(v) for k, v in values.items() if k in SETTINGS},
            role_limits=await self._pairs(
                "SELECT role_id, daily_per_user FROM guild_role_limits WHERE guild_id = ?",
                guild_id,
            ),
            user_limits=await self._pairs(
                "SELECT user_id, daily_per_user FROM guild_user_limits WHERE guild_id = ?",
                guild_id,
            ),
            channels=frozenset(
                await self._column(
                    "SELECT channel_id FROM guild_channels WHERE guild_id = ?", guild_id
                )
            ),
            models=frozenset(json.loads(values.get("models", "[]"))),
        )

    async def _write(self, guild_id: int, sql: str, args: tuple) -> None:
        # One statement per change: the connection is shared, so a multi-statement
        # transaction could take other writers' statements in (or roll them back).
        await run(self.db, sql, args)
        self._guilds[guild_id] = await self._read(guild_id)

    # -- changes (validated by the caller: see guild_settings.check_*) ------------------

    async def set_values(self, guild_id: int, values: dict[str, Any]) -> GuildSettings:
        """Set named settings; a value of None goes back to the default."""
        for name in values:
            if name not in SETTINGS:
                raise KeyError(name)
        gone = [name for name, value in values.items() if value is None]
        kept = {name: value for name, value in values.items() if value is not None}
        if kept:
            now = self._clock()
            rows = ",".join("(?,?,?,?)" for _ in kept)
            args = [x for n, v in kept.items() for x in (guild_id, n, json.dumps(v), now)]
            await self._write(
                guild_id,
                "INSERT INTO guild_settings (guild_id, name, value_json, updated_at)"
                f" VALUES {rows} ON CONFLICT (guild_id, name)"
                " DO UPDATE SET value_json = excluded.value_json,"
                " updated_at = excluded.updated_at",
                tuple(args),
            )
        if gone:
            marks = ",".join("?" * len(gone))
            await self._write(
                guild_id,
                f"DELETE FROM guild_settings WHERE guild_id = ? AND name IN ({marks})",
                (guild_id, *gone),
            )
        return self.get(guild_id)

    async def set_role_limit(self, guild_id: int, role_id: int, daily: int | None) -> None:
        if daily is None:
            sql = "DELETE FROM guild_role_limits WHERE guild_id = ? AND role_id = ?"
            await self._write(guild_id, sql, (guild_id, role_id))
            return
        sql = (
            "INSERT INTO guild_role_limits (guild_id, role_id, daily_per_user) VALUES (?,?,?)"
            " ON CONFLICT (guild_id, role_id)"
            " DO UPDATE SET daily_per_user = excluded.daily_per_user"
        )
        await self._write(guild_id, sql, (guild_id, role_id, daily))

    async def set_user_limit(self, guild_id: int, user_id: int, daily: int | None) -> None:
        if daily is None:
            sql = "DELETE FROM guild_user_limits WHERE guild_id = ? AND user_id = ?"
            await self._write(guild_id, sql, (guild_id, user_id))
            return
        sql = (
            "INSERT INTO guild_user_limits (guild_id, user_id, daily_per_user) VALUES (?,?,?)"
            " ON CONFLICT (guild_id, user_id)"
            " DO UPDATE SET daily_per_user = excluded.daily_per_user"
        )
        await self._write(guild_id, sql, (guild_id, user_id, daily))

    async def set_channel(self, guild_id: int, channel_id: int, allowed: bool) -> None:
        if allowed:
            sql = (
                "INSERT INTO guild_channels (guild_id, channel_id) VALUES (?,?)"
                " ON CONFLICT (guild_id, channel_id) DO NOTHING"
            )
        else:
            sql = "DELETE FROM guild_channels WHERE guild_id = ? AND channel_id = ?"
        await self._write(guild_id, sql, (guild_id, channel_id))

    async def set_models(self, guild_id: int, models: Iterable[str]) -> None:
        """The models the server allows; an empty list allows every model."""
        chosen = sorted(set(models))
        await self.set_values(guild_id, {"models": chosen or None})
