"""Open the database and bring its schema up to date with numbered migrations.

Each migration runs in one transaction together with the `PRAGMA user_version` bump, so a
crash leaves the schema either before or after a migration, never half way.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)

_MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


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
        except BaseException:
            await db.execute("ROLLBACK")
            raise
    return len(scripts)
