"""`survey import hf`: Hugging Face Papers over real HTTP against a local stand-in.

Links (githubRepo official, projectPage a page), what is left out, 404s, the pace the server
announces, 429 with Retry-After (announced, bounded), resumability, the token's safety, an
outage, and the refresh keeping it up for the new month's papers.
"""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import timedelta
from pathlib import Path

import pytest
from support.clock import NOW, clock
from support.hf_server import HfServer, hf_paper
from synthetic import add_link, add_paper
from typer.testing import CliRunner

from crawler.hf_papers import QUOTA_WITH_TOKEN, QUOTA_WITHOUT_TOKEN, WINDOW, Pace, retry_after
from survey.cli import app
from survey.core.db import open_write, transaction
from survey.core.errors import ConfigError, RateLimitError, ServiceUnavailable
from survey.core.events import Level, RecordedEvents
from survey.core.settings import Settings
from survey.jobs.imports import import_hf

# Nine papers, newest first by id; the first one also links its code in the abstract.
IDS = [f"2605.{i:05d}" for i in range(9, 0, -1)]
SENTINEL = "hf_SENTINELtokenNEVERtoBEseen0123456789"


@pytest.fixture
def database(db_path: Path) -> Path:
    conn = open_write(db_path)
    with transaction(conn):
        for n, aid in enumerate(IDS):
            add_paper(conn, aid, (NOW - timedelta(days=10 + n)).strftime("%Y-%m-%d"))
        add_link(conn, IDS[0], "github.com/alice/sparse-rcnn")
        add_paper(conn, "cs/0601001", "2006-01-05")  # old-style id: never asked
    conn.close()
    return db_path


def _papers() -> dict[str, dict]:
    return {
        IDS[0]: hf_paper(IDS[0], github="https://github.com/Alice/Sparse-RCNN",
                         page="https://alice.github.io/sparse-rcnn/"),
        IDS[1]: hf_paper(IDS[1], github="https://github.com/bob/new-code"),
        IDS[2]: hf_paper(IDS[2], github=""),                              # empty
        IDS[3]: hf_paper(IDS[3], github="https://gitlab.com/grp/proj"),   # not GitHub: a repo
        IDS[4]: hf_paper(IDS[4], github="https://example.com/our-code"),  # not a code host
        IDS[5]: hf_paper(IDS[5], github="https://github.com/some-org"),   # an organisation
        IDS[6]: hf_paper(IDS[6], page="https://lab.example.edu/project"),  # page elsewhere
        # IDS[7] and IDS[8]: not indexed (404)
    }


def _settings(db: Path, server: HfServer, **kw: object) -> Settings:
    return Settings(db=db, hf_api_url=server.base_url, http_timeout=5.0, **kw)  # type: ignore[arg-type]


def _rows(db: Path, sql: str, *args: object) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return [tuple(r) for r in conn.execute(sql, args)]
    finally:
        conn.close()


