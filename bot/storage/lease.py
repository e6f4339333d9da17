"""The engine lease and the signals between processes on one PostgreSQL database.

Several bot processes may share a database; exactly one of them runs the engine (creates,
polls, downloads, delivers), because the account's quotas and every job's Create must have
one owner. The owner is whoever holds a session advisory lock on a dedicated connection:
PostgreSQL releases it the moment that connection ends, which a dead process's connection
does (the kernel closes its socket), so a standby that asks again takes over within its
retry interval. The holder checks its connection too: one that closes or stops answering
means the lock may be gone, and the engine must stop at once (never two engines).

Whatever passes between processes goes through the database as LISTEN/NOTIFY on one
channel: a standby that wrote a new job wakes the engine; a cancel made by a standby
reaches the engine's queue. The holder listens on its lease connection, so it hears
signals exactly as long as it holds the lease. A signal sent while nobody listens (between
two holders) is not needed: the next holder reads every unfinished job when it starts; one
lost otherwise is made up for by the holder (see `engine/leadership.py`). Every process
also hears the signals meant for all (`Listener`: a server's settings changed).

Advisory locks and channels belong to the whole database, not to a schema; both are named
after the schema in use, so two bots in two schemas of one database stay two bots.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from .base import lock_key
from .postgres import PostgresConnection, PostgresDatabase

log = logging.getLogger(__name__)

# The server closes a lease connection whose peer stopped answering after about
# idle + interval × count seconds (a host gone without closing its sockets).
KEEPALIVE = {
    "tcp_keepalives_idle": "5",
    "tcp_keepalives_interval": "2",
    "tcp_keepalives_count": "3",
}


@dataclass(frozen=True)
class Signal:
    """`kind` "job": a batch was written and waits for the engine; "cancel": a queued batch
    was cancelled in the database. `key` is the batch's key (its first job's id)."""

    kind: str
    key: int
    origin: str = ""  # the sending process (`Signals.origin`)

    def encode(self) -> str:
        return json.dumps({"kind": self.kind, "key": self.key, "origin": self.origin})

    @classmethod
    def decode(cls, payload: str) -> Signal | None:
        try:
            data = json.loads(payload)
            return cls(str(data["kind"]), int(data["key"]), str(data.get("origin", "")))
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


def _names(schema: str) -> tuple[int, str]:
    """The lease's lock key and the signal channel for the bot in `schema`."""
    digest = hashlib.blake2b(schema.encode(), digest_size=6).hexdigest()
    return lock_key(f"engine:{schema}"), f"mps_imagine_{digest}"


class LeaseLost(Exception):
    """The lease connection closed or stopped answering: the lock may be someone else's."""

    foreseen = True  # logged without a traceback when it stops the process


class EngineLease:
    """Ask for the lease until it is held (`acquire`), then `listen` and `watch`."""

    def __init__(
        self, db: PostgresDatabase, *, retry: float, check: float, holder: str = ""
    ) -> None:
        self.db = db
        self.retry = retry
        self.check = check
        self.holder = holder  # shown in pg_stat_activity.application_name
        self.held = False
        # Another process held the lease while this one asked: it takes an engine over
        # (whose last requests it cannot know), rather than starting the only one.
        self.took_over = False
        self.channel = ""
        self._key = 0
        self._conn: PostgresConnection | None = None
        self._closing: contextlib.AsyncExitStack | None = None
        self._closed = asyncio.Event()

    async def acquire(self) -> None:
        """Wait until this process holds the lease (asking every `retry` seconds, on one
        connection kept open meanwhile); at once if it holds it already."""
        told = self.held
        while not self.held:
            try:
                if await self._try():
                    break
            except Exception as exc:  # the database is away: ask again on a new connection
                log.warning("engine lease: cannot ask PostgreSQL (%s); trying again", exc)
                await self.close()
            if not told:
                log.info("engine lease held by another process; this one waits as a standby")
                told = self.took_over = True
            await asyncio.sleep(self.retry)
        log.info("engine lease held: this process runs the engine")

    async def try_once(self) -> bool:
        """Ask once, without waiting (the command line, which must not wait for a bot)."""
        return await self._try()

    async def _try(self) -> bool:
        if self._conn is None:
            stack = contextlib.AsyncExitStack()
            name = f"mps-imagine engine {self.holder}".strip()[:63]
            try:
                conn = await stack.enter_async_context(
                    self.db.dedicated(settings={**KEEPALIVE, "application_name": name})
                )
                schema = await conn.fetchval("SELECT current_schema()")
            except BaseException:
                await stack.aclose()
                raise
            self._key, self.channel = _names(str(schema))
            self._conn, self._closing, self._closed = conn, stack, asyncio.Event()
            closed = self._closed
            conn.raw.add_termination_listener(lambda _: closed.set())
        query = self._conn.fetchval("SELECT pg_try_advisory_lock(?)", (self._key,))
        self.held = bool(await asyncio.wait_for(query, self.check * 5))
        return self.held

    async def listen(self, heard: Callable[[Signal], None]) -> None:
        """Call `heard` with each signal sent to this bot's processes, for as long as the
        lease is held."""
        assert self._conn is not None and self.held, "listen after acquire"

        def on_notify(_conn: object, _pid: int, _channel: str, payload: str) -> None:
            signal = Signal.decode(payload)
            if signal is None:
                log.warning("engine lease: ignored a signal it does not understand")
                return
            heard(signal)

        await self._conn.raw.add_listener(self.channel, on_notify)

    async def watch(self) -> None:
        """Return never while the lease connection is alive; raise LeaseLost when it closed
        or did not answer a check within `check` seconds."""
        assert self._conn is not None and self.held, "watch after acquire"
        conn = self._conn
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closed.wait(), self.check)
            if self._closed.is_set() or conn.raw.is_closed():
                raise LeaseLost("the engine lease's database connection closed")
            try:
                await asyncio.wait_for(conn.fetchval("SELECT 1"), self.check)
            except (TimeoutError, OSError, Exception) as exc:
                raise LeaseLost(
                    f"the engine lease's database connection stopped answering ({exc!r})"
                ) from None

    async def close(self) -> None:
        stack, self._closing, self._conn = self._closing, None, None
        self.held = False
        if stack is not None:
            await stack.aclose()


