"""`survey crawl` and `survey refresh` with -v, -q and --json, as a user runs them.

A real subprocess against the local arXiv and GitHub servers: one repository answers, one
fails (HTTP 422 every time), so the reason for a failed repository has something to say.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.arxiv_server import ArxivServer, Paper
from support.github_server import GitHubServer

ROOT = Path(__file__).resolve().parent.parent
TOKEN_WARNING = ("warning: GITHUB_TOKEN is not set: GitHub allows 60 requests an hour without a"
                 " token (5,000 with one)\n")


def paper(arxiv_id: str, day: int, repo: str) -> Paper:
    return Paper(arxiv_id, f"Paper {arxiv_id}", f"Our code is available at https://github.com/{repo}.",
                 datetime(2024, 1, day, 12, tzinfo=UTC), "cs.LG", ["cs.LG"])


@pytest.fixture
def servers():
    papers = [paper("2401.00001", 3, "acme/net"), paper("2401.00002", 4, "acme/broken")]
    with ArxivServer(papers) as arxiv, GitHubServer(limit=10**9, anonymous_limit=10**9) as gh:
        gh.model.add_repo("acme/net", {"train.py": b"import torch\n"})
        gh.add_fault(r"^/api/repos/acme/broken$", status=422, times=10**6, kind="api",
                     body={"message": "simulated refusal"})
        yield arxiv, gh


def env_for(arxiv: ArxivServer, gh: GitHubServer, db: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SURVEY_", "GITHUB_"))}
    env.update({"SURVEY_DB": str(db), "SURVEY_ARXIV_API_URL": arxiv.url,
                "SURVEY_ARXIV_DELAY": "0", "GITHUB_API_URL": gh.api_url,
                "SURVEY_GITHUB_RAW_URL": gh.raw_url, "SURVEY_CATEGORIES": "cs.LG", **extra})
    return env


def survey(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "survey.cli", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=300)


CRAWL = ("crawl", "--since", "2024-01", "--until", "2024-01", "--no-progress")


def test_verbose_says_why_each_repository_failed(servers, tmp_path: Path) -> None:
    arxiv, gh = servers
    plain = survey(*CRAWL, env=env_for(arxiv, gh, tmp_path / "a.db"))
    verbose = survey(*CRAWL, "-v", env=env_for(arxiv, gh, tmp_path / "b.db"))
    assert plain.returncode == verbose.returncode == 0, verbose.stderr
    reason = f"github.com/acme/broken: github: HTTP 422 for {gh.api_url}/repos/acme/broken"
    assert reason in verbose.stderr.splitlines()
    assert "acme/broken" not in plain.stderr
    for proc in (plain, verbose):
        assert "survey crawl: ok" in proc.stderr and proc.stdout == ""


def test_quiet_prints_only_warnings(servers, tmp_path: Path) -> None:
    arxiv, gh = servers
    proc = survey("-q", *CRAWL, env=env_for(arxiv, gh, tmp_path / "q.db"))
    assert proc.returncode == 0
    assert proc.stdout == "" and proc.stderr == TOKEN_WARNING
    # and the crawl did its work
    conn = sqlite3.connect(tmp_path / "q.db")
    assert conn.execute("SELECT COUNT(*) FROM repos WHERE status = 'ok'").fetchone()[0] == 1


def test_crawl_json_is_the_run_s_record_and_nothing_else(servers, tmp_path: Path) -> None:
    arxiv, gh = servers
    db = tmp_path / "j.db"
    proc = survey(*CRAWL, "--json", env=env_for(arxiv, gh, db))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["command"] == "crawl" and summary["outcome"] == "ok"
    assert summary["stages"]["harvest"]["papers_new"] == 2
    assert summary["stages"]["fetch"]["outcomes"] == {"ok": 1, "error": 1}
    assert summary["stages"]["classify"]["counts"]["pytorch"] == 1
    assert "survey crawl: ok" not in proc.stderr, "the table is replaced by the JSON"
    stored = json.loads(sqlite3.connect(db).execute(
        "SELECT summary FROM runs WHERE id = ?", (summary["run_id"],)).fetchone()[0])
    assert stored["stages"] == summary["stages"]
    quiet = survey(*CRAWL, "--json", "-q", env=env_for(arxiv, gh, tmp_path / "k.db"))
    assert json.loads(quiet.stdout)["outcome"] == "ok" and quiet.stderr == TOKEN_WARNING


def test_refresh_json_and_quiet(servers, tmp_path: Path) -> None:
    arxiv, gh = servers
    db = tmp_path / "r.db"
    extra = {"SURVEY_REPORT_BOOTSTRAP": "5", "GITHUB_TOKEN": "test-token-not-a-secret"}
    assert survey(*CRAWL, env=env_for(arxiv, gh, db, **extra)).returncode == 0
    out = tmp_path / "reports"
    proc = survey("refresh", "--no-progress", "--json", "--out", str(out),
                  env=env_for(arxiv, gh, db, **extra))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["command"] == "refresh" and summary["outcome"] == "ok"
    assert summary["since"].startswith("2024-01-2")  # the last window's end less the overlap
    assert sorted(Path(p).name for p in summary["pages"])[-1] == "index.html"
    assert all(Path(p).is_file() for p in summary["pages"])
    quiet = survey("refresh", "-q", "--out", str(out), env=env_for(arxiv, gh, db, **extra))
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout == "" and quiet.stderr == ""
    loud = survey("refresh", "--no-progress", "--out", str(out),
                  env=env_for(arxiv, gh, db, **extra))
    assert "survey refresh: ok" in loud.stderr
    assert [line.split()[0] for line in loud.stdout.splitlines()] == ["wrote", "wrote"]