def test_links_from_answers_and_what_is_left_out(database: Path) -> None:
    with HfServer(_papers()) as hf:
        summary = import_hf(_settings(database, hf), clock=clock())
        assert sorted(hf.asked) == sorted(IDS)  # the old-style id is not asked
    r = summary.result
    assert r["answers"] == {"indexed": 4, "not_indexed": 2, "repo": 3}
    assert r["repo_links"] == 3 and r["new_links"] == 2  # sparse-rcnn was in the abstract
    assert r["page_links"] == 2  # alice.github.io and the github.com/some-org page
    assert r["unusable"] == {"githubRepo not a known code host or page": 1,
                             "githubRepo not a repository": 1,
                             "projectPage not a known code host or page": 1}
    sources = set(_rows(database, "SELECT arxiv_id, repo, kind, official FROM link_sources"
                                  " WHERE source = 'hf'"))
    assert sources == {
        (IDS[0], "github.com/alice/sparse-rcnn", "github", 1),
        (IDS[0], "alice.github.io/sparse-rcnn", "project-page", 1),
        (IDS[1], "github.com/bob/new-code", "github", 1),
        (IDS[3], "gitlab.com/grp/proj", "gitlab", 1),
        (IDS[5], "github.com/some-org", "org-page", 1),
    }
    # One merged link per (paper, repository): the abstract's stays first.
    assert _rows(database, "SELECT source, official FROM links WHERE arxiv_id = ? AND repo ="
                           " 'github.com/alice/sparse-rcnn'", IDS[0]) == [("abstract", 1)]
    asks = dict(_rows(database, "SELECT arxiv_id, status FROM hf_asks"))
    assert asks[IDS[0]] == "repo" and asks[IDS[2]] == "indexed" and asks[IDS[8]] == "not_indexed"
    assert _rows(database, "SELECT github_repo FROM hf_asks WHERE arxiv_id = ?", IDS[4]) == [
        ("https://example.com/our-code",)]
    run = _rows(database, "SELECT command, outcome, requests FROM runs")
    assert run == [("import hf", "ok", json.dumps({"hf": 9}))]


def test_export_shows_the_hf_source(database: Path) -> None:
    with HfServer(_papers()) as hf:
        import_hf(_settings(database, hf), clock=clock())
    out = CliRunner().invoke(app, ["export", "--db", str(database), "--format", "json"])
    rows = {(r["arxiv_id"], r["repo"]): r for r in json.loads(out.stdout)}
    assert rows[(IDS[0], "github.com/alice/sparse-rcnn")]["sources"] == "abstract;hf"
    assert rows[(IDS[1], "github.com/bob/new-code")]["sources"] == "hf"
    assert rows[(IDS[1], "github.com/bob/new-code")]["official"] is True
    assert (IDS[5], "github.com/some-org") not in rows  # a page is not a repository


def test_resumes_and_asks_again_only_after_a_while(database: Path) -> None:
    with HfServer(_papers()) as hf:
        s = _settings(database, hf)
        assert import_hf(s, limit=4, clock=clock()).result["asked"] == 4
        assert hf.asked == IDS[:4]  # newest first
        assert import_hf(s, clock=clock()).result["asked"] == 5
        assert hf.asked[4:] == IDS[4:]
        assert import_hf(s, clock=clock()).result["candidates"] == 0  # nothing due
        hf.reset_counts()
        # A month later the papers without a repository are asked again, those with one not.
        later = clock(NOW + timedelta(days=31))
        assert import_hf(s, clock=later).result["asked"] == 6
        assert set(hf.asked) == set(IDS) - {IDS[0], IDS[1], IDS[3]}


def test_old_papers_are_asked_again_only_after_a_year(database: Path) -> None:
    conn = open_write(database)
    with transaction(conn):
        add_paper(conn, "2301.00001", "2023-01-10")
    conn.close()
    with HfServer({}) as hf:
        s = _settings(database, hf)
        import_hf(s, clock=clock())
        hf.reset_counts()
        import_hf(s, clock=clock(NOW + timedelta(days=31)))
        assert "2301.00001" not in hf.asked and len(hf.asked) == len(IDS)
        hf.reset_counts()
        import_hf(s, clock=clock(NOW + timedelta(days=366)))
        assert "2301.00001" in hf.asked


def test_since_limits_the_papers_asked(database: Path) -> None:
    with HfServer(_papers()) as hf:
        since = (NOW - timedelta(days=12)).strftime("%Y-%m-%d")
        assert import_hf(_settings(database, hf), since=since, clock=clock()).result[
            "asked"] == 3
        assert hf.asked == IDS[:3]


def test_pace_follows_the_announced_policy(database: Path) -> None:
    """Four requests a second announced: nine papers take at least 2 s and never hit 429 (the
    server says only its policy, not what is left of the window)."""
    with HfServer(_papers(), quota=4, window=1.0, send_remaining=False) as hf:
        started = time.monotonic()
        summary = import_hf(_settings(database, hf), clock=clock())
        took = time.monotonic() - started
    # The server enforces its quota: not one request over it, so none waited out a 429.
    assert summary.result["asked"] == 9 and hf.over_quota == 0
    assert summary.result["rate_limited"] == 0
    assert took >= 2.0  # eight gaps of at least 1 s / 4