class Signals:
    """Send signals to this bot's engine holder, from any of its processes."""

    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db
        # Who sent a signal: a process hears its own too, and may have nothing to do.
        self.origin = uuid.uuid4().hex
        self._channel: str | None = None

    async def send(self, signal: Signal) -> None:
        if self._channel is None:
            _, self._channel = _names(str(await self.db.fetchval("SELECT current_schema()")))
        signed = replace(signal, origin=self.origin)
        await self.db.fetchval("SELECT pg_notify(?, ?)", (self._channel, signed.encode()))


class Listener:
    """Signals meant for every process (not only the holder), on a connection of its own,
    opened again when it is lost (`reconnected` then catches up on what was missed)."""

    def __init__(self, db: PostgresDatabase, *, retry: float) -> None:
        self.db = db
        self.retry = retry
        self.listening = asyncio.Event()  # set while signals are heard

    async def run(
        self, heard: Callable[[Signal], None], reconnected: Callable[[], Awaitable[None]]
    ) -> None:
        def on_notify(_conn: object, _pid: int, _channel: str, payload: str) -> None:
            signal = Signal.decode(payload)
            if signal is not None:
                heard(signal)

        first = True
        while True:
            closed = asyncio.Event()
            try:
                async with self.db.dedicated(settings=KEEPALIVE) as conn:
                    _, channel = _names(str(await conn.fetchval("SELECT current_schema()")))
                    conn.raw.add_termination_listener(lambda _, ended=closed: ended.set())
                    await conn.raw.add_listener(channel, on_notify)
                    self.listening.set()
                    if not first:
                        await reconnected()
                    first = False
                    await closed.wait()
            except Exception as exc:
                log.warning("signals: cannot listen (%s); trying again", exc)
            self.listening.clear()
            await asyncio.sleep(self.retry)


@dataclass(frozen=True)
class Cluster:
    """What several processes on one PostgreSQL share: the engine lease, the signals to its
    holder, and the signals every process hears."""

    lease: EngineLease
    signals: Signals
    listener: Listener


def cluster_parts(db: object, *, retry: float, check: float, holder: str) -> Cluster | None:
    """The cluster's parts on PostgreSQL; None on SQLite (one process, file-locked)."""
    if not isinstance(db, PostgresDatabase):
        return None
    lease = EngineLease(db, retry=retry, check=check, holder=holder)
    return Cluster(lease, Signals(db), Listener(db, retry=retry))


async def lease_holder(db: object) -> str | None:
    """Who holds this bot's engine lease (`host:pid`), None when nobody does; PostgreSQL
    only (for `doctor`)."""
    if not isinstance(db, PostgresDatabase):
        return None
    key, _ = _names(str(await db.fetchval("SELECT current_schema()")))
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    name = await db.fetchval(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE l.locktype = 'advisory' AND l.granted AND l.database ="
        " (SELECT oid FROM pg_database WHERE datname = current_database())"
        " AND l.classid::bigint = ? AND l.objid::bigint = ? AND l.objsubid = 1",
        (unsigned >> 32, unsigned & 0xFFFFFFFF),
    )
    if name is None:
        return None
    return str(name).removeprefix("mps-imagine engine").strip() or "?"
