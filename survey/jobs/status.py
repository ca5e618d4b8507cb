"""``survey status``: what the database holds and what the last runs did.

:func:`collect_status` only reads (plain dicts, also printed by ``--json``); :func:`render_status`
turns them into one screen. Short windows are listed with both numbers (received / arXiv's
total) because they are the crawl's known gaps until the next crawl fills them.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

MAX_SHORT_SHOWN = 10
RUNS_SHOWN = 5


def _table_has_rows(conn: sqlite3.Connection, table: str) -> bool:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()
    if not exists:
        return False
    return conn.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()[0] == 1  # noqa: S608


def collect_status(conn: sqlite3.Connection) -> dict[str, Any]:
    """Counts of everything stored, short windows, and the last runs."""
    out: dict[str, Any] = {}
    row = conn.execute(
        "SELECT COUNT(*), MIN(published), MAX(published) FROM papers"
    ).fetchone()
    out["papers"] = {"total": row[0], "first": row[1], "last": row[2]}
    out["papers"]["by_year"] = {
        r[0]: r[1] for r in conn.execute(
            "SELECT substr(published, 1, 4) AS y, COUNT(*) FROM papers GROUP BY y ORDER BY y")
    }
    out["papers"]["with_links"] = conn.execute(
        "SELECT COUNT(DISTINCT arxiv_id) FROM links").fetchone()[0]
    out["links"] = {
        "total": conn.execute("SELECT COUNT(*) FROM links").fetchone()[0],
        "official": conn.execute("SELECT COUNT(*) FROM links WHERE official = 1").fetchone()[0],
        "repos": conn.execute("SELECT COUNT(DISTINCT repo) FROM links").fetchone()[0],
        "by_host": {r[0]: r[1] for r in conn.execute(
            "SELECT host, COUNT(*) AS n FROM links GROUP BY host ORDER BY n DESC, host")},
    }
    windows = []
    for r in conn.execute(
        "SELECT categories, SUM(status = 'complete'), SUM(status = 'short'),"
        " SUM(status = 'split'), MIN(start), MAX(end), SUM(requests)"
        " FROM harvest_windows GROUP BY categories ORDER BY categories"
    ):
        short = [
            {"start": s[0], "end": s[1], "fetched": s[2], "total": s[3]}
            for s in conn.execute(
                "SELECT start, end, fetched, total FROM harvest_windows"
                " WHERE categories = ? AND status = 'short' ORDER BY start", (r[0],))
        ]
        windows.append({"categories": r[0], "complete": r[1], "short": r[2], "split": r[3],
                        "from": r[4], "to": r[5], "requests": r[6], "short_windows": short})
    out["windows"] = windows
    if _table_has_rows(conn, "repos"):
        out["repos"] = {r[0]: r[1] for r in conn.execute(
            "SELECT status, COUNT(*) AS n FROM repos GROUP BY status ORDER BY n DESC, status")}
    if _table_has_rows(conn, "classifications"):
        out["classifications"] = {r[0]: r[1] for r in conn.execute(
            "SELECT framework, COUNT(*) AS n FROM classifications GROUP BY framework"
            " ORDER BY n DESC, framework")}
    runs = []
    for r in conn.execute(
        "SELECT id, command, started_at, finished_at, outcome, summary, requests FROM runs"
        " ORDER BY id DESC LIMIT ?", (RUNS_SHOWN,)
    ):
        summary = _json(r[5])
        runs.append({"id": r[0], "command": r[1], "started_at": r[2], "finished_at": r[3],
                     "outcome": r[4], "requests": _json(r[6]) or {},
                     "harvest": (summary.get("stages") or {}).get("harvest"),
                     "error": summary.get("error")})
    out["runs"] = runs
    return out


def _json(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def render_status(status: dict[str, Any]) -> RenderableType:
    """One screen: papers, links by host, windows (short ones with both numbers), runs."""
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    p = status["papers"]
    span = f" (first versions {p['first'][:10]} .. {p['last'][:10]})" if p["total"] else ""
    _row(table, "papers", f"{p['total']:,}{span}")
    if p["by_year"]:
        _row(table, "  by year", ", ".join(f"{y} {n:,}" for y, n in p["by_year"].items()))
    links = status["links"]
    _row(table, "links", f"{links['total']:,} ({links['official']:,} official) to"
                         f" {links['repos']:,} repositories, from {p['with_links']:,} papers")
    for host, n in list(links["by_host"].items())[:8]:
        _row(table, f"  {host}", f"{n:,}")
    if "repos" in status:
        _row(table, "repositories", ", ".join(f"{k} {v:,}" for k, v in status["repos"].items()))
    if "classifications" in status:
        _row(table, "frameworks",
             ", ".join(f"{k} {v:,}" for k, v in status["classifications"].items()))
    if not status["windows"]:
        _row(table, "windows", "none yet: run `survey crawl --since 2018`")
    for w in status["windows"]:
        _row(table, "windows", f"[{w['categories']}] {w['from'][:10]} .. {w['to'][:10]}:"
                               f" {w['complete']:,} complete, {w['short']:,} short,"
                               f" {w['split']:,} split; {w['requests'] or 0:,} requests")
        for s in w["short_windows"][:MAX_SHORT_SHOWN]:
            _row(table, "  short", f"{s['start']} .. {s['end']}: {s['fetched']:,} of"
                                   f" {s['total']:,} papers received (retried by the next crawl)",
                 style="yellow")
        if len(w["short_windows"]) > MAX_SHORT_SHOWN:
            _row(table, "  short", f"... and {len(w['short_windows']) - MAX_SHORT_SHOWN} more",
                 style="yellow")
    if not status["runs"]:
        _row(table, "runs", "none yet")
    for r in status["runs"]:
        what = r["error"] or ""
        h = r["harvest"]
        if h and not what:
            what = (f"{h['papers_new']:,} new papers; windows {h['windows_done']} done,"
                    f" {h['windows_skipped']} skipped, {h['windows_short']} short")
        if r["requests"]:
            what += "; requests " + ", ".join(f"{k} {v:,}" for k, v in r["requests"].items())
        when = (r["started_at"] or "").replace("T", " ")[:16]
        # A run killed with SIGKILL cannot record its end: say so rather than "running".
        outcome = "running (or killed)" if r["outcome"] == "running" else r["outcome"]
        _row(table, f"run #{r['id']}", f"{r['command']} {when} {outcome}"
                                       + (f": {what.strip('; ')}" if what else ""))
    return Group(table)


def _row(table: Table, *cells: str, style: str = "") -> None:
    """Cells as plain text: outside strings (errors, categories) are never read as markup."""
    table.add_row(*(Text(c, style=style) for c in cells))
