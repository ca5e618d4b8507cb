"""`run_crawl`: stages as a list, every run recorded with its outcome, SIGTERM handled."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
from rich.console import Console
from support.arxiv_server import IN_SCOPE, ArxivServer, make_corpus
from support.local_github import github_env, github_settings

from survey.cli.render import render_crawl_summary
from survey.core.clock import FixedClock
from survey.core.db import open_write
from survey.core.errors import InputError, ServiceError, StoreError
from survey.core.events import RecordedEvents
from survey.core.settings import Settings
from survey.jobs.crawl import STAGES, StageContext, harvest_stage, run_crawl

NOW = datetime(2024, 9, 1, tzinfo=UTC)


@pytest.fixture
def server():
    corpus = make_corpus(300, datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC))
    with ArxivServer(corpus) as srv:
        yield srv


def settings_for(server, db) -> Settings:
    return Settings(db=db, arxiv_api_url=server.url, arxiv_delay=0.0, arxiv_page_size=100,
                    arxiv_timeout=2.0, arxiv_retries=1, **github_settings())


def runs(db) -> list[dict]:
    conn = open_write(db)
    rows = [dict(r) for r in conn.execute("SELECT * FROM runs ORDER BY id")]
    conn.close()
    return rows


def test_default_stages_start_with_the_harvest():
    assert STAGES[0] == ("harvest", harvest_stage)


def test_an_extra_stage_sees_the_harvest_and_is_recorded(server, db_path, capsys):
    seen: dict = {}

    def count_links(ctx: StageContext) -> dict:
        seen["harvest"] = ctx.results["harvest"]
        seen["categories"] = ctx.categories
        n = ctx.conn.execute("SELECT COUNT(*) FROM links").fetchone()[0]
        return {"links_seen": n}

    summary = run_crawl(settings_for(server, db_path), since="2024-01", until="2024-02",
                        categories=IN_SCOPE, clock=FixedClock(NOW),
                        stages=[("harvest", harvest_stage), ("count", count_links)])
    assert summary.outcome == "ok" and summary.requests == {"arxiv": server.request_count}
    assert seen["harvest"]["papers_new"] > 0 and seen["categories"] == IN_SCOPE
    assert summary.stages["count"]["links_seen"] == seen["harvest"]["links"]
    (run,) = runs(db_path)
    assert run["outcome"] == "ok" and run["finished_at"]
    recorded = json.loads(run["summary"])
    assert recorded["stages"]["count"] == {"links_seen": seen["harvest"]["links"]}
    assert recorded["args"]["categories"] == list(IN_SCOPE)
    assert json.loads(run["requests"]) == {"arxiv": server.request_count}
    console = Console(record=True, width=200)
    console.print(render_crawl_summary(summary))
    err = console.export_text()
    assert "survey crawl: ok" in err and "links_seen" in err


def test_a_failing_stage_is_recorded_as_failed(server, db_path):
    def broken(ctx: StageContext) -> dict:
        raise ServiceError("GitHub said no [403]")

    with pytest.raises(ServiceError):
        run_crawl(settings_for(server, db_path), since="2024-01", until="2024-01",
                  clock=FixedClock(NOW), stages=[("harvest", harvest_stage), ("broken", broken)])
    (run,) = runs(db_path)
    assert run["outcome"] == "failed"
    summary = json.loads(run["summary"])
    assert summary["error"] == "GitHub said no [403]" and summary["stages"]["harvest"]
    # what the harvest stored before the failure stays
    conn = open_write(db_path)
    assert conn.execute("SELECT COUNT(*) FROM papers").fetchone()[0] > 0


def test_a_token_in_a_stage_error_is_never_recorded(server, db_path):
    token = "ghp_" + "x1" * 18

    def leaky(ctx: StageContext) -> dict:
        raise RuntimeError(f"request failed with Authorization: Bearer {token} (sent {token})")

    settings = settings_for(server, db_path).replace(github_token=token)
    with pytest.raises(RuntimeError):
        run_crawl(settings, since="2024-01", until="2024-01", clock=FixedClock(NOW),
                  stages=[("leaky", leaky)])
    (run,) = runs(db_path)
    assert run["outcome"] == "failed" and token not in run["summary"]
    assert json.loads(run["summary"])["error"].startswith("request failed with")


def test_a_corrupt_database_in_a_stage_is_a_one_line_store_error(server, db_path):
    def corrupt(ctx: StageContext) -> dict:
        raise sqlite3.DatabaseError("database disk image is malformed")

    with pytest.raises(StoreError, match="^database error in stage corrupt: database disk image"):
        run_crawl(settings_for(server, db_path), since="2024-01", until="2024-01",
                  clock=FixedClock(NOW), stages=[("corrupt", corrupt)])
    assert runs(db_path)[0]["outcome"] == "failed"


def test_interrupt_is_recorded(server, db_path):
    def interrupt(ctx: StageContext) -> dict:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_crawl(settings_for(server, db_path), since="2024-01", until="2024-01",
                  clock=FixedClock(NOW), stages=[("stop", interrupt)])
    assert runs(db_path)[0]["outcome"] == "interrupted"


def test_bad_input_never_opens_the_database(server, tmp_path):
    db = tmp_path / "none" / "survey.db"
    with pytest.raises(InputError):
        run_crawl(settings_for(server, db), since="2024", categories=["cs.NOPE"],
                  clock=FixedClock(NOW))
    with pytest.raises(InputError):
        run_crawl(settings_for(server, db), since="banana", clock=FixedClock(NOW))
    assert not db.parent.exists()


def test_progress_goes_to_the_events_sink(server, db_path, capsys):
    events = RecordedEvents()
    summary = run_crawl(settings_for(server, db_path), since="2024-01", until="2024-02",
                        events=events, clock=FixedClock(NOW))
    assert summary.outcome == "ok"
    windows = [t for t in events.tasks.values() if t.description == "arXiv windows"]
    assert windows and windows[0].completed == windows[0].total == 2 and windows[0].finished
    assert capsys.readouterr().err == ""  # nothing below the CLI writes to the terminal


@pytest.mark.slow
def test_sigterm_stops_cleanly(server, tmp_path):
    db = tmp_path / "survey.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
    env.update({"SURVEY_ARXIV_API_URL": server.url, "SURVEY_ARXIV_DELAY": "0.2",
                "SURVEY_ARXIV_PAGE_SIZE": "20", "SURVEY_DB": str(db), **github_env()})
    proc = subprocess.Popen(
        [sys.executable, "-c", "from survey.cli import main; main()", "crawl", "--since",
         "2024-01", "--until", "2024-02"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 20
    while server.request_count < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130 and err.strip().splitlines()[-1] == "error: interrupted"
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT outcome FROM runs").fetchall() == [("interrupted",)]
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_locked_database_is_a_one_line_store_error(server, db_path):
    blockers = []

    def harvest_while_locked(ctx: StageContext) -> dict:
        blocker = sqlite3.connect(db_path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        blockers.append(blocker)
        ctx.conn.execute("PRAGMA busy_timeout = 100")
        return harvest_stage(ctx)

    try:
        with pytest.raises(StoreError) as info:
            run_crawl(settings_for(server, db_path), since="2024-02", until="2024-02",
                      clock=FixedClock(NOW), stages=[("harvest", harvest_while_locked)])
    finally:
        for blocker in blockers:
            blocker.execute("ROLLBACK")
            blocker.close()
    assert str(info.value) == "database error in stage harvest: database is locked"
    conn = open_write(db_path)
    assert conn.execute("SELECT COUNT(*) FROM papers").fetchone()[0] == 0
