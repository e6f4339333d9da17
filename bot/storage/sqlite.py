"""SQLite through aiosqlite: one connection, WAL, and the refusal of unusable files.

aiosqlite runs sqlite3 in a worker thread. Every statement runs there from start to end,
rows fetched and cursor closed in that thread: a cursor dropped in the event loop's thread
resets its statement from the wrong thread while the worker runs another one, and sqlite3
answers "bad parameter or other API misuse" now and then under load.

The connection is shared by the whole process, so a transaction must keep every other
statement out until it ends (or they would join it, and roll back with it): statements
outside a transaction wait at a gate that the transaction holds.

`write_now` passes the gate ahead of every statement waiting at it: a billed task's TaskId
is committed as soon as the statement (or transaction) in progress ends, without queueing
behind the others. (A second connection would not wait in the queue either, but SQLite
lets one writer in at a time, and a connection that finds the file locked sleeps in steps
of up to 100 ms: it made TaskIds later under load, not sooner.)
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections import deque
from collections.abc import AsyncIterator, Iterable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from .base import Database, Outcome
from .dialect import SQLITE
from .errors import (
    DatabaseCorrupt,
    DatabaseError,
    DatabaseReadOnly,
    DatabaseTooNew,
    IntegrityError,
)
from .migrations import known_version, migrate


def _run_in_worker(
    conn: sqlite3.Connection, sql: str, params: Sequence[Any]
) -> tuple[list[Any], int, int | None]:
    cursor = conn.execute(sql, params)
    try:
        return cursor.fetchall(), cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class Gate:
    """A lock taken in turn, except by `first()`, which goes ahead of every waiter."""

    def __init__(self) -> None:
        self._held = False
        self._waiting: tuple[deque[asyncio.Future], deque[asyncio.Future]] = (deque(), deque())

    async def _acquire(self, urgent: bool) -> None:
        if not self._held and not any(self._waiting):
            self._held = True
            return
        turn = asyncio.get_running_loop().create_future()
        self._waiting[0 if urgent else 1].append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self._release()  # handed the gate just as the wait was cancelled: pass it on
            raise

    @property
    def waiting(self) -> tuple[int, int]:
        """How many wait to go first, and how many in turn."""
        return len(self._waiting[0]), len(self._waiting[1])

    def _release(self) -> None:
        for queue in self._waiting:
            while queue:
                turn = queue.popleft()
                if not turn.done():
                    turn.set_result(None)  # handed over: the gate stays held
                    return
        self._held = False

    @contextlib.asynccontextmanager
    async def first(self) -> AsyncIterator[None]:
        await self._acquire(urgent=True)
        try:
            yield
        finally:
            self._release()

    async def __aenter__(self) -> None:
        await self._acquire(urgent=False)

    async def __aexit__(self, *exc_info: object) -> None:
        self._release()


class SqliteDatabase(Database):
    dialect = SQLITE

    def __init__(self, conn: aiosqlite.Connection, path: Path | str) -> None:
        self.conn = conn
        self.path = path
        self._gate = Gate()

    async def write_now(self, sql: str, params: Iterable[Any] = ()) -> int:
        async with self._gate.first():
            return (await self._raw(sql, tuple(params))).rowcount

    async def _raw(self, sql: str, params: Sequence[Any]) -> Outcome:
        try:
            # The connection's own worker thread runs the whole statement (see above), in one
            # trip through aiosqlite's queue (`_execute`: its own helper, stable across the
            # 0.22 releases the project pins).
            rows, rowcount, lastrowid = await self.conn._execute(
                _run_in_worker, self.conn._conn, sql, params
            )
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc
        return Outcome(rows, rowcount, lastrowid)

    async def _run(self, sql: str, params: Sequence[Any], *, returning_id: bool) -> Outcome:
        async with self._gate:
            return await self._raw(sql, params)

    @contextlib.asynccontextmanager
    async def transaction(self, lock: str | None = None) -> AsyncIterator[Database]:
        # SQLite has one writer at a time: BEGIN IMMEDIATE takes the write lock at once,
        # which serialises every transaction, named lock or not, across processes too.
        async with self._gate:
            await self._raw("BEGIN IMMEDIATE", ())
            try:
                yield _SqliteTransaction(self)
            except BaseException:
                await self._raw("ROLLBACK", ())
                raise
            await self._raw("COMMIT", ())

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        async with self._gate, self.conn.executemany(sql, list(rows)):
            pass

    async def close(self) -> None:
        await self.conn.close()


class _SqliteTransaction(Database):
    """The database inside a transaction: its statements pass the gate the transaction holds."""

    dialect = SQLITE

    def __init__(self, outer: SqliteDatabase) -> None:
        self.outer = outer
        self.conn = outer.conn

    async def _run(self, sql: str, params: Sequence[Any], *, returning_id: bool) -> Outcome:
        return await self.outer._raw(sql, params)

    @contextlib.asynccontextmanager
    async def transaction(self, lock: str | None = None) -> AsyncIterator[Database]:
        yield self  # already in one

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        async with self.conn.executemany(sql, list(rows)):
            pass

    async def close(self) -> None:
        raise RuntimeError("close the database, not a transaction")


async def open_sqlite(path: Path | str) -> SqliteDatabase:
    """Open (creating if needed), check and migrate. The caller owns and closes it.

    Raises a DatabaseError subclass, with the connection already closed, when the file is
    not a database, cannot be written, has a newer schema than this code, or a migration
    fails: an open aiosqlite connection is a thread that would keep the process alive.
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
        conn = await aiosqlite.connect(str(path), isolation_level=None)
    except sqlite3.Error as exc:
        raise refusal(exc, path) from None
    db = SqliteDatabase(conn, path)
    try:
        await _prepare(db, path)
    except BaseException as exc:
        with contextlib.suppress(Exception):
            await conn.close()
        if isinstance(exc, sqlite3.Error) and not isinstance(exc, IntegrityError):
            raise refusal(exc, path) from None
        raise
    return db


