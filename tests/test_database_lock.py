"""One process per database: a second bot or CLI is refused with the holder's pid."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.storage.database import DatabaseError
from bot.storage.lock import DatabaseInUse, DatabaseLock, open_locked_database

ROOT = Path(__file__).resolve().parent.parent

HOLDER = r"""
import sys
from bot.storage.lock import DatabaseLock
lock = DatabaseLock(sys.argv[1])
lock.acquire()
print("locked", flush=True)
sys.stdin.readline()
lock.release()
"""

TRY = r"""
import sys
from bot.storage.lock import DatabaseInUse, DatabaseLock
try:
    DatabaseLock(sys.argv[1]).acquire()
except DatabaseInUse as exc:
    print(exc)
    sys.exit(4)
print("acquired")
"""


def _try(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", TRY, str(path)], cwd=ROOT, capture_output=True, text=True, timeout=30
    )


def test_a_second_process_is_refused_while_the_first_holds_the_lock(tmp_path: Path):
    path = tmp_path / "bot.sqlite3"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        refused = _try(path)
        assert refused.returncode == 4
        assert f"another bot or CLI is using {path} (pid {holder.pid})" in refused.stdout
    finally:
        holder.communicate("\n", timeout=30)
    assert holder.returncode == 0
    assert _try(path).stdout.strip() == "acquired"


def test_the_lock_is_freed_when_its_holder_dies(tmp_path: Path):
    path = tmp_path / "bot.sqlite3"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    holder.kill()
    holder.wait(timeout=30)
    holder.stdin.close()
    holder.stdout.close()
    assert _try(path).stdout.strip() == "acquired"


def test_a_second_acquire_in_the_same_process_is_refused(tmp_path: Path):
    path = tmp_path / "bot.sqlite3"
    first = DatabaseLock(path)
    first.acquire()
    try:
        with pytest.raises(DatabaseInUse) as caught:
            DatabaseLock(path).acquire()
        assert f"(pid {os.getpid()})" in str(caught.value)
        assert isinstance(caught.value, DatabaseError)
    finally:
        first.release()
    with DatabaseLock(path):
        pass


async def test_open_locked_database_holds_the_lock_while_open(tmp_path: Path):
    path = tmp_path / "data" / "bot.sqlite3"
    async with open_locked_database(path) as db:
        async with db.execute("SELECT 1") as cur:
            assert (await cur.fetchone())[0] == 1
        with pytest.raises(DatabaseInUse):
            async with DatabaseLock(path):
                pass
    async with DatabaseLock(path):
        pass


def test_a_link_to_the_database_meets_the_same_lock(tmp_path: Path):
    # A second engine through a symlink (to the file, or to its folder) is refused too.
    real = tmp_path / "data" / "bot.sqlite3"
    real.parent.mkdir()
    real.touch()
    (tmp_path / "bot-link.sqlite3").symlink_to(real)
    (tmp_path / "data-link").symlink_to(real.parent, target_is_directory=True)
    with DatabaseLock(real):
        for other in (tmp_path / "bot-link.sqlite3", tmp_path / "data-link" / "bot.sqlite3"):
            refused = _try(other)
            assert refused.returncode == 4, refused.stdout
            assert f"another bot or CLI is using {other}" in refused.stdout
    assert _try(tmp_path / "bot-link.sqlite3").stdout.strip() == "acquired"
