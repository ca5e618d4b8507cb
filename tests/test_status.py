"""`survey status`: figures from the database, short windows with both numbers, last runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from support.arxiv_server import IN_SCOPE, ArxivServer, make_corpus
from support.local_github import github_settings

from survey.cli.render import render_status
from survey.core.clock import FixedClock
from survey.core.db import open_write, transaction
from survey.core.settings import Settings
from survey.jobs.crawl import run_crawl
from survey.jobs.status import collect_status


def render(status: dict) -> str:
    console = Console(width=120, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(render_status(status))
    return console.export_text()


def crawl(db: Path, server: ArxivServer, **kw) -> None:
    settings = Settings(db=db, arxiv_api_url=server.url, arxiv_delay=0.0, arxiv_page_size=100,
                        arxiv_timeout=2.0, arxiv_retries=1, **github_settings(), **kw)
    run_crawl(settings, since="2024-01", until="2024-02", categories=IN_SCOPE,
              clock=FixedClock(datetime(2024, 9, 1, tzinfo=UTC)))


def test_status_of_an_empty_database(conn):
    status = collect_status(conn)
    assert status["papers"]["total"] == 0 and status["windows"] == [] and status["runs"] == []
    assert "repos" not in status and "classifications" not in status
    text = render(status)
    assert "papers" in text and "none yet: run `survey crawl --since 2018`" in text


def test_status_after_crawls_with_a_short_window(db_path):
    corpus = make_corpus(400, datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC))
    with ArxivServer(corpus, overstate_windows={"202402010000": 4}) as server:
        crawl(db_path, server)
    conn = open_write(db_path)
    status = collect_status(conn)
    n = conn.execute("SELECT COUNT(*) FROM papers").fetchone()[0]
    assert status["papers"]["total"] == n > 300
    assert status["links"]["total"] > 0 and "github.com" in status["links"]["by_host"]
    assert set(status["links"]["by_source"]) <= {"abstract", "comment"}
    assert sum(status["links"]["by_source"].values()) == status["links"]["total"]
    (w,) = status["windows"]
    assert w["complete"] == 1 and w["short"] == 1
    short = w["short_windows"][0]
    assert short["start"] == "2024-02-01T00:00" and short["total"] == short["fetched"] + 4
    assert status["runs"][0]["outcome"] == "ok"
    assert status["runs"][0]["harvest"]["windows_short"] == 1
    text = render(status)
    assert f"{short['fetched']:,} of {short['total']:,} papers received" in text
    assert "retried by the next crawl" in text
    assert "github.com" in text and "ok" in text
    conn.close()


def test_status_shows_repositories_and_frameworks_when_present(conn):
    with transaction(conn):
        conn.execute("INSERT INTO repos (repo, host, status, first_seen) VALUES"
                     " ('github.com/a/b', 'github.com', 'ok', '2024-01-01'),"
                     " ('github.com/a/c', 'github.com', 'missing', '2024-01-01')")
        conn.execute("INSERT INTO classifications (repo, framework, confidence,"
                     " evidence, classifier_version, classified_at) VALUES"
                     " ('github.com/a/b', 'pytorch', 0.9, '[]', '1', '2024-01-01')")
        conn.execute("INSERT INTO runs (command, started_at, outcome, summary) VALUES"
                     " ('crawl', '2024-01-01T00:00:00Z', 'failed',"
                     " '{\"error\": \"cannot reach arXiv [x]\"}')")
        conn.execute("INSERT INTO runs (command, started_at, summary) VALUES"
                     " ('crawl', '2024-01-02T00:00:00Z', 'not json')")
    status = collect_status(conn)
    assert status["repos"] == {"missing": 1, "ok": 1}
    assert status["classifications"] == {"pytorch": 1}
    text = render(status)
    assert "pytorch 1" in text and "missing 1" in text
    assert "cannot reach arXiv [x]" in text, "outside text is shown as text, never as markup"
    assert "crawl 2024-01-02 00:00 running (or killed)" in text


def test_status_cli(tmp_path, db_path):
    corpus = make_corpus(100, datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC))
    with ArxivServer(corpus) as server:
        crawl(db_path, server)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
    cmd = [sys.executable, "-c", "from survey.cli import main; main()", "status"]
    proc = subprocess.run([*cmd, "--db", str(db_path), "--json"], capture_output=True,
                          text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    figures = json.loads(proc.stdout)
    assert figures["papers"]["total"] > 50 and figures["runs"][0]["command"] == "crawl"
    missing = subprocess.run([*cmd, "--db", str(tmp_path / "nope.db")], capture_output=True,
                             text=True, env=env)
    assert missing.returncode == 3
    assert missing.stderr.startswith("error: no database at ")
    assert not (tmp_path / "nope.db").exists()
