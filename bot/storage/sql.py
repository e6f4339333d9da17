"""`run(db, sql, params)`: one statement, its row count and new row id (older call shape).

New code calls the database's own methods (`db.write` for the row count, `db.insert` for
the new id; see storage/base.py). `run` stays for code written before them, and works on
both databases: the statement finishes, cursor and all, before it returns.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .base import Database


@dataclass(frozen=True)
class Ran:
    rowcount: int
    lastrowid: int | None


async def run(db: Database, sql: str, parameters: Iterable[Any] = ()) -> Ran:
    """Execute one statement; its row count and last row id."""
    async with db.execute(sql, tuple(parameters)) as cur:
        return Ran(cur.rowcount, cur.lastrowid)
