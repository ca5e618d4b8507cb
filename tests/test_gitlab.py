"""gitlab.com projects through API v4, against a local server that answers like GitLab."""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from support.clock import NOW
from support.github_server import add_link
from support.gitlab_server import GitLabServer

from crawler.fetch import fetch_repositories
from crawler.gitlab import GitLabClient
from crawler.http import RequestStats
from survey.core.clock import FixedClock
from survey.core.settings import Settings


@pytest.fixture
def gl() -> Iterator[GitLabServer]:
    with GitLabServer() as server:
        yield server


def fast(gl: GitLabServer, **kw: Any) -> Settings:
    base: dict[str, Any] = dict(gitlab_api_url=gl.api_url, http_timeout=1.0, http_backoff=0.01,
                                http_retries=2, raw_workers=2, github_token="x")
    base.update(kw)
    return Settings(**base)


def run(conn: Any, settings: Settings, *, now: datetime = NOW, **kw: Any) -> Any:
    return fetch_repositories(conn, settings, RequestStats(), clock=FixedClock(now), **kw)


FILES = {"train.py": b"import mindspore\n", "requirements.txt": b"mindspore\n",
         "src/net/model.py": b"import mindspore.nn as nn\n", "README.md": b"# hi\n"}


def test_project_tree_and_files(gl: GitLabServer, conn) -> None:
    project = gl.add_project("Group/Sub/Tool", FILES, stars=5)
    add_link(conn, "2001.00001", "gitlab.com/group/sub/tool", kind="gitlab")
    summary = run(conn, fast(gl))
    assert summary.outcomes == {"ok": 1}
    row = dict(conn.execute("SELECT * FROM repos").fetchone())
    assert row["repo"] == "gitlab.com/group/sub/tool" and row["full_name"] == "Group/Sub/Tool"
    assert row["remote_id"] == str(project.id) and row["head_sha"] == project.commit
    assert row["stars"] == 5 and row["pushed_at"] == "2019-05-03T08:00:00Z"
    tree = {r[0] for r in conn.execute("SELECT path FROM tree_entries")}
    assert tree == {"train.py", "requirements.txt", "src", "src/net", "src/net/model.py",
                    "README.md"}
    got = {r[0]: zlib.decompress(r[1]) for r in conn.execute(
        "SELECT f.path, b.content FROM repo_files f JOIN blobs b ON b.sha = f.sha")}
    assert got == {k: v for k, v in FILES.items() if k != "README.md"}
    assert gl.counts["raw"] == 3


def test_tree_is_paginated_by_next_page(gl: GitLabServer, conn) -> None:
    files = {f"d{i // 50}/f{i}.txt": b"%d" % i for i in range(230)}
    gl.add_project("team/big", files)
    add_link(conn, "2001.00001", "gitlab.com/team/big", kind="gitlab")
    run(conn, fast(gl))
    assert gl.counts["tree_pages"] == 3  # 235 entries, 100 a page
    assert conn.execute("SELECT COUNT(*) FROM tree_entries").fetchone()[0] == 235


def test_tree_beyond_page_cap_is_truncated(gl: GitLabServer, conn) -> None:
    gl.add_project("team/big", {f"f{i}.py": b"%d" % i for i in range(250)})
    add_link(conn, "2001.00001", "gitlab.com/team/big", kind="gitlab")
    assert run(conn, fast(gl, max_tree_requests=2)).outcomes == {"truncated": 1}
    assert conn.execute("SELECT COUNT(*) FROM tree_entries").fetchone()[0] == 200


def test_missing_and_empty_projects(gl: GitLabServer, conn) -> None:
    gl.add_project("team/empty")
    add_link(conn, "2001.00001", "gitlab.com/team/empty", kind="gitlab")
    add_link(conn, "2001.00002", "gitlab.com/team/private", kind="gitlab")
    assert run(conn, fast(gl)).outcomes == {"empty": 1, "missing": 1}


