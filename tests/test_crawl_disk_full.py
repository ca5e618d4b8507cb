"""A disk that fills up mid-crawl: a one-line error (exit 3), what was committed stays whole,
and the next crawl resumes with nothing lost and nothing twice. The disk is "filled" with
SQLite's own ``PRAGMA max_page_count`` on the crawl's connection."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from support.arxiv_server import IN_SCOPE, ArxivServer, in_scope, make_corpus
from support.local_github import github_settings

from survey.core.clock import FixedClock
from survey.core.errors import StoreError
from survey.core.settings import Settings
from survey.jobs.crawl import StageContext, harvest_stage, run_crawl

NOW = datetime(2024, 9, 1, tzinfo=UTC)


def fill_disk_after(pages: int):
    """A stage that lets the database grow by only ``pages`` more pages."""

    def stage(ctx: StageContext) -> dict:
        used = ctx.conn.execute("PRAGMA page_count").fetchone()[0]
        ctx.conn.execute(f"PRAGMA max_page_count = {used + pages}")
        return {"max_pages": used + pages}

    return stage


def test_disk_full_mid_harvest_is_one_line_and_resumes_whole(tmp_path) -> None:
    corpus = make_corpus(3000, datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 5, 1, tzinfo=UTC),
                         seed=11)
    db = tmp_path / "s.db"
    with ArxivServer(corpus) as server:
        settings = Settings(db=db, arxiv_api_url=server.url, arxiv_delay=0.0,
                            arxiv_page_size=2000, arxiv_timeout=5.0, **github_settings())
        with pytest.raises(StoreError) as info:
            run_crawl(settings, since="2024-01", until="2024-04", categories=IN_SCOPE,
                      clock=FixedClock(NOW),
                      stages=[("disk", fill_disk_after(150)), ("harvest", harvest_stage)])
        message = str(info.value)
        assert "database or disk is full" in message and "\n" not in message
        assert info.value.exit_code == 3
        conn = sqlite3.connect(db)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        done = conn.execute("SELECT start, end, total FROM harvest_windows"
                            " WHERE status = 'complete'").fetchall()
        assert 0 < len(done) < 4, "some windows committed whole before the disk filled"
        for start, end, total in done:
            n = conn.execute("SELECT COUNT(*) FROM papers WHERE published >= ? AND"
                             " published <= ?", (start, end + ":59Z")).fetchone()[0]
            assert n >= total
        last = conn.execute("SELECT outcome FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        conn.close()
        assert last[0] in ("failed", "running")  # recording the end may not fit either

        summary = run_crawl(settings, since="2024-01", until="2024-04", categories=IN_SCOPE,
                            clock=FixedClock(NOW), stages=[("harvest", harvest_stage)])
    assert summary.outcome == "ok"
    conn = sqlite3.connect(db)
    got = [r[0] for r in conn.execute("SELECT arxiv_id FROM papers")]
    conn.close()
    want = {p.arxiv_id for p in in_scope(corpus) if p.published < datetime(2024, 5, 1,
                                                                             tzinfo=UTC)}
    assert len(got) == len(set(got)) and set(got) == want
