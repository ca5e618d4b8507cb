"""Papers, their code links and the harvest windows: the harvest's rows.

Papers are upserted on the arXiv id without version; an older version never overwrites a newer
one, and a paper's abstract and comment links are replaced whenever its row is written. Call the
writers inside a :func:`survey.core.db.transaction`, together with the window record, so a window
is stored whole or not at all.

Every source of a link is a ``link_sources`` row (abstract, comment, pwc, hf); ``links`` holds one
merged row per (paper, repository), rebuilt from those rows (:func:`rebuild_touched`) for every
pair whose sources change. Rewriting a paper replaces only its abstract and comment sources, and
attaches the Papers With Code rows imported before the paper was harvested.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from survey.core.vocab import LinkSource, WindowStatus


def published_between(since: str | None, until: str | None) -> tuple[list[str], list[str]]:
    """SQL conditions and their parameters bounding ``p.published`` (the papers table as
    ``p``; ``until`` exclusive), none for a bound that is not given."""
    where: list[str] = []
    params: list[str] = []
    if since:
        where.append("p.published >= ?")
        params.append(since)
    if until:
        where.append("p.published < ?")
        params.append(until)
    return where, params


@dataclass(frozen=True)
class PaperRecord:
    """One ``papers`` row (dates as stored: ISO 8601 UTC with seconds)."""

    arxiv_id: str
    version: int
    title: str
    abstract: str
    comment: str | None
    journal_ref: str | None
    doi: str | None
    primary_category: str
    categories: str
    authors: str          # JSON list of names
    published: str
    updated: str


@dataclass(frozen=True)
class LinkRecord:
    """One link of a paper to a repository or page (``links`` row)."""

    repo: str
    host: str
    kind: str
    url: str
    official: bool
    source: str


@dataclass(frozen=True)
class WindowRecord:
    status: str
    total: int | None
    fetched: int | None


_UPSERT = (
    "INSERT INTO papers (arxiv_id, version, title, abstract, comment, journal_ref, doi,"
    " primary_category, categories, authors, published, updated, harvested_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (arxiv_id) DO UPDATE SET version = excluded.version, title = excluded.title,"
    " abstract = excluded.abstract, comment = excluded.comment,"
    " journal_ref = excluded.journal_ref, doi = excluded.doi,"
    " primary_category = excluded.primary_category, categories = excluded.categories,"
    " authors = excluded.authors, published = excluded.published, updated = excluded.updated,"
    " harvested_at = excluded.harvested_at"
    " WHERE excluded.version >= papers.version"
)
_SOURCE = (
    "INSERT INTO link_sources (arxiv_id, repo, source, host, kind, url, official)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (arxiv_id, repo, source) DO UPDATE SET official = MAX(official,"
    " excluded.official)"
)
# The sources the harvest owns: a paper's rewrite replaces only these links.
TEXT_SOURCES = (LinkSource.ABSTRACT.value, LinkSource.COMMENT.value)
# The order in which a merged link takes its ``source`` and ``url``: the first source found.
SOURCE_ORDER = (LinkSource.ABSTRACT.value, LinkSource.COMMENT.value, LinkSource.PWC.value,
                LinkSource.HF.value)
# The merged ``links`` row of each (paper, repository) in ``temp.touched`` (CROSS JOIN: the
# touched pairs drive the loop, whatever the planner's statistics say).
_REBUILD = """
    INSERT INTO links (arxiv_id, repo, host, kind, url, official, source)
    SELECT s.arxiv_id, s.repo, s.host, s.kind, s.url,
           (SELECT MAX(o.official) FROM link_sources o
            WHERE o.arxiv_id = s.arxiv_id AND o.repo = s.repo),
           s.source
    FROM temp.touched t
    CROSS JOIN link_sources s ON s.arxiv_id = t.arxiv_id AND s.repo = t.repo
    WHERE s.source = (SELECT f.source FROM link_sources f
                      WHERE f.arxiv_id = s.arxiv_id AND f.repo = s.repo
                      ORDER BY CASE f.source WHEN 'abstract' THEN 0 WHEN 'comment' THEN 1
                               WHEN 'pwc' THEN 2 ELSE 3 END LIMIT 1)
