"""The SQLite store: opening safely, numbered migrations, transactions.

The schema changes only through the numbered ``survey/core/migrations/NNNN_name.sql`` files,
each applied once inside a transaction and recorded in ``schema_migrations``, so a database from
any earlier version upgrades in place and one from a newer version is refused, not damaged.

Two ways in, because a user's file is theirs:

* :func:`open_write` (``crawl``, ``refresh``, ``import``): creates a new database, or opens one
  that is already a survey database, migrates it, and switches to WAL for the run so ``status``
  can read while it writes; :func:`close` switches back to a plain rollback journal, so a
  database at rest is one self-contained file that read-only commands can open without creating
  anything beside it.
* :func:`open_read` (``status``, ``report``, ``export``, ``show``): ``mode=ro``, never migrates,
  never changes the journal mode, creates no file (a WAL database with no writer running is
  opened ``immutable``, which also works on a read-only mount).

A file that holds tables but is not a survey database (someone's ``notes``), or is not SQLite at
all, is refused by both with one line, before anything is written: it stays byte for byte as it
was. A survey database is recognised by its ``application_id`` (set by every migration run) or,
for databases made before it was set, by its ``schema_migrations`` table holding migration 1.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import quote

from survey.core.clock import SYSTEM_CLOCK, Clock, stamp
from survey.core.errors import StoreError

_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# PRAGMA application_id of every survey database: "SRVY".
APPLICATION_ID = 0x53525659
_SQLITE_MAGIC = b"SQLite format 3\x00"
_UPGRADE_HINT = "run `survey refresh` (or `survey crawl`) once to upgrade it"


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """All migrations shipped with the package, in order."""
    found = []
    for entry in resources.files("survey.core.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.number)
    numbers = [m.number for m in found]
    if len(numbers) != len(set(numbers)):
        raise StoreError(f"duplicate migration numbers: {numbers}")
    return found


def latest_version() -> int:
    """The schema version this survey writes and reads."""
    known = migrations()
    return known[-1].number if known else 0


# -- recognising a file ----------------------------------------------------------------------

def _header(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(100)
    except OSError as exc:
        raise StoreError(f"cannot read database {path}: {exc.strerror or exc}") from exc


def _check_sqlite_file(path: Path) -> bytes:
    """The header of an existing file, or StoreError when it is not an SQLite database."""
    if path.is_dir():
        raise StoreError(f"database path is a directory: {path}")
    header = _header(path)
    if header and not header.startswith(_SQLITE_MAGIC):
        raise StoreError(f"cannot open database {path}: file is not a database")
    return header


def _user_tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}


def is_survey(conn: sqlite3.Connection) -> bool | None:
    """True for a survey database, None for an empty one, False for anybody else's."""
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    if app_id == APPLICATION_ID:
        return True
    tables = _user_tables(conn)
    if not tables:
        return None if app_id == 0 else False
    if app_id != 0 or "schema_migrations" not in tables:
        return False
    columns = {r[1] for r in conn.execute("PRAGMA table_info(schema_migrations)")}
    if not {"number", "name", "applied_at"} <= columns:
        return False
    row = conn.execute("SELECT name FROM schema_migrations WHERE number = 1").fetchone()
    return row is not None and row[0] == "initial"


def _refuse_foreign(conn: sqlite3.Connection, path: Path) -> bool:
    """Raise for someone else's database; return whether the database is empty (new)."""
    try:
        ours = is_survey(conn)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot open database {path}: {exc}") from exc
    if ours is False:
        raise StoreError(f"{path} is not a survey database (it holds other tables):"
                         " refusing to touch it; give another --db")
    return ours is None


