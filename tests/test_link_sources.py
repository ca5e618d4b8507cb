"""Every source of a link (migration 0034): the backfill, and one merged link per pair."""

from __future__ import annotations

from pathlib import Path

from support.schema import database_at_schema

from survey.core.db import open_write, transaction
from survey.store.papers import LinkRecord, replace_text_links


def _legacy_database(path: Path) -> None:
    """A database at schema 31 (before link sources) with a paper and two text links."""
    conn = database_at_schema(path, 31)
    conn.execute("INSERT INTO papers (arxiv_id, version, title, abstract, primary_category,"
                 " categories, authors, published, updated, harvested_at) VALUES"
                 " ('2401.00001', 1, 't', 'a', 'cs.LG', 'cs.LG', '[]', 'x', 'x', 'x')")
    conn.executemany("INSERT INTO links VALUES ('2401.00001', ?, 'github.com', 'github', ?, ?, ?)",
                     [("github.com/a/own", "https://github.com/a/own", 1, "abstract"),
                      ("github.com/b/tool", "https://github.com/b/tool", 0, "comment")])
    conn.commit()
    conn.close()


def test_the_migration_backfills_the_sources(db_path: Path) -> None:
    _legacy_database(db_path)
    conn = open_write(db_path)
    got = [tuple(r) for r in conn.execute(
        "SELECT arxiv_id, repo, source, url, official FROM link_sources ORDER BY repo")]
    links = [tuple(r) for r in conn.execute("SELECT repo, official, source FROM links"
                                            " ORDER BY repo")]
    conn.close()
    assert got == [("2401.00001", "github.com/a/own", "abstract", "https://github.com/a/own", 1),
                   ("2401.00001", "github.com/b/tool", "comment", "https://github.com/b/tool", 0)]
    assert links == [("github.com/a/own", 1, "abstract"), ("github.com/b/tool", 0, "comment")]


def test_one_merged_link_per_pair(db_path: Path) -> None:
    """Official when any source says so; source and URL from the first in the order abstract,
    comment, pwc, hf; a pair whose last source goes loses its link."""
    _legacy_database(db_path)
    conn = open_write(db_path)
    with transaction(conn):
        for source, official in (("hf", 1), ("pwc", 0)):
            conn.execute("INSERT INTO link_sources VALUES ('2401.00001', 'github.com/b/tool', ?,"
                         " 'github.com', 'github', ?, ?)",
                         (source, f"https://github.com/b/tool#{source}", official))
        # A new version of the paper: the abstract's link is gone, the comment's too.
        replace_text_links(conn, {"2401.00001": [LinkRecord(
            "github.com/c/new", "github.com", "github", "https://github.com/c/new", True,
            "abstract")]})
    links = [tuple(r) for r in conn.execute("SELECT repo, url, official, source FROM links"
                                            " ORDER BY repo")]
    conn.close()
    assert links == [("github.com/b/tool", "https://github.com/b/tool#pwc", 1, "pwc"),
                     ("github.com/c/new", "https://github.com/c/new", 1, "abstract")]
