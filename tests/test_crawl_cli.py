"""`survey crawl` as a user runs it: a real subprocess against the local arXiv server.

Bad input and an unreachable arXiv give one line and a non-zero exit and leave what is stored
exactly as it was; a crawl killed with SIGKILL at random moments resumes with nothing lost and
nothing twice.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support import cli
from support.arxiv_server import ArxivServer, in_scope, make_corpus
from support.cli import spawn
from support.local_github import github_env

from crawler.links import paper_links

SINCE, UNTIL = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 5, 1, tzinfo=UTC)


def survey(*args: str, env: dict[str, str] | None = None, timeout: float = 60
           ) -> subprocess.CompletedProcess[str]:
    """``support.cli.survey`` with this module's shorter time limit."""
    return cli.survey(*args, env=env, timeout=timeout)


def checksum(db: Path, *, skip: tuple[str, ...] = ()) -> str:
    """Hash of every row of every table (sorted), so any change shows."""
    conn = sqlite3.connect(db)
    digest = hashlib.sha256()
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    for table in tables:
        if table in skip:
            continue
        rows = sorted(repr(r) for r in conn.execute(f'SELECT * FROM "{table}"'))  # noqa: S608
        digest.update(f"{table}:{len(rows)}:".encode())
        for row in rows:
            digest.update(row.encode())
    conn.close()
    return digest.hexdigest()


@pytest.fixture(scope="module")
def corpus():
    return make_corpus(1500, SINCE, UNTIL, seed=7)


@pytest.fixture
def server(corpus):
    with ArxivServer(corpus) as srv:
        yield srv


def env_for(server: ArxivServer, db: Path, delay: str = "0") -> dict[str, str]:
    return {"SURVEY_ARXIV_API_URL": server.url, "SURVEY_ARXIV_DELAY": delay,
            "SURVEY_DB": str(db), "SURVEY_ARXIV_PAGE_SIZE": "100",
            "SURVEY_ARXIV_TIMEOUT": "5", **github_env()}


@pytest.fixture(scope="module")
def template_db(tmp_path_factory, corpus) -> Path:
    """A database holding a finished crawl of January-February 2024 (made once)."""
    db = tmp_path_factory.mktemp("template") / "survey.db"
    with ArxivServer(corpus) as srv:
        proc = survey("crawl", "--since", "2024-01", "--until", "2024-02",
                      env=env_for(srv, db))
    assert proc.returncode == 0, proc.stderr
    return db


@pytest.fixture
def filled_db(tmp_path, template_db) -> Path:
    """A private copy of the template database."""
    db = tmp_path / "survey.db"
    for suffix in ("", "-wal", "-shm"):
        src = Path(str(template_db) + suffix)
        if src.exists():
            shutil.copyfile(src, str(db) + suffix)
    return db


def test_crawl_prints_a_summary_and_status_shows_it(tmp_path, server, corpus):
    db = tmp_path / "survey.db"
    proc = survey("crawl", "--since", "2024-01", "--until", "2024-04", "--no-progress",
                  env=env_for(server, db))
    assert proc.returncode == 0, proc.stderr
    want = len(list(in_scope(corpus)))
    assert "survey crawl: ok" in proc.stderr
    assert f"{want:,} new" in proc.stderr and "arxiv" in proc.stderr
    assert proc.stdout == ""
    status = survey("status", "--db", str(db))
    assert status.returncode == 0, status.stderr
    assert re.search(rf"^papers +{want:,} \(first versions 2024-01-01", status.stdout, re.M)
    assert "github.com" in status.stdout and "crawl" in status.stdout


@pytest.mark.parametrize("args, message", [
    (["--since", "banana"], "error: --since 'banana': expected YEAR, YYYY-MM or YYYY-MM-DD"),
    (["--since", "2024-03", "--until", "2023"], "error: --until 2023-12-31 is before --since"),
    (["--since", "2024", "--categories", "cs.LG,cs.XX"], "error: unknown arXiv category 'cs.XX'"),
    (["--since", "2024", "--categories", "cs.LG,cs.LG;DROP"], "error: invalid category"),
    (["--since", "2024-02-30"], "error: --since '2024-02-30': not a valid date"),
    (["--since", "2999"], "error: --since 2999-01-01 is in the future"),
    (["--since", "2024", "--arxiv-delay", "-1"], "error: Invalid value for '--arxiv-delay'"),
    (["--since", "2024", "--arxiv-api-url", "ftp://x"], "error: --arxiv-api-url must be an"
                                                        " http(s) URL"),
])
def test_bad_input_is_one_line_and_changes_nothing(filled_db, server, args, message):
    before = checksum(filled_db)
    requests = server.request_count
    proc = survey("crawl", *args, env=env_for(server, filled_db))
    assert proc.returncode == 2
    assert proc.stderr.startswith(message)
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert checksum(filled_db) == before, "nothing stored may change, not even runs"
    assert server.request_count == requests


def test_bad_input_does_not_create_a_database(tmp_path, server):
    db = tmp_path / "new" / "survey.db"
    proc = survey("crawl", "--since", "banana", env=env_for(server, db))
    assert proc.returncode == 2 and not db.exists() and not db.parent.exists()


def test_bad_environment_is_one_line(filled_db, server):
    env = {**env_for(server, filled_db), "SURVEY_ARXIV_DELAY": "fast"}
    proc = survey("crawl", "--since", "2024", env=env)
    assert proc.returncode == 2 and proc.stderr.startswith("error: invalid SURVEY_ARXIV_DELAY")
    assert proc.stderr.count("\n") == 1


