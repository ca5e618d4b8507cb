"""`survey refresh` against the local arXiv and GitHub servers, counted on the server side."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from support.arxiv_server import ArxivServer, Paper
from support.clock import NOW
from support.github_server import GitHubServer

from survey.core.clock import FixedClock
from survey.core.db import open_write
from survey.core.errors import ServiceUnavailable
from survey.core.lock import exclusive_run
from survey.core.settings import Settings
from survey.jobs.crawl import run_crawl
from survey.jobs.refresh import OVERLAP_DAYS, archive_pages, run_refresh

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORK_CODE = {
    "torch": {"train.py": b"import torch\nimport torch.nn as nn\n", "requirements.txt": b"torch\n"},
    "tf": {"model.py": b"import tensorflow as tf\nfrom tensorflow.keras import layers\n",
           "requirements.txt": b"tensorflow>=2.4\n"},
}


def paper(i: int, published: datetime, owner: str = "lab") -> Paper:
    return Paper(
        arxiv_id=f"{published:%y%m}.{i:05d}",
        title=f"Paper {i} <b>bold</b>",
        abstract=f"We propose method {i}. Our code is available at https://github.com/{owner}/p{i}.",
        published=published,
        primary="cs.LG",
        categories=["cs.LG", "cs.CV"],
    )


def add_repo(gh: GitHubServer, i: int, owner: str = "lab", *, active: bool = False) -> None:
    kind = "torch" if i % 3 else "tf"
    pushed = (NOW - timedelta(days=2) if active else NOW - timedelta(days=400))
    gh.model.add_repo(f"{owner}/p{i}", dict(FRAMEWORK_CODE[kind]))
    gh.model.get(f"{owner}/p{i}").pushed_at = pushed.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def servers():
    # One paper a day over the last ~60 days, so no refresh window is empty.
    papers = [paper(i, NOW - timedelta(days=60 - i, hours=3)) for i in range(1, 60)]
    with ArxivServer(papers) as ax, GitHubServer() as gh:
        for i in range(1, 60):
            add_repo(gh, i, active=(i % 10 == 0))
        yield ax, gh


def settings(ax: ArxivServer, gh: GitHubServer, tmp_path: Path) -> Settings:
    return Settings(
        db=tmp_path / "data" / "survey.db", reports_dir=tmp_path / "reports",
        arxiv_api_url=ax.url, arxiv_delay=0.0, arxiv_page_size=500, arxiv_timeout=5.0,
        arxiv_retries=1, github_api_url=gh.api_url, github_raw_url=gh.raw_url,
        github_token="test-token-not-a-secret", http_timeout=5.0, report_bootstrap=20,
        github_api="rest",  # REST's free 304s are asserted here; GraphQL: test_graphql_fetch.py
    )


def crawl(s: Settings, *, now: datetime = NOW) -> None:
    since = (NOW - timedelta(days=70)).strftime("%Y-%m-%d")
    summary = run_crawl(s, since=since, clock=FixedClock(now))
    assert summary.outcome == "ok"


def count(db: Path, sql: str) -> int:
    conn = open_write(db)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def test_refresh_with_nothing_new_asks_arxiv_at_most_twice_and_github_for_free(servers, tmp_path):
    ax, gh = servers
    s = settings(ax, gh, tmp_path)
    crawl(s)
    assert count(s.db, "SELECT COUNT(*) FROM classifications") == 59
    ax.reset_counts()
    gh.reset_counts()

    result = run_refresh(s, clock=FixedClock(NOW))

    assert result.crawl.outcome == "ok"
    assert 1 <= ax.request_count <= 2
    assert gh.counts["charged"] == 0
    assert gh.counts["raw"] == 0
    assert gh.counts["not_modified"] >= 1  # the active repositories were re-checked, for free
    assert result.since <= NOW - timedelta(days=OVERLAP_DAYS)
    # Named for the last complete month the data cover (a run in mid-June: May's page).
    month_page = s.reports_dir / "2026-05.html"
    assert f"{NOW:%Y-%m}" == "2026-06"
    assert sorted(p.name for p in result.pages) == sorted([month_page.name, "index.html"])
    index = (s.reports_dir / "index.html").read_text()
    assert "What changed" in index and month_page.name in index
    run = open_write(s.db).execute(
        "SELECT outcome, requests FROM runs WHERE command = 'refresh'").fetchone()
    assert run["outcome"] == "ok" and '"arxiv"' in run["requests"]


def test_refresh_after_a_month_fetches_only_the_new(servers, tmp_path):
    ax, gh = servers
    s = settings(ax, gh, tmp_path)
    crawl(s)
    papers_before = count(s.db, "SELECT COUNT(*) FROM papers")
    # A month of new papers, each with a new repository.
    for i in range(100, 130):
        ax.papers.append(paper(i, NOW - timedelta(days=5, hours=i % 24), owner="fresh"))
        add_repo(gh, i, owner="fresh")
    ax.reset_counts()
    gh.reset_counts()

    run_refresh(s, clock=FixedClock(NOW))

    assert count(s.db, "SELECT COUNT(*) FROM papers") == papers_before + 30
    fetched = {r.path.split("/")[3] for r in gh.seen
               if r.kind == "api" and r.status == 200 and r.path.startswith("/api/repos/")}
    assert fetched == {"fresh"}, fetched  # charged answers only for the new repositories
    assert count(s.db, "SELECT COUNT(*) FROM classifications c JOIN repos r USING (repo)"
                       " WHERE r.repo LIKE 'github.com/fresh/%'") == 30
    assert ax.request_count <= 2


def test_refresh_catches_up_after_github_was_down(servers, tmp_path):
    ax, gh = servers
    s = settings(ax, gh, tmp_path)
    crawl(s)
    for i in range(200, 205):
        ax.papers.append(paper(i, NOW - timedelta(days=3), owner="late"))
        add_repo(gh, i, owner="late")
    down = s.replace(github_api_url="http://127.0.0.1:9", github_raw_url="http://127.0.0.1:9",
                     http_retries=0)
    with pytest.raises(ServiceUnavailable, match="GITHUB_API_URL=http://127.0.0.1:9"):
        run_refresh(down, clock=FixedClock(NOW))
    # The papers harvested before GitHub failed are kept; their repositories wait, unmarked.
    assert count(s.db, "SELECT COUNT(*) FROM papers WHERE abstract LIKE '%github.com/late/%'"
                 ) == 5
    assert count(s.db, "SELECT COUNT(*) FROM repos WHERE repo LIKE 'github.com/late/%'"
                       " AND status = 'pending' AND status_detail IS NULL") == 5
    run_refresh(s, clock=FixedClock(NOW))
    assert count(s.db, "SELECT COUNT(*) FROM repos WHERE repo LIKE 'github.com/late/%'"
                       " AND status = 'ok'") == 5


def test_refresh_without_a_database_is_a_clear_error_and_creates_nothing(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "survey.cli", "refresh", "--db", str(tmp_path / "d" / "x.db")],
        capture_output=True, text=True, cwd=ROOT, env=_env(), timeout=60,
    )
    assert proc.returncode == 3
    assert proc.stderr.startswith("error: no database at ") and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "d").exists()


def test_refresh_before_any_complete_window_is_a_clear_error(tmp_path):
    db = tmp_path / "x.db"
    open_write(db).close()
    proc = subprocess.run(
        [sys.executable, "-m", "survey.cli", "refresh", "--db", str(db)],
        capture_output=True, text=True, cwd=ROOT, env=_env(), timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: nothing harvested yet") and "Traceback" not in proc.stderr


def test_stale_running_rows_are_marked_interrupted(servers, tmp_path):
    ax, gh = servers
    s = settings(ax, gh, tmp_path)
    crawl(s)
    conn = open_write(s.db)
    conn.execute("INSERT INTO runs (command, started_at, outcome) VALUES ('crawl', 'x', 'running')")
    conn.close()
    run_refresh(s, clock=FixedClock(NOW))
    assert count(s.db, "SELECT COUNT(*) FROM runs WHERE outcome = 'running'") == 0
    assert count(s.db, "SELECT COUNT(*) FROM runs WHERE outcome = 'interrupted'") == 1


def test_archive_lists_only_monthly_pages(tmp_path):
    for name in ("2026-09.html", "2026-10.html", "index.html", "notes.html", "2026-13x.html"):
        (tmp_path / name).write_text("")
    (tmp_path / "2026-08.html").mkdir()  # a folder is not a page
    assert archive_pages(tmp_path) == [("2026-10", "2026-10.html"), ("2026-09", "2026-09.html")]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("SURVEY_") and k != "GITHUB_TOKEN"}
    env.update(extra)
    return env


def test_lock_held_means_exit_75_and_nothing_touched(servers, tmp_path):
    ax, gh = servers
    s = settings(ax, gh, tmp_path)
    crawl(s)
    before = _dump(s.db)
    ax.reset_counts()
    with exclusive_run(s.db, "refresh"):
        proc = subprocess.run(
            [sys.executable, "-m", "survey.cli", "refresh", "--db", str(s.db)],
            capture_output=True, text=True, cwd=ROOT, timeout=60,
            env=_env(SURVEY_ARXIV_API_URL=ax.url, SURVEY_ARXIV_DELAY="0"),
        )
    assert proc.returncode == 75, proc.stderr
    assert "in use" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert ax.request_count == 0
    assert _dump(s.db) == before


def test_two_refreshes_started_together_one_works_one_exits_75(servers, tmp_path):
    ax, gh = servers
    s = settings(ax, gh, tmp_path)
    crawl(s)
    # Slow arXiv answers keep the first refresh busy while the second starts.
    ax.add_fault("slow", delay=1.5, times=None)
    env = _env(SURVEY_ARXIV_API_URL=ax.url, SURVEY_ARXIV_DELAY="0", SURVEY_ARXIV_TIMEOUT="10",
               GITHUB_API_URL=gh.api_url, SURVEY_GITHUB_RAW_URL=gh.raw_url,
               GITHUB_TOKEN="test-token-not-a-secret", SURVEY_REPORT_BOOTSTRAP="10",
               SURVEY_REPORTS_DIR=str(s.reports_dir))
    cmd = [sys.executable, "-m", "survey.cli", "refresh", "--db", str(s.db), "--no-progress"]
    procs = [subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    codes = sorted(p.wait(timeout=120) for p in procs)
    errors = [p.stderr.read() for p in procs]
    assert codes == [0, 75], errors
    assert count(s.db, "SELECT COUNT(*) FROM runs WHERE command = 'refresh'") == 1


def _dump(db: Path) -> list:
    conn = sqlite3.connect(db)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return [(t, sorted(map(repr, conn.execute(f"SELECT * FROM {t}"))))  # noqa: S608
                for t in tables]
    finally:
        conn.close()


def test_lock_is_released_after_a_run(tmp_path):
    db = tmp_path / "d.db"
    with exclusive_run(db, "refresh"):
        pass
    with exclusive_run(db, "refresh"):  # would raise LockedError if the first still held it
        pass
