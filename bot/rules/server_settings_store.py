"""Every server's settings in the database, and the only writer of their tables.

A server's settings are rows of `guild_settings` (one per setting it chose, the value as
JSON), plus `guild_role_limits`, `guild_user_limits` and `guild_channels`. All servers'
settings are read once at start (`load`) and kept in memory, because the engine asks for
queue and running limits without awaiting. Every change is written, and the server's entry
in memory is replaced as soon as the write returns, so it takes effect at once. Values are
checked before they get here (`server_settings.check_setting`, by the admin service).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

from ..config.tunables import Tunables
from ..storage.base import Database
from .server_settings import SETTINGS, ServerSettings, decode


class ServerSettingsStore:
    def __init__(
        self,
        db: Database,
        tunables: Tunables,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.tunables = tunables
        self._clock = clock
        self._servers: dict[int, ServerSettings] = {}
        # Told of each server whose settings changed here (other processes reload it).
        self.announce: Callable[[int], Awaitable[None]] | None = None
        self._reloading = asyncio.Lock()

    def get(self, guild_id: int) -> ServerSettings:
        found = self._servers.get(guild_id)
        if found is None:
            # A server that set nothing: its defaults, made once (the fair queue asks often).
            found = self._servers[guild_id] = ServerSettings.defaults(guild_id, self.tunables)
        return found

    def log_channels(self) -> dict[int, int]:
        """Every server that has a moderation log channel: guild id -> channel id."""
        return {
            guild_id: server.log_channel_id
            for guild_id, server in self._servers.items()
            if server.log_channel_id is not None
        }

    async def load(self) -> None:
        self._servers = {}
        for guild_id in await self._guild_ids():
            self._servers[guild_id] = await self._read(guild_id)

    async def _guild_ids(self) -> set[int]:
        ids: set[int] = set()
        for sql in (
            "SELECT DISTINCT guild_id FROM guild_settings",
            "SELECT DISTINCT guild_id FROM guild_role_limits",
            "SELECT DISTINCT guild_id FROM guild_user_limits",
            "SELECT DISTINCT guild_id FROM guild_channels",
        ):
            ids |= await self._column(sql)
        return ids

    async def _column(self, sql: str, *args: object) -> set[Any]:
        return {row[0] for row in await self.db.fetchall(sql, args)}

    async def _pairs(self, sql: str, *args: object) -> dict[Any, Any]:
        return {row[0]: row[1] for row in await self.db.fetchall(sql, args)}

    async def _read(self, guild_id: int) -> ServerSettings:
        stored = await self._pairs(
            "SELECT name, value_json FROM guild_settings WHERE guild_id = ?", guild_id
        )
        # A row of a setting this release does not know is kept, and ignored.
        chosen = {
            name: decode(name, json.loads(v)) for name, v in stored.items() if name in SETTINGS
        }
        return replace(
            ServerSettings.defaults(guild_id, self.tunables),
            **chosen,
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
            chosen=frozenset(chosen),
        )

    async def _write(self, guild_id: int, sql: str, args: tuple, after: ServerSettings) -> None:
        """One statement, then the server's entry in memory becomes `after` at once, before
        anything else runs: a request that follows the change sees it.

        One statement per change, so a change is whole without a transaction."""
        await self.db.write(sql, args)
        self._servers[guild_id] = after
        if self.announce is not None:
            await self.announce(guild_id)

    async def reload(self, guild_id: int) -> None:
        """Read one server's settings again (another process changed them). One read at a
        time, so two changes heard in a row land in their order."""
        async with self._reloading:
            self._servers[guild_id] = await self._read(guild_id)

    # -- changes ---------------------------------------------------------------------------

    async def set(self, guild_id: int, values: Mapping[str, Any]) -> ServerSettings:
        """Set named settings (checked already); None puts a setting back to its default."""
        for name in values:
            if name not in SETTINGS:
                raise KeyError(name)
        gone = [name for name, value in values.items() if value is None]
        kept = {name: value for name, value in values.items() if value is not None}
        if kept:
            now = self._clock()
            rows = ",".join("(?,?,?,?)" for _ in kept)
            args = [x for n, v in kept.items() for x in (guild_id, n, json.dumps(_stored(v)), now)]
            await self._write(
                guild_id,
                "INSERT INTO guild_settings (guild_id, name, value_json, updated_at)"
                f" VALUES {rows} ON CONFLICT (guild_id, name)"
                " DO UPDATE SET value_json = excluded.value_json,"
                " updated_at = excluded.updated_at",
                tuple(args),
                self._chosen(guild_id, kept),
            )
        if gone:
            marks = ",".join("?" * len(gone))
            await self._write(
                guild_id,
                f"DELETE FROM guild_settings WHERE guild_id = ? AND name IN ({marks})",
                (guild_id, *gone),
                self._defaulted(guild_id, gone),
            )
        return self.get(guild_id)

    def _chosen(self, guild_id: int, values: Mapping[str, Any]) -> ServerSettings:
        current = self.get(guild_id)
        return replace(current, **values, chosen=current.chosen | set(values))

    def _defaulted(self, guild_id: int, names: list[str]) -> ServerSettings:
        current = self.get(guild_id)
        defaults = ServerSettings.defaults(guild_id, self.tunables)
        back = {name: defaults.value(name) for name in names}
        return replace(current, **back, chosen=current.chosen - set(names))

    async def set_role_limit(
        self, guild_id: int, role_id: int, daily: int | None
    ) -> ServerSettings:
        limits = dict(self.get(guild_id).role_limits)
        if daily is None:
            limits.pop(role_id, None)
            sql = "DELETE FROM guild_role_limits WHERE guild_id = ? AND role_id = ?"
            args: tuple = (guild_id, role_id)
        else:
            limits[role_id] = daily
            sql = (
                "INSERT INTO guild_role_limits (guild_id, role_id, daily_per_user)"
                " VALUES (?,?,?) ON CONFLICT (guild_id, role_id)"
                " DO UPDATE SET daily_per_user = excluded.daily_per_user"
            )
            args = (guild_id, role_id, daily)
        await self._write(guild_id, sql, args, replace(self.get(guild_id), role_limits=limits))
        return self.get(guild_id)

    async def set_user_limit(
        self, guild_id: int, user_id: int, daily: int | None
    ) -> ServerSettings:
        limits = dict(self.get(guild_id).user_limits)
        if daily is None:
            limits.pop(user_id, None)
            sql = "DELETE FROM guild_user_limits WHERE guild_id = ? AND user_id = ?"
            args: tuple = (guild_id, user_id)
        else:
            limits[user_id] = daily
            sql = (
                "INSERT INTO guild_user_limits (guild_id, user_id, daily_per_user)"
                " VALUES (?,?,?) ON CONFLICT (guild_id, user_id)"
                " DO UPDATE SET daily_per_user = excluded.daily_per_user"
            )
            args = (guild_id, user_id, daily)
        await self._write(guild_id, sql, args, replace(self.get(guild_id), user_limits=limits))
        return self.get(guild_id)

    async def set_channel(self, guild_id: int, channel_id: int, allowed: bool) -> ServerSettings:
        channels = set(self.get(guild_id).channels)
        if allowed:
            channels.add(channel_id)
            sql = (
                "INSERT INTO guild_channels (guild_id, channel_id) VALUES (?,?)"
                " ON CONFLICT (guild_id, channel_id) DO NOTHING"
            )
        else:
            channels.discard(channel_id)
            sql = "DELETE FROM guild_channels WHERE guild_id = ? AND channel_id = ?"
        after = replace(self.get(guild_id), channels=frozenset(channels))
        await self._write(guild_id, sql, (guild_id, channel_id), after)
        return self.get(guild_id)


def _stored(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
