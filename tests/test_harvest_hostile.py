"""arXiv answers that are too big or claim too much, bounded (issue 9 §5), over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from support.arxiv_server import IN_SCOPE, ArxivServer, in_scope, make_corpus

from crawler.harvest import MAX_SPLIT_PARTS, harvest
from crawler.http import RequestStats
from survey.core.clock import FixedClock
from survey.core.errors import ServiceError
from survey.core.events import Level, RecordedEvents
from survey.core.settings import Settings

SINCE, UNTIL = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC)
LATER = datetime(2024, 9, 1, tzinfo=UTC)


def settings_for(server: ArxivServer, **kw) -> Settings:
    return Settings(**{"arxiv_api_url": server.url, "arxiv_delay": 0.0, "arxiv_page_size": 50,
                       "arxiv_timeout": 5.0, "arxiv_window_max": 150, "arxiv_retries": 2,
                       **kw})


def run(conn, server: ArxivServer, events: RecordedEvents | None = None, **kw):
    return harvest(conn, settings_for(server, **kw), since=SINCE, until=UNTIL,
                   categories=IN_SCOPE, stats=RequestStats(), clock=FixedClock(LATER),
                   events=events or RecordedEvents())


@pytest.mark.parametrize("field", ["title", "abstract"])
def test_an_entry_with_a_10_mb_field_is_skipped_and_the_page_kept(conn, field: str) -> None:
    corpus = make_corpus(100, SINCE, UNTIL, seed=5)
    with ArxivServer(corpus) as server:
        victim = next(in_scope(corpus))
        server.oversized[victim.arxiv_id] = {field: 10_500_000}
        events = RecordedEvents()
        summary = run(conn, server, events, arxiv_page_size=200, arxiv_window_max=1000)
    stored = {r[0] for r in conn.execute("SELECT arxiv_id FROM papers")}
    assert stored == {p.arxiv_id for p in in_scope(corpus)} - {victim.arxiv_id}
    assert summary.entries_skipped == 1 and summary.skipped[0]["id"] == victim.arxiv_id
    assert f"{field} of 10,5" in summary.skipped[0]["reason"]
    assert any(victim.arxiv_id in t for t in events.texts(Level.WARNING))
    # received, so the window is complete: it is not asked again forever
    assert [r[0] for r in conn.execute("SELECT status FROM harvest_windows")] == ["complete"]


def test_an_overstated_total_of_a_billion_is_not_split_into_a_million_windows(conn) -> None:
    corpus = make_corpus(600, SINCE, UNTIL, seed=6)
    with ArxivServer(corpus, overstate=10**9) as server:
        summary = run(conn, server)
        asked = server.request_count
    stored = {r[0] for r in conn.execute("SELECT arxiv_id FROM papers")}
    assert stored == {p.arxiv_id for p in in_scope(corpus)}
    # one probe for the month, one split of at most MAX_SPLIT_PARTS pieces, each paged once
    assert summary.windows_split == 1 and asked <= 1 + MAX_SPLIT_PARTS * 3
    assert summary.overstated and all(o["claimed"] > 10**9 for o in summary.overstated)
    statuses = {r[0] for r in conn.execute("SELECT status FROM harvest_windows")}
    assert statuses == {"split", "complete"}


def test_a_first_page_that_is_not_full_is_believed_over_its_total(conn) -> None:
    corpus = make_corpus(40, SINCE, UNTIL, seed=7)
    with ArxivServer(corpus, overstate=10**6) as server:
        summary = run(conn, server)
        asked = server.request_count
    assert summary.windows_split == 0 and asked == 1
    assert {r[0] for r in conn.execute("SELECT arxiv_id FROM papers")} == {
        p.arxiv_id for p in in_scope(corpus)}


def test_an_answer_over_the_size_cap_is_an_error_not_a_memory_error(conn) -> None:
    corpus = make_corpus(300, SINCE, UNTIL, seed=8)
    with ArxivServer(corpus) as server:
        with pytest.raises(ServiceError, match="cap") as info:
            run(conn, server, arxiv_page_size=200, max_arxiv_answer_bytes=20_000)
    assert "\n" not in str(info.value)
    assert conn.execute("SELECT COUNT(*) FROM papers").fetchone()[0] == 0


def test_the_summary_shows_skipped_entries_and_disbelieved_totals(conn) -> None:
    from rich.console import Console

    from survey.cli.render import render_crawl_summary
    from survey.jobs.crawl import CrawlSummary

    corpus = make_corpus(100, SINCE, UNTIL, seed=5)
    with ArxivServer(corpus, overstate=10**6) as server:
        victim = next(in_scope(corpus))
        server.oversized[victim.arxiv_id] = {"title": 3_000}
        summary = run(conn, server, arxiv_page_size=200, arxiv_window_max=10**7)
    shown = CrawlSummary(1, "ok", {"harvest": summary.as_dict()}, {"arxiv": 1}, {}, 1.0,
                         waits={"arxiv empty page": {"count": 2, "seconds": 3.5}},
                         bytes={"arxiv": 123_456})
    console = Console(width=120, record=True)
    console.print(render_crawl_summary(shown))
    text = console.export_text()
    assert f"1 entries: {victim.arxiv_id} (title of 3,0" in text
    assert "overstated" in text and "1,000,0" in text
    assert "arxiv empty page 2x 3.5 s" in text and "arxiv 0.1 MB" in text
