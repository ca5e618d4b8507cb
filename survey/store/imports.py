"""The rows of the other link sources: the Papers With Code archive and Hugging Face Papers.

PwC rows are kept in ``pwc_links`` whether or not their paper is harvested yet; a row whose
paper is stored also becomes a ``link_sources`` row of source ``pwc`` (and the paper's merged
``links`` rows are rebuilt), and :func:`survey.store.papers.replace_text_links` attaches the
others when a harvest writes their paper. Each batch is written by set operations over a
temporary table, so a 300,000-row archive costs a few dozen statements per batch, not one per
row. Call every writer inside a :func:`survey.core.db.transaction`.

Hugging Face answers go to ``hf_asks`` (one row per paper: when it was asked and what came
back) together with the paper's ``hf`` link sources, in one transaction per paper, so a run
killed at any moment resumes with the papers it had not finished.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from survey.core.vocab import REPOSITORY_KINDS, LinkSource
from survey.store.papers import (
    LinkRecord,
    begin_touch,
    published_between,
    rebuild_touched,
    touch,
)


@dataclass(frozen=True)
class PwcRecord:
    """One validated archive row: the paper, the repository, PwC's verdict and framework."""

    arxiv_id: str
    repo: str
    host: str
    kind: str
    url: str
    official: bool
    in_paper: bool | None
    in_github: bool | None
    token: str | None      # PwC's framework token, lower case (None: no framework given)
    label: str | None      # survey's label for it (None: a token survey does not know)


@dataclass
class PwcBatchResult:
    """What one batch did to the stored rows."""

    added: int = 0          # (paper, repository) rows never imported before
    updated: int = 0        # imported before with other values (a newer archive)
    unchanged: int = 0      # imported before with the same values
    duplicates: int = 0     # a second row of the file for the same paper and repository
    attached: int = 0       # rows whose paper is harvested: they are links of source pwc
    new_links: int = 0      # of those, (paper, repository) pairs no other source had
    pending: int = 0        # rows whose paper is not harvested yet
    framework_conflicts: int = 0  # rows naming another framework for a repository already read


_BATCH_TABLE = """
    CREATE TEMP TABLE IF NOT EXISTS pwc_batch (
        arxiv_id TEXT NOT NULL, repo TEXT NOT NULL, host TEXT NOT NULL, kind TEXT NOT NULL,
        url TEXT NOT NULL, official INTEGER NOT NULL, in_paper INTEGER, in_github INTEGER,
        dup INTEGER NOT NULL DEFAULT 0, seen INTEGER NOT NULL DEFAULT 0,
        harvested INTEGER NOT NULL DEFAULT 0, relink INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (arxiv_id, repo)) WITHOUT ROWID
"""
_FW_TABLE = """
    CREATE TEMP TABLE IF NOT EXISTS pwc_fw_batch (
        repo TEXT PRIMARY KEY, token TEXT NOT NULL, label TEXT,
        conflicts INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID
"""
# A second row for the same key in one batch: counted, official if either says so.
_INTO_BATCH = """
    INSERT INTO temp.pwc_batch (arxiv_id, repo, host, kind, url, official, in_paper, in_github)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (arxiv_id, repo) DO UPDATE SET official = MAX(official, excluded.official),
        dup = dup + 1
"""
# One framework per repository: a real token beats 'none'; other disagreements keep the first.
_INTO_FW_BATCH = """
    INSERT INTO temp.pwc_fw_batch (repo, token, label) VALUES (?, ?, ?)
    ON CONFLICT (repo) DO UPDATE SET
        conflicts = conflicts + (excluded.token != token),
        label = CASE WHEN token = 'none' AND excluded.token != 'none' THEN excluded.label
                     ELSE label END,
        token = CASE WHEN token = 'none' AND excluded.token != 'none' THEN excluded.token
                     ELSE token END
"""
# Within one run (one file) a later row is a duplicate: official if either row says so, the
# first row's URL stays; a row from an earlier run takes the newer file's values.
_UPSERT_PWC = """
    INSERT INTO pwc_links (arxiv_id, repo, host, kind, url, official, in_paper, in_github, run_id)
    SELECT arxiv_id, repo, host, kind, url, official, in_paper, in_github, ? FROM temp.pwc_batch
    WHERE true
    ON CONFLICT (arxiv_id, repo) DO UPDATE SET
        official = CASE WHEN run_id = excluded.run_id THEN MAX(official, excluded.official)
                        ELSE excluded.official END,
        url = CASE WHEN run_id = excluded.run_id THEN url ELSE excluded.url END,
        in_paper = CASE WHEN run_id = excluded.run_id THEN in_paper ELSE excluded.in_paper END,
        in_github = CASE WHEN run_id = excluded.run_id THEN in_github
                         ELSE excluded.in_github END,
        host = excluded.host, kind = excluded.kind, run_id = excluded.run_id
"""
_UPSERT_FW = """
    INSERT INTO pwc_frameworks (repo, token, label, run_id)
    SELECT repo, token, label, ? FROM temp.pwc_fw_batch WHERE true
    ON CONFLICT (repo) DO UPDATE SET token = excluded.token, label = excluded.label,
        run_id = excluded.run_id
    WHERE pwc_frameworks.run_id != excluded.run_id
       OR (pwc_frameworks.token = 'none' AND excluded.token != 'none')
"""
# Rows whose link source is new or changed (unchanged rows already have theirs).
_ATTACH = """
    INSERT INTO link_sources (arxiv_id, repo, source, host, kind, url, official)
    SELECT w.arxiv_id, w.repo, 'pwc', w.host, w.kind, w.url, w.official
    FROM temp.pwc_batch b JOIN pwc_links w ON w.arxiv_id = b.arxiv_id AND w.repo = b.repo
    WHERE b.relink
    ON CONFLICT (arxiv_id, repo, source) DO UPDATE SET official = excluded.official,
        url = excluded.url, host = excluded.host, kind = excluded.kind
"""


