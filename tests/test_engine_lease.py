"""The engine lease on PostgreSQL: one holder at a time, taken over when the holder's
connection ends, lost (and said so) by a holder whose connection is cut; the signals a
standby sends reach the holder only; a cancel made in the database takes a whole waiting
batch or nothing; a server's settings changed in one process reach the others."""

from __future__ import annotations

import asyncio

import pytest

from bot.config.tunables import Tunables
from bot.mps.models import TaskKind
from bot.rules.server_settings_store import ServerSettingsStore
from bot.rules.settings_sync import SettingsSync
from bot.storage.cancels import cancel_queued_batch
from bot.storage.database import open_database
from bot.storage.jobs import JobState, JobStore
from bot.storage.lease import (
    EngineLease,
    LeaseLost,
    Signal,
    Signals,
    cluster_parts,
    lease_holder,
)

from .databases import postgresql_url


@pytest.fixture
async def db():
    database = await open_database(postgresql_url())
    try:
        yield database
    finally:
        await database.close()


def lease(db, holder: str) -> EngineLease:
    return EngineLease(db, retry=0.05, check=0.2, holder=holder)


async def holder_names(db) -> list[str]:
    """Who holds an advisory lock as the engine, as an operator sees it."""
    rows = await db.fetchall(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE l.locktype = 'advisory' AND l.granted AND a.application_name LIKE ?"
        " AND a.datname = current_database()",
        ("mps-imagine engine%",),
    )
    return [r[0] for r in rows]


async def test_one_holder_and_a_standby_takes_over_when_the_holder_connection_ends(db) -> None:
    first, second, third = lease(db, "first"), lease(db, "second"), lease(db, "third")
    await first.acquire()
    waiting = asyncio.create_task(second.acquire())
    # A standby keeps asking and keeps being refused while the holder lives.
    assert not await third._try()
    assert not await third._try()
    await third.close()
    assert not waiting.done()
    assert await holder_names(db) == ["mps-imagine engine first"]
    assert await lease_holder(db) == "first"  # what `doctor` shows
    await first.close()  # a process that dies closes its connection the same way
    await asyncio.wait_for(waiting, 5)
    assert second.held
    assert await holder_names(db) == ["mps-imagine engine second"]
    await second.close()
    assert await lease_holder(db) is None


async def test_a_holder_whose_connection_is_cut_loses_the_lease_and_says_so(db) -> None:
    first, second = lease(db, "first"), lease(db, "second")
    await first.acquire()
    watch = asyncio.create_task(first.watch())
    backend = first._conn.raw.get_server_pid()
    # The database ends the holder's session (a restart, an operator, a network cut).
    assert await db.fetchval("SELECT pg_terminate_backend(?)", (backend,))
    with pytest.raises(LeaseLost):
        await asyncio.wait_for(watch, 5)
    await asyncio.wait_for(second.acquire(), 5)
    await first.close()
    await second.close()


async def test_signals_reach_the_holder_in_its_schema_only(db) -> None:
    holder = lease(db, "holder")
    await holder.acquire()
    heard: asyncio.Queue[Signal] = asyncio.Queue()
    await holder.listen(heard.put_nowait)
    other = await open_database(postgresql_url())  # another bot, in another schema
    try:
        sender = Signals(db)
        await Signals(other).send(Signal("job", 99))
        await sender.send(Signal("job", 7))
        await sender.send(Signal("cancel", 8))
        # Each says which process sent it (a process hears its own signals too).
        assert await asyncio.wait_for(heard.get(), 5) == Signal("job", 7, sender.origin)
        assert await asyncio.wait_for(heard.get(), 5) == Signal("cancel", 8, sender.origin)
        assert heard.empty()
        # The other bot has its own lease: both are held at once.
        theirs = lease(other, "theirs")
        assert await theirs._try()
        await theirs.close()
    finally:
        await other.close()
        await holder.close()


async def test_sqlite_has_no_lease(tmp_path) -> None:
    db = await open_database(tmp_path / "bot.sqlite3")
    try:
        assert cluster_parts(db, retry=1, check=1, holder="x") is None
    finally:
        await db.close()


async def queued_batch(store: JobStore, size: int) -> list[int]:
    row = {
        "kind": TaskKind.IMAGE,
        "guild_id": 1,
        "user_id": 2,
        "model": "Hunyuan",
        "prompt": "a kite",
        "request": {"Prompt": "a kite"},
    }
    return [job.id for job in await store.create_batch([row] * size)]


async def test_a_cancel_in_the_database_takes_a_waiting_batch_whole_or_not_at_all(
    both_databases,
) -> None:
    db = await open_database(both_databases)
    try:
        store = JobStore(db)
        waiting = await queued_batch(store, 3)
        started = await queued_batch(store, 2)
        assert await store.transition(started[1], [JobState.QUEUED], JobState.SUBMITTING)
        assert await cancel_queued_batch(db, waiting[0], now=100.0)
        assert not await cancel_queued_batch(db, started[0], now=100.0)
        assert not await cancel_queued_batch(db, waiting[0], now=100.0)  # already cancelled
        states = {job.id: job.state for job in await store.batch(waiting[0])}
        states |= {job.id: job.state for job in await store.batch(started[0])}
        assert states == {
            waiting[0]: JobState.CANCELLED,
            waiting[1]: JobState.CANCELLED,
            waiting[2]: JobState.CANCELLED,
            started[0]: JobState.QUEUED,
            started[1]: JobState.SUBMITTING,
        }
        # The engine moves a job to SUBMITTING from QUEUED only: a cancelled one stays.
        assert not await store.transition(waiting[0], [JobState.QUEUED], JobState.SUBMITTING)
    finally:
        await db.close()


async def test_a_settings_change_made_in_one_process_reaches_the_others() -> None:
    url = postgresql_url()
    tunables = Tunables()
    processes = []
    for _ in range(2):
        db = await open_database(url)
        store = ServerSettingsStore(db, tunables)
        parts = cluster_parts(db, retry=0.05, check=0.5, holder="t")
        assert parts is not None
        sync = SettingsSync(store, listener=parts.listener, signals=parts.signals)
        sync.start()
        await store.load()
        processes.append((db, store, sync))
    (_, here, _), (_, there, there_sync) = processes
    try:
        await asyncio.wait_for(there_sync.listener.listening.wait(), 5)
        assert there.get(7).daily_server == 0
        await here.set(7, {"daily_server": 40, "timezone": "Asia/Shanghai"})
        await asyncio.wait_for(there_sync.reloaded.wait(), 5)
        settled = there.get(7)
        assert (settled.daily_server, settled.timezone) == (40, "Asia/Shanghai")
    finally:
        for db, _, sync in processes:
            await sync.close()
            await db.close()
