"""``survey status``: what the database holds and what the last runs did.

:func:`collect_status` only reads, and returns plain dicts (also printed by ``--json``); the CLI
renders them as one screen. Short windows are listed with both numbers (received / arXiv's
total) because they are the crawl's known gaps until the next crawl fills them.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from survey.store import counts, runs, sample

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
         "error": r.summary.get("error"),
         "cost": github_cost((r.summary.get("stages") or {}).get("fetch"))}
        for r in runs.recent(conn, RUNS_SHOWN)
    ]
    fraction = sample.sample_fraction(conn)
    if fraction is not None:
        out["sample"] = {"fraction": fraction, "repositories": sample.sample_size(conn)}
    return out


def github_cost(fetch: Any) -> dict[str, Any] | None:
    """What a run's fetch really cost GitHub: REST charged requests, GraphQL points (and the
    budget left and its reset, as the last answer said), the API used and the sample."""
    if not isinstance(fetch, dict) or "requests_charged" not in fetch:
        return None
    raw = fetch.get("graphql")
    graphql: dict[str, Any] = raw if isinstance(raw, dict) else {}
    return {"api": fetch.get("github_api", "rest"), "rest_charged": fetch["requests_charged"],
            "graphql_points": graphql.get("points", 0),
            "graphql_queries": graphql.get("queries", 0),
            "graphql_remaining": graphql.get("remaining"),
            "graphql_reset_at": graphql.get("reset_at"),
            "repos": fetch.get("repos", 0), "sample": fetch.get("sample")}
