"""``survey crawl --dry-run``: the plan, read from free or cheap answers, changing nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.arxiv_server import ArxivServer, in_scope, make_corpus
from support.clock import NOW
from support.github_server import GitHubServer
from support.graphql_world import TOKEN, folder_bytes, survey_cli

from survey.core.clock import FixedClock
from survey.core.settings import Settings
from survey.jobs.plan import UNITS, plan_crawl

SINCE, UNTIL = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def corpus():
    return make_corpus(900, SINCE, UNTIL, seed=3)


@pytest.fixture
def servers(corpus):
    with ArxivServer(corpus) as ax, GitHubServer(limit=10**6, anonymous_limit=10**6) as gh:
        yield ax, gh


def env(ax: ArxivServer, gh: GitHubServer, db: Path, token: bool = True) -> dict[str, str]:
    out = {"SURVEY_ARXIV_API_URL": ax.url, "SURVEY_ARXIV_DELAY": "0", "SURVEY_DB": str(db),
           "GITHUB_API_URL": gh.api_url, "SURVEY_GITHUB_RAW_URL": gh.raw_url}
    if token:
        out["GITHUB_TOKEN"] = TOKEN
    return out


def test_dry_run_without_a_database_asks_one_count_and_creates_nothing(servers, tmp_path):
    ax, gh = servers
    db = tmp_path / "data" / "survey.db"
    proc = survey_cli("crawl", "--since", "2024-01", "--until", "2024-03", "--dry-run",
                      env=env(ax, gh, db))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("plan      survey crawl 2024-01-01 .. 2024-04-01")
    assert "windows   3 months: 3 todo" in lines
    assert any(line.startswith("arxiv     ~8") and "papers to harvest, ~3 requests" in line
               for line in lines), lines
    assert any(line.startswith("github    graphql: ~") and "GET /rate_limit (graphql)" in line
               for line in lines), lines
    assert not (tmp_path / "data").exists()
    assert ax.request_count == 1  # one max_results=1 count for the whole range
    assert [s.path for s in gh.seen] == ["/api/rate_limit"]  # free


def test_dry_run_on_a_database_changes_no_byte_of_it(servers, tmp_path):
    ax, gh = servers
    db = tmp_path / "data" / "survey.db"
    done = survey_cli("crawl", "--since", "2024-01", "--until", "2024-02", env=env(ax, gh, db))
    assert done.returncode == 0, done.stderr
    before = folder_bytes(db.parent)
    ax_before = ax.request_count
    proc = survey_cli("crawl", "--since", "2024-01", "--until", "2024-03", "--sample", "0.5",
                      "--dry-run", env=env(ax, gh, db))
    assert proc.returncode == 0, proc.stderr
    assert folder_bytes(db.parent) == before
    assert "windows   3 months: 2 complete, 1 todo" in proc.stdout
    assert "(sample 0.5 of the linked repositories)" in proc.stdout
    assert ax.request_count == ax_before + 1  # only the month still to do is counted


def test_plan_figures(servers, tmp_path):
    ax, gh = servers
    s = Settings(db=tmp_path / "none.db", arxiv_api_url=ax.url, arxiv_delay=0.0,
                 github_api_url=gh.api_url, github_token=TOKEN)
    plan = plan_crawl(s, since="2024-01", until="2024-03", clock=FixedClock(NOW))
    assert plan.papers_estimated == len(list(in_scope(ax.papers)))  # arXiv's own total
    assert plan.repos_due == 0 and plan.repos_new > 0
    assert plan.units == pytest.approx(plan.repos_new * UNITS[("graphql", "first")], abs=0.1)
    assert plan.budget_per_hour == 5000 and plan.budget_remaining == 5000
    assert json.loads(json.dumps(plan.to_json()))["github_api"] == "graphql"
    sampled = plan_crawl(s, since="2024-01", until="2024-03", sample=0.1,
                         clock=FixedClock(NOW))
    assert sampled.repos_new == pytest.approx(plan.repos_new * 0.1, abs=1)
    rest = plan_crawl(s.replace(github_token=None), since="2024-01", until="2024-03",
                      clock=FixedClock(NOW))
    assert rest.github_api == "rest" and rest.budget_per_hour == 10**6
    assert any("no GITHUB_TOKEN" in note for note in rest.notes)