def test_unreachable_arxiv_is_one_line_and_loses_nothing(filled_db, server):
    before = checksum(filled_db, skip=("runs",))
    runs_before = sqlite3.connect(filled_db).execute("SELECT * FROM runs").fetchall()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**env_for(server, filled_db), "SURVEY_ARXIV_API_URL":
           f"http://127.0.0.1:{port}/api/query"}
    proc = survey("crawl", "--since", "2024-01", "--until", "2024-04", env=env)
    assert proc.returncode == 4
    assert proc.stderr.startswith("error: arxiv is not answering (connection refused;")
    assert f"check SURVEY_ARXIV_API_URL=http://127.0.0.1:{port}/api/query" in proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert checksum(filled_db, skip=("runs",)) == before
    conn = sqlite3.connect(filled_db)
    runs = conn.execute("SELECT * FROM runs").fetchall()
    assert runs[:len(runs_before)] == runs_before, "earlier run records untouched"
    last = conn.execute("SELECT outcome, summary FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    assert last[0] == "failed" and "arxiv is not answering" in last[1]


def test_arxiv_refusing_the_query_is_one_line(filled_db, server):
    server.add_fault("error_feed", times=None)
    before = checksum(filled_db, skip=("runs",))
    proc = survey("crawl", "--since", "2024-03", "--until", "2024-04",
                  env=env_for(server, filled_db))
    assert proc.returncode == 4 and proc.stderr.count("\n") == 1
    assert "arXiv answered HTTP 400: simulated error" in proc.stderr
    assert checksum(filled_db, skip=("runs",)) == before


def test_option_overrides_environment(tmp_path, server):
    db = tmp_path / "x.db"
    env = {**env_for(server, db), "SURVEY_ARXIV_API_URL": "http://127.0.0.1:9/nothing"}
    proc = survey("crawl", "--since", "2024-01", "--until", "2024-01",
                  "--arxiv-api-url", server.url, "--categories", "cs.CV", env=env)
    assert proc.returncode == 0, proc.stderr
    sent = server.requests[-1].params["search_query"]
    assert sent.startswith("cat:cs.CV AND submittedDate:[202401010000 TO 202402010000]")


def _check_consistent(db: Path) -> None:
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    for start, end, total, fetched in conn.execute(
        "SELECT start, end, total, fetched FROM harvest_windows WHERE status = 'complete'"
    ):
        assert fetched == total
        n = conn.execute(
            "SELECT COUNT(*) FROM papers WHERE published >= ? AND published <= ?",
            (start, end + ":59Z")).fetchone()[0]
        assert n >= total, f"window {start}..{end} recorded complete without its papers"
    orphans = conn.execute(
        "SELECT COUNT(*) FROM links WHERE arxiv_id NOT IN (SELECT arxiv_id FROM papers)"
    ).fetchone()[0]
    assert orphans == 0
    conn.close()


@pytest.mark.slow
def test_sigkill_at_random_moments_then_resume(tmp_path, server, corpus):
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    db = tmp_path / "survey.db"
    env = {**env_for(server, db, delay="0.03"), "SURVEY_ARXIV_PAGE_SIZE": "40"}
    args = ("crawl", "--since", "2024-01", "--until", "2024-04", "--no-progress")
    kills, partial = 0, 0
    for round_ in range(4):
        # kill after a random number of arXiv requests plus a random fraction of the delay:
        # random moments, but always inside the crawl (waiting, parsing or committing)
        # (the first kill comes after a window's worth of requests, so resuming is exercised)
        target = server.request_count + rng.randint(12 if round_ == 0 else 1, 20)
        proc = spawn(*args, env=env)
        deadline = time.monotonic() + 30
        while server.request_count < target and proc.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.05))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait(timeout=30)
        if db.exists():
            _check_consistent(db)
            done = sqlite3.connect(db).execute(
                "SELECT COUNT(*) FROM harvest_windows WHERE status = 'complete'").fetchone()[0]
            partial += 0 < done
    final = survey(*args, env=env)
    assert final.returncode == 0, final.stderr
    assert kills >= 1 and partial >= 1, f"seed {seed}: no run was killed mid-crawl"
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    want = {p.arxiv_id for p in in_scope(corpus) if p.published < datetime(2024, 5, 1,
                                                                           tzinfo=UTC)}
    got = [r[0] for r in conn.execute("SELECT arxiv_id FROM papers")]
    assert len(got) == len(set(got)) and set(got) == want, f"seed {seed}"
    links = sorted((r[0], r[1]) for r in conn.execute("SELECT arxiv_id, repo FROM links"))
    expect = sorted({(r["arxiv_id"], lk.repo) for r in conn.execute("SELECT * FROM papers")
                     for lk in paper_links(r["abstract"], r["comment"])})
    assert links == expect, f"seed {seed}"
    statuses = {r[0] for r in conn.execute("SELECT status FROM harvest_windows")}
    assert statuses <= {"complete", "split"}, f"seed {seed}"
    _check_consistent(db)
    # and a further run asks (almost) nothing: every window is finished
    server.reset_counts()
    again = survey(*args, env=env)
    assert again.returncode == 0 and server.request_count == 0


def test_a_file_that_is_not_a_database_is_refused_untouched(tmp_path, server):
    db = tmp_path / "notes.db"
    db.write_text("my notes, not a database\n")
    proc = survey("crawl", "--since", "2024-01", env=env_for(server, db))
    assert proc.returncode == 3 and proc.stderr.count("\n") == 1
    assert proc.stderr.startswith(f"error: cannot open database {db}: file is not a database")
    assert db.read_text() == "my notes, not a database\n"
    assert server.request_count == 0
