"""Reading the moderation tables of a running bot's database, for end-to-end tests."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.moderation.models import Appeal, Incident
from bot.moderation.store import ModerationStore
from bot.storage.database import open_database
from tests.fakes.discord import FakeChannel, default_guild


def guild_with_log(name: str = "Fake Guild"):
    """The default guild with a #mod-log channel."""
    guild = default_guild(name=name)
    guild.channels.append(FakeChannel("mod-log", position=2))
    return guild


def log_post(fake, guild, prefix: str):
    """The next post in #mod-log with a button whose id starts with `prefix`."""
    channel = guild.channel("mod-log")
    return fake.wait_for_message(
        lambda m: m.channel_id == channel.id and any(c.startswith(prefix) for c in m.custom_ids()),
        timeout=20,
    )


async def private_answer(interaction):
    """The bot's first answer to an interaction, which must be private."""
    await interaction.wait_for_response()
    message = interaction.original or interaction.followups[0]
    assert message.ephemeral
    return message


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


async def stored_appeals(
    db_path: Path | str, guild_id: int, *, count: int, within: float = 10.0
) -> list[Appeal]:
    """The server's appeals once there are `count` of them (see `stored_incidents`)."""
    db = await open_database(db_path)
    try:
        async with asyncio.timeout(within):
            while True:
                rows = await db.fetchall(
                    "SELECT * FROM appeals WHERE guild_id = ? ORDER BY id", (guild_id,)
                )
                found = [Appeal.from_row(r) for r in rows]
                if len(found) >= count:
                    return found
                await asyncio.sleep(0.05)  # another process writes the rows
    finally:
        await db.close()
