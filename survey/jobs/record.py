"""One way to record a writing run (crawl, refresh, import) in ``runs``, however it ends.

The run's row is inserted as ``running`` before any work; SIGTERM (systemd stop, ``kill``) ends
the work like Ctrl-C; and whatever happens (success, a failure, an interrupt) the row is closed
with its outcome, its summary (redacted: no token is stored, whatever a stage put in it),
requests, retries, waits and bytes by service, so ``survey status`` can say what happened last.
A run killed with SIGKILL cannot close its row; the next writer marks it ``interrupted``.
"""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from crawler.http import RequestStats, redact, redact_json
from survey.core import db, stop
from survey.core.clock import Clock, stamp
from survey.core.errors import StoreError
from survey.core.settings import Settings
from survey.core.vocab import RunOutcome
from survey.store import runs


@dataclass
class RunRecord:
    """A run being recorded: ``body`` is what goes into its summary beside the counters (the
    caller fills it: the stages' results, an import's result); the rest is set on the way out."""

    run_id: int
    stats: RequestStats
    began: float
    body: dict[str, Any] = field(default_factory=dict)
    outcome: str = RunOutcome.FAILED
    error: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    counters: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.began


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM ends the run like Ctrl-C: the open transaction rolls back, the run is recorded."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        stop.request()  # seen again where work advances, should this raise be swallowed
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        stop.clear()


@contextmanager
def recorded_run(conn: sqlite3.Connection, settings: Settings, command: str,
                 args: dict[str, Any], clock: Clock,
                 stats: RequestStats | None = None) -> Iterator[RunRecord]:
    """Record the work of the ``with`` block as one run of ``command`` (module docstring)."""
    secrets = (settings.github_token, settings.hf_token)
    try:
        with db.transaction(conn):
            run_id = runs.start(conn, command, args, stamp(clock.now()))
    except sqlite3.OperationalError as exc:
        raise StoreError(f"cannot record the run in {settings.db}: {exc}") from exc
    record = RunRecord(run_id, stats or RequestStats(), time.monotonic())
    try:
        with sigterm_as_interrupt():
            yield record
        record.outcome = RunOutcome.OK
    except KeyboardInterrupt:
        record.outcome, record.error = RunOutcome.INTERRUPTED, "interrupted"
        raise
    except BaseException as exc:
        # Stored in ``runs`` and printed: whatever the error says, no token goes there.
        record.error = redact(str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                              *secrets)
        raise
    finally:
        _close(conn, record, args, clock, secrets)


def _close(conn: sqlite3.Connection, record: RunRecord, args: dict[str, Any], clock: Clock,
           secrets: tuple[str | None, ...]) -> None:
    record.counters = record.stats.as_dict()
    summary: dict[str, Any] = {"args": args, **record.body,
                               "retries": record.counters["retries"],
                               "waits": record.counters["waits"],
                               "bytes": record.counters["bytes"],
                               "seconds": round(record.seconds, 1)}
    if record.error:
        summary["error"] = record.error
    record.summary = redact_json(summary, *secrets)
    try:
        with db.transaction(conn):
            runs.finish(conn, record.run_id, record.outcome, record.summary,
                        record.counters["requests"], stamp(clock.now()))
    except sqlite3.Error as exc:
        if record.outcome == RunOutcome.OK:
            raise StoreError(f"cannot record the run: {exc}") from exc
        # the run's own error is the one to show
