"""Repositories: registering linked ones, choosing what to fetch, storing what was fetched.

The canonical ``host/owner/name`` (lower case) is the ``repos`` row; other names of the same
remote id (renames, transfers, the name as linked) are ``repo_aliases``. Each fetched repository
is written in ONE transaction with its status and ``checked_at``, so a crash at any moment loses
nothing committed and never stores a repository twice or half.
"""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from survey.core.vocab import RepoStatus


@dataclass(frozen=True)
class RepoRow:
    """What selecting work needs to know of a ``repos`` row."""

    repo: str
    host: str
    status: str
    checked_at: str | None
    pushed_at: str | None
    first_seen: str
    official: bool
    misses: int = 0
    next_check_at: str | None = None


@dataclass(frozen=True)
class Fetched:
    """Metadata of a fetched repository as stored (``full_name`` spelled as the host does)."""

    remote_id: str
    full_name: str
    default_branch: str | None
    head_sha: str | None
    created_at: str | None
    pushed_at: str | None
    stars: int | None
    fork: bool | None
    archived: bool | None
    language: str | None
    size_kb: int | None
    etag: str | None


@dataclass(frozen=True)
class FileRecord:
    """A selected file of a repository: path, blob sha and why it was selected."""

    path: str
    sha: str
    role: str


def register_linked(conn: sqlite3.Connection, fetchable: dict[str, str], now: str,
                    repository_kinds: Iterable[str]) -> int:
    """Insert a ``repos`` row for every linked repository not known under its name or an alias.

    Only links of ``repository_kinds`` are repositories (pages never get a row). ``fetchable``
    maps a kind to the one host it is fetched from; other repositories get ``not_fetched`` so
    the report can still count them. Returns the number of rows added.
    """
    kinds = sorted(repository_kinds)
    marks = ",".join("?" * len(kinds))
    sql = (
        "SELECT lower(repo) AS repo, lower(host) AS host,"  # noqa: S608 - placeholders only
        " group_concat(DISTINCT kind) AS kinds FROM links"
        f" WHERE kind IN ({marks})"
        "   AND lower(repo) NOT IN (SELECT repo FROM repos)"
        "   AND lower(repo) NOT IN (SELECT alias FROM repo_aliases)"
        " GROUP BY lower(repo)"
    )
    rows = conn.execute(sql, kinds).fetchall()
    for row in rows:
        linked_as = set((row["kinds"] or "").split(","))
        ok = any(fetchable.get(k) == row["host"] for k in linked_as)
        status = RepoStatus.PENDING if ok else RepoStatus.NOT_FETCHED
        conn.execute(
            "INSERT OR IGNORE INTO repos (repo, host, status, first_seen) VALUES (?, ?, ?, ?)",
            (row["repo"], row["host"], status.value, now),
        )
    return len(rows)


def candidates(conn: sqlite3.Connection, hosts: Sequence[str]) -> list[RepoRow]:
    """Every repository on ``hosts``, oldest first, with whether any paper calls it its own."""
    marks = ",".join("?" * len(hosts))
    sql = (
        "SELECT r.repo, r.host, r.status, r.checked_at, r.pushed_at, r.first_seen,"  # noqa: S608
        " COALESCE(o.official, 0) AS official, r.misses, r.next_check_at"
        " FROM repos r LEFT JOIN (SELECT repo, MAX(official) AS official FROM paper_repos"
        "                         GROUP BY repo) o ON o.repo = r.repo"
        f" WHERE r.host IN ({marks}) ORDER BY r.first_seen, r.repo"  # only placeholders
    )
    rows = conn.execute(sql, tuple(hosts))
    return [RepoRow(r["repo"], r["host"], r["status"], r["checked_at"], r["pushed_at"],
                    r["first_seen"], bool(r["official"]), r["misses"], r["next_check_at"])
            for r in rows]


