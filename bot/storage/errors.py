"""What storage raises: a database that cannot be used, and a broken constraint."""

from __future__ import annotations

import sqlite3


class DatabaseError(Exception):
    """The database cannot be used; the message says why and what to do, for an operator."""


class DatabaseCorrupt(DatabaseError):
    pass


class DatabaseReadOnly(DatabaseError):
    pass


class DatabaseTooNew(DatabaseError):
    pass


class MigrationFailed(DatabaseError):
    pass


class DatabaseUnreachable(DatabaseError):
    pass


class IntegrityError(sqlite3.IntegrityError):
    """A unique, foreign-key or not-null constraint said no, on either database.

    A subclass of sqlite3's own, so code written against SQLite (`except
    sqlite3.IntegrityError`) catches PostgreSQL's refusal too."""
