"""``survey status``: what the database holds and what the last runs did.

:func:`collect_status` only reads, and returns plain dicts (also printed by ``--json``); the CLI
renders them as one screen. Short windows are listed with both numbers (received / arXiv's
total) because they are the crawl's known gaps until the next crawl fills them.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from survey.store import counts, runs

RUNS_SHOWN = 5


def collect_status(conn: sqlite3.Connection) -> dict[str, Any]:
    """Counts of everything stored, short windows, and the last runs."""
    papers = counts.papers(conn)
    out: dict[str, Any] = {
        "papers": {"total": papers.total, "first": papers.first, "last": papers.last,
                   "by_year": papers.by_year, "with_links": papers.with_links},
        "links": counts.links(conn),
        "windows": counts.windows(conn),
    }
    by_status = counts.repos_by_status(conn)
    if by_status:
        out["repos"] = by_status
    labels = counts.labels(conn)
    if labels:
        out["classifications"] = labels
    out["runs"] = [
        {"id": r.id, "command": r.command, "started_at": r.started_at,
         "finished_at": r.finished_at, "outcome": r.outcome, "requests": r.requests,
         "harvest": (r.summary.get("stages") or {}).get("harvest"),
         "error": r.summary.get("error")}
        for r in runs.recent(conn, RUNS_SHOWN)
    ]
    return out