def test_documented_pace_without_headers() -> None:
    """Before any answer the pace is the documented one: 1,000 or 500 requests per 5 minutes."""
    assert Pace(QUOTA_WITH_TOKEN, WINDOW).interval == pytest.approx(0.315)
    assert Pace(QUOTA_WITHOUT_TOKEN, WINDOW).interval == pytest.approx(0.63)
    pace = Pace(1000, 300.0)
    pace.observe({"RateLimit-Policy": '"fixed window";"api";q=500;w=300'})
    assert pace.interval == pytest.approx(0.63)


def test_retry_after_forms() -> None:
    assert retry_after({"Retry-After": "7"}) == 7.0
    assert retry_after({"Retry-After": "Thu, 01 Jan 1970 00:02:00 GMT"}, now=60.0) == 60.0
    assert retry_after({"RateLimit": '"api";r=0;t=55'}) == 55.0
    assert retry_after({"Retry-After": "soon"}) is None
    assert retry_after({}) is None


def test_a_429_is_waited_out_and_announced(database: Path) -> None:
    with HfServer(_papers()) as hf:
        hf.add_fault(IDS[2], 429, times=1, headers={"Retry-After": "1"},
                     body={"error": "You have exceeded our rate limit."})
        events = RecordedEvents()
        summary = import_hf(_settings(database, hf), events=events, clock=clock())
        times = {s.path: s.at for s in hf.seen if s.status == 429}
        after = [s.at for s in hf.seen if s.path.endswith(IDS[2]) and s.status == 200]
    assert summary.result["asked"] == 9 and summary.result["rate_limited"] == 1
    assert after[0] - next(iter(times.values())) >= 0.95
    assert "hf answered HTTP 429 (rate limit): waiting 1 s" in events.texts(Level.INFO)


def test_a_window_spent_waits_for_its_end(database: Path) -> None:
    """``RateLimit: r=0;t=1`` on an answer: the next request waits for the window."""
    with HfServer(_papers()) as hf:
        hf.add_fault(IDS[0], None, times=1)  # normal answer...
        hf.decorate = lambda req, reply: reply.headers.update(  # type: ignore[method-assign]
            {"RateLimit": '"api";r=0;t=1', "RateLimit-Policy": '"fixed window";"api";q=1000;w=1'}
        ) if req.path.endswith(IDS[0]) else None
        import_hf(_settings(database, hf), limit=2, clock=clock())
        first, second = hf.seen[0].at, hf.seen[1].at
    assert second - first >= 0.95


def test_an_unbounded_retry_after_stops_the_run_and_the_next_resumes(database: Path) -> None:
    with HfServer(_papers()) as hf:
        hf.add_fault(IDS[3], 429, times=1, headers={"Retry-After": "86400"})
        s = _settings(database, hf, max_backoff=60.0)
        with pytest.raises(RateLimitError, match="asking to wait 86,400 s"):
            import_hf(s, clock=clock())
        assert _rows(database, "SELECT outcome FROM runs") == [("failed",)]
        assert len(_rows(database, "SELECT * FROM hf_asks")) == 3  # the answers before stay
        summary = import_hf(s, clock=clock())
        assert summary.result["asked"] == 6  # resumed with the rest


def test_429s_without_end_stop_the_run(database: Path) -> None:
    with HfServer(_papers()) as hf:
        hf.add_fault("/api/papers/", 429, times=50, headers={"Retry-After": "0"})
        result = CliRunner().invoke(app, ["import", "hf", "--db", str(database),
                                          "--hf-api-url", hf.base_url])
    assert result.exit_code == 4
    lines = result.output.splitlines()
    assert lines[-1].startswith("error: hf answered HTTP 429 6 times in a row")
    assert lines[:-1] == ["hf answered HTTP 429 (rate limit): waiting 0 s"] * 5  # announced


