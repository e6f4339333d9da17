"""A year of history for the storage benchmark, written straight into a database.

`jobs` jobs over the 366 days before `now`: one server (BIG) holds a third of them, the rest
spread over `guilds` servers. Rows look like the bot's own: JSON request and options of
realistic size, 10 % videos, 1-4 images per image job, 5 % failed (a fifth of those for
their content, each with its incident), and a few hundred unfinished jobs (queued and
running) for the start-up scan. The same seed gives the same history on both databases.

The database is first brought to schema version 7, the schema before the `units` column
(migration 8) and the usage indexes (migration 9), so that the baseline (the bot as it
was) is measured on the schema it had; the runner then migrates it (timed) and measures
the bot as it is.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import bot.storage.migrations as migrations_module
from bot.storage.base import Database
from bot.storage.database import open_database

BIG = 1_100_000_000_000_000_001  # a snowflake-sized server id
DAY = 86400
BEFORE_UNITS = 7  # the schema version before migrations 8 (units) and 9 (usage indexes)

IMAGE_MODELS = ("Hunyuan", "Qwen", "Kling", "Vidu")
VIDEO_MODELS = ("Kling", "Vidu", "Hailuo", "PixVerse")
COLUMNS = (
    "kind, guild_id, user_id, state, model, prompt, request_json, options_json,"
    " frontend_json, locale, task_id, mps_status, error_code, error_message, error_category,"
    " created_at, submitted_at, mps_final_at, finished_at, updated_at"
)


@dataclass(frozen=True)
class HistoryShape:
    jobs: int = 1_000_000
    guilds: int = 2_000  # besides BIG
    big_members: int = 400
    members: int = 25  # per other server
    unfinished: int = 300
    seed: int = 1


def jobs_of(shape: HistoryShape, now: float) -> Iterator[tuple[Any, ...]]:
    """Every job row (in COLUMNS order), oldest first."""
    rng = random.Random(shape.seed)
    start = now - 366 * DAY
    finished = shape.jobs - shape.unfinished
    times = sorted(rng.uniform(start, now - 3600) for _ in range(finished))
    for i, submitted in enumerate(times):
        yield _row(rng, i, submitted, final=True)
    for i in range(finished, shape.jobs):
        yield _row(rng, i, now - rng.uniform(0, 600), final=False)


def _row(rng: random.Random, i: int, at: float, *, final: bool) -> tuple[Any, ...]:
    big = rng.random() < 1 / 3
    guild = BIG if big else 1_000 + rng.randrange(2_000)
    user = 10_000 + rng.randrange(400 if big else 25) + (0 if big else guild * 100)
    video = rng.random() < 0.1
    model = rng.choice(VIDEO_MODELS if video else IMAGE_MODELS)
    count = 1 if video else rng.choice((1, 1, 1, 2, 4))
    prompt = f"job {i}: a watercolour of a lighthouse at dusk, gulls, soft light, {rng.random()}"
    options = {"count": count, "aspect": "1:1", "negative_prompt": "blurry, text", "seed": i}
    request = {"ModelName": model, "ModelVersion": "3.0", "Prompt": prompt, "Count": count}
    created = at - rng.uniform(1, 30)
    state, status, category, code = "delivered", "DONE", None, None
    roll = rng.random()
    if not final:
        state = "queued" if roll < 0.5 else "running"
        status = None if state == "queued" else "RUN"
    elif roll < 0.01:
        state, status, category, code = "failed", "FAIL", "content_violation", "ContentViolation"
    elif roll < 0.05:
        state, status, category, code = "failed", "FAIL", "generation_failed", "Failed"
    queued = state == "queued"
    submitted = None if queued else at
    done = at + rng.uniform(60, 180) if final else None
    return (
        "video" if video else "image",
        guild,
        user,
        state,
        model,
        prompt,
        json.dumps(request),
        json.dumps(options),
        json.dumps({"channel_id": guild + 7}),
        "en-US",
        None if queued else f"task-{i}",
        status,
        code,
        "the task failed" if code else None,
        category,
        created,
        submitted,
        done,
        done,
        done or created,
    )


@asynccontextmanager
async def at_version(version: int):
    """Open databases at `version` (an older schema) while this is active."""
    real = migrations_module.numbered_scripts
    migrations_module.numbered_scripts = lambda dialect="sqlite": tuple(
        (number, script) for number, script in real(dialect) if number <= version
    )
    try:
        yield
    finally:
        migrations_module.numbered_scripts = real


async def build(target: Any, shape: HistoryShape, now: float) -> None:
    """Write the history into a new database at schema version `BEFORE_UNITS`."""
    async with at_version(BEFORE_UNITS):
        db = await open_database(target)
    try:
        await _load(db, shape, now)
    finally:
        await db.close()


async def _load(db: Database, shape: HistoryShape, now: float) -> None:
    marks = ",".join("?" * 20)
    batch: list[tuple[Any, ...]] = []
    raw = getattr(db, "pool", None)  # PostgreSQL: COPY is the bulk path
    for row in jobs_of(shape, now):
        batch.append(row)
        if len(batch) == 20_000:
            await _write(db, raw, batch, marks)
            batch = []
    if batch:
        await _write(db, raw, batch, marks)
    # Every content violation has its incident (recorded when it happened).
    await db.write(
        "INSERT INTO incidents (guild_id, user_id, job_id, prompt, code, created_at)"
        " SELECT guild_id, user_id, id, prompt, error_code, finished_at FROM jobs"
        " WHERE state = 'failed' AND error_category = 'content_violation'"
    )
    await db.write(
        "INSERT INTO guild_settings (guild_id, name, value_json, updated_at) VALUES"
        " (?, 'timezone', '\"Asia/Shanghai\"', ?)",
        (BIG, now),
    )
    if db.dialect == "postgresql":
        await db.write("VACUUM ANALYZE")
    else:
        await db.write("ANALYZE")


async def _write(db: Database, pool: Any, batch: list[tuple[Any, ...]], marks: str) -> None:
    if pool is not None:
        async with pool.acquire() as conn:
            await conn.copy_records_to_table(
                "jobs", records=batch, columns=[c.strip() for c in COLUMNS.split(",")]
            )
        return
    async with db.transaction() as tx:
        await tx.executemany(f"INSERT INTO jobs ({COLUMNS}) VALUES ({marks})", batch)
