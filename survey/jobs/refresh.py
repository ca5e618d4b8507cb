"""``survey refresh``: the scheduled monthly update, at the cost of one month's work.

It is the crawl pipeline with a narrower scope: papers from the end of the last complete harvest
window minus a week of overlap (late arrivals, new versions) up to today; repositories that are
new, or known and due for a re-check with conditional requests (a 304 costs nothing); the
classifier on what changed (everything when its version changed); then the month's report
``reports/YYYY-MM.html`` and ``reports/index.html``, which links the earlier months' pages and
says what changed since the last refresh.

The run lock is taken before the database is opened, so a second refresh exits at once with
code 75 having touched nothing. Every stage commits its rows with its progress marker: a refresh
that dies half-way leaves a consistent database, and the next one catches up.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from analysis.asof import default_as_of, last_complete_month_end
from analysis.dataset import framework_shares
from analysis.report import ReportChanges, generate_pages
from crawler.categories import validate_categories
from crawler.harvest import last_complete_end
from survey.core import db
from survey.core.clock import SYSTEM_CLOCK, Clock, FixedClock
from survey.core.errors import InputError, StoreError
from survey.core.events import SILENT, Events
from survey.core.lock import exclusive_run
from survey.core.settings import Settings
from survey.jobs.crawl import (
    CrawlSummary,
    StageContext,
    classify_stage,
    fetch_stage,
    harvest_stage,
    relink_stage,
    run_crawl,
)
from survey.jobs.imports import hf_stage
from survey.store import counts, runs

# Days of overlap with the last harvest: papers announced late and new versions are caught.
OVERLAP_DAYS = 7
_MONTH_PAGE = re.compile(r"^(\d{4})-(\d{2})\.html$")


@dataclass
class RefreshSummary:
    """What a refresh did: the crawl's record plus the pages written."""

    crawl: CrawlSummary
    since: datetime
    pages: list[Path]

    def to_json(self) -> dict[str, Any]:
        return {**self.crawl.to_json(), "since": self.since.isoformat(),
                "pages": [str(p) for p in self.pages]}


def mark_interrupted_runs(conn: sqlite3.Connection) -> int:
    """Runs still 'running' while we hold the lock died (killed, power cut): say so."""
    with db.transaction(conn):
        return runs.mark_interrupted(conn)


def refresh_start(conn: sqlite3.Connection, categories: tuple[str, ...]) -> datetime:
    """Where the refresh harvests from: the last complete window's end minus the overlap."""
    end = last_complete_end(conn, categories)
    if end is None:
        raise InputError(
            "nothing harvested yet for categories " + ",".join(categories)
            + ": run `survey crawl --since YEAR` first"
        )
    return end - timedelta(days=OVERLAP_DAYS)


def archive_pages(reports_dir: Path) -> list[tuple[str, str]]:
    """Earlier monthly pages in the folder, newest first, as (label, relative href)."""
    if not reports_dir.is_dir():
        return []
    found = []
    for entry in reports_dir.iterdir():
        match = _MONTH_PAGE.match(entry.name)
        if match and entry.is_file():
            found.append((f"{match[1]}-{match[2]}", entry.name))
    return sorted(found, reverse=True)


def last_month_end(now: datetime) -> date:
    """The end of the last month completed by ``now`` (the run's clock)."""
    return last_complete_month_end(now.date() - timedelta(days=1))


def _totals(conn: sqlite3.Connection, now: datetime, months: int) -> dict[str, Any]:
    """Counts and shares that "what changed since the last refresh" compares (over the
    window ending with the last month completed by ``now``, before and after alike)."""
    papers, repos = counts.totals(conn)
    return {"papers": papers, "repos": repos, "last": runs.last_ok_start(conn, "refresh"),
            "shares": framework_shares(conn, months=months, as_of=last_month_end(now))}


def report_stage_for(before: dict[str, Any], now: datetime) -> Any:
    """The refresh's last stage: the page of the last complete month the data cover (as of the
    run's clock: a refresh on 1 December writes ``2026-11.html``) and the index."""

    def report_stage(ctx: StageContext) -> dict[str, Any]:
        after = _totals(ctx.conn, now, ctx.settings.report_months)
        changes = ReportChanges(
            since=before["last"][:10] if before["last"] else "the first crawl",
            new_papers=after["papers"] - before["papers"],
            new_repos=after["repos"] - before["repos"],
            shares_before=before["shares"],
            shares_after=after["shares"],
        )
        out = ctx.settings.reports_dir
        as_of = default_as_of(ctx.conn, now=now) or last_month_end(now)
        month = f"{as_of:%Y-%m}"
        archive = sorted({*archive_pages(out), (month, f"{month}.html")}, reverse=True)
        written, _ = generate_pages(ctx.conn, ctx.settings, out,
                                    [(f"{month}.html", ()), ("index.html", archive)],
                                    changes=changes, as_of=as_of, clock=FixedClock(now),
                                    events=ctx.events)
        return {"pages": [str(p) for p in written], "new_papers": changes.new_papers,
                "new_repos": changes.new_repos}

    return report_stage


def run_refresh(
    settings: Settings, *, events: Events = SILENT, clock: Clock = SYSTEM_CLOCK
) -> RefreshSummary:
    """Lock, catch up from the last harvest, refetch what is due, reclassify, report."""
    now = clock.now()
    categories = validate_categories(settings.categories)
    if not settings.db.is_file():
        raise StoreError(f"no database at {settings.db}: run `survey crawl --since YEAR` first")
    db.check_writable_target(settings.db)
    with exclusive_run(settings.db, "refresh"):
        with db.writing(settings.db, clock=clock) as conn:
            mark_interrupted_runs(conn)
            since = refresh_start(conn, categories)
            before = _totals(conn, now, settings.report_months)
        stages = [
            ("harvest", harvest_stage),
            ("links", relink_stage),
            ("hf", hf_stage),
            ("fetch", fetch_stage("due")),
            ("classify", classify_stage),
            ("report", report_stage_for(before, now)),
        ]
        summary = run_crawl(
            settings, since=since, until=None, categories=categories, events=events,
            stages=stages, clock=clock, command="refresh", locked=True,
        )
    pages = [Path(p) for p in summary.stages.get("report", {}).get("pages", [])]
    return RefreshSummary(summary, since, pages)
