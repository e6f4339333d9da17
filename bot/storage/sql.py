"""Statements that finish, cursor and all, in the database's own thread.

aiosqlite runs sqlite3 in a worker thread, but the cursor `execute()` returns lives on in
the event loop's thread. Dropped there, it resets its statement from the wrong thread while
the worker runs another one on the same connection, and sqlite3 answers "bad parameter or
other API misuse" now and then under load. So writes go through `run`, which closes the
cursor in the worker thread (reads use `async with db.execute(...)`, which does the same).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import aiosqlite


@dataclass(frozen=True)
class Ran:
    rowcount: int
    lastrowid: int | None


async def run(db: aiosqlite.Connection, sql: str, parameters: Iterable[Any] = ()) -> Ran:
    """Execute one statement and close its cursor; its row count and last row id."""
    async with db.execute(sql, tuple(parameters)) as cur:
        return Ran(cur.rowcount, cur.lastrowid)
