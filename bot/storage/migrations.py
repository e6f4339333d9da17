"""Numbered migrations, the same ones for SQLite and PostgreSQL.

`migrations/NNNN_name.sql` is written in SQLite's dialect; PostgreSQL runs it with its
types translated (`dialect.postgresql_ddl`), or runs `NNNN_name.postgresql.sql` instead
when that twin exists (only where translation cannot work). Each migration runs in one
transaction together with the schema version's bump, so a crash leaves the schema before
or after a migration, never half way. The version lives in `PRAGMA user_version` on
SQLite and in the one-row table `schema_version` on PostgreSQL.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from functools import cache
from pathlib import Path

from .base import Database
from .dialect import POSTGRESQL, SQLITE, postgresql_ddl, statements
from .errors import MigrationFailed

log = logging.getLogger(__name__)

_MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@cache
def numbered_scripts(dialect: str = SQLITE) -> tuple[tuple[int, str], ...]:
    """(number, script) as `dialect` runs them, in order. Numbers run 1..n with none
    missing: a database's version is the number of the last script it ran, so a script
    numbered below it that arrived later would never run."""
    found = sorted(
        (int(m.group(1)), path)
        for path in _MIGRATIONS_DIR.iterdir()
        if (m := _MIGRATION_NAME.match(path.name))
    )
    numbers = [number for number, _ in found]
    if numbers != list(range(1, len(found) + 1)):
        raise RuntimeError(f"database migrations are not numbered 1..n: {numbers}")
    out = []
    for number, path in found:
        twin = path.with_name(f"{path.stem}.{dialect}.sql")
        out.append((number, (twin if twin.exists() else path).read_text(encoding="utf-8")))
    return tuple(out)


def migrations(dialect: str = SQLITE) -> list[str]:
    """The numbered scripts as `dialect` runs them, in order."""
    return [script for _, script in numbered_scripts(dialect)]


def known_version() -> int:
    return numbered_scripts(SQLITE)[-1][0]


def script_statements(script: str, dialect: str) -> list[str]:
    found = statements(script)
    return [postgresql_ddl(s) for s in found] if dialect == POSTGRESQL else found


SetVersion = Callable[[Database, int], Awaitable[None]]


async def migrate(db: Database, version: int, set_version: SetVersion) -> int:
    """Apply every migration after `version`, each in its own transaction."""
    done = version
    for number, script in numbered_scripts(db.dialect):
        if number <= version:
            continue
        log.info("applying database migration %d", number)
        try:
            async with db.transaction() as tx:
                for statement in script_statements(script, db.dialect):
                    await tx.write(statement)
                await set_version(tx, number)
        except Exception as exc:
            if isinstance(exc, MigrationFailed):
                raise
            raise MigrationFailed(
                f"database migration {number} failed ({exc}); the database was left at "
                f"version {done}"
            ) from exc
        done = number
    return known_version()
