"""``survey import pwc FILE`` and ``survey import hf``: other link sources, recorded like a crawl.

Each import checks its input before touching the database, takes the database's run lock (one
writer at a time: an import never runs beside a crawl or a refresh), opens it for writing, and
records itself in ``runs`` (command ``import pwc`` / ``import hf``, outcome, summary, requests by
service), even when it fails. The work itself is the crawler's (:mod:`crawler.pwc_import`,
:mod:`crawler.hf_import`); the CLI renders the returned :class:`ImportSummary`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from crawler.hf_import import ask_papers
from crawler.http import RequestStats, redact
from crawler.pwc_archive import open_archive
from crawler.pwc_import import PwcImportSummary, file_digest, import_archive
from crawler.windows import parse_date
from survey.core import db
from survey.core.clock import SYSTEM_CLOCK, Clock
from survey.core.errors import ConfigError, InputError, ServiceError, StoreError
from survey.core.events import SILENT, Events
from survey.core.lock import exclusive_run
from survey.core.settings import Settings
from survey.jobs.crawl import StageContext
from survey.jobs.record import recorded_run
from survey.store import runs
from survey.store.imports import hf_in_use


@dataclass
class ImportSummary:
    """The outcome of one import: what the CLI shows and ``runs`` keeps."""

    command: str
    run_id: int
    outcome: str
    result: dict[str, Any]
    requests: dict[str, int]
    seconds: float
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"command": self.command, "run_id": self.run_id, "outcome": self.outcome,
                "seconds": round(self.seconds, 1), "result": self.result,
                "requests": self.requests, "error": self.error}


def import_pwc(settings: Settings, path: Path | str, *, events: Events = SILENT,
               clock: Clock = SYSTEM_CLOCK) -> ImportSummary:
    """Import a Papers With Code links file (see :mod:`crawler.pwc_import`)."""
    path = Path(path)
    archive = open_archive(path)  # a missing or foreign file fails before the database
    summary = PwcImportSummary(path.name, archive.format, archive.size, file_digest(path))
    args = {"file": path.name, "format": archive.format, "bytes": archive.size,
            "sha256": summary.sha256}

    def work(conn: sqlite3.Connection, run_id: int, stats: RequestStats) -> dict[str, Any]:
        import_archive(conn, path, run_id=run_id, events=events, summary=summary,
                       archive=archive)
        return summary.as_dict()

    # A file cut short still records what its first rows added.
    return _recorded(settings, "import pwc", args, work, clock, partial=summary.as_dict)


def import_hf(settings: Settings, *, since: str | datetime | None = None,
              limit: int | None = None, events: Events = SILENT,
              clock: Clock = SYSTEM_CLOCK) -> ImportSummary:
    """Ask Hugging Face Papers about harvested papers (see :mod:`crawler.hf_import`)."""
    start = parse_date(since, option="--since") if isinstance(since, str) else since
    if limit is not None and limit < 1:
        raise InputError(f"--limit {limit}: expected a positive number of papers")
    if not settings.db.is_file():
        raise StoreError(f"no database at {settings.db}: run `survey crawl --since YEAR` first")
    args = {"since": start.isoformat() if start else None, "limit": limit}

    def work(conn: sqlite3.Connection, run_id: int, stats: RequestStats) -> dict[str, Any]:
        return ask_papers(conn, settings, stats, since=start, limit=limit, events=events,
                          clock=clock).as_dict()

    return _recorded(settings, "import hf", args, work, clock)


def hf_stage(ctx: StageContext) -> dict[str, Any]:
    """The refresh's stage: Hugging Face Papers for the new month's papers, so that coverage
    after Papers With Code's end keeps growing.

    It runs once the database uses Hugging Face (``survey import hf`` was run once): a month's
    papers cost about an hour of requests at Hugging Face's limits, which a user opts into.
    Hugging Face failing (down, rate limit, a token it refuses) is a warning, not the end of the
    refresh: the month's report still comes out and the next refresh asks the same papers."""
    if not hf_in_use(ctx.conn):
        return {"skipped": "not in use: run `survey import hf` once to include Hugging Face"}
    try:
        return ask_papers(ctx.conn, ctx.settings, ctx.stats, since=ctx.since, until=ctx.until,
                          events=ctx.events, clock=ctx.clock).as_dict()
    except (ServiceError, ConfigError) as exc:
        message = redact(str(exc), ctx.settings.github_token, ctx.settings.hf_token)
        ctx.events.warning(f"Hugging Face Papers skipped this time: {message}")
        return {"error": message}


Work = Callable[[sqlite3.Connection, int, RequestStats], dict[str, Any]]


def _recorded(settings: Settings, command: str, args: dict[str, Any], work: Work,
              clock: Clock, partial: Callable[[], dict[str, Any]] | None = None
              ) -> ImportSummary:
    """Lock, open, record the run, do the work, close the record (whatever happens);
    ``partial`` says what was done when the work did not finish (kept in the run's record)."""
    db.check_writable_target(settings.db)
    with exclusive_run(settings.db, command), db.writing(settings.db, clock=clock) as conn:
        with db.transaction(conn):
            runs.mark_interrupted(conn)
        with recorded_run(conn, settings, command, args, clock) as record:
            try:
                record.body["result"] = work(conn, record.run_id, record.stats)
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"database error in {command}: {exc}") from exc
            finally:
                if not record.body.get("result") and partial is not None:
                    record.body["result"] = partial()
    return ImportSummary(command, record.run_id, record.outcome, record.summary["result"],
                         record.counters["requests"], record.seconds, record.error)
