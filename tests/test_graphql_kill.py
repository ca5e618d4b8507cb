"""kill -9 in the middle of GraphQL batches, at random moments: nothing lost, nothing twice."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.github_server import GitHubServer, add_link
from support.graphql_world import TOKEN

from survey.core.db import open_write

ROOT = Path(__file__).resolve().parent.parent
N = 40
FILES = 5

_CHILD = """
import crawler.fetch_graphql as batched
from crawler.fetch import fetch_repositories
from crawler.http import RequestStats
from survey.core.db import open_write
from survey.core.settings import load_settings
batched.GROUP = 10  # several groups: kills land in queries, between them and in writes
conn = open_write({db!r})
print(fetch_repositories(conn, load_settings({{"http_backoff": 0.01}}), RequestStats()).as_dict())
"""


def child(gh: GitHubServer, db: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SURVEY_", "GITHUB_"))}
    env.update({"GITHUB_API_URL": gh.api_url, "SURVEY_GITHUB_RAW_URL": gh.raw_url,
                "GITHUB_TOKEN": TOKEN, "SURVEY_GITHUB_API": "graphql"})
    return subprocess.Popen([sys.executable, "-c", _CHILD.format(db=str(db))], env=env,
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def ok_repos(db: Path) -> set[str]:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return {r[0] for r in conn.execute("SELECT repo FROM repos WHERE status = 'ok'")}
    finally:
        conn.close()


def check_consistent(db: Path) -> set[str]:
    """Every committed repository whole, nothing of the others, the file sound."""
    conn = sqlite3.connect(db, timeout=30)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        done = {r[0] for r in conn.execute("SELECT repo FROM repos WHERE status = 'ok'")}
        for repo in done:
            n = conn.execute("SELECT COUNT(*) FROM repo_files f JOIN blobs b USING (sha)"
                             " WHERE f.repo = ?", (repo,)).fetchone()[0]
            assert n == FILES, repo
        assert conn.execute("SELECT COUNT(*) FROM repo_files WHERE repo NOT IN (SELECT repo"
                            " FROM repos WHERE status = 'ok')").fetchone()[0] == 0
        # Registration is one transaction: all rows or none.
        assert conn.execute("SELECT COUNT(*) FROM repos").fetchone()[0] in (0, N)
        return done
    finally:
        conn.close()


@pytest.mark.slow
def test_kill_9_during_graphql_batches_resumes_with_nothing_lost_or_twice(tmp_path) -> None:
    db = tmp_path / "survey.db"
    rng = random.Random(11)
    with GitHubServer() as gh:
        conn = open_write(db)
        for i in range(N):
            files = {f"pkg/m{j}.py": b"import torch # %d %d\n" % (i, j) for j in range(FILES - 1)}
            gh.model.add_repo(f"Acme/R{i:02d}", {**files, "requirements.txt": b"torch\n"})
            add_link(conn, f"2001.{i:05d}", f"github.com/acme/r{i:02d}")
        conn.commit()
        conn.close()
        gh.add_fault(r"^/api/graphql$", delay=0.12, kind="graphql", times=100_000)
        done: set[str] = set()
        kills = 0
        for _round in range(8):
            gh.graphql.asked.clear()
            target = gh.counts["graphql"] + rng.randint(1, 2)
            proc = child(gh, db)
            # Killed by progress, not by the clock: after one or two GraphQL queries of this
            # run have reached the server, at a random moment of the next query's answer (each
            # takes 0.12 s) or of the writes that follow.
            give_up = time.monotonic() + 60
            while (gh.counts["graphql"] < target and proc.poll() is None
                   and time.monotonic() < give_up):
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 0.2))
            if proc.poll() is not None:
                break
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
            kills += 1
            # Nothing finished before this run was asked about again.
            assert not {f"github.com/{a}" for a in gh.graphql.asked} & done
            now_done = check_consistent(db)
            assert done <= now_done
            done = now_done
        assert kills >= 3
        gh.graphql.asked.clear()
        proc = child(gh, db)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert not {f"github.com/{a}" for a in gh.graphql.asked} & done
        assert check_consistent(db) == {f"github.com/acme/r{i:02d}" for i in range(N)}