def test_retry_after_on_429_is_honoured(gl: GitLabServer, conn) -> None:
    gl.add_project("team/tool", FILES)
    add_link(conn, "2001.00001", "gitlab.com/team/tool", kind="gitlab")
    gl.add_fault(r"/repository/tree", 429, headers={"Retry-After": "1"},
                 body={"message": "Retry later"})
    started = time.monotonic()
    assert run(conn, fast(gl)).outcomes == {"ok": 1}
    assert time.monotonic() - started >= 0.9


def test_raw_500_persistent_is_error(gl: GitLabServer, conn) -> None:
    gl.add_project("team/tool", FILES)
    add_link(conn, "2001.00001", "gitlab.com/team/tool", kind="gitlab")
    gl.add_fault(r"train\.py/raw", 500, times=100)
    assert run(conn, fast(gl)).outcomes == {"error": 1}
    gl.faults.clear()
    assert run(conn, fast(gl)).outcomes == {"ok": 1}


def test_oversized_file_is_cut_off_while_downloading(gl: GitLabServer, conn) -> None:
    gl.add_project("team/tool", {"train.py": b"x" * 5000, "model.py": b"import torch\n"})
    add_link(conn, "2001.00001", "gitlab.com/team/tool", kind="gitlab")
    run(conn, fast(gl, max_file_bytes=1000))
    assert {r[0] for r in conn.execute("SELECT path FROM repo_files")} == {"model.py"}


def test_refresh_with_etag_and_changed_head(gl: GitLabServer, conn) -> None:
    gl.add_project("team/tool", FILES)
    add_link(conn, "2001.00001", "gitlab.com/team/tool", kind="gitlab")
    run(conn, fast(gl))
    later = NOW + timedelta(days=40)
    gl.counts.clear()
    assert run(conn, fast(gl), mode="due", now=later).outcomes == {"unchanged": 1}
    assert gl.counts["not_modified"] == 1 and gl.counts["api"] == 1
    gl.push("team/tool", {"train.py": b"import torch\n"})
    gl.counts.clear()
    assert run(conn, fast(gl), mode="due", now=later + timedelta(days=40)).outcomes == {"ok": 1}
    assert gl.counts["raw"] == 1


def test_client_refuses_odd_paths(gl: GitLabServer) -> None:
    client = GitLabClient(fast(gl), RequestStats())
    try:
        assert client.lookup("group/../x").outcome == "missing"
        assert client.lookup("single").outcome == "missing"
        assert gl.counts["api"] == 0
    finally:
        client.close()


def test_renamed_project_is_stored_under_its_new_path(gl: GitLabServer, conn) -> None:
    gl.add_project("old-group/tool", FILES)
    gl.rename("old-group/tool", "new-group/Tool")
    add_link(conn, "2001.00001", "gitlab.com/old-group/tool", kind="gitlab")
    assert run(conn, fast(gl)).outcomes == {"ok": 1}
    assert [r[0] for r in conn.execute("SELECT repo FROM repos")] == ["gitlab.com/new-group/tool"]
    assert dict(conn.execute("SELECT alias, repo FROM repo_aliases").fetchall()) == {
        "gitlab.com/old-group/tool": "gitlab.com/new-group/tool"}


def test_project_answer_of_the_wrong_types_is_not_a_traceback(gl: GitLabServer, conn) -> None:
    """A default branch that is not a string is no branch (as on GitHub): nothing to fetch."""
    gl.add_project("team/tool", FILES, default_branch=7)
    add_link(conn, "2001.00001", "gitlab.com/team/tool", kind="gitlab")
    assert run(conn, fast(gl)).outcomes == {"empty": 1}


def test_project_answer_without_a_path_is_an_error(gl: GitLabServer, conn) -> None:
    """No ``path_with_namespace``: an error to retry, not a row named ``gitlab.com/none``."""
    gl.add_fault(r"^/api/v4/projects/team%2Ftool$", 200, times=5,
                 body={"id": 7, "path_with_namespace": None})
    add_link(conn, "2001.00001", "gitlab.com/team/tool", kind="gitlab")
    assert run(conn, fast(gl)).outcomes == {"error": 1}
    rows = conn.execute("SELECT repo, status, status_detail FROM repos").fetchall()
    assert [(r[0], r[1]) for r in rows] == [("gitlab.com/team/tool", "error")]
    assert "without id or path" in rows[0][2]
