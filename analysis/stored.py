"""Classify the repositories stored in the database, from their stored files, offline.

The last stage of ``survey crawl``. A repository is (re)classified when it has no classification,
or its classification was made by another ``CLASSIFIER_VERSION``, from another ``head_sha``, or
while the repository had another status - so a new classifier version reclassifies everything
without a single request. Repositories that could not be fetched get ``unknown`` with evidence
saying why. Reading happens outside the write lock; each batch's rows commit in one transaction,
so an interrupted run keeps its finished batches and the next run continues from there.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from analysis.classifier import CLASSIFIER_VERSION, Classification, classify
from analysis.evidence import note
from analysis.sources import StoredSource
from survey.console import make_progress
from survey.db import transaction, utcnow

BATCH_SIZE = 100
# Statuses whose stored files can be classified; every other status gives `unknown`.
READABLE = ("ok", "truncated")


@dataclass
class ClassifySummary:
    """What one run did: ``counts`` by label of the repositories it classified."""

    classified: int = 0
    skipped: int = 0          # already up to date
    errors: int = 0           # classifier failures, stored as `unknown` with the error
    counts: Counter[str] = field(default_factory=Counter)

    def to_json(self) -> dict[str, object]:
        return {"classified": self.classified, "skipped": self.skipped, "errors": self.errors,
                "counts": dict(sorted(self.counts.items()))}


def classify_stored(conn: sqlite3.Connection, *, force: bool = False,
                    progress: bool = True) -> ClassifySummary:
    """(Re)classify every stored repository that needs it; ``force`` redoes them all."""
    rows = conn.execute(
        "SELECT r.repo, r.status, r.status_detail, r.head_sha, c.repo AS classified,"
        " c.classifier_version, c.head_sha AS classified_sha, c.repo_status"
        " FROM repos r LEFT JOIN classifications c ON c.repo = r.repo ORDER BY r.repo"
    ).fetchall()
    todo = [row for row in rows if force or _stale(row)]
    summary = ClassifySummary(skipped=len(rows) - len(todo))
    with _bar(progress, len(todo)) as advance:
        for start in range(0, len(todo), BATCH_SIZE):
            batch = todo[start:start + BATCH_SIZE]
            results = [(row, _classify_row(conn, row, summary)) for row in batch]
            stored_now = []
            with transaction(conn):
                for row, result in results:
                    # A repository merged away (renamed) since it was read is not recreated.
                    if conn.execute("SELECT 1 FROM repos WHERE repo = ?",
                                    (row["repo"],)).fetchone():
                        _store(conn, row, result)
                        stored_now.append(result)
            for result in stored_now:
                summary.classified += 1
                summary.counts[result.framework] += 1
            advance(len(batch))
    return summary


def _stale(row: sqlite3.Row) -> bool:
    return (row["classified"] is None
            or row["classifier_version"] != CLASSIFIER_VERSION
            or row["classified_sha"] != row["head_sha"]
            or row["repo_status"] != row["status"])


def _classify_row(conn: sqlite3.Connection, row: sqlite3.Row,
                  summary: ClassifySummary) -> Classification:
    status = row["status"]
    if status not in READABLE:
        detail = f": {str(row['status_detail'])[:200]}" if row["status_detail"] else ""
        why = "not fetched yet" if status == "pending" else f"repository status {status}{detail}"
        return Classification("unknown", {}, 0.0, [note(None, why)])
    try:
        result = classify(StoredSource(conn, row["repo"]))
    except sqlite3.Error:
        raise  # the store itself failed (locked, corrupt): not a verdict on the repository
    except Exception as exc:  # noqa: BLE001 - one odd repository must not stop the crawl
        summary.errors += 1
        return Classification("unknown", {}, 0.0,
                              [note(None, f"classifier error: {type(exc).__name__}")])
    if status == "truncated":
        result.evidence.append(note(None, "the repository's tree was truncated by the host"))
    return result


def _store(conn: sqlite3.Connection, row: sqlite3.Row, result: Classification) -> None:
    conn.execute(
        "INSERT INTO classifications (repo, framework, frameworks, confidence, evidence,"
        " classifier_version, head_sha, classified_at, repo_status)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (repo) DO UPDATE SET framework = excluded.framework,"
        " frameworks = excluded.frameworks, confidence = excluded.confidence,"
        " evidence = excluded.evidence, classifier_version = excluded.classifier_version,"
        " head_sha = excluded.head_sha, classified_at = excluded.classified_at,"
        " repo_status = excluded.repo_status",
        (row["repo"], result.framework, json.dumps(result.frameworks), result.confidence,
         json.dumps([e.to_json() for e in result.evidence], ensure_ascii=False),
         CLASSIFIER_VERSION, row["head_sha"], utcnow(), row["status"]),
    )


@contextmanager
def _bar(show: bool, total: int) -> Iterator:
    if not show or total == 0:
        yield lambda n: None
        return
    with make_progress() as bar:
        task = bar.add_task("classify", total=total)
        yield lambda n: bar.advance(task, n)
