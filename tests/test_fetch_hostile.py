"""What the code hosts send that is not what it seems, bounded (issue 9 §4, §5).

Symbolic links and Git LFS pointers are not code; ``size: 0`` is not emptiness; one file whose
path the host refuses (414) does not fail its repository; a truncated tree walked folder by
folder stops at its entry and depth caps; a gzip answer that inflates without end stops at the
cap. Real HTTP against the local GitHub and GitLab stand-ins.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import pytest
from support.fetching import FILES, fast, repo_row, run
from support.github_server import GitHubServer, add_link
from support.gitlab_server import GitLabServer
from support.hostile import bomb_bytes

from survey.core.settings import Settings

LFS = (b"version https://git-lfs.github.com/spec/v1\n"
       b"oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
       b"size 12345\n")


@pytest.fixture
def gh() -> Iterator[GitHubServer]:
    with GitHubServer() as server:
        yield server


def stored_files(conn, repo: str) -> dict[str, bytes]:
    return {r[0]: zlib.decompress(r[1]) for r in conn.execute(
        "SELECT f.path, b.content FROM repo_files f JOIN blobs b ON b.sha = f.sha"
        " WHERE f.repo = ?", (repo,))}


def test_symbolic_links_are_tree_entries_never_code(gh: GitHubServer, conn) -> None:
    gh.model.add_repo("Acme/Net", FILES, symlinks={"model.py": "src/model.py",
                                                    "requirements-dev.txt": "requirements.txt"})
    add_link(conn, "2001.00001", "github.com/acme/net")
    assert run(conn, fast(gh)).outcomes == {"ok": 1}
    modes = dict(conn.execute("SELECT path, mode FROM tree_entries").fetchall())
    assert modes["model.py"] == "120000" and modes["train.py"] == "100644"
    assert set(stored_files(conn, "github.com/acme/net")) == {"train.py", "requirements.txt",
                                                              "src/model.py"}
    raw = [s.path for s in gh.seen if s.channel == "raw"]
    assert not any(p.endswith(("/model.py", "requirements-dev.txt")) and "/src/" not in p
                   for p in raw)


def test_git_lfs_pointers_are_not_stored_as_code(gh: GitHubServer, conn) -> None:
    gh.model.add_repo("Acme/Net", {**FILES, "weights/train_big.py": LFS, "setup.py": LFS})
    add_link(conn, "2001.00001", "github.com/acme/net")
    run(conn, fast(gh))
    files = stored_files(conn, "github.com/acme/net")
    assert "weights/train_big.py" not in files and "setup.py" not in files
    assert not any(b"git-lfs" in data for data in files.values())
    detail = repo_row(conn, "github.com/acme/net")["status_detail"]
    assert "Git LFS pointer" in detail


def test_size_zero_in_the_metadata_is_not_an_empty_repository(gh: GitHubServer, conn) -> None:
    gh.model.add_repo("Acme/Net", FILES, size_override=0)
    add_link(conn, "2001.00001", "github.com/acme/net")
    assert run(conn, fast(gh)).outcomes == {"ok": 1}
    assert len(stored_files(conn, "github.com/acme/net")) == 3


def test_one_file_answered_414_does_not_fail_its_repository(gh: GitHubServer, conn) -> None:
    long_name = "d/" + "x" * 2000 + ".py"
    gh.model.add_repo("Acme/Net", {**FILES, long_name: b"import torch  # long\n"})
    gh.add_fault(r"x{2000}\.py$", 414, times=100, channel="raw", body="URI Too Long")
    add_link(conn, "2001.00001", "github.com/acme/net")
    assert run(conn, fast(gh)).outcomes == {"ok": 1}
    row = repo_row(conn, "github.com/acme/net")
    assert row["status"] == "ok" and "HTTP 414" in row["status_detail"]
    assert len(stored_files(conn, "github.com/acme/net")) == 3
    assert len(row["status_detail"]) < 500  # the path is cut in the detail


def test_a_truncated_tree_walk_stops_at_the_entry_cap(gh: GitHubServer, conn) -> None:
    files = {f"d{i}/f{j}.txt": b"%d %d" % (i, j) for i in range(20) for j in range(30)}
    gh.model.add_repo("Acme/Huge", {**files, "train.py": b"import torch\n"}, truncated=True,
                      truncate_at=10)
    add_link(conn, "2001.00001", "github.com/acme/huge")
    assert run(conn, fast(gh, max_tree_entries=100)).outcomes == {"truncated": 1}
    assert conn.execute("SELECT COUNT(*) FROM tree_entries").fetchone()[0] == 100
    assert "entry cap" in repo_row(conn, "github.com/acme/huge")["status_detail"]
    walks = [s for s in gh.seen if "/git/trees/" in s.path and "recursive" not in s.path]
    assert len(walks) < 20  # stopped walking once the cap was reached


def test_a_truncated_tree_walk_stops_at_the_depth_cap(gh: GitHubServer, conn) -> None:
    deep = "/".join(f"l{i}" for i in range(40))
    gh.model.add_repo("Acme/Deep", {f"{deep}/x.py": b"x\n", "train.py": b"import torch\n"},
                      truncated=True, truncate_at=1)
    add_link(conn, "2001.00001", "github.com/acme/deep")
    assert run(conn, fast(gh, max_tree_depth=8, max_tree_requests=100)).outcomes == {
        "truncated": 1}
    depth = conn.execute("SELECT MAX(LENGTH(path) - LENGTH(REPLACE(path, '/', '')))"
                         " FROM tree_entries").fetchone()[0]
    assert depth < 8
    walks = [s for s in gh.seen if "/git/trees/" in s.path and "recursive" not in s.path]
    assert len(walks) <= 8


def test_a_gzip_bomb_from_the_api_is_refused_not_a_memory_error(gh: GitHubServer, conn) -> None:
    gh.model.add_repo("Acme/Net", FILES)
    gh.model.add_repo("Acme/Two", FILES)
    bomb = bomb_bytes(64 << 20)
    gh.add_fault(r"^/api/repos/acme/net$", 200, body=bomb, times=5, kind="api",
                 headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})
    add_link(conn, "2001.00001", "github.com/acme/net")
    add_link(conn, "2001.00002", "github.com/acme/two")
    summary = run(conn, fast(gh, max_answer_bytes=4_000_000))
    assert summary.outcomes == {"error": 1, "ok": 1}
    assert "over the 4,000,000-byte cap" in repo_row(conn, "github.com/acme/net")[
        "status_detail"]


def test_a_gzip_bomb_from_the_raw_host_skips_that_file(gh: GitHubServer, conn) -> None:
    gh.model.add_repo("Acme/Net", FILES)
    gh.add_fault(r"/train\.py$", 200, body=bomb_bytes(64 << 20), times=5, channel="raw",
                 headers={"Content-Encoding": "gzip"})
    add_link(conn, "2001.00001", "github.com/acme/net")
    assert run(conn, fast(gh)).outcomes == {"ok": 1}
    assert set(stored_files(conn, "github.com/acme/net")) == {"requirements.txt",
                                                             "src/model.py"}
    assert "over the file size cap" in repo_row(conn, "github.com/acme/net")["status_detail"]


def test_gitlab_symlinks_and_lfs_pointers_are_not_code(conn) -> None:
    with GitLabServer() as gl:
        project = gl.add_project("team/tool", {"train.py": b"import torch\n", "big.py": LFS})
        project.symlinks["link.py"] = "train.py"
        add_link(conn, "2001.00001", "gitlab.com/team/tool", kind="gitlab")
        settings = Settings(gitlab_api_url=gl.api_url, http_timeout=2.0, http_retries=1,
                            github_token="x")
        assert run(conn, settings).outcomes == {"ok": 1}
        raw = [s.path for s in gl.seen if "/raw" in s.path]
    modes = dict(conn.execute("SELECT path, mode FROM tree_entries").fetchall())
    assert modes["link.py"] == "120000"
    assert set(stored_files(conn, "gitlab.com/team/tool")) == {"train.py"}
    assert not any("link.py" in p for p in raw)
