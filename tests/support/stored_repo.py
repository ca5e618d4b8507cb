"""A repository stored as the fetch stage stores it (repos, tree_entries, repo_files, blobs)."""

from __future__ import annotations

import hashlib
import sqlite3
import zlib

from survey.core.db import transaction


def add_repo(conn: sqlite3.Connection, repo: str, status: str = "ok", head: str | None = "c1",
             files: dict[str, bytes] | None = None, tree_only: tuple[str, ...] = (),
             detail: str | None = None) -> None:
    """``files`` are in the tree and downloaded; ``tree_only`` paths are listed (10 bytes each)
    but were never downloaded."""
    with transaction(conn):
        conn.execute("INSERT INTO repos (repo, host, status, status_detail, head_sha, first_seen)"
                     " VALUES (?, 'github.com', ?, ?, ?, ?)",
                     (repo, status, detail, head, "2026-06-15T12:00:00Z"))
        for path, data in (files or {}).items():
            sha = hashlib.sha1(data).hexdigest()
            conn.execute("INSERT OR IGNORE INTO blobs (sha, size, content) VALUES (?, ?, ?)",
                         (sha, len(data), zlib.compress(data)))
            conn.execute("INSERT INTO tree_entries (repo, path, type, sha, size)"
                         " VALUES (?, ?, 'blob', ?, ?)", (repo, path, sha, len(data)))
            role = "notebook" if path.endswith(".ipynb") else (
                "python" if path.endswith(".py") else "manifest")
            conn.execute("INSERT INTO repo_files (repo, path, sha, role) VALUES (?, ?, ?, ?)",
                         (repo, path, sha, role))
        for path in tree_only:
            conn.execute("INSERT INTO tree_entries (repo, path, type, sha, size)"
                         " VALUES (?, ?, 'blob', 'x', 10)", (repo, path))
