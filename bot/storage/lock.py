"""One process per database: the bot and the CLI take an exclusive lock on `<db>.lock`.

Two engines on one database would both resume the same unfinished jobs and pay for them
twice. `flock` locks belong to an open file, so the kernel frees one when its process dies,
however it dies; a stale lock file left on disk does not block the next start. A second
lock on the same file from the same process conflicts too, as it should.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import AsyncIterator
from pathlib import Path
from types import TracebackType

import aiosqlite

from .database import DatabaseError, DatabaseReadOnly, open_database


class DatabaseInUse(DatabaseError):
    """Another process (or another part of this one) holds the database's lock."""


class DatabaseLock:
    """`acquire()` or `with`/`async with`: held until `release()` or the process ends."""

    def __init__(self, database_path: Path | str) -> None:
        self.database_path = Path(database_path)
        self.path = self.database_path.with_name(self.database_path.name + ".lock")
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
async def open_locked_database(path: Path | str) -> AsyncIterator[aiosqlite.Connection]:
    """Lock, open and migrate the database; close it and release the lock on the way out.

    The lock is taken before the database is opened, so two processes never migrate it at
    once. An in-memory database has no file to share and is not locked.
    """
    lock = contextlib.nullcontext() if str(path) == ":memory:" else DatabaseLock(path)
    with lock:
        db = await open_database(path)
        try:
            yield db
        finally:
            await db.close()
