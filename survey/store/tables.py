"""The rows the report and the export are computed from, read through the store's views.

Each function returns column names and rows (plain tuples), so the analysis layer builds its
frames without writing SQL, and every reader sees the same join: a paper's links resolved to
canonical repositories through aliases, official if any link says so (view ``paper_repos``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from survey.store.papers import published_between

Rows = tuple[list[str], list[tuple[Any, ...]]]


def _rows(cur: sqlite3.Cursor) -> Rows:
    return [d[0] for d in cur.description], [tuple(r) for r in cur.fetchall()]


def paper_repo_links(conn: sqlite3.Connection, *, exclude_kinds: Sequence[str] = (),
                     since: str | None = None, until: str | None = None) -> Rows:
    """One row per (paper, canonical repository): paper rowid, arxiv_id, published day,
    primary category, repo, official, label (``unknown`` when unclassified), status, and the
    repository's creation day. ``since``/``until`` bound ``published`` (``until`` exclusive)."""
    where, params = published_between(since, until)
    if exclude_kinds:
        where.insert(0, f"x.kind NOT IN ({','.join('?' * len(exclude_kinds))})")
        params[:0] = exclude_kinds
    sql = f"""
        SELECT p.rowid AS paper, p.arxiv_id, substr(p.published, 1, 10) AS published,
               p.primary_category AS "primary", x.repo, x.official,
               COALESCE(c.framework, 'unknown') AS framework, r.status,
               substr(r.created_at, 1, 10) AS created
        FROM paper_repos x
        JOIN papers p ON p.arxiv_id = x.arxiv_id
        LEFT JOIN repos r ON r.repo = x.repo
        LEFT JOIN classifications c ON c.repo = x.repo
        {"WHERE " + " AND ".join(where) if where else ""}
    """  # noqa: S608 - only fixed fragments and placeholders are formatted in
    return _rows(conn.execute(sql, params))


def framework_uses(conn: sqlite3.Connection, names: Sequence[str], min_share: float
                   ) -> list[tuple[str, str]]:
    """(repo, name) for classified repositories where framework ``name`` holds at least
    ``min_share`` of the repository's framework scores."""
    marks = ",".join("?" * len(names))
    sql = f"""
        WITH scores AS (
            SELECT s.repo, lower(s.framework) AS name, s.score
            FROM classification_scores s JOIN classifications c ON c.repo = s.repo
            WHERE c.framework != 'unknown'
        ),
        totals AS (SELECT repo, SUM(MAX(score, 0)) AS total FROM scores GROUP BY repo)
        SELECT s.repo, s.name FROM scores s JOIN totals t ON t.repo = s.repo
        WHERE s.name IN ({marks}) AND s.score > 0 AND s.score >= ? * t.total
        ORDER BY s.repo, s.name
    """  # noqa: S608 - placeholders only
    return [(r[0], r[1]) for r in conn.execute(sql, (*names, min_share))]


def papers_per_year(conn: sqlite3.Connection, *, until: str | None = None
                    ) -> list[tuple[str, int]]:
    """Papers per year of first version; only those published before ``until`` when given."""
    return [(str(r[0]), int(r[1])) for r in conn.execute(
        "SELECT substr(published, 1, 4) AS year, COUNT(*) FROM papers"
        " WHERE ? IS NULL OR published < ? GROUP BY 1 ORDER BY 1", (until, until))]


def paper_span(conn: sqlite3.Connection, *, until: str | None = None
               ) -> tuple[int, str | None, str | None]:
    """(papers, first, last first-version date); only those published before ``until``."""
    row = conn.execute("SELECT COUNT(*), MIN(published), MAX(published) FROM papers"
                       " WHERE ? IS NULL OR published < ?", (until, until)).fetchone()
    return int(row[0]), row[1], row[2]


def primary_categories(conn: sqlite3.Connection, limit: int, *, until: str | None = None
                       ) -> list[tuple[str, int]]:
    return [(str(c), int(n)) for c, n in conn.execute(
        "SELECT primary_category, COUNT(*) FROM papers WHERE ? IS NULL OR published < ?"
        " GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?", (until, until, limit))]


def harvested_until(conn: sqlite3.Connection) -> str | None:
    """End (``YYYY-MM-DDTHH:MM``, exclusive) of the latest complete harvest window, any
    category set; a window reaching past its harvest time counts up to ``finished_at``."""
    row = conn.execute(
        "SELECT MAX(MIN(end, substr(finished_at, 1, 16))) FROM harvest_windows"
        " WHERE status = 'complete'").fetchone()
    return None if row is None or row[0] is None else str(row[0])


def top_frameworks(conn: sqlite3.Connection, label: str, names: Sequence[str]
                   ) -> list[tuple[str, str]]:
    """(repo, name) for every repository classified ``label``: its highest-scored specific
    framework among ``names`` (ties by name); repositories with no positive score among them
    are left out."""
    marks = ",".join("?" * len(names))
    sql = f"""
        SELECT repo, name FROM (
            SELECT s.repo, lower(s.framework) AS name, ROW_NUMBER() OVER (
                PARTITION BY s.repo ORDER BY s.score DESC, lower(s.framework)) AS rank
            FROM classification_scores s JOIN classifications c ON c.repo = s.repo
            WHERE c.framework = ? AND s.score > 0 AND lower(s.framework) IN ({marks}))
        WHERE rank = 1 ORDER BY repo
    """  # noqa: S608 - placeholders only
    return [(str(r), str(n)) for r, n in conn.execute(sql, (label, *names))]


