"""What the database holds, in numbers: for ``survey status`` and the refresh's comparison."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from survey.core.vocab import WindowStatus


@dataclass(frozen=True)
class PaperCounts:
    total: int
    first: str | None
    last: str | None
    by_year: dict[str, int]
    with_links: int


def papers(conn: sqlite3.Connection) -> PaperCounts:
    row = conn.execute("SELECT COUNT(*), MIN(published), MAX(published) FROM papers").fetchone()
    by_year = {str(r[0]): int(r[1]) for r in conn.execute(
        "SELECT substr(published, 1, 4) AS y, COUNT(*) FROM papers GROUP BY y ORDER BY y")}
    with_links = conn.execute("SELECT COUNT(DISTINCT arxiv_id) FROM links").fetchone()[0]
    return PaperCounts(int(row[0]), row[1], row[2], by_year, int(with_links))


def links(conn: sqlite3.Connection) -> dict[str, Any]:
    """Links in all, official, distinct repositories, by host (most first)."""
    return {
        "total": conn.execute("SELECT COUNT(*) FROM links").fetchone()[0],
        "official": conn.execute("SELECT COUNT(*) FROM links WHERE official = 1").fetchone()[0],
        "repos": conn.execute("SELECT COUNT(DISTINCT repo) FROM links").fetchone()[0],
        "by_host": {r[0]: r[1] for r in conn.execute(
            "SELECT host, COUNT(*) AS n FROM links GROUP BY host ORDER BY n DESC, host")},
        # Every source that found a link (a link found by two sources counts in both).
        "by_source": {r[0]: r[1] for r in conn.execute(
            "SELECT source, COUNT(*) AS n FROM link_sources GROUP BY source"
            " ORDER BY n DESC, source")},
    }


def windows(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Per category set: windows by status, span, requests, and the short ones in full."""
    out = []
    for r in conn.execute(
        "SELECT categories, SUM(status = ?), SUM(status = ?), SUM(status = ?), MIN(start),"
        " MAX(end), SUM(requests) FROM harvest_windows GROUP BY categories ORDER BY categories",
        (WindowStatus.COMPLETE.value, WindowStatus.SHORT.value, WindowStatus.SPLIT.value),
    ):
        short = [{"start": s[0], "end": s[1], "fetched": s[2], "total": s[3]}
                 for s in conn.execute(
                     "SELECT start, end, fetched, total FROM harvest_windows"
                     " WHERE categories = ? AND status = ? ORDER BY start",
                     (r[0], WindowStatus.SHORT.value))]
        out.append({"categories": r[0], "complete": r[1], "short": r[2], "split": r[3],
                    "from": r[4], "to": r[5], "requests": r[6], "short_windows": short})
    return out


def repos_by_status(conn: sqlite3.Connection) -> dict[str, int]:
    return {r[0]: r[1] for r in conn.execute(
        "SELECT status, COUNT(*) AS n FROM repos GROUP BY status ORDER BY n DESC, status")}


def labels(conn: sqlite3.Connection) -> dict[str, int]:
    return {r[0]: r[1] for r in conn.execute(
        "SELECT framework, COUNT(*) AS n FROM classifications GROUP BY framework"
        " ORDER BY n DESC, framework")}


def totals(conn: sqlite3.Connection) -> tuple[int, int]:
    """(papers, repositories): what a refresh compares before and after."""
    return (conn.execute("SELECT COUNT(*) FROM papers").fetchone()[0],
            conn.execute("SELECT COUNT(*) FROM repos").fetchone()[0])
