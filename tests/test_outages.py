"""A service that is down stops `survey crawl` fast and cleanly (issue 9 §2).

`survey crawl` runs as a subprocess against the local arXiv stand-in while GitHub, its raw
host, GitLab or arXiv itself is down in one of the ways hosts go down: refused connections, a
host that accepts and never answers, one that drips a byte at a time, persistent 503s, a raw
host refusing every file. Each run must exit 4 with one line naming the service and the setting
that points at it, keep the papers already harvested, leave every repository `pending` (none
`error`), and stop after a handful of requests, counted on the server side. (The seconds it
takes with the default timeouts are measured by ``benchmarks/outage_stop.py``, not here.)
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.arxiv_server import ArxivServer, Paper, in_scope, make_corpus
from support.cli import rows, survey
from support.github_server import GitHubServer
from support.gitlab_server import GitLabServer
from support.hostile import closed_port, drip, silent

SINCE, UNTIL = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC)
ARGS = ("crawl", "--since", "2024-01", "--until", "2024-02", "--no-progress")
# Test-sized bounds: a request gives up after 2 s in all; three failures in a row stop the run.
FAST = {"SURVEY_ARXIV_DELAY": "0", "SURVEY_ARXIV_PAGE_SIZE": "200", "SURVEY_ARXIV_TIMEOUT": "1",
        "SURVEY_ARXIV_DEADLINE": "3", "SURVEY_HTTP_TIMEOUT": "0.5",
        "SURVEY_HTTP_DEADLINE": "2", "SURVEY_RAW_REFUSAL_WAIT": "0.2",
        "GITHUB_TOKEN": "test-token-not-a-secret",
        # The REST client's outages; GraphQL's (the default with a token) are tested below.
        "SURVEY_GITHUB_API": "rest"}


def gitlab_papers() -> list[Paper]:
    return [Paper(arxiv_id=f"2401.9{i:04d}", title=f"GitLab paper {i}",
                  abstract=f"Our code: https://gitlab.com/team{i}/tool{i}.",
                  published=datetime(2024, 1, 10 + i, tzinfo=UTC), primary="cs.LG",
                  categories=["cs.LG"]) for i in range(6)]


@pytest.fixture(scope="module")
def corpus() -> list[Paper]:
    return make_corpus(120, SINCE, UNTIL, seed=3) + gitlab_papers()


@pytest.fixture
def arxiv(corpus: list[Paper]) -> Iterator[ArxivServer]:
    with ArxivServer(corpus) as srv:
        yield srv


@pytest.fixture
def gitlab() -> Iterator[GitLabServer]:
    with GitLabServer() as srv:
        for i in range(6):
            srv.add_project(f"team{i}/tool{i}", {"train.py": b"import torch\n"})
        yield srv


@pytest.fixture
def github(corpus: list[Paper]) -> Iterator[GitHubServer]:
    """Every GitHub repository the corpus links, with a file to download."""
    with GitHubServer(limit=10**6, anonymous_limit=10**6) as srv:
        for repo in linked(corpus, "github.com"):
            srv.model.add_repo(repo, {"train.py": b"import torch\n", "model.py": b"x = 1\n"})
        yield srv


def linked(corpus: list[Paper], host: str) -> list[str]:
    import re

    out = []
    for p in in_scope(corpus):
        for text in (p.abstract, p.comment or ""):
            out += [m for m in re.findall(rf"https://{host}/([\w.-]+/[\w.-]+)", text)]
    return sorted({m.rstrip(".") for m in out})


def env_for(db: Path, arxiv: ArxivServer, *, github_api: str, raw: str, gitlab: str,
            **extra: str) -> dict[str, str]:
    return {"SURVEY_DB": str(db), "SURVEY_ARXIV_API_URL": arxiv.url, "GITHUB_API_URL": github_api,
            "SURVEY_GITHUB_RAW_URL": raw, "SURVEY_GITLAB_API_URL": gitlab, **FAST, **extra}


def assert_stopped_cleanly(proc, db: Path, corpus: list[Paper], *, setting: str, url: str,
                           service: str) -> str:
    """Exit 4, one line naming the service and its setting, papers kept, nothing failed."""
    assert proc.returncode == 4, proc.stderr
    line = proc.stderr
    assert line.count("\n") == 1 and "Traceback" not in line, line
    assert line.startswith(f"error: {service} is not answering ("), line
    assert f"check {setting}={url}" in line, line
    papers = {r[0] for r in rows(db, "SELECT arxiv_id FROM papers")}
    assert papers == {p.arxiv_id for p in in_scope(corpus)}, "the harvest is kept"
    statuses = dict(rows(db, "SELECT status, COUNT(*) FROM repos GROUP BY status"))
    assert "error" not in statuses, statuses
    assert rows(db, "SELECT COUNT(*) FROM repos WHERE status_detail IS NOT NULL") == [(0,)]
    last = rows(db, "SELECT outcome, summary FROM runs ORDER BY id DESC LIMIT 1")[0]
    assert last[0] == "failed" and f"{service} is not answering" in last[1]
    return line


@pytest.mark.slow
def test_github_refusing_connections_stops_the_crawl(tmp_path, arxiv, gitlab, corpus) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    db = tmp_path / "s.db"
    proc = survey(*ARGS, env=env_for(db, arxiv, github_api=url, raw=url,
                                     gitlab=gitlab.api_url))
    assert_stopped_cleanly(proc, db, corpus, setting="GITHUB_API_URL", url=url,
                           service="github")
    assert rows(db, "SELECT COUNT(*) FROM repos WHERE status = 'pending'")[0][0] >= 30


@pytest.mark.slow
def test_github_accepting_and_never_answering_stops_the_crawl(tmp_path, arxiv, gitlab,
                                                              corpus) -> None:
    db = tmp_path / "s.db"
    with silent() as host:
        proc = survey(*ARGS, env=env_for(db, arxiv, github_api=host.url, raw=host.url,
                                         gitlab=gitlab.api_url))
        # three requests, each asked once more by urllib3 after its read timeout
        assert host.connections <= 6
    assert_stopped_cleanly(proc, db, corpus, setting="GITHUB_API_URL", url=host.url,
                           service="github")


@pytest.mark.slow
def test_github_dripping_its_headers_stops_at_the_deadline(tmp_path, arxiv, gitlab,
                                                           corpus) -> None:
    head = b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 10_000 + b"\r\n\r\n"
    db = tmp_path / "s.db"
    with drip(head, every=0.2, in_headers=True) as host:
        proc = survey(*ARGS, env=env_for(db, arxiv, github_api=host.url, raw=host.url,
                                         gitlab=gitlab.api_url))
        assert host.connections <= 6
    assert_stopped_cleanly(proc, db, corpus, setting="GITHUB_API_URL", url=host.url,
                           service="github")


@pytest.mark.slow
def test_github_answering_503_to_everything_stops_the_crawl(tmp_path, arxiv, gitlab, github,
                                                            corpus) -> None:
    github.add_fault(r"^/api/", 503, times=10**6, body="<html>unicorn</html>")
    db = tmp_path / "s.db"
    proc = survey(*ARGS, env=env_for(db, arxiv, github_api=github.api_url, raw=github.raw_url,
                                     gitlab=gitlab.api_url))
    assert_stopped_cleanly(proc, db, corpus, setting="GITHUB_API_URL", url=github.api_url,
                           service="github")
    assert "HTTP 503" in proc.stderr
    assert github.counts["faults"] <= 3 * 6  # three requests and their urllib3 retries


@pytest.mark.slow
def test_the_raw_host_down_stops_the_crawl(tmp_path, arxiv, gitlab, github, corpus) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    db = tmp_path / "s.db"
    proc = survey(*ARGS, env=env_for(db, arxiv, github_api=github.api_url, raw=url,
                                     gitlab=gitlab.api_url))
    assert_stopped_cleanly(proc, db, corpus, setting="SURVEY_GITHUB_RAW_URL", url=url,
                           service="github-raw")
    # the repository being downloaded when the raw host was found down is still pending
    assert rows(db, "SELECT COUNT(*) FROM repos WHERE status = 'ok'") == [(0,)]


@pytest.mark.slow
def test_a_raw_host_refusing_every_file_is_an_outage_after_a_few(tmp_path, arxiv, gitlab,
                                                                 github, corpus) -> None:
    github.add_fault(r"^/raw/", 403, times=10**6, channel="raw", body="Forbidden")
    db = tmp_path / "s.db"
    proc = survey(*ARGS, env=env_for(db, arxiv, github_api=github.api_url, raw=github.raw_url,
                                     gitlab=gitlab.api_url))
    assert_stopped_cleanly(proc, db, corpus, setting="SURVEY_GITHUB_RAW_URL",
                           url=github.raw_url, service="github-raw")
    assert "HTTP 403 for every file" in proc.stderr
    # a few files, each waited on once (github_secondary_wait is bounded per file, not doubled)
    refused = [s for s in github.seen if s.channel == "raw"]
    assert 3 <= len(refused) <= 2 * 3 + 2 * 4


@pytest.mark.slow
def test_gitlab_down_stops_the_crawl(tmp_path, arxiv, github, corpus) -> None:
    url = f"http://127.0.0.1:{closed_port()}/api/v4"
    db = tmp_path / "s.db"
    proc = survey(*ARGS, env=env_for(db, arxiv, github_api=github.api_url, raw=github.raw_url,
                                     gitlab=url))
    assert_stopped_cleanly(proc, db, corpus, setting="SURVEY_GITLAB_API_URL", url=url,
                           service="gitlab")
    gitlab_rows = rows(db, "SELECT status FROM repos WHERE host = 'gitlab.com'")
    assert gitlab_rows and {r[0] for r in gitlab_rows} == {"pending"}


@pytest.mark.slow
def test_arxiv_never_answering_stops_the_crawl_and_keeps_the_database(tmp_path, github,
                                                                      gitlab) -> None:
    db = tmp_path / "s.db"
    with silent() as host:
        env = {"SURVEY_DB": str(db), "SURVEY_ARXIV_API_URL": host.url + "/api/query",
               "GITHUB_API_URL": github.api_url, "SURVEY_GITHUB_RAW_URL": github.raw_url,
               "SURVEY_GITLAB_API_URL": gitlab.api_url, **FAST}
        proc = survey(*ARGS, env=env)
        assert host.connections <= 6
    assert proc.returncode == 4 and proc.stderr.count("\n") == 1
    assert proc.stderr.startswith("error: arxiv is not answering (no ")
    assert f"check SURVEY_ARXIV_API_URL={host.url}/api/query" in proc.stderr
    assert rows(db, "SELECT COUNT(*) FROM harvest_windows") == [(0,)]


@pytest.mark.slow
def test_github_graphql_refusing_connections_stops_the_crawl(tmp_path, arxiv, gitlab,
                                                             corpus) -> None:
    """With a token GitHub is asked through GraphQL: one batch is one request, asked again
    until the run's health sees GitHub down, and nothing is marked failed."""
    url = f"http://127.0.0.1:{closed_port()}"
    db = tmp_path / "s.db"
    proc = survey(*ARGS, env=env_for(db, arxiv, github_api=url, raw=url, gitlab=gitlab.api_url,
                                     SURVEY_GITHUB_API="auto"))
    assert_stopped_cleanly(proc, db, corpus, setting="SURVEY_GITHUB_GRAPHQL_URL",
                           url=f"{url}/graphql", service="github-graphql")
    assert rows(db, "SELECT COUNT(*) FROM repos WHERE status = 'pending'")[0][0] >= 30


@pytest.mark.slow
def test_github_graphql_answering_503_stops_the_crawl(tmp_path, arxiv, gitlab, github,
                                                      corpus) -> None:
    github.add_fault(r"^/api/graphql", 503, times=10**6, body="<html>unicorn</html>")
    db = tmp_path / "s.db"
    proc = survey(*ARGS, env=env_for(db, arxiv, github_api=github.api_url, raw=github.raw_url,
                                     gitlab=gitlab.api_url, SURVEY_GITHUB_API="graphql"))
    assert_stopped_cleanly(proc, db, corpus, setting="SURVEY_GITHUB_GRAPHQL_URL",
                           url=f"{github.api_url}/graphql", service="github-graphql")
    assert "HTTP 503" in proc.stderr

