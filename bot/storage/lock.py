"""One process per SQLite database: the bot and the CLI take an exclusive lock on `<db>.lock`.

Two engines on one database would both resume the same unfinished jobs and pay for them
twice. `flock` locks belong to an open file, so the kernel frees one when its process dies,
however it dies; a stale lock file left on disk does not block the next start. A second
lock on the same file from the same process conflicts too, as it should. The lock is
named after the database's real path (symlinks resolved), so a link to the same file is
the same database and meets the same lock.

PostgreSQL is shared by design; which process runs the engine there is decided in the
database itself, not by a file.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import AsyncIterator
from pathlib import Path
from types import TracebackType

from .base import Database
from .database import DatabaseError, DatabaseReadOnly, DatabaseUrl, database_url, open_database


class DatabaseInUse(DatabaseError):
    """Another process (or another part of this one) holds the database's lock."""


class DatabaseLock:
    """`acquire()` or `with`/`async with`: held until `release()` or the process ends."""

    def __init__(self, database_path: Path | str) -> None:
        self.database_path = Path(database_path)
        # The file itself, wherever links to it are: every name of it shares one lock.
        real = self.database_path.resolve()
        self.path = real.with_name(real.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock without waiting; DatabaseInUse names the holder's pid if taken."""
        if self._fd is not None:
            raise DatabaseInUse(f"{self.database_path} is already locked by this lock")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise DatabaseReadOnly(
                f"cannot create the lock file {self.path} ({exc.strerror}); the bot needs to "
                "write the database's folder"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            raise DatabaseInUse(
                f"another bot or CLI is using {self.database_path} (pid {holder}); stop it "
                "first, or point this one at another DATABASE_PATH"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        # Who holds it, for the message the next process shows.
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Let go (the file stays: removing it would race with a process about to lock it)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)  # closing the file drops the flock

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> DatabaseLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    async def __aenter__(self) -> DatabaseLock:
        # flock with LOCK_NB never blocks, so there is no need for a thread here.
        self.acquire()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _read_pid(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        text = ""
    return text if text.isdigit() else "unknown"


@contextlib.asynccontextmanager
async def open_locked_database(target: DatabaseUrl | Path | str) -> AsyncIterator[Database]:
    """Lock (SQLite), open and migrate the database; close it and unlock on the way out.

    The lock is taken before the database is opened, so two processes never migrate it at
    once. An in-memory database has no file to share and is not locked; PostgreSQL
    migrates under an advisory lock of its own.
    """
    url = database_url(target)
    plain = not url.is_sqlite or str(url.path) == ":memory:"
    lock = contextlib.nullcontext() if plain else DatabaseLock(url.path or "")
    with lock:
        db = await open_database(url)
        try:
            yield db
        finally:
            await db.close()
