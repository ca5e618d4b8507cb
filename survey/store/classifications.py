"""Stored files for the classifier, and the classifier's verdicts with their scores.

A verdict is one ``classifications`` row (label, confidence, evidence, versions) plus one
``classification_scores`` row per specific framework it found, so readers (the dying-frameworks
chart, the export) query scores as rows instead of parsing JSON.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ToClassify:
    """A repository and what its last classification was made from."""

    repo: str
    status: str
    status_detail: str | None
    head_sha: str | None
    classified: bool
    classifier_version: str | None
    classified_sha: str | None
    classified_status: str | None


@dataclass(frozen=True)
class Verdict:
    """One classification as stored."""

    repo: str
    framework: str
    scores: Mapping[str, float]
    confidence: float
    evidence: Sequence[Mapping[str, Any]]
    classifier_version: str
    head_sha: str | None
    repo_status: str
    classified_at: str


class StoredContentError(Exception):
    """A stored blob that cannot be read back (missing, corrupt, over the cap)."""


def repositories(conn: sqlite3.Connection) -> list[ToClassify]:
    """Every repository with what its classification (if any) was made from."""
    rows = conn.execute(
        "SELECT r.repo, r.status, r.status_detail, r.head_sha, c.repo AS classified,"
        " c.classifier_version, c.head_sha AS classified_sha, c.repo_status"
        " FROM repos r LEFT JOIN classifications c ON c.repo = r.repo ORDER BY r.repo"
    ).fetchall()
    return [ToClassify(r["repo"], r["status"], r["status_detail"], r["head_sha"],
                       r["classified"] is not None, r["classifier_version"],
                       r["classified_sha"], r["repo_status"]) for r in rows]


def exists(conn: sqlite3.Connection, repo: str) -> bool:
    return conn.execute("SELECT 1 FROM repos WHERE repo = ?", (repo,)).fetchone() is not None


def write(conn: sqlite3.Connection, verdict: Verdict) -> None:
    """Upsert a verdict and replace its scores; inside a transaction."""
    conn.execute(
        "INSERT INTO classifications (repo, framework, confidence, evidence,"
        " classifier_version, head_sha, classified_at, repo_status)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (repo) DO UPDATE SET framework = excluded.framework,"
        " confidence = excluded.confidence, evidence = excluded.evidence,"
        " classifier_version = excluded.classifier_version, head_sha = excluded.head_sha,"
        " classified_at = excluded.classified_at, repo_status = excluded.repo_status",
        (verdict.repo, verdict.framework, verdict.confidence,
         json.dumps(list(verdict.evidence), ensure_ascii=False), verdict.classifier_version,
         verdict.head_sha, verdict.classified_at, verdict.repo_status),
    )
    conn.execute("DELETE FROM classification_scores WHERE repo = ?", (verdict.repo,))
    conn.executemany(
        "INSERT INTO classification_scores (repo, framework, score) VALUES (?, ?, ?)",
        [(verdict.repo, name, float(score)) for name, score in verdict.scores.items()],
    )


def scores(conn: sqlite3.Connection, repo: str) -> dict[str, float]:
    """A repository's framework scores, highest first."""
    return {r[0]: float(r[1]) for r in conn.execute(
        "SELECT framework, score FROM classification_scores WHERE repo = ?"
        " ORDER BY score DESC, framework", (repo,))}


# -- a stored repository's files -------------------------------------------------------------

def tree(conn: sqlite3.Connection, repo: str
         ) -> list[tuple[str, str, int | None, str | None]]:
    """(path, type, size, mode) of a repository's files and submodules, by path (mode: git's,
    ``120000`` for a symbolic link; None when the host did not give it)."""
    return [(r[0], r[1], r[2], r[3]) for r in conn.execute(
        "SELECT path, type, size, mode FROM tree_entries"
        " WHERE repo = ? AND type IN ('blob', 'commit') ORDER BY path", (repo,))]


def selected_files(conn: sqlite3.Connection, repo: str) -> dict[str, str]:
    """path -> blob sha of the files the fetcher downloaded for a repository."""
    return {r[0]: r[1] for r in conn.execute(
        "SELECT path, sha FROM repo_files WHERE repo = ?", (repo,))}


def blob(conn: sqlite3.Connection, sha: str, limit: int) -> bytes:
    """A stored file's bytes, at most ``limit``; :class:`StoredContentError` otherwise.

    Decompression stops at ``limit + 1`` bytes, so a hostile blob cannot inflate in memory.
    """
    row = conn.execute("SELECT size, content FROM blobs WHERE sha = ?", (sha,)).fetchone()
    if row is None:
        raise StoredContentError("content missing from the store")
    if row[0] is not None and row[0] > limit:
        raise StoredContentError(f"skipped: {row[0]:,} bytes, over the {limit:,}-byte cap")
    try:
        data = zlib.decompressobj().decompress(bytes(row[1]), limit + 1)
    except zlib.error as exc:
        raise StoredContentError(f"stored content corrupt: {exc}") from None
    if len(data) > limit:
        raise StoredContentError(f"skipped: over the {limit:,}-byte cap")
    return data