"""
_TOUCHED = ("CREATE TEMP TABLE IF NOT EXISTS touched (arxiv_id TEXT NOT NULL, repo TEXT NOT NULL,"
            " PRIMARY KEY (arxiv_id, repo)) WITHOUT ROWID")
_TOUCH = "INSERT OR IGNORE INTO temp.touched (arxiv_id, repo) VALUES (?, ?)"
_PAPER_IDS = "CREATE TEMP TABLE IF NOT EXISTS paper_ids (arxiv_id TEXT PRIMARY KEY) WITHOUT ROWID"
# Papers With Code rows imported before their paper was harvested.
_ATTACH_PWC = """
    INSERT INTO link_sources (arxiv_id, repo, source, host, kind, url, official)
    SELECT w.arxiv_id, w.repo, 'pwc', w.host, w.kind, w.url, w.official
    FROM pwc_links w WHERE w.arxiv_id IN (SELECT arxiv_id FROM temp.paper_ids)
    ON CONFLICT (arxiv_id, repo, source) DO UPDATE SET official = excluded.official,
        url = excluded.url, host = excluded.host, kind = excluded.kind
"""


def _chunks(items: Sequence[str], size: int = 500) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def stored_versions(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, tuple[int, str]]:
    """arxiv_id -> (version, updated) of the papers already stored among ``ids``."""
    found: dict[str, tuple[int, str]] = {}
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(
            f"SELECT arxiv_id, version, updated FROM papers WHERE arxiv_id IN ({marks})",  # noqa: S608
            tuple(chunk),
        ):
            found[row[0]] = (row[1], row[2])
    return found


def write_papers(conn: sqlite3.Connection, papers: Sequence[PaperRecord],
                 links: dict[str, list[LinkRecord]], harvested_at: str) -> tuple[int, int, int]:
    """Upsert ``papers`` and replace their text links; inside a transaction.

    Returns (new papers, papers whose version or update time changed, links written). A paper
    whose stored version is newer than the one received is left alone, links included.
    """
    existing = stored_versions(conn, [p.arxiv_id for p in papers])
    new = updated = 0
    write: list[PaperRecord] = []
    for paper in papers:
        old = existing.get(paper.arxiv_id)
        if old is None:
            new += 1
        elif paper.version < old[0]:
            continue
        elif (paper.version, paper.updated) != old:
            updated += 1
        write.append(paper)
    conn.executemany(_UPSERT, [(
        p.arxiv_id, p.version, p.title, p.abstract, p.comment, p.journal_ref, p.doi,
        p.primary_category, p.categories, p.authors, p.published, p.updated, harvested_at,
    ) for p in write])
    written = replace_text_links(conn, {p.arxiv_id: links.get(p.arxiv_id, []) for p in write})
    return new, updated, written


def replace_text_links(conn: sqlite3.Connection, links: dict[str, list[LinkRecord]]) -> int:
    """Replace the abstract and comment links of these papers; links of other sources stay.

    Papers With Code rows waiting for these papers are attached, and the merged ``links`` rows
    of every (paper, repository) whose sources changed are rebuilt. Set operations over the
    papers in a temporary table: a window of 2,000 papers costs a handful of statements.
    Returns the number of text links written.
    """
    begin_touch(conn)
    conn.execute(_PAPER_IDS)
    conn.execute("DELETE FROM temp.paper_ids")
    conn.executemany("INSERT OR IGNORE INTO temp.paper_ids (arxiv_id) VALUES (?)",
                     ((a,) for a in links))
    ids = "SELECT arxiv_id FROM temp.paper_ids"
    text = ",".join(f"'{source}'" for source in TEXT_SOURCES)
    # Before: the text sources, and merged rows still saying abstract or comment (rows stored
    # before link_sources existed are replaced the same way), and PwC rows to attach.
    conn.execute(
        f"INSERT OR IGNORE INTO temp.touched SELECT arxiv_id, repo FROM link_sources"  # noqa: S608
        f" WHERE arxiv_id IN ({ids}) AND source IN ({text})"
        f" UNION SELECT arxiv_id, repo FROM links WHERE arxiv_id IN ({ids})"
        f" AND source IN ({text})"
        f" UNION SELECT arxiv_id, repo FROM pwc_links WHERE arxiv_id IN ({ids})")
    conn.execute(f"DELETE FROM link_sources WHERE arxiv_id IN ({ids})"  # noqa: S608
                 f" AND source IN ({text})")
    conn.execute(_ATTACH_PWC)
    rows = [(arxiv_id, link.repo, link.source, link.host, link.kind, link.url,
             int(link.official)) for arxiv_id, found in links.items() for link in found]
    conn.executemany(_SOURCE, rows)
    conn.executemany(_TOUCH, [(r[0], r[1]) for r in rows])
    rebuild_touched(conn)
    return len(rows)


def begin_touch(conn: sqlite3.Connection) -> None:
    """Start collecting the (paper, repository) pairs whose sources are about to change."""
    conn.execute(_TOUCHED)
    conn.execute("DELETE FROM temp.touched")


def touch(conn: sqlite3.Connection, pairs: Iterable[tuple[str, str]]) -> None:
    conn.executemany(_TOUCH, pairs)


def rebuild_touched(conn: sqlite3.Connection) -> None:
    """Rebuild the merged ``links`` row of every touched pair from its ``link_sources`` (a pair
    left without sources loses its row); rows of untouched pairs are left as they are."""
    conn.execute("DELETE FROM links WHERE (arxiv_id, repo) IN"
                 " (SELECT arxiv_id, repo FROM temp.touched)")
    conn.execute(_REBUILD)
    conn.execute("DELETE FROM temp.touched")


def paper_texts(conn: sqlite3.Connection, after: int, limit: int
                ) -> list[tuple[int, str, str, str | None]]:
    """(rowid, arxiv_id, abstract, comment) of the papers after ``after``, by rowid."""
    return [(int(r[0]), r[1], r[2], r[3]) for r in conn.execute(
        "SELECT rowid, arxiv_id, abstract, comment FROM papers WHERE rowid > ?"
        " ORDER BY rowid LIMIT ?", (after, limit))]


def paper_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM papers").fetchone()[0])


# -- harvest windows -----------------------------------------------------------------------

def window_record(conn: sqlite3.Connection, start: str, end: str,
                  categories: str) -> WindowRecord | None:
    row = conn.execute(
        "SELECT status, total, fetched FROM harvest_windows"
        " WHERE start = ? AND end = ? AND categories = ?",
        (start, end, categories),
    ).fetchone()
    return WindowRecord(row[0], row[1], row[2]) if row else None


def short_windows(conn: sqlite3.Connection, categories: str) -> list[tuple[str, str]]:
    """(start, end) of the windows of a category set that came back short."""
    return [(r[0], r[1]) for r in conn.execute(
        "SELECT start, end FROM harvest_windows WHERE categories = ? AND status = ?"
        " ORDER BY start", (categories, WindowStatus.SHORT.value),
    )]


def save_window(conn: sqlite3.Connection, start: str, end: str, categories: str, status: str,
                total: int | None, fetched: int | None, requests: int,
                finished_at: str) -> None:
    conn.execute(
        "INSERT INTO harvest_windows (start, end, categories, status, total, fetched,"
        " requests, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (start, end, categories) DO UPDATE SET status = excluded.status,"
        " total = excluded.total, fetched = excluded.fetched,"
        " requests = excluded.requests, finished_at = excluded.finished_at",
        (start, end, categories, status, total, fetched, requests, finished_at),
    )


def last_complete_end(conn: sqlite3.Connection, categories: str) -> str | None:
    """End (``YYYY-MM-DDTHH:MM``) of the latest complete window of a category set.

    A window reaching into the future (the current month) is complete only up to when it was
    harvested, so its end counts as its ``finished_at`` (to the minute).
    """
    row = conn.execute(
        "SELECT MAX(MIN(end, substr(finished_at, 1, 16))) FROM harvest_windows"
        " WHERE categories = ? AND status = ?",
        (categories, WindowStatus.COMPLETE.value),
    ).fetchone()
    return None if row is None or row[0] is None else str(row[0])
