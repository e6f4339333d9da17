"""/queue with thousands of unfinished jobs answers far within Discord's 3 seconds."""

from __future__ import annotations

import time
from typing import Any

import aiohttp
import pytest

from bot.discord_app.listings import ListingViews
from bot.mps.signer import Credentials
from bot.runtime import build_engine
from bot.services.listings import JobListings
from bot.services.members import Member
from bot.storage.base import Database
from bot.storage.database import open_database
from bot.storage.messages import JobMessages

from .conftest import fast_tunables, test_database


class CountingDb(Database):
    def __init__(self, db: Database) -> None:
        self._db = db
        self.dialect = db.dialect
        self.reads = 0

    async def _run(self, sql: str, params: Any, *, returning_id: bool) -> Any:
        self.reads += sql.lstrip().upper().startswith("SELECT")
        return await self._db._run(sql, params, returning_id=returning_id)

    def transaction(self, lock: str | None = None) -> Any:
        return self._db.transaction(lock)

    async def executemany(self, sql: str, rows: Any) -> None:
        await self._db.executemany(sql, rows)

    async def close(self) -> None:
        await self._db.close()


async def _fill(db, total: int) -> None:
    now = time.time()
    rows = [
        ("image", i % 200, i % 997, "queued", "Hunyuan", f"job {i}", "{}", now, now)
        for i in range(total)
    ]
    # The member asking: five jobs of their own among everyone else's.
    rows += [("image", 5, 4242, "queued", "Hunyuan", f"mine {i}", "{}", now, now) for i in range(5)]
    await db.executemany(
        "INSERT INTO jobs (kind, guild_id, user_id, state, model, prompt, request_json,"
        " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
        rows,
    )
    await db.commit()


@pytest.mark.parametrize("total", [2_000, 10_000])
async def test_queue_reads_only_the_members_own_jobs(tmp_path, total: int) -> None:
    db = await open_database(test_database(tmp_path / "db.sqlite3"))
    try:
        await _fill(db, total)
        async with aiohttp.ClientSession() as session:
            engine = build_engine(
                session=session,
                db=db,
                credentials=Credentials("id", "key"),
                endpoint="http://127.0.0.1:9",
                tunables=fast_tunables(),
                results_dir=tmp_path / "results",
            )
            engine.stop_submitting()  # only the answer to /queue is measured here
            await engine.start()
            try:
                counting = CountingDb(db)
                engine.store.db = counting
                listings = ListingViews(
                    listings=JobListings(
                        engine=engine, store=engine.store, tunables=fast_tunables()
                    ),
                    messages=JobMessages(counting),
                    tunables=fast_tunables(),
                )
                own = 5
                asker = Member(guild_id=5, user_id=4242, locale="en-US")
                started = time.perf_counter()
                embed, _ = await listings.queue(asker)
                took = time.perf_counter() - started
            finally:
                await engine.close(grace=0)
        assert counting.reads <= 2 * own + 2  # one job (and its results) per own job
        assert took < 0.5, took
        assert embed.description.count("mine") == own
        assert embed.fields[0].value  # the server's counts are shown
    finally:
        await db.close()
