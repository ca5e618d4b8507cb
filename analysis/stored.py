"""Classify the repositories stored in the database, from their stored files, offline.

The last stage of ``survey crawl``. A repository is (re)classified when it has no classification,
or its classification was made by another ``CLASSIFIER_VERSION``, from another ``head_sha``, or
while the repository had another status - so a new classifier version reclassifies everything
without a single request. Repositories that could not be fetched get ``unknown`` with evidence
saying why. Reading happens outside the write lock; each batch's rows commit in one transaction,
so an interrupted run keeps its finished batches and the next run continues from there.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass, field

from analysis.classifier import CLASSIFIER_VERSION, Classification, classify
from analysis.evidence import note
from analysis.sources import StoredSource
from survey.core.clock import SYSTEM_CLOCK, Clock, stamp
from survey.core.db import transaction
from survey.core.events import SILENT, Events
from survey.core.vocab import READABLE_STATUSES, Label, RepoStatus
from survey.store import classifications as store

BATCH_SIZE = 100


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
                    events: Events = SILENT, clock: Clock = SYSTEM_CLOCK) -> ClassifySummary:
    """(Re)classify every stored repository that needs it; ``force`` redoes them all."""
    rows = store.repositories(conn)
    todo = [row for row in rows if force or _stale(row)]
    summary = ClassifySummary(skipped=len(rows) - len(todo))
    if not todo:
        return summary
    with events.task("classify", total=len(todo)) as task:
        for start in range(0, len(todo), BATCH_SIZE):
            batch = todo[start:start + BATCH_SIZE]
            results = [(row, _classify_row(conn, row, summary)) for row in batch]
            stored_now = []
            when = stamp(clock.now())
            with transaction(conn):
                for row, result in results:
                    # A repository merged away (renamed) since it was read is not recreated.
                    if store.exists(conn, row.repo):
                        store.write(conn, _verdict(row, result, when))
                        stored_now.append(result)
            for result in stored_now:
                summary.classified += 1
                summary.counts[result.framework] += 1
            task.advance(len(batch))
    return summary


def _stale(row: store.ToClassify) -> bool:
    return (not row.classified
            or row.classifier_version != CLASSIFIER_VERSION
            or row.classified_sha != row.head_sha
            or row.classified_status != row.status)


def _classify_row(conn: sqlite3.Connection, row: store.ToClassify,
                  summary: ClassifySummary) -> Classification:
    status = row.status
    if status not in READABLE_STATUSES:
        detail = f": {str(row.status_detail)[:200]}" if row.status_detail else ""
        why = ("not fetched yet" if status == RepoStatus.PENDING
               else f"repository status {status}{detail}")
        return Classification(Label.UNKNOWN, {}, 0.0, [note(None, why)])
    try:
        result = classify(StoredSource(conn, row.repo))
    except sqlite3.Error:
        raise  # the store itself failed (locked, corrupt): not a verdict on the repository
    except Exception as exc:  # noqa: BLE001 - one odd repository must not stop the crawl
        summary.errors += 1
        return Classification(Label.UNKNOWN, {}, 0.0,
                              [note(None, f"classifier error: {type(exc).__name__}")])
    if status == RepoStatus.TRUNCATED:
        result.evidence.append(note(None, "the repository's tree was truncated by the host"))
    return result


def _verdict(row: store.ToClassify, result: Classification, when: str) -> store.Verdict:
    return store.Verdict(
        repo=row.repo, framework=str(result.framework), scores=result.frameworks,
        confidence=result.confidence, evidence=[e.to_json() for e in result.evidence],
        classifier_version=CLASSIFIER_VERSION, head_sha=row.head_sha, repo_status=row.status,
        classified_at=when,
    )
