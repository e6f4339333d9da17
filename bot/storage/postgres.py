"""PostgreSQL through an asyncpg pool.

Each statement outside a transaction borrows a pooled connection for its own length, so
several processes (and many coroutines) share the database as PostgreSQL intends. A
transaction holds one connection from `BEGIN` to `COMMIT`; `transaction(lock=name)` also
takes the advisory lock `lock_key(name)` for as long as the transaction lasts, which
serialises, across every process on the database, the transactions that name it.

`dedicated()` opens a connection of its own, outside the pool, for what must outlive any
one statement on a connection nobody else uses: a lease held as a session advisory lock,
or LISTEN (`connection.raw.add_listener(channel, callback)`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

import asyncpg

from .base import Database, Outcome, lock_key
from .dialect import POSTGRESQL, command_count, inserted_table, numbered, returns_rows
from .errors import (
    DatabaseError,
    DatabaseReadOnly,
    DatabaseTooNew,
    DatabaseUnreachable,
    IntegrityError,
)
from .migrations import known_version, migrate
from .url import DatabaseUrl

MIGRATION_LOCK = "migrations"


async def _execute(
    conn: asyncpg.Connection,
    sql: str,
    params: Sequence[Any],
    returning_id: bool,
    identity_tables: frozenset[str],
) -> Outcome:
    text = numbered(sql)
    try:
        if returning_id and inserted_table(sql) in identity_tables:
            rows = await conn.fetch(text + " RETURNING id", *params)
            return Outcome([], len(rows), rows[-1][0] if rows else None)
        if returns_rows(sql):
            rows = await conn.fetch(text, *params)
            return Outcome(rows, len(rows), None)
        return Outcome([], command_count(await conn.execute(text, *params)), None)
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise IntegrityError(str(exc)) from exc


class PostgresConnection(Database):
    """The database on one connection: a transaction's, or a dedicated one (`raw`)."""

    dialect = POSTGRESQL

    def __init__(self, raw: asyncpg.Connection, identity_tables: frozenset[str]) -> None:
        self.raw = raw
        self.identity_tables = identity_tables

    async def _run(self, sql: str, params: Sequence[Any], *, returning_id: bool) -> Outcome:
        return await _execute(self.raw, sql, params, returning_id, self.identity_tables)

    @contextlib.asynccontextmanager
    async def transaction(self, lock: str | None = None) -> AsyncIterator[Database]:
        # Nested in an open transaction, this is a savepoint; otherwise a transaction.
        async with self.raw.transaction():
            if lock is not None:
                await self.raw.execute("SELECT pg_advisory_xact_lock($1)", lock_key(lock))
            yield self

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self.raw.executemany(numbered(sql), list(rows))

    async def close(self) -> None:
        await self.raw.close()


class PostgresDatabase(Database):
    dialect = POSTGRESQL

    def __init__(self, pool: asyncpg.Pool, url: DatabaseUrl) -> None:
        self.pool = pool
        self.url = url
        # Tables whose INSERT can return a generated `id` (for `insert` and `lastrowid`).
        self.identity_tables: frozenset[str] = frozenset()
        # `write_now`'s own connection, opened at its first use (outside the pool, which
        # may be busy with every other statement).
        self._urgent: asyncpg.Connection | None = None
        self._urgent_gate = asyncio.Lock()

    async def write_now(self, sql: str, params: Iterable[Any] = ()) -> int:
        async with self._urgent_gate:
            if self._urgent is None or self._urgent.is_closed():
                self._urgent = await _connect(self.url)
            outcome = await _execute(self._urgent, sql, tuple(params), False, self.identity_tables)
            return outcome.rowcount

    async def _run(self, sql: str, params: Sequence[Any], *, returning_id: bool) -> Outcome:
        async with self.pool.acquire() as conn:
            return await _execute(conn, sql, params, returning_id, self.identity_tables)

    @contextlib.asynccontextmanager
    async def transaction(self, lock: str | None = None) -> AsyncIterator[Database]:
        async with self.pool.acquire() as conn:
            bound = PostgresConnection(conn, self.identity_tables)
            async with bound.transaction(lock) as tx:
                yield tx

    @contextlib.asynccontextmanager
    async def dedicated(
        self, settings: dict[str, str] | None = None
    ) -> AsyncIterator[PostgresConnection]:
        """A connection of its own, outside the pool (a lease, LISTEN); closed on exit.
        `settings`: server settings of this connection only (keepalives, its name)."""
        raw = await _connect(self.url, settings)
        try:
            yield PostgresConnection(raw, self.identity_tables)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(raw.close(), 5)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        async with self.pool.acquire() as conn:
            await conn.executemany(numbered(sql), list(rows))

    async def close(self) -> None:
        if self._urgent is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._urgent.close(), 5)
        try:
            await asyncio.wait_for(self.pool.close(), 10)
        except TimeoutError:
            self.pool.terminate()


