"""Where the database is: `DATABASE_URL` (or `DATABASE_PATH` for SQLite).

    sqlite:///data/bot.sqlite3        a path relative to the working directory
    sqlite:////var/lib/bot/bot.db     an absolute path (four slashes)
    postgresql://user:password@host:5432/dbname   (or postgres://…)

A PostgreSQL URL may carry a password: `shown` is the URL without it, for messages and
logs, and `secret` is the password, for the log filter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .dialect import POSTGRESQL, SQLITE


class DatabaseUrlError(ValueError):
    """Not a database URL this bot can use; the message never holds the password."""


@dataclass(frozen=True)
class DatabaseUrl:
    dialect: str
    path: Path | None = None  # SQLite's file
    dsn: str = field(default="", repr=False)  # PostgreSQL's URL, password included
    shown: str = ""
    secret: str | None = field(default=None, repr=False)

    @classmethod
    def sqlite(cls, path: Path | str) -> DatabaseUrl:
        return cls(SQLITE, path=Path(path), shown=str(path))

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == SQLITE


def parse_database_url(value: str) -> DatabaseUrl:
    """A `DATABASE_URL` value as a DatabaseUrl; DatabaseUrlError says what is wrong."""
    value = value.strip()
    scheme, _, rest = value.partition("://")
    scheme = scheme.lower()
    if scheme == "sqlite":
        if not rest.startswith("/") or len(rest) < 2:
            raise DatabaseUrlError(
                "a SQLite URL is sqlite:///relative/path or sqlite:////absolute/path"
            )
        return DatabaseUrl.sqlite(rest[1:])
    if scheme in ("postgresql", "postgres"):
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - a malformed port raises here
        except ValueError:
            raise DatabaseUrlError("the PostgreSQL URL is malformed") from None
        if not parts.hostname and "host=" not in parts.query:
            raise DatabaseUrlError("a PostgreSQL URL names its host: postgresql://host/dbname")
        netloc = parts.hostname or ""
        if parts.port:
            netloc = f"{netloc}:{parts.port}"
        if parts.username:
            netloc = f"{parts.username}@{netloc}"
        shown = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
        return DatabaseUrl(POSTGRESQL, dsn=value, shown=shown, secret=parts.password or None)
    raise DatabaseUrlError("DATABASE_URL must start with sqlite:// or postgresql://")
