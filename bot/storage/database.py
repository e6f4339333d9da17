"""Open the database named by a URL or a path, bring its schema up to date, and refuse one
that cannot be used (corrupt, read-only, unreachable, newer than this code, a migration
failing) with a `DatabaseError` in plain words.

SQLite is the embedded default (`storage/sqlite.py`); PostgreSQL (`storage/postgres.py`)
is for larger bots and several processes. Both give the same `Database` interface
(`storage/base.py`) and run the same numbered migrations (`storage/migrations.py`).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from .base import Database, lock_key
from .errors import (
    DatabaseCorrupt,
    DatabaseError,
    DatabaseReadOnly,
    DatabaseTooNew,
    DatabaseUnreachable,
    IntegrityError,
    MigrationFailed,
)
from .migrations import known_version, migrations
from .sqlite import refusal
from .url import DatabaseUrl, DatabaseUrlError, parse_database_url

__all__ = [
    "Database",
    "DatabaseCorrupt",
    "DatabaseError",
    "DatabaseReadOnly",
    "DatabaseTooNew",
    "DatabaseUnreachable",
    "DatabaseUrl",
    "IntegrityError",
    "MigrationFailed",
    "database_url",
    "known_version",
    "lock_key",
    "migrations",
    "open_database",
    "open_read_only",
    "refusal",
    "schema_version",
]


def database_url(target: DatabaseUrl | Path | str) -> DatabaseUrl:
    """A DatabaseUrl from a URL, or from a SQLite path given as is."""
    if isinstance(target, DatabaseUrl):
        return target
    if isinstance(target, str) and "://" in target:
        try:
            return parse_database_url(target)
        except DatabaseUrlError as exc:
            raise DatabaseError(str(exc)) from None
    return DatabaseUrl.sqlite(target)


async def open_database(target: DatabaseUrl | Path | str) -> Database:
    """Open (creating a SQLite file if needed), check and migrate; the caller closes it."""
    url = database_url(target)
    if url.is_sqlite:
        from .sqlite import open_sqlite

        assert url.path is not None
        return await open_sqlite(url.path)
    # asyncpg is loaded only by those who use PostgreSQL.
    from .postgres import open_postgresql

    return await open_postgresql(url)


@contextlib.asynccontextmanager
async def open_read_only(target: DatabaseUrl | Path | str) -> AsyncIterator[Database]:
    """A database another process holds, to read: a SQLite file is opened read only,
    without its lock and without migrating; PostgreSQL is shared anyway."""
    url = database_url(target)
    if url.is_sqlite:
        from .sqlite import open_sqlite_read_only

        assert url.path is not None
        db: Database = await open_sqlite_read_only(url.path)
    else:
        db = await open_database(url)
    try:
        yield db
    finally:
        await db.close()


async def schema_version(db: Database) -> int:
    """The schema version the database is at."""
    if db.dialect == "sqlite":
        from .sqlite import schema_version as version
    else:
        from .postgres import schema_version as version
    return await version(db)
