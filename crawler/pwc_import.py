"""``survey import pwc FILE``: the Papers With Code archive's links into the database.

The file is read as a stream (:mod:`crawler.pwc_archive`), each row validated, and the valid
rows written in batches of :data:`BATCH`, one transaction each (:mod:`survey.store.imports`):

* rows of harvested papers become links of source ``pwc`` (``official`` from ``is_official``);
  the others wait in ``pwc_links`` and are attached when a harvest writes their paper;
* rows without an arXiv id, with a malformed or non-repository ``repo_url``, with a value of the
  wrong type, or repeating an earlier row of the same file are counted by reason and skipped;
* PwC's framework is kept per repository, its token and survey's label for it.

Idempotent: a row already stored with the same values changes nothing, so a second import of
the same file adds nothing, and a run killed at any moment (``kill -9`` included) is simply run
again: the committed batches come back as unchanged, the rest is added. A newer file updates
what it says differently (``is_official``, the URL, the framework); rows it no longer has stay.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawler.pwc_archive import ArchiveError, ArchiveFile, open_archive, parse_row, read_rows
from survey.core.db import transaction
from survey.core.events import SILENT, Events
from survey.store import imports as store

BATCH = 5000


@dataclass
class PwcImportSummary:
    """What one import read, stored and skipped."""

    file: str
    format: str
    bytes: int
    sha256: str
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    attached: int = 0
    new_links: int = 0
    pending: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    framework_conflicts: int = 0
    frameworks: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)

    def add(self, res: store.PwcBatchResult) -> None:
        self.added += res.added
        self.updated += res.updated
        self.unchanged += res.unchanged
        self.attached += res.attached
        self.new_links += res.new_links
        self.pending += res.pending
        self.framework_conflicts += res.framework_conflicts
        if res.duplicates:
            self.skipped["duplicate"] += res.duplicates

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "format": self.format, "bytes": self.bytes,
                "sha256": self.sha256, "rows": self.rows, "added": self.added,
                "updated": self.updated, "unchanged": self.unchanged,
                "attached": self.attached, "new_links": self.new_links,
                "pending": self.pending, "skipped": dict(self.skipped.most_common()),
                "framework_conflicts": self.framework_conflicts,
                "frameworks": self.frameworks, "totals": self.totals}


def file_digest(path: Path) -> str:
    """SHA-256 of the file: which archive a run read, for whoever reproduces it."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def import_archive(conn: sqlite3.Connection, path: Path, *, run_id: int,
                   events: Events = SILENT, summary: PwcImportSummary | None = None,
                   archive: ArchiveFile | None = None) -> PwcImportSummary:
    """Read the links file at ``path`` into the database (see the module doc).

    ``summary`` (filled as batches commit) lets a caller record what was done before an error;
    a file cut short raises :class:`~crawler.pwc_archive.ArchiveError` after storing the rows
    before the break.
    """
    archive = archive or open_archive(path)
    if summary is None:
        summary = PwcImportSummary(path.name, archive.format, archive.size, file_digest(path))
    batch: list[store.PwcRecord] = []

    def flush() -> None:
        if batch:
            with transaction(conn):
                summary.add(store.write_pwc_batch(conn, batch, run_id))
            batch.clear()

    total = archive.rows_hint if archive.rows_hint is not None else archive.size
    with events.task(f"import pwc: {path.name}", total=total) as task:
        try:
            for obj in read_rows(archive, lambda done: task.update(completed=done)):
                summary.rows += 1
                row = parse_row(obj)
                if row.record is None:
                    summary.skipped[row.reason or "invalid"] += 1
                    continue
                batch.append(row.record)
                if len(batch) >= BATCH:
                    flush()
        except ArchiveError:
            flush()  # the rows read before the break are good: keep them
            raise
        flush()
    summary.frameworks = store.pwc_framework_counts(conn)
    summary.totals = store.pwc_totals(conn)
    return summary
