"""The fetch stage: every distinct linked repository -> metadata, tree and selected file bytes.

Order of work: official links first, then the rest, oldest first. Each repository is fetched
over the network first and then written in ONE transaction together with its status and
``checked_at``, so a crash or ``kill -9`` at any moment loses nothing that was committed and
never stores a repository twice or half (tested with a real subprocess).

Modes:
- ``pending``: repositories never fetched, or whose last attempt ended in ``error``.
- ``due`` (the monthly refresh): pending ones plus known ones checked more than 30 days ago or
  active (pushed within the 30 days before their last check). They are asked again with
  ``If-None-Match``; a 304 or an unchanged head sha only moves ``checked_at``; a changed head
  fetches the tree again and only the blobs whose sha is not stored yet.

Renames: the canonical ``github.com/owner/name`` (lower case) is the ``repos`` row; the name as
linked becomes a ``repo_aliases`` entry, and two names for the same remote id end as one row.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from crawler.github import GitHubClient
from crawler.gitlab import GitLabClient
from crawler.http import RequestStats, redact
from crawler.repo_host import Downloaded, Lookup, RepoMeta, Tree
from crawler.selection import Selected, select_files
from survey.console import err_console, make_progress
from survey.db import transaction
from survey.errors import InputError, RateLimitError, ServiceError
from survey.settings import Settings

log = logging.getLogger(__name__)

# A known repository is re-checked when its last check is older than this: "more than 30 days
# ago", less a grace of 3 days, because a monthly job fires every 28-31 days and a check stamped
# a few minutes after the last run's start would otherwise skip every month that is not 31 days.
DUE_AFTER = timedelta(days=30)
DUE_GRACE = timedelta(days=3)
# link kind -> the one host we fetch it from
FETCHED_HOSTS = {"github": "github.com", "gitlab": "gitlab.com"}
# statuses whose stored data is complete: a refresh may stop at a 304 or an unchanged head
COMPLETE = ("ok", "truncated", "empty")
KNOWN = ("ok", "truncated", "empty", "missing", "blocked")
MODES = ("pending", "due")


@dataclass
class FetchSummary:
    """What one run of the stage did; ``outcomes`` counts repositories by result (a status,
    ``unchanged`` for a 304 or an unchanged head, ``alias`` for a second name of a repository
    this run already fetched)."""

    outcomes: Counter[str] = field(default_factory=Counter)
    registered: int = 0
    charged: int = 0
    not_modified: int = 0
    raw_downloads: int = 0
    bytes: int = 0

    @property
    def repos(self) -> int:
        return sum(self.outcomes.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcomes": dict(sorted(self.outcomes.items())),
            "repos": self.repos,
            "registered": self.registered,
            "requests_charged": self.charged,
            "not_modified": self.not_modified,
            "raw_downloads": self.raw_downloads,
            "bytes": self.bytes,
        }

    def line(self) -> str:
        """One human line for the end of a crawl."""
        parts = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items())) or "nothing to do"
        return (f"repositories: {parts}; {self.charged} charged requests, {self.not_modified}"
                f" not modified (304), {self.raw_downloads} raw downloads,"
                f" {self.bytes / 1e6:,.1f} MB")


@dataclass
class Work:
    repo: str
    host: str
    official: bool


# -- registering linked repositories --------------------------------------------------------

def register_linked(conn: sqlite3.Connection, now: str) -> int:
    """Insert a ``repos`` row for every linked repository not known under its name or an alias.

    Kinds we do not fetch (other hosts, Hugging Face, project pages) get ``not_fetched`` so the
    report can still count them. Returns the number of rows added.
    """
    rows = conn.execute(
        "SELECT lower(repo) AS repo, lower(host) AS host, group_concat(DISTINCT kind) AS kinds"
        " FROM links"
        " WHERE lower(repo) NOT IN (SELECT repo FROM repos)"
        "   AND lower(repo) NOT IN (SELECT alias FROM repo_aliases)"
        " GROUP BY lower(repo)"
    ).fetchall()
    with transaction(conn):
        for row in rows:
            kinds = set((row["kinds"] or "").split(","))
            fetchable = any(FETCHED_HOSTS.get(k) == row["host"] for k in kinds)
            conn.execute(
                "INSERT OR IGNORE INTO repos (repo, host, status, first_seen) VALUES (?, ?, ?, ?)",
                (row["repo"], row["host"], "pending" if fetchable else "not_fetched", now),
            )
    return len(rows)


def _official(conn: sqlite3.Connection) -> dict[str, bool]:
    """Canonical repo -> whether any paper links it as its own code (through aliases too)."""
    rows = conn.execute(
        "SELECT COALESCE(a.repo, lower(l.repo)) AS repo, MAX(l.official) AS official"
        " FROM links l LEFT JOIN repo_aliases a ON a.alias = lower(l.repo) GROUP BY 1"
    )
    return {r["repo"]: bool(r["official"]) for r in rows}


def select_work(conn: sqlite3.Connection, mode: str, now: datetime) -> list[Work]:
    """The repositories this run should ask about, official links first."""
    if mode not in MODES:
        raise InputError(f"unknown fetch mode {mode!r}: expected one of {', '.join(MODES)}")
    official = _official(conn)
    stale = _stamp(now - DUE_AFTER + DUE_GRACE)
    work = []
    for row in conn.execute(
        "SELECT repo, host, status, checked_at, pushed_at, first_seen FROM repos"
        " WHERE host IN (?, ?) ORDER BY first_seen, repo",
        tuple(FETCHED_HOSTS.values()),
    ):
        status = row["status"]
        due = status in ("pending", "error")
        if not due and mode == "due" and status in KNOWN:
            checked = row["checked_at"]
            due = checked is None or checked < stale or _active(row["pushed_at"], checked)
        if due:
            work.append(Work(row["repo"], row["host"], official.get(row["repo"], False)))
    work.sort(key=lambda w: not w.official)  # stable: keeps first_seen order within each group
    return work


def _active(pushed_at: str | None, checked_at: str) -> bool:
    """Pushed within the 30 days before the last check: likely to change again soon."""
    if not pushed_at:
        return False
    try:
        checked = datetime.fromisoformat(checked_at.replace("Z", "+00:00"))
    except ValueError:
        return True
    return pushed_at >= _stamp(checked - DUE_AFTER)


def _stamp(when: datetime) -> str:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- the stage ------------------------------------------------------------------------------

def fetch_repositories(
    conn: sqlite3.Connection,
    settings: Settings,
    stats: RequestStats,
    *,
    mode: str = "pending",
    progress: bool = True,
    now: datetime | None = None,
) -> FetchSummary:
    """Register linked repositories, then fetch those ``mode`` selects; see the module doc."""
    started = now or datetime.now(UTC)
    summary = FetchSummary()
    summary.registered = register_linked(conn, _stamp(started))
    work = select_work(conn, mode, started)
    if not work:
        return summary
    github = GitHubClient(settings, stats)
    gitlab = GitLabClient(settings, stats)
    if not settings.github_token and any(w.host == "github.com" for w in work):
        _warn("GITHUB_TOKEN is not set: GitHub allows 60 requests an hour without a token"
              " (5,000 with one)")
    done: set[str] = set()
    try:
        with _bar(progress, len(work)) as advance:
            for item in work:
                client: GitHubClient | GitLabClient = (
                    github if item.host == "github.com" else gitlab)
                outcome = _fetch_one(conn, settings, client, item, now, done)
                if outcome is not None:
                    summary.outcomes[outcome] += 1
                advance()
    finally:
        for client in (github, gitlab):
            totals = client.totals
            summary.charged += totals["charged"]
            summary.not_modified += totals["not_modified"]
            summary.raw_downloads += totals["raw"]
            summary.bytes += totals["bytes"]
            client.close()
    return summary


@contextmanager
def _bar(progress: bool, total: int) -> Iterator[Any]:
    if not progress:
        yield lambda: None
        return
    with make_progress() as bar:
        task = bar.add_task("fetch repositories", total=total)
        yield lambda: bar.advance(task)


def _warn(message: str) -> None:
    log.info("%s", message)
    err_console.print(f"warning: {message}", markup=False, soft_wrap=True)


def _fetch_one(
    conn: sqlite3.Connection,
    settings: Settings,
    client: GitHubClient | GitLabClient,
    item: Work,
    now: datetime | None,
    done: set[str],
) -> str | None:
    """Fetch one repository and commit its rows; returns the outcome, None when skipped."""
    row = conn.execute("SELECT * FROM repos WHERE repo = ?", (item.repo,)).fetchone()
    if row is None or item.repo in done:
        return None  # merged into another row, or already done by this run
    done.add(item.repo)
    complete = row["status"] in COMPLETE
    path = row["full_name"] if row["full_name"] else item.repo.split("/", 1)[1]
    try:
        lookup = client.lookup(path, row["etag"] if complete else None)
        if lookup.outcome == "not_modified":
            _touch(conn, item.repo, now)
            return "unchanged"
        if lookup.outcome in ("missing", "blocked"):
            _store_status(conn, item.repo, lookup, now)
            return lookup.outcome
        meta = lookup.meta
        if meta is None:
            raise ServiceError(f"{item.host}: no metadata for {path}")
        canonical = f"{item.host}/{meta.full_name.lower()}"
        if canonical != item.repo and canonical in done and _holds(conn, canonical, meta):
            # Another link of this run already fetched the same repository: alias only.
            with transaction(conn):
                _claim(conn, item.repo, item.host, canonical, meta.remote_id, _checked(now))
            return "alias"
        done.add(canonical)
        sha = client.head(meta)
        if (sha is not None and complete and canonical == item.repo and sha == row["head_sha"]):
            _store(conn, item, meta, sha, None, [], Downloaded(), row["status"], now,
                   keep_tree=True)
            return "unchanged"
        tree = client.tree(meta, sha) if sha is not None else None
        if tree is None or not tree.entries:
            _store(conn, item, meta, sha, Tree([]), [], Downloaded(), "empty", now)
            return "empty"
        selected = select_files(tree.entries, settings)
        stored = _stored_blobs(conn, {s.sha for s in selected})
        files = client.download(meta, sha, [s for s in selected if s.sha not in stored])
        status = "truncated" if tree.truncated else "ok"
        if files.failed:
            status = "error"
        _store(conn, item, meta, sha, tree, selected, files, status, now, stored=stored)
        return status
    except RateLimitError:
        raise  # cannot be waited out within bounds: stop the run, keep what is committed
    except ServiceError as exc:
        message = redact(str(exc), settings.github_token)
        log.info("%s: %s", item.repo, message)
        _store_error(conn, item.repo, message, complete, now)
        return "error"


def _holds(conn: sqlite3.Connection, repo: str, meta: RepoMeta) -> bool:
    """Whether ``repo`` is already stored as the repository ``meta`` describes."""
    row = conn.execute("SELECT remote_id FROM repos WHERE repo = ?", (repo,)).fetchone()
    return row is not None and row["remote_id"] == meta.remote_id


def _stored_blobs(conn: sqlite3.Connection, shas: set[str]) -> set[str]:
    found: set[str] = set()
    ordered = sorted(shas)
    for i in range(0, len(ordered), 500):
        chunk = ordered[i:i + 500]
        marks = ",".join("?" * len(chunk))
        found.update(r[0] for r in conn.execute(
            f"SELECT sha FROM blobs WHERE sha IN ({marks})", chunk))  # noqa: S608 - only marks
    return found


def _checked(now: datetime | None) -> str:
    return _stamp(now or datetime.now(UTC))


def _touch(conn: sqlite3.Connection, repo: str, now: datetime | None) -> None:
    with transaction(conn):
        conn.execute("UPDATE repos SET checked_at = ?, status_detail = NULL WHERE repo = ?",
                     (_checked(now), repo))


def _store_status(conn: sqlite3.Connection, repo: str, lookup: Lookup,
                  now: datetime | None) -> None:
    """Missing or blocked: data stored earlier stays (the classifier decides what it is worth)."""
    with transaction(conn):
        conn.execute(
            "UPDATE repos SET status = ?, status_detail = ?, checked_at = ?, etag = NULL"
            " WHERE repo = ?",
            (lookup.outcome, lookup.detail, _checked(now), repo),
        )


def _store_error(conn: sqlite3.Connection, repo: str, message: str, complete: bool,
                 now: datetime | None) -> None:
    """A failure after retries. A repository fetched completely before keeps its status and
    data and stays due (``checked_at`` unchanged); any other becomes ``error``, retried later."""
    with transaction(conn):
        if complete:
            conn.execute("UPDATE repos SET status_detail = ? WHERE repo = ?",
                         (f"refresh failed: {message}"[:500], repo))
        else:
            conn.execute(
                "UPDATE repos SET status = 'error', status_detail = ?, checked_at = ?"
                " WHERE repo = ?",
                (message[:500], _checked(now), repo),
            )


def _store(
    conn: sqlite3.Connection,
    item: Work,
    meta: RepoMeta,
    sha: str | None,
    tree: Tree | None,
    selected: list[Selected],
    files: Downloaded,
    status: str,
    now: datetime | None,
    *,
    keep_tree: bool = False,
    stored: set[str] | None = None,
) -> None:
    """Write one repository's rows, its status and ``checked_at`` in one transaction."""
    canonical = f"{item.host}/{meta.full_name.lower()}"
    checked = _checked(now)
    detail = None
    if files.failed:
        detail = f"{len(files.failed)} file(s) failed to download, e.g. {files.failed[0]}"
    elif files.skipped:
        detail = f"{len(files.skipped)} selected file(s) not stored (missing, too big or altered)"
    if tree is not None and tree.truncated and not detail:
        detail = f"tree truncated by the host; walked {len(tree.entries)} entries within caps"
    with transaction(conn):
        _claim(conn, item.repo, item.host, canonical, meta.remote_id, checked)
        conn.execute(
            "UPDATE repos SET remote_id = ?, full_name = ?, default_branch = ?, head_sha = ?,"
            " created_at = ?, pushed_at = ?, stars = ?, fork = ?, archived = ?, language = ?,"
            " size_kb = ?, etag = ?, status = ?, status_detail = ?, checked_at = ?"
            " WHERE repo = ?",
            (meta.remote_id, meta.full_name, meta.default_branch, sha, meta.created_at,
             meta.pushed_at, meta.stars, _flag(meta.fork), _flag(meta.archived), meta.language,
             meta.size_kb, meta.etag, status, detail, checked, canonical),
        )
        if keep_tree or tree is None:
            return
        conn.execute("DELETE FROM repo_files WHERE repo = ?", (canonical,))
        conn.execute("DELETE FROM tree_entries WHERE repo = ?", (canonical,))
        conn.executemany(
            "INSERT OR REPLACE INTO tree_entries (repo, path, type, sha, size)"
            " VALUES (?, ?, ?, ?, ?)",
            ((canonical, e.path, e.type, e.sha, e.size) for e in tree.entries),
        )
        conn.executemany(
            "INSERT OR IGNORE INTO blobs (sha, size, content) VALUES (?, ?, ?)",
            ((s, len(data), zlib.compress(data)) for s, data in files.contents.items()),
        )
        have = set(files.contents) | (stored or set())
        conn.executemany(
            "INSERT OR REPLACE INTO repo_files (repo, path, sha, role) VALUES (?, ?, ?, ?)",
            ((canonical, s.path, s.sha, s.role) for s in selected if s.sha in have),
        )


def _claim(conn: sqlite3.Connection, linked: str, host: str, canonical: str, remote_id: str,
           now: str) -> None:
    """Make ``canonical`` the one row for ``remote_id``; other names become aliases.

    Rows merged away keep their classification (moved when the canonical row has none) and
    their aliases; their tree and files are replaced by the fresh fetch the caller writes.
    """
    merged = {r["repo"] for r in conn.execute(
        "SELECT repo FROM repos WHERE host = ? AND remote_id = ?", (host, remote_id))}
    if conn.execute("SELECT 1 FROM repos WHERE repo = ?", (linked,)).fetchone():
        merged.add(linked)
    merged.discard(canonical)
    if not conn.execute("SELECT 1 FROM repos WHERE repo = ?", (canonical,)).fetchone():
        first = conn.execute(
            "SELECT MIN(first_seen) FROM repos WHERE repo IN (SELECT value FROM json_each(?))",
            (json.dumps(sorted(merged)),),
        ).fetchone()[0]
        conn.execute("DELETE FROM repo_aliases WHERE alias = ?", (canonical,))
        conn.execute(
            "INSERT INTO repos (repo, host, status, first_seen) VALUES (?, ?, 'pending', ?)",
            (canonical, host, first or now),
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


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)

