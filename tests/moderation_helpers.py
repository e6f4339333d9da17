"""Reading the moderation tables of a running bot's database, for end-to-end tests."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.moderation.models import Incident
from bot.moderation.store import ModerationStore
from bot.storage.database import open_database


async def stored_incidents(
    db_path: Path | str, guild_id: int, *, count: int, within: float = 10.0
) -> list[Incident]:
    """The server's incidents once there are `count` of them.

    The bot records an incident as it hears of the failure, a moment after the member's
    message may show it: the rows are read again until they are there."""
    db = await open_database(db_path)
    try:
        store = ModerationStore(db)
        async with asyncio.timeout(within):
            # Another process writes the rows: there is no event to await here.
            while len(found := await store.incidents(guild_id, limit=100)) < count:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        return found
    finally:
        await db.close()
