"""The store: migrations recorded, idempotent, refused when newer; transactions roll back."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from survey.core.db import apply_migrations, migrations, open_write, schema_version, transaction
from survey.core.errors import StoreError


def test_new_database_is_migrated_and_in_wal(db_path: Path) -> None:
    conn = open_write(db_path)
    assert db_path.exists()
    assert schema_version(conn) == migrations()[-1].number
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"papers", "harvest_windows", "links", "repos", "blobs", "classifications",
            "runs"} <= tables
    assert apply_migrations(conn) == []  # second time: nothing to do


def test_newer_schema_is_refused(db_path: Path) -> None:
    conn = open_write(db_path)
    conn.execute("INSERT INTO schema_migrations VALUES (9999, 'future', 'x')")
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        open_write(db_path)


def test_transaction_rolls_back(conn: sqlite3.Connection) -> None:
    with pytest.raises(RuntimeError):
        with transaction(conn):
            conn.execute("INSERT INTO meta VALUES ('k', 'v')")
            raise RuntimeError("boom")
    assert conn.execute("SELECT COUNT(*) FROM meta").fetchone()[0] == 0


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot"):
        open_write(bad)
    assert bad.read_bytes() == b"this is not sqlite" * 100

