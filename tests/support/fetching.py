"""What the fetch-stage tests share: files, a sentinel token, test-sized settings, a runner."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crawler.fetch import fetch_repositories
from crawler.http import RequestStats
from support.clock import NOW
from support.github_server import GitHubServer
from survey.core.clock import FixedClock
from survey.core.events import RecordedEvents
from survey.core.settings import Settings

TOKEN = "ghp_SENTINEL0123456789abcdefSENTINEL42"

FILES = {
    "train.py": b"import torch\n",
    "requirements.txt": b"torch>=1.8\nnumpy\n",
    "src/model.py": b"import torch.nn as nn\n",
    "docs/logo.png": b"\x89PNG....",
}


def fast(gh: GitHubServer, **kw: Any) -> Settings:
    """Settings pointing at the local server, with test-sized timeouts and backoff."""
    base: dict[str, Any] = dict(
        github_api_url=gh.api_url, github_raw_url=gh.raw_url, http_timeout=1.0,
        http_backoff=0.01, http_retries=2, github_secondary_wait=0.2, raw_refusal_wait=0.2,
        raw_workers=2,
        github_api="rest",  # these tests are of the REST client (GraphQL: test_graphql_*.py)
    )
    base.update(kw)
    return Settings(**base)


def repo_row(conn: Any, repo: str) -> dict[str, Any]:
    row = conn.execute("SELECT * FROM repos WHERE repo = ?", (repo,)).fetchone()
    assert row is not None, repo
    return dict(row)


def run(conn: Any, settings: Settings, *, now: datetime = NOW,
        events: RecordedEvents | None = None, **kw: Any) -> Any:
    return fetch_repositories(conn, settings, RequestStats(), clock=FixedClock(now),
                              events=RecordedEvents() if events is None else events, **kw)


def said(events: RecordedEvents) -> str:
    """Every message the stage sent to its events sink (what the CLI would print)."""
    return "\n".join(events.texts())
