"""The record of every run: what it was asked, what it did, how it ended, what it cost.

A run is inserted as ``running`` when it starts and closed with its outcome, summary and
requests by service when it ends, even when it fails, so ``survey status`` can say what
happened last. A run killed with SIGKILL cannot close its row; the next writer that holds the
lock marks such rows ``interrupted``.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from survey.core.vocab import RunOutcome


@dataclass(frozen=True)
class RunRow:
    id: int
    command: str
    started_at: str
    finished_at: str | None
    outcome: str
    summary: dict[str, Any]
    requests: dict[str, Any]


def start(conn: sqlite3.Connection, command: str, args: dict[str, Any], now: str) -> int:
    """Insert a ``runs`` row in state ``running``; its id."""
    cur = conn.execute(
        "INSERT INTO runs (command, started_at, outcome, summary) VALUES (?, ?, ?, ?)",
        (command, now, RunOutcome.RUNNING.value, json.dumps({"args": args})),
    )
    return int(cur.lastrowid or 0)


def finish(conn: sqlite3.Connection, run_id: int, outcome: str, summary: dict[str, Any],
           requests: dict[str, Any], now: str) -> None:
    """Close a ``runs`` row with its outcome, summary and requests by service."""
    conn.execute(
        "UPDATE runs SET finished_at = ?, outcome = ?, summary = ?, requests = ? WHERE id = ?",
        (now, outcome, json.dumps(summary, default=str), json.dumps(requests), run_id),
    )


def mark_interrupted(conn: sqlite3.Connection) -> int:
    """Runs still ``running`` while the caller holds the lock died: say so."""
    cur = conn.execute("UPDATE runs SET outcome = ? WHERE outcome = ?",
                       (RunOutcome.INTERRUPTED.value, RunOutcome.RUNNING.value))
    return cur.rowcount


def last_ok_start(conn: sqlite3.Connection, command: str) -> str | None:
    """When the last successful run of ``command`` started."""
    row = conn.execute("SELECT MAX(started_at) FROM runs WHERE command = ? AND outcome = ?",
                       (command, RunOutcome.OK.value)).fetchone()
    return None if row is None or row[0] is None else str(row[0])


def recent(conn: sqlite3.Connection, limit: int) -> list[RunRow]:
    """The last ``limit`` runs, newest first."""
    return [RunRow(r[0], r[1], r[2], r[3], r[4], _json(r[5]), _json(r[6])) for r in conn.execute(
        "SELECT id, command, started_at, finished_at, outcome, summary, requests FROM runs"
        " ORDER BY id DESC LIMIT ?", (limit,))]


def _json(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
