"""Databases as older versions of survey left them, for the migration tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from survey.core.db import migrations


def database_at_schema(path: Path, last: int) -> sqlite3.Connection:
    """A new database at ``path`` with survey's migrations up to ``last`` applied and recorded,
    and no application_id (as versions before it left them); the caller commits and closes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_migrations (number INTEGER PRIMARY KEY, name TEXT NOT"
                 " NULL, applied_at TEXT NOT NULL)")
    for mig in migrations():
        if mig.number <= last:
            conn.executescript(mig.sql)
            conn.execute("INSERT INTO schema_migrations VALUES (?, ?, 'x')",
                         (mig.number, mig.name))
    return conn