async def open_sqlite_read_only(path: Path | str) -> SqliteDatabase:
    """Open an existing file to read only: no lock, no migration, no write (for `doctor`
    while the running bot holds the file). The caller closes it."""
    try:
        conn = await aiosqlite.connect(_read_only_uri(path), uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise refusal(exc, path) from None
    conn.row_factory = aiosqlite.Row
    return SqliteDatabase(conn, path)


def _read_only_uri(path: Path | str) -> str:
    # A file: URI, so that any character of the path is quoted (a "?" or "#" in a name).
    return Path(path).absolute().as_uri() + "?mode=ro"


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


async def _prepare(db: SqliteDatabase, path: Path | str) -> None:
    db.conn.row_factory = aiosqlite.Row
    # The first read of the file: one that is not a database fails here.
    version = await schema_version(db)
    if version > known_version():
        raise DatabaseTooNew(
            f"{path} has schema version {version}, but this bot knows versions up to "
            f"{known_version()}: it was used by a newer release. Run that release, or "
            "restore a backup"
        )
    await db.write("PRAGMA busy_timeout=5000")
    await db.fetchall("PRAGMA journal_mode=WAL")
    # NORMAL is durable across application crashes in WAL mode; only an OS crash can
    # lose the last commits, and a resumed job then merely re-polls.
    await db.write("PRAGMA synchronous=NORMAL")
    await db.write("PRAGMA foreign_keys=ON")
    # SQLite opens a file it may not write read-only without a word, and a folder it may
    # not write fails only at the first journal. Write once now (the same version, rolled
    # back) so a read-only database is refused at start, not at the first job.
    await db.write("BEGIN IMMEDIATE")
    try:
        await db.write(f"PRAGMA user_version = {version}")
    finally:
        await db.write("ROLLBACK")
    await migrate(db, version, _set_version)


async def schema_version(db: Database) -> int:
    return int(await db.fetchval("PRAGMA user_version"))


async def _set_version(tx: Database, version: int) -> None:
    await tx.write(f"PRAGMA user_version = {int(version)}")
