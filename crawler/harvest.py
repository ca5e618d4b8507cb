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
  and a paper's links are replaced whenever its row is written;
* hostile totals are bounded (issue 9 §5): a window is cut into at most ``MAX_SPLIT_PARTS``
  pieces, a piece is cut again only when its own total is smaller than its parent's and it is
  longer than ``MIN_SPLIT_MINUTES``, and a first page that is not full is believed over the
  total (no split); an entry with oversized fields is skipped and listed in the summary
  (``skipped``), the rest of its page kept.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from crawler.arxiv_client import ArxivClient, WindowResult
from crawler.atom import Entry
from crawler.categories import category_key, validate_categories
from crawler.http import RequestStats
from crawler.links import paper_links
from crawler.transport import Health
from crawler.windows import KEY_FORMAT, Window, month_windows, parts_for
from survey.core.clock import SYSTEM_CLOCK, Clock, stamp
from survey.core.db import transaction
from survey.core.errors import InputError
from survey.core.events import SILENT, Events, Task
from survey.core.settings import Settings
from survey.core.vocab import WindowStatus
from survey.store import papers as store

# A window is cut into at most this many pieces at a time: an overstated total of 10^9 must not
# become half a million one-minute windows.
MAX_SPLIT_PARTS = 32
# Pieces shorter than this are paged, never split again.
MIN_SPLIT_MINUTES = 60
# Skipped entries listed in a run's summary (the count is always complete).
MAX_SKIPPED_SHOWN = 20


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
    entries_skipped: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    overstated: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def harvest(
    conn: sqlite3.Connection,
    settings: Settings,
    *,
    since: datetime,
    until: datetime,
    categories: Sequence[str],
    stats: RequestStats,
    events: Events = SILENT,
    clock: Clock = SYSTEM_CLOCK,
    health: Health | None = None,
) -> HarvestSummary:
    """Harvest ``[since, until)`` for ``categories`` into ``conn``; see the module docstring.

    ``health`` is the run's (a service that is down stops the run: ServiceUnavailable).
    """
    cats = validate_categories(categories)
    if since.tzinfo is None or until.tzinfo is None:
        raise InputError("since/until must be timezone-aware (UTC)")
    if until <= since:
        raise InputError(f"until {until:%Y-%m-%d} is not after since {since:%Y-%m-%d}")
    run = _Harvest(conn, settings, cats, stats, events, clock, health)
    windows = [w for w in month_windows(since.astimezone(UTC), until.astimezone(UTC))
               if w.start < run.now]
    try:
        with events.task("arXiv windows", total=len(windows)) as overall:
            for window in windows:
                run.process(window)
                overall.advance()
            # Short windows of this category set outside the range: every crawl retries them.
            for window in run.stored_short():
                if window.key not in run.seen:
                    run.process(window, allow_split=False)
    finally:
        run.summary.requests = run.client.requests_made
        run.client.close()
    return run.summary


def last_complete_end(conn: sqlite3.Connection, categories: Sequence[str]) -> datetime | None:
    """End of the latest complete window for this category set (the refresh restarts there).

    A window reaching into the future (the current month) is complete only up to when it was
    harvested, so its end counts as its ``finished_at`` (to the minute).
    """
    end = store.last_complete_end(conn, category_key(validate_categories(categories)))
    return None if end is None else datetime.strptime(end, KEY_FORMAT).replace(tzinfo=UTC)


