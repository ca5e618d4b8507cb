"""Everything stored about one paper or one repository, for ``survey show``. Reads only.

A link's sources are read through :func:`link_sources` alone, so when a link can have several
sources (abstract, comment, Papers With Code, Hugging Face) only that function changes.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LinkRow:
    """One link of a paper, resolved to its canonical repository (``repo`` when no alias)."""

    key: str            # as linked (host/owner/name, lower case)
    canonical: str      # after renames
    host: str
    kind: str
    url: str
    official: bool
    status: str | None  # the repository's status; None for pages (no ``repos`` row)
    framework: str | None


@dataclass(frozen=True)
class SourceRow:
    """Where a link was found, and the verdict that source gave it."""

    source: str         # abstract, comment, pwc, hf
    url: str
    official: bool


@dataclass(frozen=True)
class FileRow:
    path: str
    role: str
    size: int | None


@dataclass(frozen=True)
class LinkingPaper:
    arxiv_id: str
    title: str
    published: str
    linked_as: str      # the key the paper linked (an old name when renamed)
    official: bool


def paper(conn: sqlite3.Connection, arxiv_id: str) -> dict[str, Any] | None:
    """The ``papers`` row of ``arxiv_id`` (no version suffix), or None."""
    row = conn.execute("SELECT * FROM papers WHERE arxiv_id = ?", (arxiv_id,)).fetchone()
    return None if row is None else dict(row)


def paper_links(conn: sqlite3.Connection, arxiv_id: str) -> list[LinkRow]:
    """A paper's links in the order they were stored, each with its repository's state."""
    rows = conn.execute(
        "SELECT l.repo AS key, COALESCE(a.repo, l.repo) AS canonical, l.host, l.kind, l.url,"
        " l.official, r.status, c.framework"
        " FROM links l"
        " LEFT JOIN repo_aliases a ON a.alias = l.repo"
        " LEFT JOIN repos r ON r.repo = COALESCE(a.repo, l.repo)"
        " LEFT JOIN classifications c ON c.repo = r.repo"
        " WHERE l.arxiv_id = ? ORDER BY l.rowid", (arxiv_id,))
    return [LinkRow(r["key"], r["canonical"], r["host"], r["kind"], r["url"], bool(r["official"]),
                    r["status"], r["framework"]) for r in rows]


def link_sources(conn: sqlite3.Connection, arxiv_id: str) -> dict[str, list[SourceRow]]:
    """key -> the sources of each of a paper's links (today one per link: ``links.source``)."""
    found: dict[str, list[SourceRow]] = {}
    for r in conn.execute("SELECT repo, source, url, official FROM links WHERE arxiv_id = ?"
                          " ORDER BY rowid", (arxiv_id,)):
        found.setdefault(r["repo"], []).append(SourceRow(r["source"], r["url"],
                                                         bool(r["official"])))
    return found


def canonical_repo(conn: sqlite3.Connection, key: str) -> tuple[str, bool] | None:
    """(canonical repository, whether ``key`` is an old name) for a ``repos`` key or alias."""
    if conn.execute("SELECT 1 FROM repos WHERE repo = ?", (key,)).fetchone():
        return key, False
    row = conn.execute("SELECT repo FROM repo_aliases WHERE alias = ?", (key,)).fetchone()
    return (str(row[0]), True) if row else None


def repo(conn: sqlite3.Connection, name: str) -> dict[str, Any] | None:
    """The ``repos`` row, without the ETag (a cache detail of no use to a reader)."""
    row = conn.execute("SELECT * FROM repos WHERE repo = ?", (name,)).fetchone()
    if row is None:
        return None
    out = dict(row)
    out.pop("etag", None)
    return out


def aliases(conn: sqlite3.Connection, name: str) -> list[str]:
    """Other names of a repository (renames, transfers, the name as linked)."""
    return [str(r[0]) for r in conn.execute(
        "SELECT alias FROM repo_aliases WHERE repo = ? ORDER BY alias", (name,))]


def files_read(conn: sqlite3.Connection, name: str) -> list[FileRow]:
    """The files the fetch stage downloaded for a repository, with their sizes, by path."""
    return [FileRow(r[0], r[1], r[2]) for r in conn.execute(
        "SELECT f.path, f.role, b.size FROM repo_files f LEFT JOIN blobs b ON b.sha = f.sha"
        " WHERE f.repo = ? ORDER BY f.path", (name,))]


def tree_counts(conn: sqlite3.Connection, name: str) -> dict[str, int]:
    """Entries of the stored tree by type (``blob``, ``tree``, ``commit``)."""
    return {str(t): int(n) for t, n in conn.execute(
        "SELECT type, COUNT(*) FROM tree_entries WHERE repo = ? GROUP BY type ORDER BY type",
        (name,))}


def classification(conn: sqlite3.Connection, name: str) -> dict[str, Any] | None:
    """The ``classifications`` row (evidence still JSON text), or None."""
    row = conn.execute("SELECT * FROM classifications WHERE repo = ?", (name,)).fetchone()
    return None if row is None else dict(row)


def linking_papers(conn: sqlite3.Connection, name: str) -> list[LinkingPaper]:
    """Papers that link a repository under any of its names, oldest first."""
    return [LinkingPaper(r["arxiv_id"], r["title"], r["published"], r["repo"],
                         bool(r["official"])) for r in conn.execute(
        "SELECT p.arxiv_id, p.title, p.published, l.repo, l.official"
        " FROM links l JOIN papers p ON p.arxiv_id = l.arxiv_id"
        " WHERE l.repo = ? OR l.repo IN (SELECT alias FROM repo_aliases WHERE repo = ?)"
        " ORDER BY p.published, p.arxiv_id", (name, name))]


def link_target(conn: sqlite3.Connection, key: str) -> tuple[str, str] | None:
    """(host, kind) of a key that papers link but that has no ``repos`` row (a page)."""
    row = conn.execute("SELECT host, kind FROM links WHERE repo = ? LIMIT 1", (key,)).fetchone()
    return None if row is None else (str(row[0]), str(row[1]))
