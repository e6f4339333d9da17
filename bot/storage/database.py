"""Open the database and bring its schema up to date with numbered migrations.

Each migration runs in one transaction together with the `PRAGMA user_version` bump, so a
crash leaves the schema either before or after a migration, never half way.
"""

from __future__ import annotations

import logging
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)

MIGRATIONS: list[str] = [
    # 1: jobs, their result files, moderation incidents.
    """
    CREATE TABLE jobs (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        kind            TEXT NOT NULL,
        guild_id        INTEGER NOT NULL,
        user_id         INTEGER NOT NULL,
        state           TEXT NOT NULL,
        model           TEXT NOT NULL,
        prompt          TEXT,
        request_json    TEXT NOT NULL,
        options_json    TEXT NOT NULL DEFAULT '{}',
        frontend_json   TEXT NOT NULL DEFAULT '{}',
        locale          TEXT,
        task_id         TEXT,
        mps_status      TEXT,
        error_code      TEXT,
        error_message   TEXT,
        error_category  TEXT,
        created_at      REAL NOT NULL,
        submitted_at    REAL,
        mps_final_at    REAL,
        finished_at     REAL,
        updated_at      REAL NOT NULL
    );
    CREATE INDEX jobs_state ON jobs(state);
    CREATE INDEX jobs_user ON jobs(guild_id, user_id, id DESC);
    CREATE UNIQUE INDEX jobs_task ON jobs(task_id) WHERE task_id IS NOT NULL;

    CREATE TABLE job_results (
        job_id          INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        idx             INTEGER NOT NULL,
        path            TEXT NOT NULL,
        filename        TEXT NOT NULL,
        content_type    TEXT NOT NULL,
        size            INTEGER NOT NULL,
        sha256          TEXT NOT NULL,
        PRIMARY KEY (job_id, idx)
    );

    CREATE TABLE incidents (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id          INTEGER NOT NULL REFERENCES jobs(id),
        guild_id        INTEGER NOT NULL,
        user_id         INTEGER NOT NULL,
        prompt          TEXT,
        negative_prompt TEXT,
        code            TEXT NOT NULL,
        message         TEXT,
        created_at      REAL NOT NULL,
        status          TEXT NOT NULL DEFAULT 'open',
        reviewer_id     INTEGER,
        reviewed_at     REAL,
        note            TEXT
    );
    CREATE INDEX incidents_guild ON incidents(guild_id, status, id DESC);
    """,
]


async def open_database(path: Path | str) -> aiosqlite.Connection:
    """Open (creating if needed) and migrate. The caller owns and closes the connection."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = await aiosqlite.connect(str(path), isolation_level=None)
    db.row_factory = aiosqlite.Row
    await db.execute("PRAGMA journal_mode=WAL")
    # NORMAL is durable across application crashes in WAL mode; only an OS crash can
    # lose the last commits, and a resumed job then merely re-polls.
    await db.execute("PRAGMA synchronous=NORMAL")
    await db.execute("PRAGMA foreign_keys=ON")
    await db.execute("PRAGMA busy_timeout=5000")
    await migrate(db)
    return db


async def migrate(db: aiosqlite.Connection) -> int:
    async with db.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    version = row[0]
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        log.info("applying database migration %d", number)
        statements = [s.strip() for s in script.split(";") if s.strip()]
        await db.execute("BEGIN")
        try:
            for statement in statements:
                await db.execute(statement)
            await db.execute(f"PRAGMA user_version = {number}")
            await db.execute("COMMIT")
        except BaseException:
            await db.execute("ROLLBACK")
            raise
    return len(MIGRATIONS)
