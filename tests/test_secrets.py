"""GITHUB_TOKEN never reaches what is stored or printed, and a token no header can carry is a
one-line configuration error before any request (issue 9 §6). `survey` runs as a subprocess
against the local arXiv and GitHub stand-ins."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.arxiv_server import ArxivServer, Paper
from support.cli import rows, survey
from support.github_server import GitHubServer

TOKEN = "ghp_SENTINELsecret0123456789abcdefXYZ42"
ARGS = ("crawl", "--since", "2024-01", "--until", "2024-01", "--no-progress")


def papers() -> list[Paper]:
    names = ["acme/ok", "acme/taken", "acme/gone", "acme/busy"]
    return [Paper(arxiv_id=f"2401.{i:05d}", title=f"Paper {i}",
                  abstract=f"Our code is at https://github.com/{name}.",
                  published=datetime(2024, 1, 5 + i, tzinfo=UTC), primary="cs.LG",
                  categories=["cs.LG"]) for i, name in enumerate(names)]


@pytest.fixture
def servers() -> Iterator[tuple[ArxivServer, GitHubServer]]:
    with ArxivServer(papers()) as ax, GitHubServer(token=TOKEN) as gh:
        gh.model.add_repo("Acme/Ok", {"train.py": b"import torch\n"})
        gh.model.add_repo("Acme/Taken", {"train.py": b"import torch\n"})
        gh.model.block("Acme/Taken", "tos")
        # A block reason that echoes the request's Authorization header (issue 9 §6).
        gh.model.get("Acme/Taken").block_reason = f"request had Authorization: Bearer {TOKEN}"
        gh.model.add_repo("Acme/Busy", {"train.py": b"import jax\n"})
        gh.add_fault(r"acme/busy", 422, times=100,
                     body={"message": f"echo token {TOKEN}", "documentation_url": TOKEN})
        yield ax, gh


def env(ax: ArxivServer, gh: GitHubServer, db: Path, token: str = TOKEN) -> dict[str, str]:
    return {"SURVEY_DB": str(db), "SURVEY_ARXIV_API_URL": ax.url, "SURVEY_ARXIV_DELAY": "0",
            "GITHUB_API_URL": gh.api_url, "SURVEY_GITHUB_RAW_URL": gh.raw_url,
            "GITHUB_TOKEN": token, "SURVEY_HTTP_TIMEOUT": "2"}


@pytest.mark.slow
def test_the_token_is_in_no_output_no_row_and_no_file(tmp_path, servers) -> None:
    ax, gh = servers
    db = tmp_path / "data" / "s.db"
    crawl = survey(*ARGS, env=env(ax, gh, db))
    assert crawl.returncode == 0, crawl.stderr
    statuses = dict(rows(db, "SELECT repo, status FROM repos"))
    assert statuses["github.com/acme/taken"] == "blocked" and statuses["github.com/acme/ok"] == "ok"
    detail = rows(db, "SELECT status_detail FROM repos WHERE repo = ?", "github.com/acme/taken")
    assert "Authorization: Bearer ***" in detail[0][0]
    outputs = [crawl.stdout, crawl.stderr]
    for args in (["status"], ["status", "--json"], ["export", "--format", "json"],
                 ["export", "--all-links"]):
        shown = survey(*args, "--db", str(db), env={"GITHUB_TOKEN": TOKEN})
        assert shown.returncode == 0, shown.stderr
        outputs += [shown.stdout, shown.stderr]
    assert all(TOKEN not in text for text in outputs)
    evidence = rows(db, "SELECT evidence FROM classifications")
    assert evidence and all(TOKEN not in str(e) for e in evidence)
    assert all(s.authorization == f"Bearer {TOKEN}" for s in gh.seen if s.channel == "api")
    for path in db.parent.iterdir():  # the database, its WAL and the lock file
        assert TOKEN.encode() not in path.read_bytes(), path


@pytest.mark.parametrize("token", ["ghp_abc\ndef", "tök€n-ghp_0123456789", "abc\r\nX-Evil: 1"],
                         ids=["newline", "non-latin-1", "header-injection"])
def test_a_token_no_header_can_carry_is_exit_2_before_any_request(tmp_path, servers,
                                                                  token: str) -> None:
    ax, gh = servers
    proc = survey(*ARGS, env=env(ax, gh, tmp_path / "s.db", token=token))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: GITHUB_TOKEN holds characters an HTTP header cannot")
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert token not in proc.stderr and "ghp_" not in proc.stderr
    assert ax.request_count == 0 and not gh.seen
