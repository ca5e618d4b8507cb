"""``survey crawl``: run the stages in order and record the run.

A stage is a callable ``(ctx: StageContext) -> dict``: it reads what earlier stages stored,
writes its own rows and progress markers in its own transactions, and returns a small JSON-able
summary. Adding a stage is one line in :data:`STAGES` (``("fetch", fetch_stage)``). Every run is
recorded in ``runs`` (command, start, end, outcome ``ok``/``failed``/``interrupted``, the
stages' summaries, requests by service), even when it fails, so ``survey status`` can say what
happened last. The result is a :class:`CrawlSummary` that the CLI renders; nothing here prints.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from analysis.stored import classify_stored
from crawler.categories import validate_categories
from crawler.fetch import fetch_repositories
from crawler.harvest import harvest
from crawler.http import RequestStats
from crawler.relink import relink_stored
from crawler.transport import Health
from crawler.windows import resolve_range
from survey.core import db
from survey.core.clock import SYSTEM_CLOCK, Clock
from survey.core.errors import StoreError
from survey.core.events import SILENT, Events
from survey.core.lock import exclusive_run
from survey.core.settings import Settings
from survey.jobs.record import recorded_run
from survey.store import sample


@dataclass
class StageContext:
    """What every stage gets: the open database, settings, the run's stats sink and health (one
    for every client of the run, so a service that is down stops it), the crawl's scope."""

    conn: sqlite3.Connection
    settings: Settings
    stats: RequestStats
    events: Events
    clock: Clock
    since: datetime
    until: datetime
    categories: tuple[str, ...]
    run_id: int
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    health: Health = field(default_factory=Health)
    # ``--sample FRACTION`` (None: a census, or for a refresh the stored sample).
    sample: float | None = None


Stage = Callable[[StageContext], dict[str, Any]]


def harvest_stage(ctx: StageContext) -> dict[str, Any]:
    """Stage 1: arXiv papers and their code links."""
    return harvest(
        ctx.conn, ctx.settings, since=ctx.since, until=ctx.until, categories=ctx.categories,
        stats=ctx.stats, events=ctx.events, clock=ctx.clock, health=ctx.health,
    ).as_dict()


def relink_stage(ctx: StageContext) -> dict[str, Any]:
    """Stage 1b: stored papers' links extracted again when the link rules changed (offline)."""
    fresh = int(ctx.results.get("harvest", {}).get("papers_new", 0))
    return relink_stored(ctx.conn, fresh=fresh, events=ctx.events).as_dict()


def fetch_stage(mode: str = "pending") -> Stage:
    """Stage 2: the linked repositories' metadata, trees and selected files.

    ``pending`` (crawl) fetches repositories never fetched or whose last attempt failed; ``due``
    (refresh) also re-checks known ones with conditional requests.
    """

    def stage(ctx: StageContext) -> dict[str, Any]:
        fraction = sample.effective(ctx.conn, ctx.sample, keep=mode == "due")
        result = fetch_repositories(
            ctx.conn, ctx.settings, ctx.stats, mode=mode, events=ctx.events, clock=ctx.clock,
            health=ctx.health, sample=fraction,
        ).as_dict()
        with db.transaction(ctx.conn):  # once the sample's repositories are all asked
            sample.record(ctx.conn, fraction)
        return result

    return stage


def classify_stage(ctx: StageContext) -> dict[str, Any]:
    """Stage 3: label what changed, from stored files only (everything on a new classifier)."""
    return classify_stored(ctx.conn, events=ctx.events, clock=ctx.clock).to_json()


# The crawl's stages, in order: ("name", callable).
STAGES: list[tuple[str, Stage]] = [
    ("harvest", harvest_stage),
    ("links", relink_stage),
    ("fetch", fetch_stage("pending")),
    ("classify", classify_stage),
]


@dataclass
class CrawlSummary:
    """The outcome of one ``survey crawl`` (or refresh): what the CLI shows at the end."""

    run_id: int
    outcome: str
    stages: dict[str, dict[str, Any]]
    requests: dict[str, int]
    retries: dict[str, int]
    seconds: float
    error: str | None = None
    command: str = "crawl"
    # Waits by "service reason" ({"count", "seconds"}) and bytes received by service.
    waits: dict[str, dict[str, float]] = field(default_factory=dict)
    bytes: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"command": self.command, "run_id": self.run_id, "outcome": self.outcome,
                "seconds": round(self.seconds, 1), "stages": self.stages,
                "requests": self.requests, "retries": self.retries, "waits": self.waits,
                "bytes": self.bytes, "error": self.error}


def run_crawl(
    settings: Settings,
    *,
    since: str | datetime,
    until: str | datetime | None = None,
    categories: Sequence[str] | None = None,
    events: Events = SILENT,
    clock: Clock = SYSTEM_CLOCK,
    stages: Sequence[tuple[str, Stage]] | None = None,
    command: str = "crawl",
    locked: bool = False,
    sample_fraction: float | None = None,
) -> CrawlSummary:
    """Validate the input (before touching the database), then run the stages and record it.

    The run holds the database's run lock (``survey.core.lock``) unless the caller already does
    (``locked=True``), so two crawls or a crawl and a refresh never run at once. A failure
    raises (the CLI prints its one line) after its record in ``runs`` is written.
    """
    now = clock.now()
    start, end = resolve_range(since, until, now=now)  # bad input fails before any file is made
    cats = validate_categories(categories or settings.categories)
    if sample_fraction is not None:
        sample.check_fraction(sample_fraction)
    if not locked:
        db.check_writable_target(settings.db)
        with exclusive_run(settings.db, command):
            return run_crawl(settings, since=start, until=end, categories=cats, events=events,
                             clock=clock, stages=stages, command=command, locked=True,
                             sample_fraction=sample_fraction)
    args = {"since": start.isoformat(), "until": end.isoformat(), "categories": list(cats),
            "sample": sample_fraction, "github_api": settings.github_api}
    with db.writing(settings.db, clock=clock) as conn:
        health = Health(settings.outage_after, settings.outage_seconds)
        return _run_stages(conn, settings, args, STAGES if stages is None else stages,
                           StageContext(conn, settings, RequestStats(), events, clock, start,
                                        end, cats, 0, health=health, sample=sample_fraction),
                           command)


def _run_stages(conn: sqlite3.Connection, settings: Settings, args: dict[str, Any],
                stages: Sequence[tuple[str, Stage]], ctx: StageContext,
                command: str) -> CrawlSummary:
    with recorded_run(conn, settings, command, args, ctx.clock, ctx.stats) as record:
        ctx.run_id = record.run_id
        record.body["stages"] = ctx.results  # filled stage by stage, recorded however it ends
        for name, stage in stages:
            try:
                ctx.results[name] = stage(ctx)
            except sqlite3.DatabaseError as exc:  # locked, disk full, corrupt
                raise StoreError(f"database error in stage {name}: {exc}") from exc
    counters = record.counters
    return CrawlSummary(ctx.run_id, record.outcome, record.summary["stages"],
                        counters["requests"], counters["retries"], record.seconds,
                        record.error, command, counters["waits"], counters["bytes"])
