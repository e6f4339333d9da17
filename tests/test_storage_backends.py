"""The storage layer on SQLite and on PostgreSQL alike: the same calls, the same rows."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config.tunables import Tunables
from bot.mps.models import TaskKind
from bot.refusal import Refusal
from bot.reports.usage import build_usage
from bot.rules.asks import Ask
from bot.rules.quotas import QuotaBook
from bot.rules.rulebook import Rulebook
from bot.rules.server_settings_store import ServerSettingsStore
from bot.storage.database import IntegrityError, lock_key, open_database
from bot.storage.jobs import JobState, JobStore, ResultFile
from bot.storage.messages import JobMessages
from bot.storage.outages import OutageStore
from bot.storage.sql import run
from bot.storage.usage import UsageReader

from .databases import postgresql_url

SNOWFLAKE = 1_234_567_890_123_456_789  # Discord ids are 64-bit


@pytest.fixture
async def db(both_databases: Path | str):
    database = await open_database(both_databases)
    try:
        yield database
    finally:
        await database.close()


async def test_jobs_round_trip_with_snowflake_ids(db) -> None:
    store = JobStore(db)
    first = await store.create(
        kind=TaskKind.IMAGE,
        guild_id=SNOWFLAKE,
        user_id=SNOWFLAKE + 1,
        model="Hunyuan",
        prompt="雪 cat",
        request={"Prompt": "雪 cat"},
        options={"count": 3},
        units=3,
    )
    assert (first.guild_id, first.user_id, first.units, first.state) == (
        SNOWFLAKE,
        SNOWFLAKE + 1,
        3,
        JobState.QUEUED,
    )
    second = await store.create(
        kind=TaskKind.VIDEO, guild_id=SNOWFLAKE, user_id=7, model="Kling", prompt=None, request={}
    )
    assert second.id > first.id and second.units == 1
    # Guarded moves: only from an expected state.
    assert await store.transition(first.id, [JobState.QUEUED], JobState.RUNNING, task_id="t-1")
    assert not await store.transition(first.id, [JobState.QUEUED], JobState.CANCELLED)
    await store.update(first.id, submitted_at=1000.5, mps_final_at=1090.0, mps_status="DONE")
    files = [ResultFile(first.id, i, f"/r/{i}", f"{i}.png", "image/png", 10, "ab") for i in (0, 1)]
    await store.add_results(files)
    await store.add_results(files[:1])  # a retried download replaces the earlier files
    unfinished = await store.unfinished()
    assert [j.id for j in unfinished] == [first.id, second.id]
    assert [r.filename for r in unfinished[0].results] == ["0.png"]
    assert (await store.get(first.id)).request == {"Prompt": "雪 cat"}
    assert [j.id for j in await store.history(SNOWFLAKE, SNOWFLAKE + 1)] == [first.id]
    assert await store.count_history(SNOWFLAKE, 7) == 1
    assert await store.recent_durations("Hunyuan", TaskKind.IMAGE) == [89.5]
    messages = JobMessages(db)
    await messages.remember(first.id, SNOWFLAKE, 5)
    await messages.remember(first.id, SNOWFLAKE, 6)  # moved: one row, the latest message
    assert (await messages.get(first.id)).message_id == 6


async def test_an_account_outage_and_who_was_told_of_it(db) -> None:
    store = OutageStore(db, clock=lambda: 50.0)
    assert await store.current() is None
    outage = await store.begin("FailedOperation.UserArrears", "in arrears " * 200)
    assert (outage.code, len(outage.message), outage.started_at) == (
        "FailedOperation.UserArrears",
        1000,
        50.0,
    )
    assert await store.current() == outage
    await store.mark_told(outage.id, SNOWFLAKE)
    with pytest.raises(IntegrityError):
        await store.mark_told(outage.id, SNOWFLAKE)  # each server is told once
    assert await store.told(outage.id) == {SNOWFLAKE}
    await store.end(outage.id)
    assert await store.current() is None
    assert (await store.begin("AuthFailure.SecretIdNotFound", "")).id > outage.id


async def test_the_older_call_shapes_still_work(db) -> None:
    cur = await db.execute(
        "INSERT INTO guild_channels (guild_id, channel_id) VALUES (?, ?)", (SNOWFLAKE, 1)
    )
    assert cur.rowcount == 1
    await db.executemany(
        "INSERT INTO guild_channels (guild_id, channel_id) VALUES (?, ?)",
        [(SNOWFLAKE, 2), (SNOWFLAKE, 3)],
    )
    await db.commit()
    async with db.execute(
        "SELECT channel_id FROM guild_channels WHERE guild_id = ? ORDER BY channel_id",
        (SNOWFLAKE,),
    ) as cur:
        assert (await cur.fetchone())[0] == 1
        assert [r["channel_id"] for r in await cur.fetchall()] == [2, 3]
    ran = await run(db, "DELETE FROM guild_channels WHERE channel_id > ?", (1,))
    assert ran.rowcount == 2
    ran = await run(
        db,
        "INSERT INTO pending_warnings (guild_id, user_id, text, created_at) VALUES (?,?,?,?)",
        (1, 2, "a '?' in text", 3.0),
    )
    assert ran.lastrowid is not None
    row = await db.fetchone("SELECT text FROM pending_warnings WHERE id = ?", (ran.lastrowid,))
    assert row["text"] == row[0] == "a '?' in text" and dict(row) == {"text": "a '?' in text"}


async def test_a_transaction_is_all_or_nothing_and_keeps_others_out(db) -> None:
    class Boom(Exception):
        pass

    async def outside() -> None:
        # Another coroutine's statement while the transaction is open: never part of it.
        await db.write("INSERT INTO guild_channels (guild_id, channel_id) VALUES (2, 2)")

    with pytest.raises(Boom):
        async with db.transaction(lock="test") as tx:
            await tx.write("INSERT INTO guild_channels (guild_id, channel_id) VALUES (1, 1)")
            other = asyncio.create_task(outside())
            await asyncio.sleep(0.05)
            raise Boom
    await other
    assert [tuple(r) for r in await db.fetchall("SELECT * FROM guild_channels")] == [(2, 2)]


async def test_a_broken_constraint_is_one_error_type_on_both(db) -> None:
    await db.write("INSERT INTO guild_channels (guild_id, channel_id) VALUES (1, 1)")
    for again in (IntegrityError, sqlite3.IntegrityError):  # older code catches sqlite3's
        with pytest.raises(again):
            await db.write("INSERT INTO guild_channels (guild_id, channel_id) VALUES (1, 1)")


async def test_usage_is_summed_by_the_database_per_local_day(db) -> None:
    # New York across the spring change (2026-03-08, a 23-hour day), jobs near midnight.
    zone = ZoneInfo("America/New_York")
    now = dt.datetime(2026, 3, 10, 12, tzinfo=zone).timestamp()
    store = JobStore(db, clock=lambda: now)
    seeded = []
    moments = [
        dt.datetime(2026, 3, 7, 23, 59, 59, 900_000, tzinfo=zone),
        dt.datetime(2026, 3, 8, 0, 0, 0, tzinfo=zone),
        dt.datetime(2026, 3, 8, 1, 59, tzinfo=zone),
        dt.datetime(2026, 3, 8, 3, 1, tzinfo=zone),  # after the change (EDT)
        dt.datetime(2026, 3, 8, 23, 59, 59, tzinfo=zone),
        dt.datetime(2026, 3, 9, 0, 0, 1, tzinfo=zone),
        dt.datetime(2026, 3, 10, 11, 0, tzinfo=zone),
        dt.datetime(2026, 2, 1, 12, tzinfo=zone),  # outside 7 days
    ]
    for i, when in enumerate(moments):
        kind = TaskKind.VIDEO if i == 3 else TaskKind.IMAGE
        job = await store.create(
            kind=kind,
            guild_id=SNOWFLAKE,
            user_id=100 + i % 3,
            model="Kling" if kind is TaskKind.VIDEO else ("Qwen" if i % 2 else "Hunyuan"),
            prompt="p",
            request={},
            units=1 + i % 4,
        )
        await store.update(job.id, state=JobState.DELIVERED, submitted_at=when.timestamp())
        seeded.append((when, job))
    failed = await store.create(
        kind=TaskKind.IMAGE, guild_id=SNOWFLAKE, user_id=1, model="Qwen", prompt="p", request={}
    )
    await store.update(
        failed.id, state=JobState.FAILED, error_category="content_violation", finished_at=now
    )
    other = await store.create(
        kind=TaskKind.IMAGE, guild_id=5, user_id=1, model="Qwen", prompt="p", request={}
    )
    await store.update(other.id, state=JobState.DELIVERED, submitted_at=now - 60)

    report = await build_usage(
        UsageReader(db),
        SNOWFLAKE,
        days=7,
        timezone="America/New_York",
        models=Tunables().models,
        now=now,
    )
    # The same figures, worked out in Python from what was seeded.
    first = dt.date(2026, 3, 4)
    inside = [(w, j) for w, j in seeded if w.date() >= first]
    per_day = Counter(w.date() for w, j in inside for _ in range(j.units) if j.kind == "image")
    days = [first + dt.timedelta(days=i) for i in range(7)]
    assert [(d.day, d.images) for d in report.days] == [(day, per_day[day]) for day in days]
    videos = Counter(w.date() for w, j in inside for _ in range(j.units) if j.kind == "video")
    assert [d.videos for d in report.days] == [videos[day] for day in days]
    # Just before and at midnight; the 23-hour day holds 2 + 3 + 1 images.
    assert (report.days[3].day, report.days[3].images) == (dt.date(2026, 3, 7), 1)
    assert report.days[4].images == 6
    per_model = Counter()
    per_user = Counter()
    for _, job in inside:
        per_model[job.model] += job.units
        per_user[job.user_id] += job.units
    assert dict(report.by_model) == dict(per_model)
    assert report.top_users == sorted(per_user.items(), key=lambda u: (-u[1], u[0]))
    assert report.images == sum(j.units for _, j in inside if j.kind == "image")
    assert report.videos == 4  # the one video billed 4 units (a video bills its units too)
    assert (report.failures, report.moderation) == (1, 1)


async def test_admissions_from_two_processes_never_pass_a_quota_together(
    both_databases: Path | str,
) -> None:
    # Two handles on one database stand for two bot processes admitting into one server.
    handles = [await open_database(both_databases) for _ in range(2)]
    try:
        sides = []
        for db in handles:
            settings = ServerSettingsStore(db, Tunables())
            sides.append(
                (
                    JobStore(db),
                    Rulebook(
                        Tunables().limits,
                        settings=settings,
                        quotas=QuotaBook(settings, UsageReader(db)),
                    ),
                    settings,
                )
            )
        await sides[0][2].set(SNOWFLAKE, {"daily_server": 3})
        await sides[1][2].load()

        async def ask(side: int, user: int) -> bool:
            store, rules, _ = sides[side]
            ask = Ask(SNOWFLAKE, user, TaskKind.IMAGE)
            try:
                await store.create(
                    kind=TaskKind.IMAGE,
                    guild_id=SNOWFLAKE,
                    user_id=user,
                    model="Hunyuan",
                    prompt="p",
                    request={},
                    confirm=lambda tx, ask=ask, rules=rules: rules.confirm(ask, tx),
                )
            except Refusal as exc:
                assert exc.key == "admin.refused.daily_server"
                return False
            return True

        admitted = await asyncio.gather(*(ask(i % 2, 10 + i) for i in range(12)))
        assert sum(admitted) == 3
        assert await handles[0].fetchval("SELECT COUNT(*) FROM jobs") == 3
    finally:
        for db in handles:
            await db.close()


async def test_batches_from_two_processes_are_admitted_whole_or_not_at_all(
    both_databases: Path | str,
) -> None:
    # Asks for 3 images each (batches of 3 jobs) against 7 a day for the server: two fit,
    # whichever process they come through; the rest are refused whole, nothing written.
    handles = [await open_database(both_databases) for _ in range(2)]
    try:
        sides = []
        for db in handles:
            settings = ServerSettingsStore(db, Tunables())
            quotas = QuotaBook(settings, UsageReader(db))
            rules = Rulebook(Tunables().limits, settings=settings, quotas=quotas)
            sides.append((JobStore(db), rules, settings))
        await sides[0][2].set(SNOWFLAKE, {"daily_server": 7})
        await sides[1][2].load()
        job = {"kind": TaskKind.IMAGE, "guild_id": SNOWFLAKE, "model": "Hunyuan"}

        async def ask(side: int, user: int) -> list[int] | str:
            store, rules, _ = sides[side]
            ask = Ask(SNOWFLAKE, user, TaskKind.IMAGE, units=3)
            rows = [{**job, "user_id": user, "prompt": "p", "request": {}}] * 3
            try:
                jobs = await store.create_batch(
                    rows, confirm=lambda tx, ask=ask, rules=rules: rules.confirm(ask, tx)
                )
            except Refusal as exc:
                return f"{exc.key} {exc.params['used']}+{exc.params['asked']}"
            return [j.id for j in jobs]

        answers = await asyncio.gather(*(ask(i % 2, 10 + i) for i in range(6)))
        admitted = [a for a in answers if isinstance(a, list)]
        assert len(admitted) == 2
        assert (
            sorted(a for a in answers if isinstance(a, str))
            == ["admin.refused.daily_server 6+3"] * 4
        )
        rows = await handles[0].fetchall(
            "SELECT id, batch_id, batch_index, batch_size, units FROM jobs ORDER BY id"
        )
        assert [tuple(r) for r in rows] == [
            (i, ids[0], n, 3, 1) for ids in sorted(admitted) for n, i in enumerate(ids)
        ]
    finally:
        for db in handles:
            await db.close()


async def test_a_dedicated_postgresql_connection_holds_a_lock_and_hears_notices() -> None:
    # What several processes on one database will build on: a session lock held by one
    # connection (a lease), and LISTEN on a connection nobody else uses.
    db = await open_database(postgresql_url())
    try:
        heard: asyncio.Queue[str] = asyncio.Queue()
        async with db.dedicated() as holder, db.dedicated() as other:
            key = lock_key("engine")
            assert await holder.fetchval("SELECT pg_try_advisory_lock(?)", (key,))
            assert not await other.fetchval("SELECT pg_try_advisory_lock(?)", (key,))
            await other.raw.add_listener("jobs", lambda *args: heard.put_nowait(args[-1]))
            await db.write("SELECT pg_notify('jobs', 'job 7')")
            assert await asyncio.wait_for(heard.get(), 5) == "job 7"
        # The holder closed: its lock went with it.
        async with db.dedicated() as later:
            assert await later.fetchval("SELECT pg_try_advisory_lock(?)", (key,))
    finally:
        await db.close()
