"""Stored papers' links are extracted again, offline, when the link rules change."""

from __future__ import annotations

import sqlite3

from synthetic import add_paper

from crawler.links import LINKS_VERSION
from crawler.relink import META_KEY, relink_stored
from survey.core.db import transaction
from survey.core.events import RecordedEvents
from survey.store import meta


def _links(conn: sqlite3.Connection) -> set[tuple[str, str, str, int]]:
    return {(r[0], r[1], r[2], r[3]) for r in conn.execute(
        "SELECT arxiv_id, repo, kind, official FROM links")}


def _old_rows(conn: sqlite3.Connection) -> None:
    """Links as version 1 of the rules stored them: an organisation page as a model."""
    with transaction(conn):
        add_paper(conn, "2401.00001", "2024-01-05T10:00:00Z",
                  abstract="Models are on https://huggingface.co/acme and our code is at"
                           " https://github.com/acme/net.")
        for table in ("links", "link_sources"):  # as migration 0034 left an older database
            for row in (("huggingface.co/acme", "huggingface.co", "hf-model", "abstract"),
                        ("gitee.com/a/b", "gitee.com", "other", "pwc")):
                conn.execute(
                    f"INSERT INTO {table} (arxiv_id, repo, host, kind, url, official, source)"  # noqa: S608
                    " VALUES ('2401.00001', ?, ?, ?, ?, 1, ?)",
                    (row[0], row[1], row[2], f"https://{row[0]}", row[3]))


def test_new_rules_are_applied_to_stored_papers_once(conn: sqlite3.Connection) -> None:
    _old_rows(conn)
    events = RecordedEvents()
    summary = relink_stored(conn, events=events)
    assert summary.previous is None and summary.papers == 1
    assert _links(conn) == {
        ("2401.00001", "huggingface.co/acme", "org-page", 1),
        ("2401.00001", "github.com/acme/net", "github", 1),
        ("2401.00001", "gitee.com/a/b", "other", 1),  # another source's link is left alone
    }
    assert meta.get(conn, META_KEY) == LINKS_VERSION
    assert relink_stored(conn).papers == 0  # up to date: nothing redone


def test_a_database_harvested_by_this_run_is_only_stamped(conn: sqlite3.Connection) -> None:
    _old_rows(conn)
    assert relink_stored(conn, fresh=1).papers == 0
    assert ("2401.00001", "huggingface.co/acme", "hf-model", 1) in _links(conn)
    assert meta.get(conn, META_KEY) == LINKS_VERSION
