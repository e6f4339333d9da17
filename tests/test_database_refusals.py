"""The database refuses to start in a bad state with a plain message, and closes first."""

from __future__ import annotations

import ctypes
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import bot.storage.database as database
import bot.storage.migrations as migrations
from bot.storage.database import (
    DatabaseCorrupt,
    DatabaseError,
    DatabaseReadOnly,
    DatabaseTooNew,
    MigrationFailed,
    open_database,
)

ROOT = Path(__file__).resolve().parent.parent


def _worker_threads() -> int:
    # aiosqlite runs each connection in a thread named after its target function.
    return sum(1 for th in threading.enumerate() if "_connection_worker_thread" in th.name)


@pytest.fixture
def no_leaked_connection():
    before = _worker_threads()
    yield
    for th in threading.enumerate():
        if "_connection_worker_thread" in th.name:
            th.join(timeout=5)
    assert _worker_threads() <= before  # none of our own left behind


async def test_a_good_database_opens(tmp_path: Path):
    db = await open_database(tmp_path / "bot.sqlite3")
    try:
        async with db.execute("PRAGMA user_version") as cur:
            assert (await cur.fetchone())[0] == database.known_version()
    finally:
        await db.close()


async def test_a_corrupt_file_is_refused(tmp_path: Path, no_leaked_connection):
    path = tmp_path / "bot.sqlite3"
    path.write_bytes(os.urandom(8192))
    with pytest.raises(DatabaseCorrupt) as caught:
        await open_database(path)
    assert str(path) in str(caught.value)
    assert "not a database" in str(caught.value) or "corrupt" in str(caught.value)


async def test_a_failed_migration_is_refused_and_rolled_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_leaked_connection
):
    good = migrations.numbered_scripts()
    latest = good[-1][0]
    monkeypatch.setattr(
        migrations,
        "numbered_scripts",
        lambda dialect="sqlite": (*good, (latest + 1, "CREATE TABLE broken (")),
    )
    path = tmp_path / "bot.sqlite3"
    with pytest.raises(MigrationFailed) as caught:
        await open_database(path)
    assert f"migration {latest + 1}" in str(caught.value)
    with sqlite3.connect(path) as plain:
        assert plain.execute("PRAGMA user_version").fetchone()[0] == latest


async def test_a_newer_schema_is_refused(tmp_path: Path, no_leaked_connection):
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as plain:
        plain.execute("PRAGMA user_version = 99")
    with pytest.raises(DatabaseTooNew) as caught:
        await open_database(path)
    assert "99" in str(caught.value)
    assert str(database.known_version()) in str(caught.value)


def test_database_errors_share_a_base():
    for kind in (DatabaseCorrupt, MigrationFailed, DatabaseTooNew, DatabaseReadOnly):
        assert issubclass(kind, DatabaseError)


READ_ONLY_CHILD = r"""
import asyncio, sys
from bot.storage.database import DatabaseReadOnly, open_database
try:
    asyncio.run(open_database(sys.argv[1]))
except DatabaseReadOnly as exc:
    print("DatabaseReadOnly:", exc)
    sys.exit(3)
print("opened")
"""

_PR_CAPBSET_DROP = 24
# CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER: what lets root ignore permissions.
_PERMISSION_CAPS = (1, 2, 3)


def _obey_permissions() -> None:
    """In the child before exec: without these capabilities root is held to the file modes
    (root's capabilities after exec are those of its bounding set)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in _PERMISSION_CAPS:
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _open_in_child(path: Path) -> subprocess.CompletedProcess[str]:
    as_root = os.geteuid() == 0
    try:
        return subprocess.run(
            [sys.executable, "-c", READ_ONLY_CHILD, str(path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            preexec_fn=_obey_permissions if as_root else None,
        )
    except subprocess.SubprocessError as exc:
        pytest.skip(f"cannot drop root's permission override here: {exc}")


def _make_database(path: Path) -> None:
    with sqlite3.connect(path) as plain:
        plain.execute("PRAGMA user_version = 0")
        plain.execute("CREATE TABLE t (x)")


def test_a_read_only_file_is_refused(tmp_path: Path):
    path = tmp_path / "bot.sqlite3"
    _make_database(path)
    path.chmod(0o444)
    run = _open_in_child(path)
    assert run.returncode == 3, run.stdout + run.stderr
    assert f"cannot write to {path}" in run.stdout


def test_a_read_only_folder_is_refused(tmp_path: Path):
    folder = tmp_path / "locked"
    folder.mkdir()
    path = folder / "bot.sqlite3"
    _make_database(path)
    folder.chmod(0o555)
    try:
        run = _open_in_child(path)
    finally:
        folder.chmod(0o755)
    assert run.returncode == 3, run.stdout + run.stderr


def test_opening_a_corrupt_database_exits_instead_of_hanging(tmp_path: Path):
    path = tmp_path / "bot.sqlite3"
    path.write_bytes(b"garbage" * 2000)
    code = (
        "import asyncio, sys\n"
        "from bot.storage.database import open_database\n"
        "asyncio.run(open_database(sys.argv[1]))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert run.returncode == 1
    assert "DatabaseCorrupt" in run.stderr
