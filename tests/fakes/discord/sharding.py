"""Sharding as Discord does it: a session IDENTIFYs with ``shard: [shard_id, shard_count]``
and receives only the events of the guilds whose ``(guild_id >> 22) % shard_count`` is its
``shard_id``; direct messages and events of no guild go to shard 0.

https://discord.com/developers/docs/events/gateway#sharding
"""

from __future__ import annotations

import math
from typing import Any

from .models import snowflake

# Discord closes a session that would hold more guilds than this with 4011 Sharding required.
MAX_GUILDS_PER_SHARD = 2500
# ``GET /gateway/bot`` recommends about one shard per 1000 guilds.
GUILDS_PER_RECOMMENDED_SHARD = 1000
# Events whose guild is the payload's ``id`` rather than its ``guild_id``.
GUILD_OBJECT_EVENTS = {"GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"}


def shard_of(guild_id: int | None, shard_count: int) -> int:
    """The shard that receives a guild's events (events of no guild: shard 0)."""
    return 0 if guild_id is None else (guild_id >> 22) % shard_count


def recommended_shards(guild_count: int) -> int:
    return max(1, math.ceil(guild_count / GUILDS_PER_RECOMMENDED_SHARD))


def guild_id_on_shard(shard_id: int, shard_count: int) -> int:
    """A new unique snowflake for a guild that lands on ``shard_id`` of ``shard_count``: the
    timestamp part is moved forward by less than ``shard_count`` milliseconds."""
    if not 0 <= shard_id < shard_count:
        raise ValueError(f"shard {shard_id} is not one of {shard_count}")
    base = snowflake()
    stamp = base >> 22
    stamp += (shard_id - stamp) % shard_count
    return (stamp << 22) | (base & ((1 << 22) - 1))


def parse_shard(value: Any) -> tuple[int, int] | None:
    """``(shard_id, shard_count)`` from an IDENTIFY's ``shard`` (absent: the only shard), or
    ``None`` when Discord would close the session with 4010 Invalid shard."""
    if value is None:
        return 0, 1
    if not isinstance(value, list | tuple) or len(value) != 2:
        return None
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return None
    shard_id, shard_count = value
    if shard_count < 1 or not 0 <= shard_id < shard_count:
        return None
    return shard_id, shard_count


def event_guild_id(event: str, data: Any) -> int | None:
    """The guild an event belongs to, which decides the shard that receives it."""
    if not isinstance(data, dict):
        return None
    raw = data.get("id") if event in GUILD_OBJECT_EVENTS else data.get("guild_id")
    return int(raw) if raw else None
