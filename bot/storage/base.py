"""The one database interface the core uses, whichever database is behind it.

SQL is written once, SQLite-style, with `?` placeholders (translated for PostgreSQL).
Rows read by column name and by index (`row["id"]`, `row[0]`, `dict(row)`).

    row  = await db.fetchone("SELECT * FROM jobs WHERE id = ?", (job_id,))
    rows = await db.fetchall(sql, params)         # a list of rows
    n    = await db.fetchval("SELECT COUNT(*) FROM jobs")   # first column of the first row
    changed = await db.write("UPDATE jobs SET … WHERE id = ?", params)   # the row count
    new_id  = await db.insert("INSERT INTO blocks (…) VALUES (?,?)", params)  # its `id`
    async with db.transaction(lock=f"admission:{guild_id}") as tx:
        ...  # tx has the same methods; every statement in it commits or rolls back together

`transaction(lock=name)` also serialises, across processes, every transaction that names the
same lock (PostgreSQL: an advisory lock held until the transaction ends; SQLite: the one
writer at a time that SQLite has anyway).

The shapes written against aiosqlite keep working on both databases, so older code needs
no rewrite: `async with db.execute(sql, params) as cur: await cur.fetchone()`,
`await db.execute(sql)`, and `storage.sql.run(db, sql, params)` (`rowcount`, `lastrowid`).
New code uses the methods above.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Generator, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

Row = Any  # sqlite3.Row or asyncpg.Record: both read by name and by index


@dataclass(frozen=True)
class Outcome:
    """What one statement gave: its rows (none for most writes), row count, new id."""

    rows: list[Row] = field(default_factory=list)
    rowcount: int = -1
    lastrowid: int | None = None


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for a named lock (PostgreSQL advisory locks take one)."""
    digest = hashlib.blake2b(f"mps-imagine:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class Database(ABC):
    dialect: str

    # -- what every backend provides -------------------------------------------------------

    @abstractmethod
    async def _run(self, sql: str, params: Sequence[Any], *, returning_id: bool) -> Outcome:
        """Run one statement to its end (rows fetched, cursor closed)."""

    @abstractmethod
    def transaction(self, lock: str | None = None) -> AbstractAsyncContextManager[Database]:
        """A Database bound to one connection; everything in it commits together."""

    @abstractmethod
    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    # -- the interface the core uses -------------------------------------------------------

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        return (await self._run(sql, tuple(params), returning_id=False)).rows

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        rows = (await self._run(sql, tuple(params), returning_id=False)).rows
        return rows[0] if rows else None

    async def fetchval(self, sql: str, params: Iterable[Any] = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def write(self, sql: str, params: Iterable[Any] = ()) -> int:
        """An INSERT, UPDATE or DELETE; how many rows it changed."""
        return (await self._run(sql, tuple(params), returning_id=False)).rowcount

    async def write_now(self, sql: str, params: Iterable[Any] = ()) -> int:
        """`write`, committed at once on a connection of its own where the backend has one:
        it does not wait behind the statements queued on the shared connection (or pool).
        For the few writes that must be durable the moment they can be (a billed task's
        TaskId); a backend without one writes as `write` does."""
        return await self.write(sql, params)

    async def insert(self, sql: str, params: Iterable[Any] = ()) -> int:
        """An INSERT into a table with an `id` key; the id of the (last) row it made."""
        outcome = await self._run(sql, tuple(params), returning_id=True)
        assert outcome.lastrowid is not None, sql
        return outcome.lastrowid

    # -- the aiosqlite shapes older code uses ----------------------------------------------

    def execute(self, sql: str, params: Iterable[Any] = ()) -> PendingCursor:
        """`async with db.execute(...) as cur` or `cur = await db.execute(...)`."""
        return PendingCursor(self, sql, tuple(params))

    async def commit(self) -> None:
        """Statements outside a transaction commit by themselves; kept for older code."""
        return None


class Cursor:
    """The finished statement: rows to fetch, `rowcount`, `lastrowid`."""

    def __init__(self, outcome: Outcome) -> None:
        self._rows = outcome.rows
        self._next = 0
        self.rowcount = outcome.rowcount
        self.lastrowid = outcome.lastrowid

    async def fetchone(self) -> Row | None:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    async def fetchall(self) -> list[Row]:
        rest, self._next = self._rows[self._next :], len(self._rows)
        return rest

    async def fetchmany(self, size: int = 1) -> list[Row]:
        part = self._rows[self._next : self._next + size]
        self._next += len(part)
        return part

    def __aiter__(self) -> AsyncIterator[Row]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Row]:
        while (row := await self.fetchone()) is not None:
            yield row

    async def close(self) -> None:
        """Nothing is left open: the statement finished before the cursor was handed out."""


class PendingCursor:
    """What `execute` returns: awaited or entered, it runs the statement once."""

    def __init__(self, db: Database, sql: str, params: tuple[Any, ...]) -> None:
        self._db, self._sql, self._params = db, sql, params
        self._cursor: Cursor | None = None

    async def _start(self) -> Cursor:
        if self._cursor is None:
            # Legacy writes may read `lastrowid`: ask for the new id when it is an INSERT.
            returning = self._sql.lstrip()[:6].upper() == "INSERT"
            self._cursor = Cursor(
                await self._db._run(self._sql, self._params, returning_id=returning)
            )
        return self._cursor

    def __await__(self) -> Generator[Any, None, Cursor]:
        return self._start().__await__()

    async def __aenter__(self) -> Cursor:
        return await self._start()

    async def __aexit__(self, *exc: object) -> None:
        return None
