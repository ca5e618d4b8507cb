"""``survey crawl``: run the stages in order, record the run, print a one-screen summary.

A stage is a callable ``(ctx: StageContext) -> dict``: it reads what earlier stages stored,
writes its own rows and progress markers in its own transactions, and returns a small JSON-able
summary. Adding a stage is one line in :data:`STAGES` (``("fetch", fetch_stage)``). Every run is
recorded in ``runs`` (command, start, end, outcome ``ok``/``failed``/``interrupted``, the
stages' summaries, requests by service), even when it fails, so ``survey status`` can say what
happened last.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from crawler.categories import validate_categories
from crawler.harvest import harvest
from crawler.http import RequestStats, redact
from crawler.windows import resolve_range
from survey.console import err_console
from survey.db import connect, transaction, utcnow
from survey.errors import StoreError
from survey.lock import exclusive_run
from survey.settings import Settings


@dataclass
class StageContext:
    """What every stage gets: the open database, settings, shared counters, the crawl's scope."""

    conn: sqlite3.Connection
    settings: Settings
    stats: RequestStats
    progress: bool
    since: datetime
    until: datetime
    categories: tuple[str, ...]
    now: datetime
    run_id: int
    results: dict[str, dict[str, Any]] = field(default_factory=dict)


Stage = Callable[[StageContext], dict[str, Any]]


def harvest_stage(ctx: StageContext) -> dict[str, Any]:
    """Stage 1: arXiv papers and their code links."""
    return harvest(
        ctx.conn, ctx.settings, since=ctx.since, until=ctx.until, categories=ctx.categories,
        stats=ctx.stats, progress=ctx.progress, now=ctx.now,
    ).as_dict()


def fetch_stage(mode: str = "pending") -> Stage:
    """Stage 2: the linked repositories' metadata, trees and selected files.

    ``pending`` (crawl) fetches repositories never fetched or whose last attempt failed; ``due``
    (refresh) also re-checks known ones with conditional requests.
    """

    def stage(ctx: StageContext) -> dict[str, Any]:
        from crawler.fetch import fetch_repositories

        return fetch_repositories(
            ctx.conn, ctx.settings, ctx.stats, mode=mode, progress=ctx.progress, now=ctx.now
        ).as_dict()

    return stage


def classify_stage(ctx: StageContext) -> dict[str, Any]:
    """Stage 3: label what changed, from stored files only (everything on a new classifier)."""
    from analysis.stored import classify_stored

    return classify_stored(ctx.conn, progress=ctx.progress).to_json()


# The crawl's stages, in order: ("name", callable).
STAGES: list[tuple[str, Stage]] = [
    ("harvest", harvest_stage),
    ("fetch", fetch_stage("pending")),
    ("classify", classify_stage),
]


@dataclass
class CrawlSummary:
    """The outcome of one ``survey crawl``."""

    run_id: int
    outcome: str
    stages: dict[str, dict[str, Any]]
    requests: dict[str, int]
    retries: dict[str, int]
    seconds: float
    error: str | None = None
    command: str = "crawl"


def start_run(conn: sqlite3.Connection, command: str, args: dict[str, Any]) -> int:
    """Insert a ``runs`` row in state ``running`` and return its id."""
    with transaction(conn):
        cur = conn.execute(
            "INSERT INTO runs (command, started_at, outcome, summary) VALUES (?, ?, 'running', ?)",
            (command, utcnow(), json.dumps({"args": args})),
        )
    return int(cur.lastrowid or 0)