def classification_evidence(conn: sqlite3.Connection, repos: Sequence[str]
                            ) -> dict[str, tuple[str, float, str]]:
    """(evidence JSON text, confidence, classifier version) of each classified repository."""
    out: dict[str, tuple[str, float, str]] = {}
    for chunk in _chunks(repos):
        marks = ",".join("?" * len(chunk))
        sql = f"""SELECT repo, evidence, confidence, classifier_version FROM classifications
                   WHERE repo IN ({marks})"""  # noqa: S608 - placeholders only
        out.update({r: (str(e), float(c), str(v))
                    for r, e, c, v in conn.execute(sql, tuple(chunk))})
    return out


def paper_titles(conn: sqlite3.Connection, arxiv_ids: Sequence[str]) -> dict[str, str]:
    """:func:`titles` for any number of papers (in chunks SQLite accepts)."""
    out: dict[str, str] = {}
    for chunk in _chunks(arxiv_ids):
        out.update(titles(conn, chunk))
    return out


def _chunks(items: Sequence[str], size: int = 500) -> list[Sequence[str]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def harvest_categories(conn: sqlite3.Connection) -> list[str]:
    return sorted({c for (cs,) in conn.execute("SELECT DISTINCT categories FROM harvest_windows")
                   for c in str(cs).split()})


def classifier_versions(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    return [(str(v), int(n)) for v, n in conn.execute(
        "SELECT classifier_version, COUNT(*) FROM classifications GROUP BY 1 ORDER BY 2 DESC")]


def titles(conn: sqlite3.Connection, arxiv_ids: Sequence[str]) -> dict[str, str]:
    if not arxiv_ids:
        return {}
    marks = ",".join("?" * len(arxiv_ids))
    return {a: t for a, t in conn.execute(
        f"SELECT arxiv_id, title FROM papers WHERE arxiv_id IN ({marks})",  # noqa: S608
        tuple(arxiv_ids))}


def export_links(conn: sqlite3.Connection, *, kinds: Sequence[str] | None = None) -> Rows:
    """Every (paper, canonical repository) link with the paper's facts, the repository's label
    and its framework names ordered by score (``;`` separated), the sources that found the link
    (``;`` separated, in the order abstract, comment, pwc, hf) and Papers With Code's label for
    the repository (under its canonical name or a name it was linked as); only links of
    ``kinds`` when given."""
    where = f"WHERE x.kind IN ({','.join('?' * len(kinds))})" if kinds else ""
    sql = f"""
        SELECT p.arxiv_id, p.title, substr(p.published, 1, 10) AS published,
               p.primary_category, p.categories, x.repo, x.official,
               COALESCE(c.framework, 'unknown') AS framework,
               (SELECT group_concat(name, ';') FROM (
                    SELECT s.framework AS name FROM classification_scores s
                    WHERE s.repo = x.repo ORDER BY s.score DESC, s.framework)) AS frameworks,
               c.confidence,
               (SELECT group_concat(source, ';') FROM (
                    SELECT v.source FROM paper_repo_sources v
                    WHERE v.arxiv_id = x.arxiv_id AND v.repo = x.repo
                    ORDER BY CASE v.source WHEN 'abstract' THEN 0 WHEN 'comment' THEN 1
                             WHEN 'pwc' THEN 2 ELSE 3 END)) AS sources,
               COALESCE(
                   (SELECT f.label FROM pwc_frameworks f WHERE f.repo = x.repo),
                   (SELECT f.label FROM repo_aliases a JOIN pwc_frameworks f ON f.repo = a.alias
                    WHERE a.repo = x.repo AND f.label IS NOT NULL
                    ORDER BY f.repo LIMIT 1)) AS pwc_framework,
               x.kind
        FROM paper_repos x
        JOIN papers p ON p.arxiv_id = x.arxiv_id
        LEFT JOIN classifications c ON c.repo = x.repo
        {where}
        ORDER BY p.arxiv_id, x.repo
    """  # noqa: S608 - only placeholders are formatted in
    return _rows(conn.execute(sql, tuple(kinds or ())))


def venue_texts(conn: sqlite3.Connection, arxiv_ids: Sequence[str]
                ) -> list[tuple[str, str | None, str | None, str]]:
    """(arxiv_id, comment, journal_ref, published) of these papers: where a venue is named."""
    out: list[tuple[str, str | None, str | None, str]] = []
    ids = list(dict.fromkeys(arxiv_ids))
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        out.extend((r[0], r[1], r[2], r[3]) for r in conn.execute(
            "SELECT arxiv_id, comment, journal_ref, published FROM papers"  # noqa: S608
            f" WHERE arxiv_id IN ({marks})", tuple(chunk)))
    return out