def _one(conn: sqlite3.Connection, sql: str, params: Sequence[object] = ()) -> int:
    return int(conn.execute(sql, params).fetchone()[0] or 0)


def write_pwc_batch(conn: sqlite3.Connection, records: Sequence[PwcRecord],
                    run_id: int) -> PwcBatchResult:
    """Store one batch of archive rows read by import run ``run_id``; see the module doc."""
    conn.execute(_BATCH_TABLE)
    conn.execute(_FW_TABLE)
    conn.execute("DELETE FROM temp.pwc_batch")
    conn.execute("DELETE FROM temp.pwc_fw_batch")
    conn.executemany(_INTO_BATCH, [(r.arxiv_id, r.repo, r.host, r.kind, r.url, int(r.official),
                                    _flag(r.in_paper), _flag(r.in_github)) for r in records])
    conn.executemany(_INTO_FW_BATCH, [(r.repo, r.token, r.label) for r in records
                                      if r.token is not None])
    res = PwcBatchResult()
    res.duplicates = _one(conn, "SELECT SUM(dup) FROM temp.pwc_batch")
    # seen: 0 new, 1 same values, 2 other values, 3 already read by this run (a duplicate)
    conn.execute("""
        UPDATE temp.pwc_batch SET seen = COALESCE((
            SELECT CASE WHEN w.run_id = ? THEN 3
                        WHEN w.official = pwc_batch.official AND w.url = pwc_batch.url
                             AND w.in_paper IS pwc_batch.in_paper
                             AND w.in_github IS pwc_batch.in_github THEN 1
                        ELSE 2 END
            FROM pwc_links w WHERE w.arxiv_id = pwc_batch.arxiv_id AND w.repo = pwc_batch.repo),
            0)""", (run_id,))
    counts = dict(conn.execute("SELECT seen, COUNT(*) FROM temp.pwc_batch GROUP BY seen"))
    res.added, res.unchanged = counts.get(0, 0), counts.get(1, 0)
    res.updated, res.duplicates = counts.get(2, 0), res.duplicates + counts.get(3, 0)
    res.framework_conflicts = _one(conn, "SELECT SUM(conflicts) FROM temp.pwc_fw_batch") + _one(
        conn, "SELECT COUNT(*) FROM temp.pwc_fw_batch b JOIN pwc_frameworks f"
              " ON f.repo = b.repo WHERE f.run_id = ? AND f.token != b.token", (run_id,))
    conn.execute(_UPSERT_PWC, (run_id,))
    conn.execute(_UPSERT_FW, (run_id,))
    # Harvested papers' rows are links; those new, changed, or without their link source yet
    # (re)attach, so a second import of the same file touches no link.
    conn.execute("""
        UPDATE temp.pwc_batch SET harvested = 1,
            relink = seen != 1 OR NOT EXISTS (SELECT 1 FROM link_sources s
                WHERE s.arxiv_id = pwc_batch.arxiv_id AND s.repo = pwc_batch.repo
                  AND s.source = 'pwc')
        WHERE arxiv_id IN (SELECT arxiv_id FROM papers)""")
    res.attached = _one(conn, "SELECT COUNT(*) FROM temp.pwc_batch WHERE harvested")
    res.pending = _one(conn, "SELECT COUNT(*) FROM temp.pwc_batch") - res.attached
    res.new_links = _one(conn, """
        SELECT COUNT(*) FROM temp.pwc_batch b WHERE b.relink AND NOT EXISTS (
            SELECT 1 FROM links l WHERE l.arxiv_id = b.arxiv_id AND l.repo = b.repo)""")
    if _one(conn, "SELECT COUNT(*) FROM temp.pwc_batch WHERE relink"):
        begin_touch(conn)
        conn.execute(_ATTACH)
        conn.execute("INSERT OR IGNORE INTO temp.touched SELECT arxiv_id, repo"
                     " FROM temp.pwc_batch WHERE relink")
        rebuild_touched(conn)
    return res


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