def finish_run(conn: sqlite3.Connection, run_id: int, outcome: str, summary: dict[str, Any],
               requests: dict[str, int]) -> None:
    """Close a ``runs`` row with its outcome, summary and requests by service."""
    with transaction(conn):
        conn.execute(
            "UPDATE runs SET finished_at = ?, outcome = ?, summary = ?, requests = ?"
            " WHERE id = ?",
            (utcnow(), outcome, json.dumps(summary, default=str), json.dumps(requests), run_id),
        )


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (systemd stop, ``kill``) ends the run like Ctrl-C: rolled back, recorded."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_crawl(
    settings: Settings,
    *,
    since: str | datetime,
    until: str | datetime | None = None,
    categories: Sequence[str] | None = None,
    progress: bool = True,
    stages: Sequence[tuple[str, Stage]] | None = None,
    now: datetime | None = None,
    command: str = "crawl",
    locked: bool = False,
) -> CrawlSummary:
    """Validate the input (before touching the database), then run the stages and record it.

    The run holds the database's run lock (``survey.lock``) unless the caller already does
    (``locked=True``), so two crawls or a crawl and a refresh never run at once. The summary is
    printed (stderr) only on success; a failure leaves its one-line error to the CLI and its
    record in ``runs``.
    """
    if not locked:
        now = now or datetime.now(UTC)
        resolve_range(since, until, now=now)  # bad input fails before the lock file is made
        validate_categories(categories or settings.categories)
        with exclusive_run(settings.db, command):
            return run_crawl(settings, since=since, until=until, categories=categories,
                             progress=progress, stages=stages, now=now, command=command,
                             locked=True)
    now = now or datetime.now(UTC)
    start, end = resolve_range(since, until, now=now)
    cats = validate_categories(categories or settings.categories)
    args = {"since": start.isoformat(), "until": end.isoformat(), "categories": list(cats)}
    stats = RequestStats()
    began = time.monotonic()
    conn = connect(settings.db)
    try:
        try:
            run_id = start_run(conn, command, args)
        except sqlite3.OperationalError as exc:
            raise StoreError(f"cannot record the run in {settings.db}: {exc}") from exc
        ctx = StageContext(conn, settings, stats, progress, start, end, cats, now, run_id)
        outcome, error = "failed", None
        try:
            with _sigterm_as_interrupt():
                for name, stage in (STAGES if stages is None else stages):
                    try:
                        ctx.results[name] = stage(ctx)
                    except sqlite3.DatabaseError as exc:  # locked, disk full, corrupt
                        raise StoreError(f"database error in stage {name}: {exc}") from exc
            outcome = "ok"
        except KeyboardInterrupt:
            outcome, error = "interrupted", "interrupted"
            raise
        except BaseException as exc:
            # Stored in ``runs`` and printed: whatever a stage's error says, no token goes there.
            error = redact(str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                           settings.github_token)
            raise
        finally:
            counters = stats.as_dict()
            summary = {"args": args, "stages": ctx.results, "retries": counters["retries"],
                       "seconds": round(time.monotonic() - began, 1)}
            if error:
                summary["error"] = error
            try:
                finish_run(conn, run_id, outcome, summary, counters["requests"])
            except sqlite3.Error as exc:
                if outcome == "ok":
                    raise StoreError(f"cannot record the run: {exc}") from exc
                # the run's own error is the one to show
            result = CrawlSummary(run_id, outcome, ctx.results, counters["requests"],
                                  counters["retries"], time.monotonic() - began, error,
                                  command)
    finally:
        conn.close()
    err_console.print(render_crawl_summary(result))
    return result


def render_crawl_summary(summary: CrawlSummary) -> Group:
    """The one-screen end-of-run summary: papers, links, windows, requests, retries, time."""
    title = f"survey {summary.command}: {summary.outcome} in {_duration(summary.seconds)}"
    table = Table(title=title,
                  show_header=False, title_justify="left", box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    h = summary.stages.get("harvest")
    if h:
        _row(table, "papers", f"{h['papers_new']:,} new, {h['papers_updated']:,} updated"
                                f" ({h['papers_seen']:,} received)")
        _row(table, "links", f"{h['links']:,} written")
        _row(table, "windows", f"{h['windows_done']:,} done, {h['windows_skipped']:,} skipped,"
                                 f" {h['windows_short']:,} short, {h['windows_split']:,} split")
        for item in h.get("short", [])[:5]:
            _row(table, "  short", f"{item['start']} .. {item['end']}:"
                                     f" {item['fetched']:,} of {item['total']:,}")
    for name, result in summary.stages.items():
        if name != "harvest":
            _row(table, name, ", ".join(f"{k} {v}" for k, v in result.items()
                                          if isinstance(v, int | float | str))[:200])
    _row(table, "requests", _counts(summary.requests) or "none")
    _row(table, "retries", _counts(summary.retries) or "none")
    if summary.error:
        _row(table, "error", summary.error)
    return Group(table)


def _counts(counter: dict[str, int]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in sorted(counter.items(), key=lambda kv: -kv[1]))


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


def _row(table: Table, *cells: str) -> None:
    """Cells as plain text: outside strings (errors, categories) are never read as markup."""
    table.add_row(*(Text(c) for c in cells))
