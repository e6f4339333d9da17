"""Open the database and bring its schema up to date with numbered migrations.

Each migration runs in one transaction together with the `PRAGMA user_version` bump, so a
crash leaves the schema either before or after a migration, never half way.

A database that cannot be used (corrupt, read-only, newer than this code, a migration
failing) is refused with a `DatabaseError` in plain words, and its connection is closed
first: an open aiosqlite connection is a thread that would keep the process from exiting.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sqlite3
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)

_MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class DatabaseError(Exception):
    """The database cannot be used; the message says why and what to do, for an operator."""


class DatabaseCorrupt(DatabaseError):
    pass


class DatabaseReadOnly(DatabaseError):
    pass


class DatabaseTooNew(DatabaseError):
    pass


class MigrationFailed(DatabaseError):
    pass


def migrations() -> list[str]:
    """The numbered scripts in `migrations/`, in order; numbers must run 1, 2, 3… without gaps."""
    found = sorted(
        (int(m.group(1)), path)
        for path in _MIGRATIONS_DIR.iterdir()
        if (m := _MIGRATION_NAME.match(path.name))
    )
    numbers = [number for number, _ in found]
    if numbers != list(range(1, len(found) + 1)):
        raise RuntimeError(f"database migrations are not numbered 1..n: {numbers}")
    return [path.read_text(encoding="utf-8") for _, path in found]


async def open_database(path: Path | str) -> aiosqlite.Connection:
    """Open (creating if needed), check and migrate. The caller owns and closes the connection.

    Raises a DatabaseError subclass, with the connection already closed, when the file is
    not a database, cannot be written, has a newer schema than this code, or a migration
    fails.
    """
    if str(path) != ":memory:":
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseReadOnly(
                f"cannot create the folder of {path} ({exc.strerror}); check its permissions"
            ) from None
    try:
        # A failed connect stops aiosqlite's thread itself.
        db = await aiosqlite.connect(str(path), isolation_level=None)
    except sqlite3.Error as exc:
        raise refusal(exc, path) from None
    try:
        await _prepare(db, path)
    except BaseException as exc:
        with contextlib.suppress(Exception):
            await db.close()
        if isinstance(exc, sqlite3.Error):
            raise refusal(exc, path) from None
        raise
    return db


def refusal(exc: sqlite3.Error, path: Path | str) -> DatabaseError:
    """The DatabaseError that explains an sqlite3 error met while opening `path`."""
    name = getattr(exc, "sqlite_errorname", "")
    if name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")):
        return DatabaseCorrupt(
            f"{path} is not a database or is corrupt ({exc}); restore a backup, or move the "
            "file away to start with an empty one"
        )
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")):
        return DatabaseReadOnly(
            f"cannot write to {path} or its folder ({exc}); the bot needs to write both: "
            "check their owner and permissions"
        )
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return DatabaseError(f"{path} is busy: another process is writing to it ({exc})")
    return DatabaseError(f"cannot use {path}: {exc}")


async def _prepare(db: aiosqlite.Connection, path: Path | str) -> None:
    db.row_factory = aiosqlite.Row
    # The first read of the file: one that is not a database fails here.
    version = await _user_version(db)
    known = len(migrations())
    if version > known:
        raise DatabaseTooNew(
            f"{path} has schema version {version}, but this bot knows versions up to {known}: "
            "it was used by a newer release. Run that release, or restore a backup"
        )
    await db.execute("PRAGMA busy_timeout=5000")
    await db.execute("PRAGMA journal_mode=WAL")
    # NORMAL is durable across application crashes in WAL mode; only an OS crash can
    # lose the last commits, and a resumed job then merely re-polls.
    await db.execute("PRAGMA synchronous=NORMAL")
    await db.execute("PRAGMA foreign_keys=ON")
    # SQLite opens a file it may not write read-only without a word, and a folder it may
    # not write fails only at the first journal. Write once now (the same version, rolled
    # back) so a read-only database is refused at start, not at the first job.
    await db.execute("BEGIN IMMEDIATE")
    try:
        await db.execute(f"PRAGMA user_version = {version}")
    finally:
        await db.execute("ROLLBACK")
    await migrate(db)


async def _user_version(db: aiosqlite.Connection) -> int:
    async with db.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    return int(row[0])


async def migrate(db: aiosqlite.Connection) -> int:
    version = await _user_version(db)
    scripts = migrations()
    for number, script in enumerate(scripts[version:], start=version + 1):
        log.info("applying database migration %d", number)
        # Comment lines go first, so a ";" in a comment cannot split a statement.
        code = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("--"))
        statements = [s.strip() for s in code.split(";") if s.strip()]
        await db.execute("BEGIN")
        try:
            for statement in statements:
                await db.execute(statement)
            await db.execute(f"PRAGMA user_version = {number}")
            await db.execute("COMMIT")
        except BaseException as exc:
            await db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise MigrationFailed(
                    f"database migration {number} failed ({exc}); the database was left at "
                    f"version {number - 1}"
                ) from exc
            raise
    return len(scripts)