def pwc_totals(conn: sqlite3.Connection) -> dict[str, int]:
    """What the stored archive rows amount to: rows, harvested papers' rows, pending rows."""
    rows = _one(conn, "SELECT COUNT(*) FROM pwc_links")
    attached = _one(conn, "SELECT COUNT(*) FROM pwc_links"
                          " WHERE arxiv_id IN (SELECT arxiv_id FROM papers)")
    return {"rows": rows, "attached": attached, "pending": rows - attached,
            "frameworks": _one(conn, "SELECT COUNT(*) FROM pwc_frameworks")}


def pwc_framework_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Repositories per PwC label as mapped (``unmapped`` for tokens survey does not know)."""
    return {str(k): int(n) for k, n in conn.execute(
        "SELECT COALESCE(label, 'unmapped'), COUNT(*) FROM pwc_frameworks"
        " GROUP BY 1 ORDER BY 2 DESC, 1")}


# -- Hugging Face Papers ---------------------------------------------------------------------

@dataclass(frozen=True)
class HfCandidate:
    arxiv_id: str
    published: str


def hf_candidates(conn: sqlite3.Connection, *, since: str | None, until: str | None,
                  recent_cutoff: str, old_cutoff: str, limit: int | None) -> list[HfCandidate]:
    """Harvested papers to ask Hugging Face about, newest first.

    A paper never asked, or asked before ``recent_cutoff`` (``old_cutoff`` when it was more than
    a year old then) without getting a repository back. Old-style ids (``cs/0601001``) are left
    out: Hugging Face indexes papers by new-style ids only.
    """
    bounds, bound_params = published_between(since, until)
    where = ["p.arxiv_id NOT LIKE '%/%'", *bounds]
    params: list[object] = [*bound_params]
    sql = f"""
        SELECT p.arxiv_id, p.published FROM papers p
        LEFT JOIN hf_asks h ON h.arxiv_id = p.arxiv_id
        WHERE {" AND ".join(where)}
          AND (h.arxiv_id IS NULL OR (h.status != 'repo' AND h.asked_at <
               CASE WHEN julianday(h.asked_at) - julianday(p.published) < 365 THEN ?
                    ELSE ? END))
        ORDER BY p.published DESC, p.arxiv_id
        LIMIT ?
    """  # noqa: S608 - fixed fragments and placeholders only
    params += [recent_cutoff, old_cutoff, -1 if limit is None else limit]
    return [HfCandidate(r[0], r[1]) for r in conn.execute(sql, params)]


def record_hf_answer(conn: sqlite3.Connection, arxiv_id: str, *, asked_at: str, status: str,
                     github_repo: str | None, project_page: str | None,
                     links: Sequence[LinkRecord] | None) -> int:
    """Store one answer; ``links`` (None: keep the paper's earlier ``hf`` links) replace the
    paper's ``hf`` link sources, and its merged links are rebuilt. Returns how many of the
    repository links were not linked by the paper before (by any source)."""
    conn.execute(
        "INSERT INTO hf_asks (arxiv_id, asked_at, status, github_repo, project_page)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (arxiv_id) DO UPDATE SET"
        " asked_at = excluded.asked_at, status = excluded.status,"
        " github_repo = excluded.github_repo, project_page = excluded.project_page",
        (arxiv_id, asked_at, status, github_repo, project_page))
    if links is None:
        return 0
    before = {r[0] for r in conn.execute("SELECT repo FROM links WHERE arxiv_id = ?",
                                         (arxiv_id,))}
    new = sum(1 for k in links if k.kind in REPOSITORY_KINDS and k.repo not in before)
    begin_touch(conn)
    conn.execute("INSERT OR IGNORE INTO temp.touched SELECT arxiv_id, repo FROM link_sources"
                 " WHERE arxiv_id = ? AND source = ?", (arxiv_id, LinkSource.HF.value))
    touch(conn, [(arxiv_id, k.repo) for k in links])
    conn.execute("DELETE FROM link_sources WHERE arxiv_id = ? AND source = ?",
                 (arxiv_id, LinkSource.HF.value))
    conn.executemany(
        "INSERT INTO link_sources (arxiv_id, repo, source, host, kind, url, official)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (arxiv_id, repo, source) DO NOTHING",
        [(arxiv_id, k.repo, LinkSource.HF.value, k.host, k.kind, k.url, int(k.official))
         for k in links])
    rebuild_touched(conn)
    return new


def hf_in_use(conn: sqlite3.Connection) -> bool:
    """Whether any paper was ever asked (the refresh keeps up what a user started)."""
    return conn.execute("SELECT 1 FROM hf_asks LIMIT 1").fetchone() is not None


def hf_totals(conn: sqlite3.Connection) -> dict[str, int]:
    """Papers asked, by answer."""
    return {str(s): int(n) for s, n in conn.execute(
        "SELECT status, COUNT(*) FROM hf_asks GROUP BY status ORDER BY status")}
