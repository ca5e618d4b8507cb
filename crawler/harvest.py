"""The harvest stage: arXiv papers of some categories and time range, with their code links.

Rules (DESIGN.md, issue 2):

* one query per window ORs the categories, so a cross-listed paper is fetched once; windows
  start monthly and are split when their total exceeds ``settings.arxiv_window_max``
  (:mod:`crawler.windows`); a split is recorded (status ``split``) so a rerun goes straight to
  the pieces;
* a window is complete only when the distinct ids received reach ``opensearch:totalResults``;
  otherwise it is paged again, and if still short it is stored as ``short`` with both numbers.
  Short windows are harvested again by every later crawl of the same category set (even outside
  its date range) until they come back complete;
* a window's papers, their links and the window record commit in ONE transaction, so a crawl
  killed at any moment resumes at the first unfinished window with nothing lost or doubled;
* finished windows are skipped by reruns, except windows that ended less than
  ``settings.arxiv_recent_days`` ago: papers are still arriving there;
* papers are upserted on the id without version; an older version never overwrites a newer one,
  and a paper's links are replaced whenever its row is written.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import arxiv

from crawler.arxiv_client import ArxivClient, WindowResult, short_id
from crawler.categories import category_key, validate_categories
from crawler.http import RequestStats
from crawler.links import paper_links
from crawler.windows import KEY_FORMAT, Window, month_windows, parts_for
from survey.console import make_progress
from survey.db import transaction, utcnow
from survey.errors import InputError
from survey.settings import Settings

_TS = "%Y-%m-%dT%H:%M:%SZ"


@dataclass
class HarvestSummary:
    """What one harvest did; ``short`` lists each short window with both numbers."""

    papers_new: int = 0
    papers_updated: int = 0
    papers_seen: int = 0
    links: int = 0
    windows_done: int = 0
    windows_skipped: int = 0
    windows_short: int = 0
    windows_split: int = 0
    requests: int = 0
    short: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _WindowRecord:
    status: str
    total: int | None
    fetched: int | None


def harvest(
    conn: sqlite3.Connection,
    settings: Settings,
    *,
    since: datetime,
    until: datetime,
    categories: Sequence[str],
    stats: RequestStats,
    progress: bool = True,
    now: datetime | None = None,
) -> HarvestSummary:
    """Harvest ``[since, until)`` for ``categories`` into ``conn``; see the module docstring."""
    cats = validate_categories(categories)
    if since.tzinfo is None or until.tzinfo is None:
        raise InputError("since/until must be timezone-aware (UTC)")
    if until <= since:
        raise InputError(f"until {until:%Y-%m-%d} is not after since {since:%Y-%m-%d}")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    run = _Harvest(conn, settings, cats, stats, now)
    windows = [w for w in month_windows(since.astimezone(UTC), until.astimezone(UTC))
               if w.start < now]
    with _progress(progress) as bar:
        run.bar = bar
        overall = bar.add_task("arXiv windows", total=len(windows)) if bar else None
        for window in windows:
            run.process(window)
            if bar is not None:
                bar.advance(overall)
        # Short windows of this category set outside the range: every crawl retries them.
        for window in run.stored_short():
            if window.key not in run.seen:
                run.process(window, allow_split=False)
    run.summary.requests = run.client.requests_made
    return run.summary


def last_complete_end(conn: sqlite3.Connection, categories: Sequence[str]) -> datetime | None:
    """End of the latest complete window for this category set (the refresh restarts there).

    A window reaching into the future (the current month) is complete only up to when it was
    harvested, so its end counts as its ``finished_at`` (to the minute).
    """
    key = category_key(validate_categories(categories))
    row = conn.execute(
        "SELECT MAX(MIN(end, substr(finished_at, 1, 16))) FROM harvest_windows"
        " WHERE categories = ? AND status = 'complete'",
        (key,),
    ).fetchone()
    if row is None or row[0] is None:
        return None
    return datetime.strptime(row[0], KEY_FORMAT).replace(tzinfo=UTC)


@contextmanager
def _progress(enabled: bool) -> Iterator[Any]:
    if not enabled:
        yield None
        return
    with make_progress() as bar:
        yield bar


class _Harvest:
    """State of one harvest run: client, counters, the windows already visited."""

    def __init__(self, conn: sqlite3.Connection, settings: Settings, cats: tuple[str, ...],
                 stats: RequestStats, now: datetime) -> None:
        self.conn = conn
        self.settings = settings
        self.cats = cats
        self.key = category_key(cats)
        self.now = now
        self.client = ArxivClient(settings, stats)
        self.summary = HarvestSummary()
        self.seen: set[tuple[str, str]] = set()
        self.bar: Any = None
        self.recent_after = now - timedelta(days=settings.arxiv_recent_days)

    def record(self, window: Window) -> _WindowRecord | None:
        row = self.conn.execute(
            "SELECT status, total, fetched FROM harvest_windows"
            " WHERE start = ? AND end = ? AND categories = ?",
            (*window.key, self.key),
        ).fetchone()
        return _WindowRecord(row[0], row[1], row[2]) if row else None

    def stored_short(self) -> list[Window]:
        rows = self.conn.execute(
            "SELECT start, end FROM harvest_windows WHERE categories = ? AND status = 'short'"
            " ORDER BY start", (self.key,),
        ).fetchall()
        return [Window.from_key(r[0], r[1]) for r in rows]

    def process(self, window: Window, *, allow_split: bool = True) -> None:
        """Skip, split or harvest one window (recursively for splits)."""
        self.seen.add(window.key)
        rec = self.record(window)
        recent = window.end > self.recent_after
        if rec is not None and not recent:
            if rec.status == "complete":
                self.summary.windows_skipped += 1
                return
            if rec.status == "split" and rec.total is not None:
                for child in window.split(self._parts(rec.total)):
                    self.process(child)
                return
        query = window.query(self.cats)
        before = self.client.requests_made
        first = self.client.first_page(query)
        total = first.header.total_results
        if allow_split and total > self.settings.arxiv_window_max and window.minutes >= 2:
            children = window.split(self._parts(total))
            with transaction(self.conn):
                self._save_window(window, "split", total, None, self.client.requests_made - before)
            self.summary.windows_split += 1
            for child in children:
                self.process(child)
            return
        task = self._task(window, total)
        result = self.client.fetch_window(query, first=first, on_page=self._advance(task))
        result.requests = self.client.requests_made - before
        self._finish(window, result)
        if task is not None:
            self.bar.remove_task(task)

    def _parts(self, total: int) -> int:
        return parts_for(total, self.settings.arxiv_window_max, self.client.page_size)

    def _task(self, window: Window, total: int) -> Any:
        if self.bar is None:
            return None
        return self.bar.add_task(f"  {window.key[0][:10]} .. {window.key[1][:10]}", total=total)

    def _advance(self, task: Any) -> Callable[[int, int], None] | None:
        if task is None:
            return None

        def on_page(added: int, total: int) -> None:
            self.bar.update(task, advance=added, total=total)

        return on_page

    def _finish(self, window: Window, result: WindowResult) -> None:
        status = "short" if result.short else "complete"
        with transaction(self.conn):
            new, updated, links = store_papers(self.conn, result.results.values())
            self._save_window(window, status, result.total, result.fetched, result.requests)
        self.summary.papers_new += new
        self.summary.papers_updated += updated
        self.summary.papers_seen += result.fetched
        self.summary.links += links
        if status == "short":
            self.summary.windows_short += 1
            self.summary.short.append({"start": window.key[0], "end": window.key[1],
                                       "fetched": result.fetched, "total": result.total})
        else:
            self.summary.windows_done += 1

    def _save_window(self, window: Window, status: str, total: int | None,
                     fetched: int | None, requests: int) -> None:
        self.conn.execute(
            "INSERT INTO harvest_windows (start, end, categories, status, total, fetched,"
            " requests, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (start, end, categories) DO UPDATE SET status = excluded.status,"
            " total = excluded.total, fetched = excluded.fetched,"
            " requests = excluded.requests, finished_at = excluded.finished_at",
            (*window.key, self.key, status, total, fetched, requests, utcnow()),
        )


def paper_row(item: arxiv.Result, harvested_at: str) -> tuple[Any, ...]:
    """One ``papers`` row from an ``arxiv.Result`` (column order of :data:`_UPSERT`)."""
    arxiv_id, version = short_id(item.entry_id)
    return (
        arxiv_id, version, item.title.strip(), (item.summary or "").strip(),
        item.comment, item.journal_ref, item.doi,
        item.primary_category or (item.categories[0] if item.categories else ""),
        " ".join(item.categories),
        json.dumps([a.name for a in item.authors], ensure_ascii=False),
        item.published.astimezone(UTC).strftime(_TS),
        item.updated.astimezone(UTC).strftime(_TS),
        harvested_at,
    )


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
_LINK = (
    "INSERT INTO links (arxiv_id, repo, host, kind, url, official, source)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (arxiv_id, repo) DO UPDATE SET official = MAX(official, excluded.official)"
)


def store_papers(conn: sqlite3.Connection, items: Any) -> tuple[int, int, int]:
    """Upsert papers and replace their links; call inside a transaction.

    Returns (new papers, papers whose version or update time changed, links written). A row
    whose stored version is newer than the one received is left alone, links included.
    """
    harvested_at = utcnow()
    rows = [paper_row(item, harvested_at) for item in items]
    existing: dict[str, tuple[int, str]] = {}
    ids = [r[0] for r in rows]
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(
            f"SELECT arxiv_id, version, updated FROM papers WHERE arxiv_id IN ({marks})",  # noqa: S608
            chunk,
        ):
            existing[row[0]] = (row[1], row[2])
    new = updated = 0
    write = []
    for row in rows:
        old = existing.get(row[0])
        if old is None:
            new += 1
        elif row[1] < old[0]:
            continue
        elif (row[1], row[11]) != old:
            updated += 1
        write.append(row)
    conn.executemany(_UPSERT, write)
    conn.executemany("DELETE FROM links WHERE arxiv_id = ?", [(r[0],) for r in write])
    link_rows: dict[tuple[str, str], tuple[Any, ...]] = {}
    for row in write:
        for link in paper_links(row[3], row[4]):
            key = (row[0], link.repo)
            official = int(bool(link.official))
            prev = link_rows.get(key)
            if prev is not None:  # the same repository twice: keep the first, "official" wins
                if official > prev[5]:
                    link_rows[key] = (*prev[:5], official, prev[6])
                continue
            link_rows[key] = (row[0], link.repo, link.host, link.kind, link.url, official,
                              link.source)
    conn.executemany(_LINK, list(link_rows.values()))
    return new, updated, len(link_rows)