class _Harvest:
    """State of one harvest run: client, counters, the windows already visited."""

    def __init__(self, conn: sqlite3.Connection, settings: Settings, cats: tuple[str, ...],
                 stats: RequestStats, events: Events, clock: Clock,
                 health: Health | None) -> None:
        self.conn = conn
        self.settings = settings
        self.cats = cats
        self.key = category_key(cats)
        self.clock = clock
        self.now = clock.now().astimezone(UTC)
        self.events = events
        self.client = ArxivClient(settings, stats, health)
        self.summary = HarvestSummary()
        self.seen: set[tuple[str, str]] = set()
        self.recent_after = self.now - timedelta(days=settings.arxiv_recent_days)

    def record(self, window: Window) -> store.WindowRecord | None:
        return store.window_record(self.conn, *window.key, self.key)

    def stored_short(self) -> list[Window]:
        return [Window.from_key(a, b) for a, b in store.short_windows(self.conn, self.key)]

    def process(self, window: Window, *, allow_split: bool = True,
                parent_total: int | None = None) -> None:
        """Skip, split or harvest one window (recursively for splits)."""
        self.seen.add(window.key)
        rec = self.record(window)
        recent = window.end > self.recent_after
        if rec is not None and not recent:
            if rec.status == WindowStatus.COMPLETE:
                self.summary.windows_skipped += 1
                return
            if rec.status == WindowStatus.SPLIT and rec.total is not None:
                for child in window.split(self._parts(rec.total)):
                    self.process(child)
                return
        query = window.query(self.cats)
        before = self.client.requests_made
        first = self.client.first_page(query)
        total = first.total
        if allow_split and self._splittable(window, first, parent_total):
            children = window.split(self._parts(total))
            with transaction(self.conn):
                self._save_window(window, WindowStatus.SPLIT, total, None,
                                  self.client.requests_made - before)
            self.summary.windows_split += 1
            for child in children:
                self.process(child, parent_total=total)
            return
        label = f"  {window.key[0][:10]} .. {window.key[1][:10]}"
        with self.events.task(label, total=total) as task:
            result = self.client.fetch_window(query, first=first, on_page=_advance(task))
        result.requests = self.client.requests_made - before
        self._finish(window, result)

    def _splittable(self, window: Window, first: Any, parent_total: int | None) -> bool:
        """Split only a window whose total is over the cap, believable and shrinking."""
        if first.total <= self.settings.arxiv_window_max or window.minutes < 2:
            return False
        if len(first.entries) + len(first.skipped) < self.client.page_size:
            return False  # the first page is not full: there is less than its total says
        if parent_total is not None and (first.total >= parent_total
                                         or window.minutes < MIN_SPLIT_MINUTES):
            return False  # splitting did not help: the total is not the window's
        return True

    def _parts(self, total: int) -> int:
        return min(MAX_SPLIT_PARTS,
                   parts_for(total, self.settings.arxiv_window_max, self.client.page_size))

    def _finish(self, window: Window, result: WindowResult) -> None:
        self._note(window, result)
        status = WindowStatus.SHORT if result.short else WindowStatus.COMPLETE
        with transaction(self.conn):
            new, updated, links = store_papers(self.conn, result.results.values(),
                                               stamp(self.clock.now()))
            self._save_window(window, status, result.total, result.fetched, result.requests)
        self.summary.papers_new += new
        self.summary.papers_updated += updated
        self.summary.papers_seen += result.fetched
        self.summary.links += links
        if status == WindowStatus.SHORT:
            self.summary.windows_short += 1
            self.summary.short.append({"start": window.key[0], "end": window.key[1],
                                       "fetched": result.fetched, "total": result.total})
        else:
            self.summary.windows_done += 1

    def _note(self, window: Window, result: WindowResult) -> None:
        """Skipped entries and disbelieved totals go to the summary and the events sink."""
        self.summary.entries_skipped += len(result.skipped)
        for arxiv_id, why in sorted(result.skipped.items()):
            self.events.warning(f"arXiv entry {arxiv_id} skipped: {why}")
            if len(self.summary.skipped) < MAX_SKIPPED_SHOWN:
                self.summary.skipped.append({"id": arxiv_id, "reason": why})
        if result.overstated is not None:
            self.summary.overstated.append({"start": window.key[0], "end": window.key[1],
                                            "claimed": result.overstated,
                                            "received": result.fetched})

    def _save_window(self, window: Window, status: str, total: int | None,
                     fetched: int | None, requests: int) -> None:
        store.save_window(self.conn, *window.key, self.key, status, total, fetched, requests,
                          stamp(self.clock.now()))


def _advance(task: Task) -> Callable[[int, int], None]:
    def on_page(added: int, total: int) -> None:
        task.advance(added)
        task.update(total=total)

    return on_page


def paper_record(item: Entry) -> store.PaperRecord:
    """One ``papers`` row from a feed entry."""
    return store.PaperRecord(
        arxiv_id=item.arxiv_id, version=item.version, title=item.title.strip(),
        abstract=(item.summary or "").strip(), comment=item.comment,
        journal_ref=item.journal_ref, doi=item.doi,
        primary_category=item.primary_category or (item.categories[0] if item.categories
                                                   else ""),
        categories=" ".join(item.categories),
        authors=json.dumps(list(item.authors), ensure_ascii=False),
        published=stamp(item.published), updated=stamp(item.updated),
    )


def link_records(abstract: str, comment: str | None) -> list[store.LinkRecord]:
    """A paper's text links, one per repository (the abstract's first, official wins)."""
    return [store.LinkRecord(link.repo, link.host, link.kind, link.url, bool(link.official),
                             link.source) for link in paper_links(abstract, comment)]


def store_papers(conn: sqlite3.Connection, items: Iterable[Entry],
                 harvested_at: str) -> tuple[int, int, int]:
    """Upsert papers and replace their links; call inside a transaction.

    Returns (new papers, papers whose version or update time changed, links written).
    """
    papers = [paper_record(item) for item in items]
    links = {p.arxiv_id: link_records(p.abstract, p.comment) for p in papers}
    return store.write_papers(conn, papers, links, harvested_at)