def test_the_token_is_a_bearer_header_and_never_stored(database: Path, caplog) -> None:
    with HfServer(_papers()) as hf:
        # A server error that echoes what it was sent.
        hf.add_fault(IDS[1], 500, times=10, body=f"bad request from Bearer {SENTINEL}")
        events = RecordedEvents()
        summary = import_hf(_settings(database, hf, hf_token=SENTINEL, http_backoff=0.0),
                            events=events, clock=clock())
        assert {s.authorization for s in hf.seen} == {f"Bearer {SENTINEL}"}
        assert SENTINEL not in repr(_settings(database, hf, hf_token=SENTINEL))
    assert summary.result["errors"] == 1
    assert SENTINEL not in json.dumps(summary.to_json())
    assert all(SENTINEL not in text for _, text in events.messages)
    assert SENTINEL not in caplog.text
    for path in database.parent.iterdir():
        assert SENTINEL.encode() not in path.read_bytes(), path


def test_a_refused_token_is_one_line(database: Path, monkeypatch) -> None:
    with HfServer(_papers()) as hf:
        hf.add_fault("/api/papers/", 401, times=5, body={"error": "Invalid credentials"})
        monkeypatch.setenv("HF_TOKEN", SENTINEL)
        result = CliRunner().invoke(app, ["import", "hf", "--db", str(database),
                                          "--hf-api-url", hf.base_url])
    assert result.exit_code == 2 and "refused HF_TOKEN (HTTP 401)" in result.output
    assert SENTINEL not in result.output and result.output.count("\n") == 1


def test_a_token_that_cannot_be_a_header_fails_before_any_request(database: Path) -> None:
    with HfServer(_papers()) as hf:
        with pytest.raises(ConfigError, match="Authorization header for hf"):
            import_hf(_settings(database, hf, hf_token="abc\ndef"), clock=clock())
        assert hf.seen == []


def test_a_service_that_is_down_stops_fast_naming_the_setting(database: Path) -> None:
    hf = HfServer().start()
    url = hf.base_url
    hf.stop()  # nothing listens there any more
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable, match=f"check SURVEY_HF_API_URL={url}"):
        import_hf(Settings(db=database, hf_api_url=url, http_backoff=0.0), clock=clock())
    assert time.monotonic() - started < 10
    assert _rows(database, "SELECT command, outcome FROM runs") == [("import hf", "failed")]


def test_cli_summary_and_bad_input(database: Path, tmp_path: Path) -> None:
    with HfServer(_papers()) as hf:
        result = CliRunner().invoke(app, ["import", "hf", "--db", str(database), "--limit",
                                          "3", "--hf-api-url", hf.base_url])
    assert result.exit_code == 0, result.output
    assert "survey import hf: ok" in result.output
    assert "3 asked of 3 due: indexed 1, repo 2; 0 errors" in result.output
    runner = CliRunner()
    bad = runner.invoke(app, ["import", "hf", "--db", str(database), "--since", "banana"])
    assert bad.exit_code == 2 and bad.output.startswith("error: --since 'banana'")
    bad = runner.invoke(app, ["import", "hf", "--db", str(database), "--limit", "0"])
    assert bad.exit_code == 2 and "--limit 0" in bad.output
    missing = runner.invoke(app, ["import", "hf", "--db", str(tmp_path / "none.db")])
    assert missing.exit_code == 3 and "no database" in missing.output
    assert not (tmp_path / "none.db").exists()


# -- the monthly refresh ---------------------------------------------------------------------

