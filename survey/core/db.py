"""The SQLite store: connection, numbered migrations, transactions.

The schema changes only through the numbered ``survey/migrations/NNNN_name.sql`` files, each
applied once inside a transaction and recorded in ``schema_migrations``, so a database from any
earlier version upgrades in place and a database from a newer version is refused rather than
damaged. WAL mode lets ``survey status`` read while a crawl writes.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from survey.errors import StoreError

_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """All migrations shipped with the package, in order."""
    found = []
    for entry in resources.files("survey.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.number)
    numbers = [m.number for m in found]
    if len(numbers) != len(set(numbers)):
        raise StoreError(f"duplicate migration numbers: {numbers}")
    return found


def utcnow() -> str:
    """Now, as stored: ISO 8601 UTC with seconds."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def connect(path: Path | str, *, migrate: bool = True) -> sqlite3.Connection:
    """Open (creating folder and file on demand) and bring the schema up to date.

    The connection is in autocommit mode; use :func:`transaction` for every write so a stage's
    rows and its progress marker commit together.
    """
    path = Path(path)
    if str(path) != ":memory:":
        if path.exists() and path.is_dir():
            raise StoreError(f"database path is a directory: {path}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create folder for database {path}: {exc.strerror}") from exc
    try:
        conn = sqlite3.connect(str(path), timeout=30.0, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 30000")
        if str(path) != ":memory:":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot open database {path}: {exc}") from exc
    if migrate:
        try:
            apply_migrations(conn)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(f"cannot use database {path}: {exc}") from exc
    return conn


def schema_version(conn: sqlite3.Connection) -> int:
    """The highest migration applied (0 for a new database)."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    row = conn.execute("SELECT MAX(number) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def apply_migrations(conn: sqlite3.Connection) -> list[int]:
    """Apply pending migrations, each in its own transaction; return the numbers applied."""
    known = migrations()
    current = schema_version(conn)
    if known and current > known[-1].number:
        raise StoreError(
            f"database schema {current} is newer than this survey's ({known[-1].number}):"
            " upgrade survey"
        )
    applied = []
    done = {r[0] for r in conn.execute("SELECT number FROM schema_migrations")}
    for mig in known:
        if mig.number in done:
            continue
        with transaction(conn):
            for statement in _statements(mig.sql):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (number, name, applied_at) VALUES (?, ?, ?)",
                (mig.number, mig.name, utcnow()),
            )
        applied.append(mig.number)
    return applied


def _statements(sql: str) -> Iterator[str]:
    """Split a migration script into statements (executescript would commit on its own)."""
    buf = ""
    for line in sql.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            stmt = buf.strip()
            if stmt and not all(
                ln.strip().startswith("--") or not ln.strip() for ln in stmt.splitlines()
            ):
                yield stmt
            buf = ""
    if buf.strip() and not all(
        ln.strip().startswith("--") or not ln.strip() for ln in buf.splitlines()
    ):
        raise StoreError("incomplete SQL statement at the end of a migration")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``; rolls back on any exception (including Ctrl-C)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")
