"""Links extracted again from the stored abstracts and comments when the rules change.

A new ``LINKS_VERSION`` (a new URL form, a new kind, a better own/mention rule) would otherwise
apply only to papers harvested from then on. Like a new classifier version, it is applied to
every stored paper offline, without a request: each batch's links are replaced in one
transaction, and the version is recorded last, so a run killed half-way starts again from the
first paper (replacing links is idempotent) and nothing is counted twice.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass

from crawler.harvest import link_records
from crawler.links import LINKS_VERSION
from survey.core.db import transaction
from survey.core.events import SILENT, Events
from survey.store import meta
from survey.store import papers as store

META_KEY = "links_version"
BATCH = 2000


@dataclass
class RelinkSummary:
    version: str
    previous: str | None
    papers: int = 0
    links: int = 0

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def relink_stored(conn: sqlite3.Connection, *, fresh: int = 0,
                  events: Events = SILENT) -> RelinkSummary:
    """Re-extract every stored paper's text links when they were made by other rules.

    ``fresh`` is how many stored papers this run harvested (with the current rules): when that
    is all of them (a new database), there is nothing to redo.
    """
    previous = meta.get(conn, META_KEY)
    summary = RelinkSummary(LINKS_VERSION, previous)
    if previous == LINKS_VERSION:
        return summary
    total = store.paper_count(conn)
    if fresh >= total:
        with transaction(conn):
            meta.put(conn, META_KEY, LINKS_VERSION)
        return summary
    after = 0
    with events.task("links: applying the new rules", total=total) as task:
        while True:
            batch = store.paper_texts(conn, after, BATCH)
            if not batch:
                break
            found = {arxiv_id: link_records(abstract, comment)
                     for _, arxiv_id, abstract, comment in batch}
            with transaction(conn):
                summary.links += store.replace_text_links(conn, found)
            summary.papers += len(batch)
            after = batch[-1][0]
            task.advance(len(batch))
    with transaction(conn):
        meta.put(conn, META_KEY, LINKS_VERSION)
    return summary