def _month(ax_papers: list, gh: object, hf: HfServer, first: int, days_ago: int) -> None:
    """Ten papers ``days_ago`` old: code in the abstract for the even ones, only on Hugging
    Face for the odd ones."""
    from support.arxiv_server import Paper

    for i in range(first, first + 10):
        when = NOW - timedelta(days=days_ago, hours=i % 12)
        aid = f"{when:%y%m}.{i:05d}"
        abstract = (f"Our code: https://github.com/lab/p{i}." if i % 2 == 0
                    else "We propose a method.")
        ax_papers.append(Paper(arxiv_id=aid, title=f"Paper {i}", abstract=abstract,
                               published=when, primary="cs.LG", categories=["cs.LG"]))
        gh.model.add_repo(f"lab/p{i}", {"train.py": b"import torch\nimport torch.nn as nn\n"})  # type: ignore[attr-defined]
        if i % 2:
            hf.papers[aid] = hf_paper(aid, github=f"https://github.com/lab/p{i}")


def test_refresh_asks_hugging_face_for_the_new_months_papers(tmp_path: Path) -> None:
    from support.arxiv_server import ArxivServer
    from support.github_server import GitHubServer

    from survey.jobs.crawl import run_crawl
    from survey.jobs.refresh import run_refresh

    with ArxivServer([]) as ax, GitHubServer() as gh, HfServer() as hf:
        _month(ax.papers, gh, hf, 1, 40)
        s = Settings(db=tmp_path / "data" / "survey.db", reports_dir=tmp_path / "reports",
                     arxiv_api_url=ax.url, arxiv_delay=0.0, arxiv_retries=1,
                     github_api_url=gh.api_url, github_raw_url=gh.raw_url,
                     github_token="test-token-not-a-secret", http_timeout=5.0,
                     hf_api_url=hf.base_url, report_bootstrap=10)
        since = (NOW - timedelta(days=60)).strftime("%Y-%m-%d")
        assert run_crawl(s, since=since, clock=clock()).outcome == "ok"
        # Not in use yet: a refresh leaves Hugging Face alone.
        first = run_refresh(s, clock=clock())
        assert first.crawl.stages["hf"] == {
            "skipped": "not in use: run `survey import hf` once to include Hugging Face"}
        assert hf.seen == []
        import_hf(s, clock=clock())  # the user opts in
        assert len(hf.asked) == 10
        hf.reset_counts()
        _month(ax.papers, gh, hf, 100, 3)
        later = clock(NOW + timedelta(days=2))
        result = run_refresh(s, clock=later)
        hf_stage = result.crawl.stages["hf"]
        # Only the new month's papers: the earlier ones were asked less than 30 days ago.
        assert hf_stage["asked"] == 10 and hf_stage["answers"] == {"not_indexed": 5, "repo": 5}
        assert all(aid.endswith(tuple(f"{i:05d}" for i in range(100, 110))) for aid in hf.asked)
    # The repositories only Hugging Face knew were fetched and classified in the same refresh.
    got = dict(_rows(s.db, "SELECT l.repo, c.framework FROM links l JOIN classifications c"
                          " ON c.repo = l.repo WHERE l.source = 'hf'"))
    assert got == {f"github.com/lab/p{i}": "pytorch" for i in (*range(1, 10, 2),
                                                                 *range(101, 110, 2))}


def test_refresh_goes_on_when_hugging_face_is_down(database: Path, tmp_path: Path) -> None:
    from survey.jobs.crawl import StageContext
    from survey.jobs.imports import hf_stage

    with HfServer(_papers()) as hf:
        import_hf(_settings(database, hf), limit=1, clock=clock())
        url = hf.base_url
    events = RecordedEvents()
    conn = open_write(database)
    try:
        from crawler.http import RequestStats

        ctx = StageContext(conn, Settings(db=database, hf_api_url=url, http_backoff=0.0),
                           RequestStats(), events, clock(), NOW - timedelta(days=60), NOW,
                           ("cs.LG",), 1)
        result = hf_stage(ctx)
    finally:
        conn.close()
    assert "hf is not answering" in result["error"]
    assert any("Hugging Face Papers skipped this time" in t for t in events.texts(Level.WARNING))