def schema_version(conn: sqlite3.Connection) -> int:
    """The highest migration applied (0 for a new database). Reads only."""
    if "schema_migrations" not in _user_tables(conn):
        return 0
    row = conn.execute("SELECT MAX(number) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def check_writable_target(path: Path) -> None:
    """Refuse, before a lock file is made beside it, a file survey must not write to.

    Reads only: a file that is not SQLite, or an SQLite database that is somebody else's.
    A missing or empty file is fine (it becomes a new survey database).
    """
    path = Path(path)
    if str(path) == ":memory:" or not path.exists():
        return
    header = _check_sqlite_file(path)
    if not header:
        return
    conn = _connect_ro(path, header)
    try:
        _refuse_foreign(conn, path)
        _refuse_newer(conn, path)
    finally:
        conn.close()


def _refuse_newer(conn: sqlite3.Connection, path: Path) -> int:
    current = schema_version(conn)
    latest = latest_version()
    if current > latest:
        raise StoreError(f"database {path} has schema {current}, newer than this survey's"
                         f" ({latest}): upgrade survey")
    return current


# -- opening ---------------------------------------------------------------------------------

def _configure(conn: sqlite3.Connection) -> sqlite3.Connection:
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


def _connect_ro(path: Path, header: bytes) -> sqlite3.Connection:
    """A read-only connection that creates nothing beside the file.

    SQLite opens a WAL database read-only by creating ``-wal`` and ``-shm`` files; when no
    ``-wal`` exists no writer is running, so the file is opened ``immutable`` instead.
    """
    wal = len(header) > 19 and header[18] == 2
    params = "mode=ro"
    if wal and not Path(f"{path}-wal").exists():
        params += "&immutable=1"
    uri = f"file:{quote(str(path.resolve()))}?{params}"
    try:
        return _configure(sqlite3.connect(uri, uri=True, timeout=30.0, isolation_level=None))
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot open database {path}: {exc}") from exc


def open_read(path: Path | str) -> sqlite3.Connection:
    """Open an existing survey database for reading only (see the module docstring)."""
    path = Path(path)
    if not path.exists():
        raise StoreError(f"no database at {path}: run `survey crawl --since 2018` first")
    header = _check_sqlite_file(path)
    if not header:
        raise StoreError(f"{path} is empty: not a survey database yet (run `survey crawl`)")
    conn = _connect_ro(path, header)
    try:
        if _refuse_foreign(conn, path):
            raise StoreError(f"{path} holds no tables: not a survey database yet")
        current = _refuse_newer(conn, path)
        if current < latest_version():
            raise StoreError(f"database {path} has schema {current}, older than this survey's"
                             f" ({latest_version()}): {_UPGRADE_HINT}")
    except BaseException:
        conn.close()
        raise
    return conn


def open_write(path: Path | str, *, clock: Clock = SYSTEM_CLOCK) -> sqlite3.Connection:
    """Create or open a survey database for a writing run, migrated and in WAL mode.

    Close it with :func:`close`. The connection is in autocommit mode; use
    :func:`transaction` for every write so a stage's rows and its progress marker commit
    together.
    """
    path = Path(path)
    memory = str(path) == ":memory:"
    if not memory:
        if path.exists():
            _check_sqlite_file(path)
        else:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create folder for database {path}:"
                                 f" {exc.strerror}") from exc
    try:
        conn = _configure(sqlite3.connect(str(path), timeout=30.0, isolation_level=None))
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot open database {path}: {exc}") from exc
    try:
        _refuse_foreign(conn, path)
        _refuse_newer(conn, path)
        if not memory:
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        apply_migrations(conn, clock=clock)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(f"cannot use database {path}: {exc}") from exc
    except BaseException:
        conn.close()
        raise
    return conn


def close(conn: sqlite3.Connection) -> None:
    """Close a writing connection, leaving the database as one file (rollback journal).

    Best effort: while a reader holds the database the switch waits briefly, then is skipped
    (the next writer tries again); the data are committed either way.
    """
    try:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.execute("PRAGMA busy_timeout = 2000")
        if conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
            conn.execute("PRAGMA journal_mode = DELETE")
    except sqlite3.Error:
        pass
    finally:
        conn.close()


@contextmanager
def writing(path: Path | str, *, clock: Clock = SYSTEM_CLOCK) -> Iterator[sqlite3.Connection]:
    """:func:`open_write` ... :func:`close` as a ``with`` block."""
    conn = open_write(path, clock=clock)
    try:
        yield conn
    finally:
        close(conn)


@contextmanager
def reading(path: Path | str) -> Iterator[sqlite3.Connection]:
    """:func:`open_read` as a ``with`` block."""
    conn = open_read(path)
    try:
        yield conn
    finally:
        conn.close()


# -- migrations ------------------------------------------------------------------------------

def apply_migrations(conn: sqlite3.Connection, *, clock: Clock = SYSTEM_CLOCK) -> list[int]:
    """Apply pending migrations, each in its own transaction; return the numbers applied."""
    known = migrations()
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
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
                (mig.number, mig.name, stamp(clock.now())),
            )
        applied.append(mig.number)
    if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID:d}")
    return applied


def _is_comment_only(text: str) -> bool:
    return all(ln.strip().startswith("--") or not ln.strip() for ln in text.splitlines())


def _statements(sql: str) -> Iterator[str]:
    """Split a migration script into statements (executescript would commit on its own)."""
    buf = ""
    for line in sql.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            stmt = buf.strip()
            if stmt and not _is_comment_only(stmt):
                yield stmt
            buf = ""
    if buf.strip() and not _is_comment_only(buf):
        raise StoreError("incomplete SQL statement at the end of a migration")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``; rolls back on any exception (including Ctrl-C).

    SQLite ends the transaction itself on some errors (a full disk): then there is nothing to
    roll back, and the original error is the one raised.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def file_size(path: Path) -> int:
    """Bytes of the database and its WAL (for ``status``)."""
    total = 0
    for p in (path, Path(f"{path}-wal")):
        try:
            total += os.stat(p).st_size
        except OSError:
            pass
    return total
