"""``survey crawl --dry-run``: what a crawl would do and cost, changing nothing.

Reads only: no lock, no migration, the database (when it exists) opened with
:func:`survey.core.db.open_read`, nothing written anywhere. Asks the services only what is free
or cheap:

* arXiv: ONE request of ``max_results=1`` per run of consecutive windows still to harvest
  (usually one for the whole range), for its ``totalResults``; windows already complete are
  counted from ``harvest_windows`` (free). Papers are assumed spread evenly over the months of
  a span to estimate the split probes and pages (the harvest's own rules, ``parts_for``).
* GitHub: ``GET /rate_limit`` (free), for the budget the hours are computed with.

Repositories to fetch: the stored ones that are pending or due (as the fetch stage selects
them, sample applied), the linked ones not registered yet, and the new papers' repositories at
the stored ratio of fetched-host repositories per paper (``NEW_REPOS_PER_PAPER`` when fewer
than ``MIN_PAPERS_FOR_RATIO`` papers are stored: an assumption, 25-35% of ML papers link code,
about 10% of links repeat another paper's repository).

Charged GitHub units per repository are the figures ``benchmarks/fetch_requests.py`` measured
against the local server (:data:`UNITS`); the hours are the larger of the points at the
token's hourly budget and the wall time of the queries at GitHub's pace (:data:`SECONDS`).
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from crawler.arxiv_client import ArxivClient
from crawler.categories import category_key, validate_categories
from crawler.fetch import select_work
from crawler.github_budget import ANONYMOUS_LIMIT, github_api_for, rate_limits
from crawler.hosts import registered
from crawler.windows import Window, month_windows, parts_for, resolve_range
from survey.core import db
from survey.core.clock import SYSTEM_CLOCK, Clock
from survey.core.settings import Settings
from survey.core.vocab import REPOSITORY_KINDS, WindowStatus
from survey.store import papers as paper_store
from survey.store import repos as repo_store
from survey.store import sample as sample_store

NEW_REPOS_PER_PAPER = 0.27
MIN_PAPERS_FOR_RATIO = 500
# Charged units per repository (GraphQL points + REST core requests), measured by
# benchmarks/fetch_requests.py on 400 synthetic repositories (README, "Measured"); "known" is
# a re-check with 10% of the repositories pushed since.
UNITS = {
    ("rest", "first"): 3.03, ("rest", "known"): 0.30,
    ("graphql", "first"): 0.14, ("graphql", "known"): 0.02,
}
# Wall seconds per charged unit at GitHub's pace, from the same benchmark's projection: REST
# serial requests of ~0.4 s plus raw downloads (4 at a time, ~0.15 s each); GraphQL about
# 4 s per batch query, 2 s per text query, 1 s per check (GitHub cuts at 10 s; requests are
# serial, so its 60 s of server time a minute is never passed). ASSUMED answer times of the
# real service, which cannot be measured here.
SECONDS = {"rest": 0.66, "graphql": 2.4}
GRAPHQL_HOURLY = 5000


@dataclass
class WindowPlan:
    start: str
    end: str
    state: str           # complete (skipped), todo, recent (asked again), short (retried)
    papers: int | None   # stored total, or the estimate for a window still to harvest


@dataclass
class Plan:
    """Everything ``--dry-run`` prints; ``to_json`` for ``--json``."""

    since: str
    until: str
    categories: list[str]
    windows: list[WindowPlan]
    papers_estimated: int
    arxiv_requests: int
    arxiv_hours: float
    repos_new: int
    repos_due: int
    sample: float | None
    github_api: str
    units: float
    budget_per_hour: int
    budget_remaining: int | None
    budget_source: str
    github_hours: float
    pace_hours: float
    notes: list[str] = field(default_factory=list)

    @property
    def hours(self) -> float:
        return self.arxiv_hours + max(self.github_hours, self.pace_hours)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["hours"] = round(self.hours, 2)
        return out


def plan_crawl(settings: Settings, *, since: str | datetime, until: str | datetime | None = None,
               categories: tuple[str, ...] | None = None, sample: float | None = None,
               clock: Clock = SYSTEM_CLOCK, mode: str = "pending") -> Plan:
    """The plan of ``survey crawl`` with these options (see the module doc)."""
    now = clock.now().astimezone(UTC)
    start, end = resolve_range(since, until, now=now)
    cats = validate_categories(categories or settings.categories)
    if sample is not None:
        sample_store.check_fraction(sample)
    conn = db.open_read(settings.db) if settings.db.exists() else None
    try:
        windows = _windows(conn, settings, cats, start, end, now)
        papers, requests = _estimate_arxiv(settings, cats, windows)
        fraction = (sample_store.effective(conn, sample, keep=mode == "due")
                    if conn is not None else (sample if sample is not None and sample < 1
                                              else None))
        new, due = _repositories(conn, papers, fraction, mode, now)
    finally:
        if conn is not None:
            conn.close()
    api = github_api_for(settings)
    units = new * UNITS[(api, "first")] + due * UNITS[(api, "known")]
    per_hour, remaining, source = _budget(settings, api)
    # What is left of this hour is spent at once; the rest at the hourly budget.
    github_hours = max(0.0, units - (remaining or 0)) / per_hour if per_hour else 0.0
    return Plan(
        since=start.isoformat(), until=end.isoformat(), categories=list(cats), windows=windows,
        papers_estimated=papers, arxiv_requests=requests,
        arxiv_hours=requests * settings.arxiv_delay / 3600, repos_new=new, repos_due=due,
        sample=fraction, github_api=api, units=round(units, 1), budget_per_hour=per_hour,
        budget_remaining=remaining, budget_source=source, github_hours=github_hours,
        pace_hours=units * SECONDS[api] / 3600,
        notes=_notes(settings, api, new + due, units, per_hour),
    )


def _windows(conn: sqlite3.Connection | None, settings: Settings, cats: tuple[str, ...],
             start: datetime, end: datetime, now: datetime) -> list[WindowPlan]:
    key = category_key(cats)
    recent_after = now - timedelta(days=settings.arxiv_recent_days)
    out = []
    for window in (w for w in month_windows(start, end) if w.start < now):
        rec = (paper_store.window_record(conn, *window.key, key) if conn is not None else None)
        if rec is None:
            state = "todo"
        elif window.end > recent_after:
            state = "recent"
        elif rec.status == WindowStatus.SHORT:
            state = "short"
        else:
            state = "complete"
        out.append(WindowPlan(window.key[0], window.key[1], state,
                              rec.total if rec is not None else None))
    return out


def _estimate_arxiv(settings: Settings, cats: tuple[str, ...], windows: list[WindowPlan]
                    ) -> tuple[int, int]:
    """(papers to harvest, arXiv requests): one cheap count per span of windows to do."""
    spans: list[list[WindowPlan]] = []
    for w in windows:
        if w.state == "complete":
            continue
        if spans and spans[-1][-1].end == w.start:
            spans[-1].append(w)
        else:
            spans.append([w])
    if not spans:
        return 0, 0
    client = ArxivClient(settings.replace(arxiv_page_size=1))
    papers = requests = 0
    for span in spans:
        window = Window.from_key(span[0].start, span[-1].end)
        total = client.first_page(window.query(cats)).total
        stored = sum(w.papers or 0 for w in span)  # recent or short windows: mostly stored
        papers += max(0, total - stored)
        each = total / len(span)
        for w in span:
            w.papers = round(each)
            requests += _window_requests(settings, each)
    return papers, requests


def _window_requests(settings: Settings, papers: float) -> int:
    """Requests the harvest spends on a window of ``papers`` (its split rule and pages)."""
    page = max(1, min(settings.arxiv_page_size, 2000))
    parts = parts_for(int(papers), settings.arxiv_window_max, page)
    pages = parts * max(1, math.ceil(papers / parts / page))
    return pages + (1 if parts > 1 else 0)


def _repositories(conn: sqlite3.Connection | None, papers: int, fraction: float | None,
                  mode: str, now: datetime) -> tuple[int, int]:
    """(new or pending, known and due) repositories the fetch would ask about."""
    share = 1.0 if fraction is None else fraction
    if conn is None:
        return round(papers * NEW_REPOS_PER_PAPER * share), 0
    stored_papers = paper_store.paper_count(conn)
    ratio = NEW_REPOS_PER_PAPER
    fetched = registered()  # link kind -> the host it is fetched from
    linked = repo_store.linked_count(conn, tuple(fetched.values()),
                                     tuple(sorted(REPOSITORY_KINDS)))
    if stored_papers >= MIN_PAPERS_FOR_RATIO:
        ratio = linked / stored_papers
    new = round(papers * ratio * share)
    new += round(repo_store.unregistered_count(conn, tuple(sorted(REPOSITORY_KINDS)),
                                               tuple(fetched)) * share)
    due = 0
    for work in select_work(conn, mode, now):
        if fraction is not None and not sample_store.in_sample(work.repo, fraction):
            continue
        row = repo_store.get(conn, work.repo)
        if row is not None and row["checked_at"]:
            due += 1
        else:
            new += 1
    return new, due


def _budget(settings: Settings, api: str) -> tuple[int, int | None, str]:
    """(points or requests an hour, left now, where the figure comes from)."""
    budgets = rate_limits(settings)
    if api == "graphql":
        got = budgets.graphql if budgets is not None else None
        if got is not None:
            return got.limit, got.remaining, "GET /rate_limit (graphql)"
        return GRAPHQL_HOURLY, None, "GitHub's documented 5,000 points an hour"
    got = budgets.core if budgets is not None else None
    if got is not None:
        return got.limit, got.remaining, "GET /rate_limit (core)"
    if settings.github_token:
        return 5000, None, "GitHub's documented 5,000 requests an hour"
    return ANONYMOUS_LIMIT, None, "GitHub's documented 60 requests an hour without a token"


def _notes(settings: Settings, api: str, repos: int, units: float, per_hour: int) -> list[str]:
    notes = []
    if not settings.github_token and repos:
        notes.append("no GITHUB_TOKEN: REST at 60 requests an hour, GraphQL unavailable")
        if units > per_hour:
            notes.append("the crawl would stop before the fetch (more than an hour's"
                         " unauthenticated budget): set GITHUB_TOKEN")
    return notes
