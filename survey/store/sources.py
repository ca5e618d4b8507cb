"""The rows the report's link-source sections are computed from (named SQL, plain tuples).

Every source of a link is a ``link_sources`` row; the view ``paper_repo_sources`` follows
aliases to the canonical repository. Three reads: papers with an official code link per year
and source, the (paper, repository) rows with their official verdict by the text sources and by
any source, and the repositories both survey and Papers With Code labelled.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

Rows = tuple[list[str], list[tuple[Any, ...]]]

TEXT = ("abstract", "comment")


def _rows(cur: sqlite3.Cursor) -> Rows:
    return [d[0] for d in cur.description], [tuple(r) for r in cur.fetchall()]


def has_other_sources(conn: sqlite3.Connection) -> bool:
    """Whether any link came from Papers With Code or Hugging Face."""
    return conn.execute("SELECT 1 FROM link_sources WHERE source NOT IN ('abstract', 'comment')"
                        " LIMIT 1").fetchone() is not None


def has_pwc(conn: sqlite3.Connection) -> bool:
    """Whether a Papers With Code file was imported."""
    return conn.execute("SELECT 1 FROM pwc_links LIMIT 1").fetchone() is not None


def coverage_by_source(conn: sqlite3.Connection, code_kinds: Sequence[str]) -> Rows:
    """Per year of first version: papers harvested, and papers with an official link of
    ``code_kinds`` from the abstract or comment, from PwC, from Hugging Face, from any."""
    marks = ",".join("?" * len(code_kinds))

    def has(sources: str) -> str:
        return (f"SUM(EXISTS (SELECT 1 FROM link_sources s WHERE s.arxiv_id = p.arxiv_id"  # noqa: S608
                f" AND s.official = 1 AND s.kind IN ({marks}){sources}))")

    sql = f"""
        SELECT substr(p.published, 1, 4) AS year, COUNT(*) AS papers,
               {has(" AND s.source IN ('abstract', 'comment')")} AS text,
               {has(" AND s.source = 'pwc'")} AS pwc,
               {has(" AND s.source = 'hf'")} AS hf,
               {has("")} AS "all"
        FROM papers p GROUP BY 1 ORDER BY 1
    """  # noqa: S608 - fixed fragments and placeholders only
    return _rows(conn.execute(sql, [*code_kinds] * 4))


def paper_repo_verdicts(conn: sqlite3.Connection, *, exclude_kinds: Sequence[str],
                        since: str, until: str) -> Rows:
    """One row per (paper, canonical repository) of papers first published in
    ``[since, until)``: paper rowid, official by the abstract or comment (NULL when neither
    found it), official by any source, and the repository's label (``unknown`` if none)."""
    marks = ",".join("?" * len(exclude_kinds))
    sql = f"""
        SELECT p.rowid AS paper, v.repo,
               MAX(CASE WHEN v.source IN ('abstract', 'comment') THEN v.official END)
                   AS text_official,
               MAX(v.official) AS any_official,
               COALESCE(c.framework, 'unknown') AS framework
        FROM papers p
        JOIN paper_repo_sources v ON v.arxiv_id = p.arxiv_id
        LEFT JOIN classifications c ON c.repo = v.repo
        WHERE p.published >= ? AND p.published < ? AND v.kind NOT IN ({marks})
        GROUP BY p.rowid, v.repo
    """  # noqa: S608 - placeholders only
    return _rows(conn.execute(sql, (since, until, *exclude_kinds)))


def pwc_labelled(conn: sqlite3.Connection) -> Rows:
    """Repositories labelled by both: canonical repo, survey's label and confidence, PwC's
    label and token, and how many papers link the repository."""
    sql = """
        SELECT COALESCE(a.repo, f.repo) AS repo, c.framework AS survey, c.confidence,
               f.label AS pwc, f.token,
               (SELECT COUNT(DISTINCT x.arxiv_id) FROM paper_repos x
                WHERE x.repo = COALESCE(a.repo, f.repo)) AS papers
        FROM pwc_frameworks f
        LEFT JOIN repo_aliases a ON a.alias = f.repo
        JOIN classifications c ON c.repo = COALESCE(a.repo, f.repo)
        WHERE f.label IS NOT NULL AND c.framework != 'unknown'
        ORDER BY 1, f.repo
    """
    return _rows(conn.execute(sql))