def get(conn: sqlite3.Connection, repo: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM repos WHERE repo = ?", (repo,)).fetchone()


def remote_id_of(conn: sqlite3.Connection, repo: str) -> str | None:
    row = conn.execute("SELECT remote_id FROM repos WHERE repo = ?", (repo,)).fetchone()
    return None if row is None else row["remote_id"]


def stored_blobs(conn: sqlite3.Connection, shas: Iterable[str]) -> set[str]:
    """The blob shas among ``shas`` already stored (a file shared by forks is stored once)."""
    found: set[str] = set()
    ordered = sorted(set(shas))
    for i in range(0, len(ordered), 500):
        chunk = ordered[i:i + 500]
        marks = ",".join("?" * len(chunk))
        found.update(r[0] for r in conn.execute(
            f"SELECT sha FROM blobs WHERE sha IN ({marks})", chunk))  # noqa: S608 - only marks
    return found


def touch(conn: sqlite3.Connection, repo: str, checked: str) -> None:
    """Checked and unchanged: only ``checked_at`` moves."""
    conn.execute("UPDATE repos SET checked_at = ?, status_detail = NULL WHERE repo = ?",
                 (checked, repo))


def misses_of(conn: sqlite3.Connection, repo: str) -> int:
    """Consecutive missing/blocked answers so far (0 for a repository that answered)."""
    row = conn.execute("SELECT misses, status FROM repos WHERE repo = ?", (repo,)).fetchone()
    if row is None or row["status"] not in (RepoStatus.MISSING, RepoStatus.BLOCKED):
        return 0
    return int(row["misses"] or 0)


def set_status(conn: sqlite3.Connection, repo: str, status: str, detail: str | None,
               checked: str, next_check: str | None = None) -> None:
    """Missing or blocked: data stored earlier stays (the classifier decides its worth); one
    more miss, and when a refresh may ask again (``next_check``)."""
    conn.execute(
        "UPDATE repos SET status = ?, status_detail = ?, checked_at = ?, etag = NULL,"
        " misses = CASE WHEN status IN ('missing', 'blocked') THEN misses + 1 ELSE 1 END,"
        " next_check_at = ? WHERE repo = ?", (status, detail, checked, next_check, repo))


def set_error(conn: sqlite3.Connection, repo: str, message: str, complete: bool,
              checked: str) -> None:
    """A failure after retries. A repository fetched completely before keeps its status and
    data and stays due (``checked_at`` unchanged); any other becomes ``error``."""
    if complete:
        conn.execute("UPDATE repos SET status_detail = ? WHERE repo = ?",
                     (f"refresh failed: {message}"[:500], repo))
    else:
        conn.execute(
            "UPDATE repos SET status = ?, status_detail = ?, checked_at = ? WHERE repo = ?",
            (RepoStatus.ERROR.value, message[:500], checked, repo))


def write_fetched(conn: sqlite3.Connection, canonical: str, meta: Fetched, status: str,
                  detail: str | None, checked: str) -> None:
    """Update the canonical row with fresh metadata, status and ``checked_at``."""
    conn.execute(
        "UPDATE repos SET remote_id = ?, full_name = ?, default_branch = ?, head_sha = ?,"
        " created_at = ?, pushed_at = ?, stars = ?, fork = ?, archived = ?, language = ?,"
        " size_kb = ?, etag = ?, status = ?, status_detail = ?, checked_at = ?,"
        " misses = 0, next_check_at = NULL WHERE repo = ?",
        (meta.remote_id, meta.full_name, meta.default_branch, meta.head_sha, meta.created_at,
         meta.pushed_at, meta.stars, _flag(meta.fork), _flag(meta.archived), meta.language,
         meta.size_kb, meta.etag, status, detail, checked, canonical),
    )


def replace_files(conn: sqlite3.Connection, repo: str,
                  tree: Iterable[tuple[str, str, str | None, int | None, str | None]],
                  files: Sequence[FileRecord], contents: dict[str, bytes],
                  have: set[str]) -> None:
    """Replace a repository's tree and selected files; store new blob contents once.

    ``tree`` rows are (path, type, sha, size, mode); a selected file is recorded only when its
    blob is in ``contents`` (just downloaded) or ``have`` (stored before).
    """
    conn.execute("DELETE FROM repo_files WHERE repo = ?", (repo,))
    conn.execute("DELETE FROM tree_entries WHERE repo = ?", (repo,))
    conn.executemany(
        "INSERT OR REPLACE INTO tree_entries (repo, path, type, sha, size, mode)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        ((repo, path, kind, sha, size, mode) for path, kind, sha, size, mode in tree),
    )
    conn.executemany(
        "INSERT OR IGNORE INTO blobs (sha, size, content) VALUES (?, ?, ?)",
        ((sha, len(data), zlib.compress(data)) for sha, data in contents.items()),
    )
    present = set(contents) | have
    conn.executemany(
        "INSERT OR REPLACE INTO repo_files (repo, path, sha, role) VALUES (?, ?, ?, ?)",
        ((repo, f.path, f.sha, f.role) for f in files if f.sha in present),
    )


def claim(conn: sqlite3.Connection, linked: str, host: str, canonical: str, remote_id: str,
          now: str) -> None:
    """Make ``canonical`` the one row for ``remote_id``; other names become aliases.

    Rows merged away keep their classification (moved when the canonical row has none) and
    their aliases; their tree and files are replaced by the fresh fetch the caller writes.
    """
    merged = {r["repo"] for r in conn.execute(
        "SELECT repo FROM repos WHERE host = ? AND remote_id = ?", (host, remote_id))}
    if get(conn, linked) is not None:
        merged.add(linked)
    merged.discard(canonical)
    if get(conn, canonical) is None:
        firsts = [r["first_seen"] for r in (get(conn, m) for m in merged) if r is not None]
        conn.execute("DELETE FROM repo_aliases WHERE alias = ?", (canonical,))
        conn.execute(
            "INSERT INTO repos (repo, host, status, first_seen) VALUES (?, ?, ?, ?)",
            (canonical, host, RepoStatus.PENDING.value, min(firsts, default=now)),
        )
    for old in sorted(merged):
        conn.execute("UPDATE repo_aliases SET repo = ? WHERE repo = ?", (canonical, old))
        if conn.execute("SELECT 1 FROM classifications WHERE repo = ?", (canonical,)).fetchone():
            conn.execute("DELETE FROM classifications WHERE repo = ?", (old,))
        else:
            conn.execute("UPDATE classifications SET repo = ? WHERE repo = ?", (canonical, old))
        conn.execute("DELETE FROM repos WHERE repo = ?", (old,))
        conn.execute("INSERT OR REPLACE INTO repo_aliases (alias, repo) VALUES (?, ?)",
                     (old, canonical))


def prune_blobs(conn: sqlite3.Connection) -> int:
    """Delete file contents that no repository's selected files reference any more."""
    cur = conn.execute("DELETE FROM blobs WHERE sha NOT IN (SELECT sha FROM repo_files)")
    return cur.rowcount


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


# -- read-only counts for the plan (survey crawl --dry-run) ----------------------------------

def linked_count(conn: sqlite3.Connection, hosts: Sequence[str], kinds: Sequence[str]) -> int:
    """Distinct repositories on ``hosts`` that stored papers link (registered or not)."""
    hmarks = ",".join("?" * len(hosts))
    kmarks = ",".join("?" * len(kinds))
    row = conn.execute(
        "SELECT COUNT(DISTINCT lower(repo)) FROM links"  # noqa: S608 - placeholders only
        f" WHERE lower(host) IN ({hmarks}) AND kind IN ({kmarks})",
        (*hosts, *kinds)).fetchone()
    return int(row[0])


def unregistered_count(conn: sqlite3.Connection, kinds: Sequence[str],
                       fetched_kinds: Sequence[str]) -> int:
    """Linked repositories of a fetched kind that the fetch stage has not registered yet."""
    kmarks = ",".join("?" * len(fetched_kinds))
    row = conn.execute(
        "SELECT COUNT(DISTINCT lower(repo)) FROM links"  # noqa: S608 - placeholders only
        f" WHERE kind IN ({kmarks})"
        "   AND lower(repo) NOT IN (SELECT repo FROM repos)"
        "   AND lower(repo) NOT IN (SELECT alias FROM repo_aliases)",
        tuple(k for k in fetched_kinds if k in set(kinds))).fetchone()
    return int(row[0])
