"""The fetch stage as a whole: registration, order, idempotence, monthly refresh, kill -9."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.clock import NOW
from support.fetching import FILES, TOKEN, fast, repo_row, run
from support.github_server import GitHubServer, add_link

from crawler.fetch import fetch_repositories, select_work
from crawler.http import RequestStats
from survey.core.clock import FixedClock
from survey.core.db import open_write
from survey.core.errors import InputError
from survey.core.events import RecordedEvents

LATER = NOW + timedelta(days=45)


@pytest.fixture
def gh():
    with GitHubServer() as server:
        yield server


def test_registers_every_linked_repository_once(gh: GitHubServer, conn) -> None:
    gh.model.add_repo("Acme/Net", FILES)
    add_link(conn, "2001.00001", "github.com/acme/net")
    add_link(conn, "2001.00002", "github.com/acme/net", official=False)
    add_link(conn, "2001.00003", "huggingface.co/acme/model", kind="hf-model")
    add_link(conn, "2001.00004", "gitlab.example.org/team/tool", kind="gitlab")
    add_link(conn, "2001.00005", "bitbucket.org/team/tool", kind="bitbucket")
    summary = run(conn, fast(gh))
    assert summary.registered == 4
    statuses = dict(conn.execute("SELECT repo, status FROM repos").fetchall())
    assert statuses == {
        "github.com/acme/net": "ok",
        "huggingface.co/acme/model": "not_fetched",
        "gitlab.example.org/team/tool": "not_fetched",
        "bitbucket.org/team/tool": "not_fetched",
    }
    assert run(conn, fast(gh)).registered == 0


def test_official_links_first(gh: GitHubServer, conn) -> None:
    for i, official in enumerate([False, True, False, True]):
        gh.model.add_repo(f"Acme/R{i}", FILES)
        add_link(conn, f"2001.0000{i}", f"github.com/acme/r{i}", official=official)
    run(conn, fast(gh))
    order = [s.path for s in gh.seen if s.path.count("/") == 4 and s.kind == "api"]
    assert order == ["/api/repos/acme/r1", "/api/repos/acme/r3", "/api/repos/acme/r0",
                     "/api/repos/acme/r2"]


def test_second_pending_run_asks_nothing(gh: GitHubServer, conn) -> None:
    gh.model.add_repo("Acme/Net", FILES)
    add_link(conn, "2001.00001", "github.com/acme/net")
    run(conn, fast(gh))
    gh.reset_counts()
    summary = run(conn, fast(gh))
    assert summary.outcomes == {} and gh.counts["api"] == 0 and gh.counts["raw"] == 0


def test_unknown_mode_is_a_clear_error(gh: GitHubServer, conn) -> None:
    with pytest.raises(InputError, match="unknown fetch mode"):
        run(conn, fast(gh), mode="everything")


def _fetched(gh: GitHubServer, conn: Any, n: int = 3, **kw: Any) -> None:
    for i in range(n):
        gh.model.add_repo(f"Acme/R{i}", {**FILES, "extra.py": b"# %d\n" % i}, **kw)
        add_link(conn, f"2001.0000{i}", f"github.com/acme/r{i}")
    run(conn, fast(gh, github_token=TOKEN))
    gh.reset_counts()


def test_due_refresh_of_unchanged_repositories_costs_only_free_304s(gh: GitHubServer,
                                                                     conn) -> None:
    _fetched(gh, conn)
    summary = run(conn, fast(gh, github_token=TOKEN), mode="due", now=LATER)
    assert summary.outcomes == {"unchanged": 3}
    assert gh.counts["not_modified"] == 3 and gh.counts["charged"] == 0
    assert gh.counts["raw"] == 0
    assert all(s.if_none_match and s.if_none_match.startswith('W/"') for s in gh.seen)
    checked = {r[0] for r in conn.execute("SELECT checked_at FROM repos")}
    assert checked == {LATER.strftime("%Y-%m-%dT%H:%M:%SZ")}
    assert summary.not_modified == 3 and summary.charged == 0


def test_without_token_a_304_is_charged(gh: GitHubServer, conn) -> None:
    _fetched(gh, conn, n=1)
    summary = run(conn, fast(gh), mode="due", now=LATER)
    assert summary.outcomes == {"unchanged": 1}
    assert gh.counts["not_modified"] == 1 and gh.counts["charged"] == 1


def test_recently_checked_quiet_repositories_are_not_due(gh: GitHubServer, conn) -> None:
    _fetched(gh, conn, pushed_at="2019-01-01T00:00:00Z")
    summary = run(conn, fast(gh, github_token=TOKEN), mode="due",
                  now=NOW + timedelta(days=5))
    assert summary.outcomes == {} and gh.counts["api"] == 0


def test_quiet_repositories_are_due_at_every_monthly_run_even_after_short_months(
        gh: GitHubServer, conn) -> None:
    _fetched(gh, conn, pushed_at="2019-01-01T00:00:00Z")
    checked = NOW
    assert select_work(conn, "due", checked + timedelta(days=26)) == []
    for month_length in (28, 29, 30, 31):  # checked just after the last run started
        assert select_work(conn, "due", checked + timedelta(days=month_length, minutes=-5))


def test_active_repositories_are_due_every_run(gh: GitHubServer, conn) -> None:
    recent = (NOW - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    gh.model.add_repo("Acme/Busy", FILES, pushed_at=recent)
    gh.model.add_repo("Acme/Quiet", FILES, pushed_at="2019-01-01T00:00:00Z")
    add_link(conn, "2001.00001", "github.com/acme/busy")
    add_link(conn, "2001.00002", "github.com/acme/quiet")
    run(conn, fast(gh, github_token=TOKEN))
    work = select_work(conn, "due", NOW + timedelta(days=1))
    assert [w.repo for w in work] == ["github.com/acme/busy"]
    assert select_work(conn, "pending", NOW) == []


def test_changed_head_fetches_only_new_blobs(gh: GitHubServer, conn) -> None:
    _fetched(gh, conn, n=2)
    gh.model.push("Acme/R0", {"train.py": b"import jax\n", "new/model.py": b"import flax\n",
                              "extra.py": None})
    summary = run(conn, fast(gh, github_token=TOKEN), mode="due", now=LATER)
    assert summary.outcomes == {"ok": 1, "unchanged": 1}
    raw = sorted(s.path.split("/", 5)[-1] for s in gh.seen if s.kind == "raw")
    assert raw == ["new/model.py", "train.py"]
    # metadata (200, pushed_at changed) + head + tree for R0; a free 304 for R1
    assert gh.counts["charged"] == 3 and gh.counts["not_modified"] == 1
    files = dict(conn.execute(
        "SELECT path, sha FROM repo_files WHERE repo = 'github.com/acme/r0'").fetchall())
    assert set(files) == {"train.py", "new/model.py", "requirements.txt", "src/model.py"}
    tree = {r[0] for r in conn.execute(
        "SELECT path FROM tree_entries WHERE repo = 'github.com/acme/r0'")}
    assert "extra.py" not in tree and "new/model.py" in tree
    assert repo_row(conn, "github.com/acme/r0")["head_sha"] == gh.model.get("Acme/R0").head


def test_changed_metadata_same_head_fetches_no_tree(gh: GitHubServer, conn) -> None:
    _fetched(gh, conn, n=1)
    gh.model.get("Acme/R0").stars = 99
    summary = run(conn, fast(gh, github_token=TOKEN), mode="due", now=LATER)
    assert summary.outcomes == {"unchanged": 1}
    assert gh.counts["charged"] == 2  # metadata + head sha; no tree, no raw
    assert not any("/git/trees/" in s.path for s in gh.seen) and gh.counts["raw"] == 0
    assert repo_row(conn, "github.com/acme/r0")["stars"] == 99


def test_refresh_after_rename_keeps_one_row_and_alias(gh: GitHubServer, conn) -> None:
    _fetched(gh, conn, n=1)
    gh.model.rename("Acme/R0", "Lab/R0-renamed")
    summary = run(conn, fast(gh, github_token=TOKEN), mode="due", now=LATER)
    assert summary.outcomes == {"ok": 1}
    assert [r[0] for r in conn.execute("SELECT repo FROM repos")] == ["github.com/lab/r0-renamed"]
    assert dict(conn.execute("SELECT alias, repo FROM repo_aliases").fetchall()) == {
        "github.com/acme/r0": "github.com/lab/r0-renamed"}
    assert gh.counts["raw"] == 0  # every blob was already stored


def test_refresh_of_deleted_repository_keeps_its_data(gh: GitHubServer, conn) -> None:
    _fetched(gh, conn, n=1)
    gh.model.delete("Acme/R0")
    assert run(conn, fast(gh, github_token=TOKEN), mode="due", now=LATER).outcomes == {
        "missing": 1}
    assert repo_row(conn, "github.com/acme/r0")["status"] == "missing"
    assert conn.execute("SELECT COUNT(*) FROM repo_files").fetchone()[0] == 4


def test_failed_refresh_keeps_status_and_stays_due(gh: GitHubServer, conn) -> None:
    _fetched(gh, conn, n=1)
    before = repo_row(conn, "github.com/acme/r0")
    gh.add_fault(r"(?i)acme/r0", 503, times=100)
    assert run(conn, fast(gh, github_token=TOKEN), mode="due", now=LATER).outcomes == {
        "unreached": 1}
    assert repo_row(conn, "github.com/acme/r0") == before  # untouched
    gh.faults.clear()
    gh.add_fault(r"(?i)acme/r0/git/trees", 404, times=100)  # an answer: a failure of its own
    gh.model.push("Acme/R0", {"new.py": b"x = 2\n"})
    assert run(conn, fast(gh, github_token=TOKEN), mode="due", now=LATER).outcomes == {
        "error": 1}
    after = repo_row(conn, "github.com/acme/r0")
    assert after["status"] == "ok" and after["checked_at"] == before["checked_at"]
    assert "refresh failed" in after["status_detail"]
    assert [w.repo for w in select_work(conn, "due", LATER)] == ["github.com/acme/r0"]


def test_blob_shared_by_forks_is_stored_once(gh: GitHubServer, conn) -> None:
    gh.model.add_repo("Acme/Net", FILES)
    gh.model.add_repo("Fork/Net", FILES, fork=True)
    add_link(conn, "2001.00001", "github.com/acme/net")
    add_link(conn, "2001.00002", "github.com/fork/net")
    run(conn, fast(gh))
    assert conn.execute("SELECT COUNT(*) FROM blobs").fetchone()[0] == 3
    assert conn.execute("SELECT COUNT(*) FROM repo_files").fetchone()[0] == 6
    assert gh.counts["raw"] == 3
    assert repo_row(conn, "github.com/fork/net")["fork"] == 1


def test_repository_without_python_keeps_tree_and_other_code(gh: GitHubServer, conn) -> None:
    gh.model.add_repo("Acme/Lua", {"train.lua": b"require 'nn'\n", "models/net.prototxt":
                                   b"layer {}\n", "README.md": b"# readme\n"}, language="Lua")
    add_link(conn, "2001.00001", "github.com/acme/lua")
    run(conn, fast(gh))
    tree = {r[0] for r in conn.execute("SELECT path FROM tree_entries")}
    assert tree == {"train.lua", "models", "models/net.prototxt", "README.md"}
    roles = dict(conn.execute("SELECT path, role FROM repo_files").fetchall())
    assert roles == {"train.lua": "other", "models/net.prototxt": "other"}


def test_submodules_are_tree_entries(gh: GitHubServer, conn) -> None:
    gh.model.add_repo("Acme/Net", FILES, submodules={"ext/lib": "c" * 40})
    add_link(conn, "2001.00001", "github.com/acme/net")
    run(conn, fast(gh))
    row = conn.execute("SELECT type, sha FROM tree_entries WHERE path = 'ext/lib'").fetchone()
    assert tuple(row) == ("commit", "c" * 40)


_CHILD = """
import sys
sys.path.insert(0, {tests!r})
from crawler.fetch import fetch_repositories
from crawler.http import RequestStats
from survey.core.clock import FixedClock
from survey.core.db import open_write
from survey.core.settings import load_settings
from survey.core.events import RecordedEvents
settings = load_settings({{"http_backoff": 0.01, "raw_workers": 2, "github_api": "rest"}})
conn = open_write({db!r})
summary = fetch_repositories(conn, settings, RequestStats())
print(summary.as_dict())
"""


def _child(gh: GitHubServer, db: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "GITHUB_API_URL": gh.api_url, "SURVEY_GITHUB_RAW_URL": gh.raw_url,
           "GITHUB_TOKEN": TOKEN, "SURVEY_GITHUB_API": "rest"}  # GraphQL: test_graphql_kill.py
    code = _CHILD.format(tests=str(Path(__file__).parent), db=str(db))
    return subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_kill_9_resumes_with_nothing_lost_and_nothing_twice(gh: GitHubServer, db_path) -> None:
    n = 12
    conn = open_write(db_path)
    for i in range(n):
        files = {f"m{j}.py": b"# repo %d file %d\n" % (i, j) for j in range(4)}
        gh.model.add_repo(f"Acme/R{i:02d}", {**files, "requirements.txt": b"torch\n"})
        add_link(conn, f"2001.{i:05d}", f"github.com/acme/r{i:02d}")
    conn.close()
    gh.add_fault(r"^/raw/", delay=0.04, times=10_000)  # slow enough to kill mid-run

    child = _child(gh, db_path)
    watcher = sqlite3.connect(db_path, timeout=30)
    deadline = time.monotonic() + 30
    done = 0
    while time.monotonic() < deadline:
        done = watcher.execute("SELECT COUNT(*) FROM repos WHERE status = 'ok'").fetchone()[0]
        if done >= 3:
            break
        time.sleep(0.02)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    watcher.close()

    conn = open_write(db_path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finished = {r[0] for r in conn.execute("SELECT repo FROM repos WHERE status = 'ok'")}
    assert 3 <= len(finished) < n
    # Every committed repository is whole: 5 files each, blobs present.
    for repo in finished:
        count = conn.execute("SELECT COUNT(*) FROM repo_files f JOIN blobs b ON b.sha = f.sha"
                             " WHERE f.repo = ?", (repo,)).fetchone()[0]
        assert count == 5, repo
    # Nothing half-written: a repository without status ok has no rows.
    assert conn.execute("SELECT COUNT(*) FROM repo_files WHERE repo NOT IN"
                        " (SELECT repo FROM repos WHERE status = 'ok')").fetchone()[0] == 0
    conn.close()

    gh.reset_counts()
    child = _child(gh, db_path)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    asked = {s.path.split("/")[4] for s in gh.seen if s.kind == "api"}
    assert not asked & {r.split("/")[-1] for r in finished}  # nothing fetched twice
    conn = open_write(db_path)
    assert conn.execute("SELECT COUNT(*) FROM repos WHERE status = 'ok'").fetchone()[0] == n
    assert conn.execute("SELECT COUNT(*) FROM repo_files").fetchone()[0] == 5 * n
    # requirements.txt is shared by all: stored once
    assert conn.execute("SELECT COUNT(*) FROM blobs").fetchone()[0] == 4 * n + 1
    conn.close()


def test_progress_is_reported_to_the_events_sink(gh: GitHubServer, conn, capsys) -> None:
    gh.model.add_repo("Acme/Net", FILES)
    add_link(conn, "2001.00001", "github.com/acme/net")
    events = RecordedEvents()
    fetch_repositories(conn, fast(gh, github_token=TOKEN), RequestStats(), events=events)
    task = next(t for t in events.tasks.values() if t.description == "fetch repositories")
    assert task.total == 1 and task.completed == 1 and task.finished
    assert capsys.readouterr().err == ""  # the library itself prints nothing


def test_second_old_name_in_one_run_costs_one_request(gh: GitHubServer, conn) -> None:
    gh.model.add_repo("Acme/A", FILES)
    gh.model.rename("Acme/A", "Acme/B")
    gh.model.rename("Acme/B", "Acme/C")
    add_link(conn, "2001.00001", "github.com/acme/c")
    add_link(conn, "2001.00002", "github.com/acme/a")
    add_link(conn, "2001.00003", "github.com/acme/b")
    summary = run(conn, fast(gh))
    # acme/a is asked first (same first_seen, name order) and fetched as acme/c; acme/b then
    # only costs its lookup; acme/c itself is already done.
    assert summary.outcomes == {"ok": 1, "alias": 1}
    assert [r[0] for r in conn.execute("SELECT repo FROM repos")] == ["github.com/acme/c"]
    assert dict(conn.execute("SELECT alias, repo FROM repo_aliases").fetchall()) == {
        "github.com/acme/a": "github.com/acme/c", "github.com/acme/b": "github.com/acme/c"}
    # a 301 and the followed answer for each old name, head and tree once
    assert gh.counts["charged"] == 2 * 2 + 2 and gh.counts["raw"] == 3


def test_truncated_walk_spends_its_cap_on_own_code_before_vendored(gh: GitHubServer,
                                                                   conn) -> None:
    files = {f"third_party/lib{i}/x.py": b"v%d" % i for i in range(6)}
    files.update({f"src/m{i}/model.py": b"import torch # %d" % i for i in range(3)})
    gh.model.add_repo("Acme/Big", files, truncated=True, truncate_at=1)
    add_link(conn, "2001.00001", "github.com/acme/big")
    run(conn, fast(gh, max_tree_requests=5))  # root, src, src/m0..m2; third_party unwalked
    paths = {r[0] for r in conn.execute("SELECT path FROM repo_files")}
    assert {f"src/m{i}/model.py" for i in range(3)} <= paths
    assert not any(p.startswith("third_party/lib") for p in paths)


_RENAMES = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 5)), max_size=6)


@given(_RENAMES, st.lists(st.integers(0, 5), min_size=1, max_size=4))
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_renames_and_links_in_any_order_keep_one_row_per_repository(
        tmp_path_factory: pytest.TempPathFactory, renames: list[tuple[int, int]],
        months: list[int]) -> None:
    """Repositories renamed between monthly runs, linked under any of their names."""
    db = tmp_path_factory.mktemp("db") / "s.db"
    conn = open_write(db)
    with GitHubServer() as server:
        names = {i: f"Org/Repo{i}" for i in range(3)}
        for i in range(3):
            server.model.add_repo(names[i], {"train.py": b"import torch # %d\n" % i})
        used = set(names.values())
        linked: list[str] = []
        step = iter(renames)
        for month, count in enumerate(months):
            for i, suffix in [next(step, (None, None)) for _ in range(count)]:
                if i is None:
                    continue
                new = f"Org{suffix}/Repo{i}x{month}"
                if new in used:
                    continue
                server.model.rename(names[i], new)
                names[i] = new
                used.add(new)
            for i in range(3):
                name = f"github.com/{names[i].lower()}"
                if name not in linked:
                    add_link(conn, f"20{month:02d}.{len(linked):05d}", name)
                    linked.append(name)
            fetch_repositories(conn, fast(server), RequestStats(), mode="due",
                               clock=FixedClock(NOW + timedelta(days=31 * (month + 1))))
    rows = conn.execute("SELECT repo, remote_id, status FROM repos").fetchall()
    assert len(rows) == 3 and {r["status"] for r in rows} == {"ok"}
    assert {r["repo"] for r in rows} == {f"github.com/{n.lower()}" for n in names.values()}
    aliases = dict(conn.execute("SELECT alias, repo FROM repo_aliases").fetchall())
    current = {r["repo"] for r in rows}
    for name in linked:  # every name ever linked resolves to a current row
        assert name in current or aliases.get(name) in current, name
    assert not set(aliases) & current
    conn.close()
