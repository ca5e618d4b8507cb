"""The harvest stage end to end against the local arXiv server: windows, resume, versions."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from support.arxiv_server import IN_SCOPE, ArxivServer, in_scope, make_corpus
from support.clock import NOW

from crawler.harvest import harvest, last_complete_end
from crawler.http import RequestStats
from crawler.links import paper_links
from survey.core.clock import FixedClock
from survey.core.errors import ServiceError
from survey.core.settings import Settings

SINCE, UNTIL = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC)
LATER = datetime(2024, 9, 1, tzinfo=UTC)  # every window is old: finished ones are skipped


@pytest.fixture
def corpus():
    return make_corpus(600, SINCE, UNTIL, seed=1)


@pytest.fixture
def server(corpus):
    with ArxivServer(corpus) as srv:
        yield srv


def settings_for(server: ArxivServer, **kw) -> Settings:
    return Settings(**{"arxiv_api_url": server.url, "arxiv_delay": 0.0, "arxiv_page_size": 50,
                       "arxiv_timeout": 2.0, "arxiv_window_max": 150, "arxiv_retries": 2, **kw})


def run(conn, server, *, now=LATER, since=SINCE, until=UNTIL, cats=IN_SCOPE, **kw):
    return harvest(conn, settings_for(server, **kw), since=since, until=until, categories=cats,
                   stats=RequestStats(), clock=FixedClock(now))


def stored(conn) -> dict[str, dict]:
    return {r["arxiv_id"]: dict(r) for r in conn.execute("SELECT * FROM papers")}


def test_harvest_stores_every_paper_in_scope_once(conn, server, corpus):
    summary = run(conn, server)
    want = {p.arxiv_id: p for p in in_scope(corpus)}
    rows = stored(conn)
    assert set(rows) == set(want), "out-of-scope papers excluded, in-scope ones all there"
    assert summary.papers_new == len(want) and summary.papers_updated == 0
    assert summary.windows_short == 0 and summary.windows_split == 3
    complete = conn.execute("SELECT COUNT(*) FROM harvest_windows WHERE status = 'complete'"
                            ).fetchone()[0]
    assert summary.windows_done == complete >= 6 and summary.requests == server.request_count
    p = next(p for p in want.values() if p.version > 1 and p.doi and len(p.categories) > 1)
    row = rows[p.arxiv_id]
    assert row["version"] == p.version and row["primary_category"] == p.primary
    assert row["categories"] == " ".join(p.categories)
    assert json.loads(row["authors"]) == p.authors
    assert row["published"] == p.published.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert row["updated"] == p.last_updated.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert row["doi"] == p.doi and row["title"] == p.title
    # links: exactly what the extractor finds in the stored abstract and comment
    links = {(r[0], r[1]) for r in conn.execute("SELECT arxiv_id, repo FROM links")}
    expect = {(a, lk.repo) for a, r in rows.items()
              for lk in paper_links(r["abstract"], r["comment"])}
    assert links == expect and len(links) > 300
    # windows: complete ones received exactly their total
    for w in conn.execute("SELECT * FROM harvest_windows WHERE status = 'complete'"):
        assert w["fetched"] == w["total"]
        n = conn.execute("SELECT COUNT(*) FROM papers WHERE published >= ? AND published < ?",
                         (w["start"], w["end"][:16] + ":59Z")).fetchone()[0]
        assert n >= w["total"]


def test_rerun_skips_finished_windows(conn, server):
    run(conn, server)
    before = server.request_count
    summary = run(conn, server)
    assert server.request_count == before, "a second run over old windows makes no request"
    complete = conn.execute("SELECT COUNT(*) FROM harvest_windows WHERE status = 'complete'"
                            ).fetchone()[0]
    assert summary.windows_skipped == complete and summary.papers_new == 0


def test_recent_windows_are_harvested_again(conn, server, corpus):
    now = datetime(2024, 3, 20, tzinfo=UTC)
    run(conn, server, now=now)
    late = replace(corpus[0], arxiv_id="2403.99999", published=datetime(2024, 3, 19, tzinfo=UTC),
                   categories=["cs.LG"], primary="cs.LG",
                   abstract="Code: https://github.com/late/paper")
    server.papers.append(late)
    server.reset_counts()
    summary = run(conn, server, now=now)
    assert "2403.99999" in stored(conn)
    assert summary.papers_new == 1
    # January is skipped; windows ending after now - 28 days are asked again
    asked = {r.params["search_query"][-29:-17] for r in server.requests}
    assert not any(a.startswith("202401") for a in asked)
    assert any(a.startswith("202403") for a in asked)


def test_newer_version_updates_row_and_replaces_links(conn, server, corpus):
    run(conn, server)
    target = next(p for p in in_scope(corpus) if "github.com/lab" in p.abstract)
    old_links = [r[0] for r in conn.execute("SELECT repo FROM links WHERE arxiv_id = ?",
                                            (target.arxiv_id,))]
    assert old_links
    target.version += 1
    target.updated = datetime(2024, 8, 1, tzinfo=UTC)
    target.abstract = "Rewritten. Our code is now at https://gitlab.com/newhome/project."
    # the window is old: make it recent so the rerun asks again
    summary = run(conn, server, now=datetime(2024, 4, 15, tzinfo=UTC), arxiv_recent_days=200)
    row = stored(conn)[target.arxiv_id]
    assert row["version"] == target.version and row["abstract"].startswith("Rewritten")
    links = [r[0] for r in conn.execute("SELECT repo FROM links WHERE arxiv_id = ?",
                                        (target.arxiv_id,))]
    assert links == ["gitlab.com/newhome/project"]
    assert summary.papers_updated == 1 and summary.papers_new == 0


def test_older_version_never_overwrites(conn, server, corpus):
    run(conn, server)
    target = next(p for p in in_scope(corpus) if p.version >= 2)
    conn.execute("UPDATE papers SET version = 9, title = 'kept' WHERE arxiv_id = ?",
                 (target.arxiv_id,))
    run(conn, server, now=datetime(2024, 4, 15, tzinfo=UTC), arxiv_recent_days=200)
    row = stored(conn)[target.arxiv_id]
    assert row["version"] == 9 and row["title"] == "kept"


def test_short_window_recorded_with_both_numbers_and_retried(conn, server):
    server.overstate = 2  # every query's total overstated: arXiv's empty tail pages
    summary = run(conn, server, arxiv_window_max=10_000)
    assert summary.windows_short == 3 and summary.windows_done == 0
    rows = conn.execute("SELECT start, status, total, fetched FROM harvest_windows"
                        " ORDER BY start").fetchall()
    assert [r["status"] for r in rows] == ["short"] * 3
    assert all(r["total"] == r["fetched"] + 2 for r in rows)
    assert last_complete_end(conn, IN_SCOPE) is None
    # the next crawl (arXiv fixed) asks again, even though the windows are old
    server.overstate = 0
    server.reset_counts()
    summary = run(conn, server, arxiv_window_max=10_000)
    assert summary.windows_done == 3 and server.request_count > 0
    assert {r[0] for r in conn.execute("SELECT status FROM harvest_windows")} == {"complete"}
    assert last_complete_end(conn, IN_SCOPE) == UNTIL


def test_short_windows_outside_the_range_are_retried_too(conn, server):
    server.overstate_windows = {"202401010000": 1}
    run(conn, server, arxiv_window_max=10_000)
    assert conn.execute("SELECT COUNT(*) FROM harvest_windows WHERE status = 'short'"
                        ).fetchone()[0] == 1
    server.overstate_windows = {}
    summary = run(conn, server, since=datetime(2024, 3, 1, tzinfo=UTC), arxiv_window_max=10_000)
    assert summary.windows_done == 1 and summary.windows_skipped == 1
    assert conn.execute("SELECT COUNT(*) FROM harvest_windows WHERE status = 'short'"
                        ).fetchone()[0] == 0


def test_failure_mid_window_keeps_finished_windows_and_nothing_of_the_rest(conn, server):
    # January is split in two; fail on the second page of February's first piece
    server.add_fault("status", status=403, start=50, date_from="202402010000")
    with pytest.raises(ServiceError, match="HTTP 403"):
        run(conn, server)
    rows = conn.execute(
        "SELECT start, status FROM harvest_windows ORDER BY start, end DESC").fetchall()
    got = [(r[0][:7], r[1]) for r in rows]
    assert got[0] == ("2024-01", "split") and got[-1] == ("2024-02", "split")
    assert set(got[1:-1]) == {("2024-01", "complete")} and len(got) >= 4
    assert conn.execute("SELECT MAX(published) FROM papers").fetchone()[0] < "2024-02-01T00:01"
    # the rerun completes the crawl without asking January again
    server.reset_counts()
    run(conn, server)
    assert not any("202401" in r.params["search_query"][-29:-17] for r in server.requests)
    assert {r[0] for r in conn.execute("SELECT status FROM harvest_windows")} == {
        "split", "complete"}
    assert set(stored(conn)) == {p.arxiv_id for p in in_scope(server.papers)}


def test_split_parent_is_not_probed_again(conn, server):
    run(conn, server)
    n_split = conn.execute("SELECT COUNT(*) FROM harvest_windows WHERE status = 'split'"
                           ).fetchone()[0]
    deleted = conn.execute(
        "DELETE FROM harvest_windows WHERE status = 'complete' AND start LIKE '2024-02%'"
    ).rowcount
    server.reset_counts()
    summary = run(conn, server)
    # only February's pieces are asked: no probe of the month itself
    assert summary.windows_split == 0 and n_split == 3
    assert all(r.params["search_query"][-29:-23] == "202402" for r in server.requests)
    assert summary.windows_done == deleted >= 2


def test_cross_listed_papers_are_fetched_once_with_their_primary(conn, server, corpus):
    run(conn, server, cats=("cs.LG", "cs.CV"))
    want = {p.arxiv_id for p in in_scope(corpus, ("cs.LG", "cs.CV"))}
    assert set(stored(conn)) == want
    assert conn.execute("SELECT COUNT(*) FROM papers WHERE primary_category NOT IN"
                        " ('cs.LG', 'cs.CV')").fetchone()[0] > 0
    assert last_complete_end(conn, ["cs.CV", "cs.LG"]) == UNTIL
    assert last_complete_end(conn, IN_SCOPE) is None


def test_last_complete_end_of_the_current_month_is_when_it_was_harvested(conn):
    now = NOW.replace(second=31)
    month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    corpus = make_corpus(50, month, now, seed=3)
    with ArxivServer(corpus) as server:
        run(conn, server, now=now, since=month, until=month + timedelta(days=40))
    end = last_complete_end(conn, IN_SCOPE)
    assert end == now.replace(second=0)  # to the minute, by the run's own clock