def _explain(exc: BaseException, url: DatabaseUrl) -> DatabaseError:
    where = url.shown
    if isinstance(exc, OSError | TimeoutError | asyncpg.CannotConnectNowError):
        return DatabaseUnreachable(f"cannot reach PostgreSQL at {where} ({exc}); is it running?")
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return DatabaseError(f"{where}: {exc}; create the database first (createdb)")
    if isinstance(
        exc, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError
    ):
        return DatabaseError(f"PostgreSQL refused the login at {where} ({exc}); check the user")
    if isinstance(exc, asyncpg.InsufficientPrivilegeError | asyncpg.ReadOnlySQLTransactionError):
        return DatabaseReadOnly(
            f"cannot write to {where} ({exc}); the bot needs to create tables and write rows"
        )
    return DatabaseError(f"cannot use {where}: {exc}")


async def _connect(url: DatabaseUrl, settings: dict[str, str] | None = None) -> asyncpg.Connection:
    return await asyncpg.connect(
        url.dsn, timeout=10, server_settings={**_SETTINGS, **(settings or {})}
    )


_SETTINGS = {"application_name": "mps-imagine"}


async def open_postgresql(url: DatabaseUrl, *, pool_size: int = 10) -> PostgresDatabase:
    """Connect, check and migrate (once, even when several processes start together)."""
    try:
        pool = await asyncpg.create_pool(
            url.dsn, min_size=1, max_size=pool_size, timeout=10, server_settings=_SETTINGS
        )
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        raise _explain(exc, url) from None
    db = PostgresDatabase(pool, url)
    try:
        async with pool.acquire() as conn:
            await _migrate_once(PostgresConnection(conn, frozenset()), url)
            db.identity_tables = await _identity_tables(conn)
    except BaseException as exc:
        pool.terminate()
        if isinstance(exc, OSError | TimeoutError | asyncpg.PostgresError):
            raise _explain(exc, url) from None
        raise
    return db


async def _migrate_once(conn: PostgresConnection, url: DatabaseUrl) -> None:
    # A session lock around reading the version and migrating: a second process starting
    # at the same moment waits here, then finds the schema up to date.
    await conn.raw.execute("SELECT pg_advisory_lock($1)", lock_key(MIGRATION_LOCK))
    try:
        await conn.raw.execute(
            "CREATE TABLE IF NOT EXISTS schema_version"
            " (one INTEGER PRIMARY KEY DEFAULT 1 CHECK (one = 1), version BIGINT NOT NULL)"
        )
        version = await schema_version(conn)
        if version > known_version():
            raise DatabaseTooNew(
                f"{url.shown} has schema version {version}, but this bot knows versions up "
                f"to {known_version()}: it was used by a newer release. Run that release, "
                "or restore a backup"
            )
        await migrate(conn, version, _set_version)
    finally:
        await conn.raw.execute("SELECT pg_advisory_unlock($1)", lock_key(MIGRATION_LOCK))


async def schema_version(db: Database) -> int:
    return int(await db.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_version"))


async def _set_version(tx: Database, version: int) -> None:
    await tx.write(
        "INSERT INTO schema_version (one, version) VALUES (1, ?)"
        " ON CONFLICT (one) DO UPDATE SET version = excluded.version",
        (version,),
    )


async def _identity_tables(conn: asyncpg.Connection) -> frozenset[str]:
    rows = await conn.fetch(
        "SELECT table_name FROM information_schema.columns WHERE table_schema ="
        " current_schema() AND column_name = 'id' AND is_identity = 'YES'"
    )
    return frozenset(r[0] for r in rows)
