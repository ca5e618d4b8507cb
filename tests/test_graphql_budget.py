"""Without a token: a crawl that needs more than GitHub's 60 requests an hour harvests arXiv,
then stops before the fetch with one line (exit 2). Also the API and endpoint settings."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from support.arxiv_server import ArxivServer, make_corpus
from support.github_server import GitHubServer
from support.graphql_world import TOKEN, survey_cli

from survey.core.errors import ConfigError
from survey.core.settings import load_settings

SINCE, UNTIL = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC)


@pytest.fixture
def servers():
    with ArxivServer(make_corpus(300, SINCE, UNTIL, seed=5)) as ax, GitHubServer() as gh:
        yield ax, gh


def test_without_a_token_a_big_fetch_stops_before_asking_github(servers, tmp_path) -> None:
    ax, gh = servers
    db = tmp_path / "survey.db"
    proc = survey_cli("crawl", "--since", "2024-01", "--until", "2024-02", "--no-progress",
                      env={"SURVEY_ARXIV_API_URL": ax.url, "SURVEY_ARXIV_DELAY": "0",
                           "SURVEY_DB": str(db), "GITHUB_API_URL": gh.api_url,
                           "SURVEY_GITHUB_RAW_URL": gh.raw_url})
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert lines[0].startswith("error: fetching ") and "set GITHUB_TOKEN" in lines[0]
    assert "without a token GitHub allows 60 an hour (60 left)" in lines[0]
    conn = sqlite3.connect(db)
    papers = conn.execute("SELECT COUNT(*) FROM papers").fetchone()[0]
    statuses = {r[0] for r in conn.execute("SELECT status FROM repos")}
    run = conn.execute("SELECT outcome FROM runs").fetchone()[0]
    conn.close()
    assert papers > 200 and statuses == {"pending"} and run == "failed"
    assert [s.path for s in gh.seen] == ["/api/rate_limit"]  # free; nothing fetched
    # With a token the same crawl goes on where it stopped: no paper asked twice.
    asked = ax.request_count
    proc = survey_cli("crawl", "--since", "2024-01", "--until", "2024-02", "--no-progress",
                      env={"SURVEY_ARXIV_API_URL": ax.url, "SURVEY_ARXIV_DELAY": "0",
                           "SURVEY_DB": str(db), "GITHUB_API_URL": gh.api_url,
                           "SURVEY_GITHUB_RAW_URL": gh.raw_url, "GITHUB_TOKEN": TOKEN})
    assert proc.returncode == 0, proc.stderr
    assert ax.request_count == asked
    points = gh.graphql.counts["points"]
    assert points >= 1
    # What the run really cost is recorded and shown by `survey status`.
    status = survey_cli("status", "--db", str(db), env={})
    assert status.returncode == 0, status.stderr
    flat = " ".join(status.stdout.split())
    assert f"GitHub graphql: 0 REST, {points} GraphQL points for" in flat, flat
    js = survey_cli("status", "--json", "--db", str(db), env={})
    cost = __import__("json").loads(js.stdout)["runs"][0]["cost"]
    assert cost["graphql_points"] == points and cost["graphql_remaining"] == 5000 - points


def test_graphql_without_a_token_is_refused_before_anything(tmp_path) -> None:
    proc = survey_cli("crawl", "--since", "2024", "--github-api", "graphql",
                      env={"SURVEY_DB": str(tmp_path / "s.db")})
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: --github-api graphql needs GITHUB_TOKEN (GitHub's GraphQL API has no anonymous"
        " access): set it, or use --github-api rest"]
    assert not (tmp_path / "s.db").exists()


def test_github_api_setting() -> None:
    assert load_settings(environ={}).github_api == "auto"
    assert load_settings(environ={"SURVEY_GITHUB_API": "REST"}).github_api == "rest"
    assert load_settings({"github_api": "rest"}, environ={"SURVEY_GITHUB_API": "auto"}
                         ).github_api == "rest"
    with pytest.raises(ConfigError, match="SURVEY_GITHUB_API.*expected one of rest, graphql"):
        load_settings(environ={"SURVEY_GITHUB_API": "soap"})
    with pytest.raises(ConfigError, match="--github-api"):
        load_settings({"github_api": "soap"}, environ={})


@pytest.mark.parametrize(("api", "graphql"), [
    ("https://api.github.com", "https://api.github.com/graphql"),
    ("https://ghe.example.org/api/v3", "https://ghe.example.org/api/graphql"),
    ("https://ghe.example.org/api/v3/", "https://ghe.example.org/api/graphql"),
    ("http://127.0.0.1:8080/api", "http://127.0.0.1:8080/api/graphql"),
])
def test_graphql_url_is_derived_from_the_rest_url(api, graphql) -> None:
    assert load_settings(environ={"GITHUB_API_URL": api}).graphql_url() == graphql


def test_graphql_url_can_be_set_and_is_checked() -> None:
    s = load_settings(environ={"SURVEY_GITHUB_GRAPHQL_URL": "http://127.0.0.1:1/gql"})
    assert s.graphql_url() == "http://127.0.0.1:1/gql"
    with pytest.raises(ConfigError, match="SURVEY_GITHUB_GRAPHQL_URL must be an http"):
        load_settings(environ={"SURVEY_GITHUB_GRAPHQL_URL": "ftp://x"})
