"""The databases tests run on: SQLite files, and a real PostgreSQL server.

Each test run makes its own PostgreSQL database (`imagine_test_<pid>_<random>`) on the
server of `TEST_DATABASE_URL` (default `postgresql://127.0.0.1:5432/test`) and drops it at
the end; each test gets its own schema in it (`search_path` in the URL, which the bot
processes of end-to-end tests get as `DATABASE_URL`). No server reachable: PostgreSQL tests
are skipped with the reason, except under `CI=true`, where that is a failure.

`--database=postgresql` (or `TEST_DATABASE=postgresql`) runs the whole suite on PostgreSQL:
every database a test opens through `test_database()` (engines, stores, bot processes) is
then a PostgreSQL schema. Store-level tests ask for `both_databases` and run on both in
every run.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

DEFAULT_SERVER = "postgresql://127.0.0.1:5432/test"
_schemas = itertools.count(1)


class _Run:
    """This run's PostgreSQL database, made on first use."""

    mode = "sqlite"
    url: str | None = None  # the run's database
    unavailable: str | None = None
    made = False
    lock = threading.Lock()


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def _run_sync(coro) -> object:
    """Run a coroutine to its end from any thread, event loop or not (on its own loop)."""
    out: dict[str, object] = {}

    def target() -> None:
        try:
            out["value"] = asyncio.run(coro)
        except BaseException as exc:
            out["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in out:
        raise out["error"]  # type: ignore[misc]
    return out.get("value")


async def _create(server: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(server, timeout=5)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _drop(server: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(server, timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def _create_schema(url: str, schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url, timeout=5)
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        await conn.close()


def server_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or DEFAULT_SERVER


def run_database() -> str:
    """This run's own PostgreSQL database (made now if not yet); skips (fails under CI)
    when no server answers."""
    with _Run.lock:
        if _Run.url is None and _Run.unavailable is None:
            server = server_url()
            name = f"imagine_test_{os.getpid()}_{secrets.token_hex(3)}"
            try:
                _run_sync(_create(server, name))
            except Exception as exc:
                _Run.unavailable = (
                    f"no PostgreSQL server for the tests at {_shown(server)} "
                    f"({type(exc).__name__}: "
                    f"{exc}); set TEST_DATABASE_URL to one where databases may be created"
                )
            else:
                _Run.url = _with_database(server, name)
                _Run.made = True
    if _Run.url is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(_Run.unavailable or "no PostgreSQL server", pytrace=False)
        pytest.skip(_Run.unavailable or "no PostgreSQL server")
    return _Run.url


def postgresql_url() -> str:
    """A fresh, empty schema of this run's database, as a DATABASE_URL."""
    base = run_database()
    schema = f"t{next(_schemas)}"
    _run_sync(_create_schema(base, schema))
    return f"{base}?search_path={schema}"


def on_postgresql() -> bool:
    return _Run.mode == "postgresql"


_assigned: dict[str, str] = {}


def test_database(sqlite_path: Path | str) -> Path | str:
    """Where a test's database is: `sqlite_path`, or, when the run is on PostgreSQL, the
    schema made for that path (the same one each time it is asked for: a test that
    restarts an engine on the same file gets the same database back)."""
    if not on_postgresql():
        return sqlite_path
    key = str(sqlite_path)
    if key not in _assigned:
        _assigned[key] = postgresql_url()
    return _assigned[key]


test_database.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


# -- the pytest side ---------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database",
        choices=("sqlite", "postgresql"),
        default=None,
        help="the database the whole suite runs on (default sqlite, or $TEST_DATABASE)",
    )


def pytest_configure(config: pytest.Config) -> None:
    mode = config.getoption("--database") or os.environ.get("TEST_DATABASE") or "sqlite"
    if mode not in ("sqlite", "postgresql"):
        raise pytest.UsageError("TEST_DATABASE must be sqlite or postgresql")
    _Run.mode = mode


def pytest_report_header(config: pytest.Config) -> str:
    return f"database: {_Run.mode} (PostgreSQL server for the tests: {_shown(server_url())})"


def _shown(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.hostname or "", parts.path, "", ""))


def pytest_unconfigure(config: pytest.Config) -> None:
    if _Run.made and _Run.url is not None:
        name = urlsplit(_Run.url).path.lstrip("/")
        try:
            _run_sync(_drop(server_url(), name))
        except Exception as exc:  # the run's result stands; say what was left behind
            print(f"\ncould not drop the test database {name}: {exc}")


@pytest.fixture(params=["sqlite", "postgresql"])
def both_databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path | str]:
    """A test's database on SQLite, then on PostgreSQL (store-level tests)."""
    yield tmp_path / "db.sqlite3" if request.param == "sqlite" else postgresql_url()


def is_postgresql(target: Path | str) -> bool:
    return isinstance(target, str) and target.startswith("postgresql://")


async def read_rows(target: Path | str, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows as plain tuples, read the way an operator would, beside a running bot: a
    short connection of its own (`?` placeholders on both databases)."""
    if is_postgresql(target):
        import asyncpg

        from bot.storage.dialect import numbered

        conn = await asyncpg.connect(target, timeout=5)
        try:
            return [tuple(r) for r in await conn.fetch(numbered(sql), *params)]
        finally:
            await conn.close()

    def read() -> list[tuple]:
        with contextlib.closing(sqlite3.connect(target, timeout=10)) as plain:
            return [tuple(r) for r in plain.execute(sql, params).fetchall()]

    return await asyncio.to_thread(read)


async def write_rows(target: Path | str, sql: str, params: tuple = ()) -> None:
    """One statement, committed (to prepare a scenario)."""
    if is_postgresql(target):
        import asyncpg

        from bot.storage.dialect import numbered

        conn = await asyncpg.connect(target, timeout=5)
        try:
            await conn.execute(numbered(sql), *params)
        finally:
            await conn.close()
        return

    def write() -> None:
        with contextlib.closing(sqlite3.connect(target, timeout=10)) as plain, plain:
            plain.execute(sql, params)

    await asyncio.to_thread(write)
