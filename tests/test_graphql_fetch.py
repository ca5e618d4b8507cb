"""The fetch stage through GitHub's GraphQL API, against the local stand-in (real HTTP, real
query execution): same rows and labels as REST, cost, every fault, the refresh."""

from __future__ import annotations

import sqlite3
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from support.clock import NOW
from support.github_server import GitHubServer, add_link
from support.graphql_world import TOKEN, settings, stored, varied_world

from analysis.stored import classify_stored
from crawler.fetch import fetch_repositories
from crawler.github_graphql import GitHubGraphQL
from crawler.graphql_query import Ask
from crawler.http import RequestStats
from survey.core.clock import FixedClock
from survey.core.db import open_write
from survey.core.errors import ServiceUnavailable
from survey.core.events import RecordedEvents
from survey.core.settings import Settings

LATER = NOW + timedelta(days=40)
BIG_FILES = {"max_file_bytes": 700_000, "max_repo_bytes": 10_000_000}


@pytest.fixture
def gh():
    with GitHubServer() as server:
        yield server


def run(conn: Any, s: Settings, *, now: Any = NOW, events: RecordedEvents | None = None,
        **kw: Any) -> Any:
    return fetch_repositories(conn, s, RequestStats(), clock=FixedClock(now),
                              events=events or RecordedEvents(), **kw)


def labels(conn: sqlite3.Connection) -> dict[str, str]:
    classify_stored(conn, clock=FixedClock(NOW))
    return {r[0]: r[1] for r in conn.execute("SELECT repo, framework FROM classifications")}


def test_rest_and_graphql_store_the_same_rows_and_give_the_same_labels(gh, tmp_path) -> None:
    results = {}
    for api in ("rest", "graphql"):
        conn = open_write(tmp_path / f"{api}.db")
        if api == "rest":
            varied_world(gh, conn)
        else:  # the same papers' links, the same world
            for row in sqlite3.connect(tmp_path / "rest.db").execute(
                    "SELECT arxiv_id, repo, official FROM links ORDER BY arxiv_id"):
                add_link(conn, row[0], row[1], official=bool(row[2]))
            conn.commit()
        gh.reset_counts()
        summary = run(conn, settings(gh, api, **BIG_FILES))
        results[api] = (stored(conn), labels(conn), summary, dict(gh.counts))
        conn.close()
    rest, graphql = results["rest"], results["graphql"]
    # GraphQL has no default branch for an empty repository (defaultBranchRef is null), REST
    # names one: the only column that differs.
    for repo, row in rest[0]["repos"].items():
        if row[0] == "empty":
            assert graphql[0]["repos"][repo][3] is None
            graphql[0]["repos"][repo] = row
    assert graphql[0]["repos"] == rest[0]["repos"]
    assert graphql[0]["aliases"] == rest[0]["aliases"]
    assert graphql[0]["tree"] == rest[0]["tree"]
    assert graphql[0]["files"] == rest[0]["files"]
    assert graphql[0]["blobs"] == rest[0]["blobs"]
    assert graphql[1] == rest[1] and len(rest[1]) >= 15
    assert graphql[2].outcomes == rest[2].outcomes
    statuses = {v[0] for v in rest[0]["repos"].values()}
    assert {"ok", "empty", "missing", "blocked"} <= statuses
    # GraphQL: a few points and REST only for the blocked repositories (asked once each).
    counts = graphql[3]
    assert gh.graphql.counts["points"] == graphql[2].graphql["points"] <= 6
    assert counts["charged"] == 2
    # Only the file GitHub cut at 512,000 bytes came from the raw host.
    assert counts.get("raw", 0) == 1 < rest[3]["raw"]


def test_first_fetch_costs_a_fraction_of_a_point_per_repository(gh, conn) -> None:
    for i in range(60):
        files = {f"pkg/m{j}.py": b"import torch # %d %d\n" % (i, j) for j in range(10)}
        gh.model.add_repo(f"Acme/R{i}", {**files, "requirements.txt": b"torch\n"})
        add_link(conn, f"2001.{i:05d}", f"github.com/acme/r{i}")
    conn.commit()
    summary = run(conn, settings(gh, "graphql"))
    assert summary.outcomes == {"ok": 60}
    assert gh.counts["charged"] == 0 and gh.counts.get("raw", 0) == 0
    assert gh.graphql.counts["points"] <= 0.3 * 60
    assert set(gh.graphql.costs) == {1}  # every query cost one point, as asked
    assert summary.graphql["remaining"] == 5000 - gh.graphql.counts["points"]
    assert conn.execute("SELECT COUNT(*) FROM repo_files").fetchone()[0] == 60 * 11


def test_not_found_alias_is_missing_and_the_rest_of_the_batch_is_kept(gh, conn) -> None:
    gh.model.add_repo("Acme/A", {"a.py": b"import torch\n"})
    gh.model.add_repo("Acme/B", {"b.py": b"import jax\n"})
    for i, name in enumerate(["acme/a", "gone/x", "acme/b"]):
        add_link(conn, f"2001.{i:05d}", f"github.com/{name}")
    conn.commit()
    summary = run(conn, settings(gh, "graphql"))
    assert summary.outcomes == {"ok": 2, "missing": 1}
    assert gh.graphql.counts["queries"] == 2  # one batch, one text query; no REST at all
    assert gh.counts["charged"] == 0
    status = dict(conn.execute("SELECT repo, status_detail FROM repos WHERE status = 'missing'"))
    assert status == {"github.com/gone/x": "GraphQL NOT_FOUND"}


def test_blocked_repository_is_asked_once_over_rest(gh, conn) -> None:
    gh.model.add_repo("Dm/Ca", {"x.py": b"import torch\n"})
    gh.model.block("Dm/Ca", "tos")
    add_link(conn, "2001.00001", "github.com/dm/ca")
    conn.commit()
    summary = run(conn, settings(gh, "graphql"))
    assert summary.outcomes == {"blocked": 1}
    rest = [s for s in gh.seen if s.kind == "api"]
    assert [(s.path, s.status) for s in rest] == [("/api/repos/dm/ca", 403)]
    assert "blocked" in conn.execute("SELECT status_detail FROM repos").fetchone()[0]


def test_renamed_repository_is_one_row_under_its_new_name(gh, conn) -> None:
    gh.model.add_repo("New/Name", {"net.py": b"import torch\n"})
    gh.model.rename("New/Name", "Old/Name")
    gh.model.rename("Old/Name", "New/Name")
    add_link(conn, "2001.00001", "github.com/old/name")
    add_link(conn, "2001.00002", "github.com/new/name")
    conn.commit()
    summary = run(conn, settings(gh, "graphql"))
    assert summary.outcomes == {"ok": 1, "alias": 1}
    assert [tuple(r) for r in conn.execute("SELECT repo, remote_id FROM repos")] == [
        ("github.com/new/name", str(gh.model.get("New/Name").id))]
    assert [tuple(r) for r in conn.execute("SELECT * FROM repo_aliases")] == [
        ("github.com/old/name", "github.com/new/name")]


def test_a_batch_cut_with_502_is_split_and_every_repository_fetched(gh, conn) -> None:
    for i in range(40):
        gh.model.add_repo(f"Acme/R{i}", {f"m{j}.py": b"import torch\n" * (j + 1)
                                         for j in range(20)})
        add_link(conn, f"2001.{i:05d}", f"github.com/acme/r{i}")
    conn.commit()
    gh.graphql.work_limit = 300  # about 15 repositories' trees fit in one answer in time
    s = settings(gh, "graphql")
    summary = run(conn, s)
    assert summary.outcomes == {"ok": 40}
    assert gh.graphql.counts["timeouts"] >= 1
    assert summary.graphql["timeouts"] == gh.graphql.counts["timeouts"]
    # The timeouts were charged, and counted by the client as GitHub counts them.
    assert summary.graphql["points"] + summary.graphql["timeouts"] == gh.graphql.counts[
        "points"]
    assert conn.execute("SELECT COUNT(*) FROM repo_files").fetchone()[0] == 40 * 20


def test_a_tree_too_big_for_one_answer_comes_from_rest(gh, conn) -> None:
    files = {f"data/f{j:04d}.py": b"import torch\n" for j in range(400)}
    gh.model.add_repo("Huge/Tree", files)
    gh.model.add_repo("Small/One", {"a.py": b"import jax\n"})
    add_link(conn, "2001.00001", "github.com/huge/tree")
    add_link(conn, "2001.00002", "github.com/small/one")
    conn.commit()
    gh.graphql.work_limit = 200
    summary = run(conn, settings(gh, "graphql"))
    assert summary.outcomes == {"ok": 2}
    rest = [s.path for s in gh.seen if s.kind == "api"]
    assert rest == [f"/api/repos/Huge/Tree/git/trees/{gh.model.get('Huge/Tree').head}"
                    "?recursive=1"]
    assert conn.execute("SELECT COUNT(*) FROM tree_entries WHERE repo = 'github.com/huge/tree'"
                        ).fetchone()[0] == 401


def test_secondary_rate_limit_403_waits_and_goes_on(gh, conn) -> None:
    gh.model.add_repo("Acme/A", {"a.py": b"import torch\n"})
    add_link(conn, "2001.00001", "github.com/acme/a")
    conn.commit()
    gh.add_fault(r"^/api/graphql$", 403, kind="graphql", headers={"retry-after": "1"},
                 body={"message": "You have exceeded a secondary rate limit. Please wait a few"
                                  " minutes before you try again."})
    events = RecordedEvents()
    started = time.monotonic()
    summary = run(conn, settings(gh, "graphql"), events=events)
    assert summary.outcomes == {"ok": 1}
    assert time.monotonic() - started >= 1.0
    assert "secondary rate limit" in "\n".join(events.texts())


def test_rate_limited_in_a_200_answer_waits_for_the_reset(gh, conn) -> None:
    gh.model.add_repo("Acme/A", {"a.py": b"import torch\n"})
    add_link(conn, "2001.00001", "github.com/acme/a")
    conn.commit()
    gh.graphql.exhaust(reset_in=2)
    events = RecordedEvents()
    summary = run(conn, settings(gh, "graphql"), events=events)
    assert summary.outcomes == {"ok": 1}
    assert gh.graphql.counts["rate_limited"] == 1 and summary.graphql["rate_limited"] == 1
    assert "points spent: waiting" in "\n".join(events.texts())


def test_rate_limited_beyond_max_backoff_stops_the_run_keeping_what_is_stored(gh, conn) -> None:
    from survey.core.errors import RateLimitError

    gh.model.add_repo("Acme/A", {"a.py": b"import torch\n"})
    add_link(conn, "2001.00001", "github.com/acme/a")
    conn.commit()
    gh.graphql.exhaust(reset_in=600)
    with pytest.raises(RateLimitError, match="would have to wait"):
        run(conn, settings(gh, "graphql", max_backoff=5))
    assert conn.execute("SELECT status FROM repos").fetchone()[0] == "pending"


def test_text_cut_at_512000_bytes_comes_from_the_raw_host(gh, conn) -> None:
    big = b"import torch\n" + b"x = 1  # filler to pass GitHub's text limit\n" * 13_000
    gh.model.add_repo("Big/Text", {"train.py": big, "requirements.txt": b"torch\n"})
    add_link(conn, "2001.00001", "github.com/big/text")
    conn.commit()
    summary = run(conn, settings(gh, "graphql", **BIG_FILES))
    assert summary.outcomes == {"ok": 1}
    assert [s.path for s in gh.seen if s.kind == "raw"] == [
        f"/raw/Big/Text/{gh.model.get('Big/Text').head}/train.py"]
    import zlib
    content = conn.execute("SELECT content FROM blobs b JOIN repo_files f USING (sha)"
                           " WHERE f.path = 'train.py'").fetchone()[0]
    assert zlib.decompress(content) == big


def test_queries_stay_within_the_depth_limit_and_deep_folders_come_in_follow_ups(gh, conn
                                                                              ) -> None:
    from graphql import parse
    from support.github_graphql import MAX_DEPTH, cost_and_depth

    from crawler.graphql_query import first_depth, first_query, folders_query

    query, variables = first_query([Ask("k", "o", "n")])
    assert cost_and_depth(parse(query), variables) == (1, first_depth()) and first_depth() <= 25
    query, variables = folders_query([Ask("k", "o", "n")], [["sha:path"]])
    assert cost_and_depth(parse(query), variables)[1] <= MAX_DEPTH
    path = "/".join(f"d{i}" for i in range(20))
    gh.model.add_repo("Deep/Nest", {f"{path}/model.py": b"import jax\n"})
    add_link(conn, "2001.00001", "github.com/deep/nest")
    conn.commit()
    assert run(conn, settings(gh, "graphql")).outcomes == {"ok": 1}
    assert gh.graphql.counts["queries"] == 4  # first, two rounds of deeper folders, the text
    assert conn.execute("SELECT path FROM repo_files").fetchone()[0] == f"{path}/model.py"


def test_refresh_of_unchanged_repositories_costs_only_the_cheap_check(gh, conn) -> None:
    for i in range(30):
        gh.model.add_repo(f"Acme/R{i}", {"train.py": b"import torch # %d\n" % i})
        add_link(conn, f"2001.{i:05d}", f"github.com/acme/r{i}")
    conn.commit()
    s = settings(gh, "graphql")
    run(conn, s)
    gh.reset_counts()
    gh.graphql.counts.update(queries=0, points=0)
    summary = run(conn, s, mode="due", now=LATER)
    assert summary.outcomes == {"unchanged": 30}
    assert gh.graphql.counts["points"] == 1  # 30 repositories, one check query
    assert gh.counts["charged"] == 0 and gh.counts.get("raw", 0) == 0
    checked = {r[0] for r in conn.execute("SELECT checked_at FROM repos")}
    assert checked == {"2026-07-25T12:00:00Z"}


def test_refresh_fetches_trees_and_new_blobs_only_where_the_head_moved(gh, conn) -> None:
    for i in range(5):
        gh.model.add_repo(f"Acme/R{i}", {"train.py": b"import torch # %d\n" % i,
                                          "util.py": b"import numpy\n"})
        add_link(conn, f"2001.{i:05d}", f"github.com/acme/r{i}")
    conn.commit()
    s = settings(gh, "graphql")
    run(conn, s)
    gh.model.push("Acme/R3", {"train.py": b"import jax\n"})
    gh.model.rename("Acme/R4", "Acme/Renamed")
    gh.reset_counts()
    summary = run(conn, s, mode="due", now=LATER)
    assert summary.outcomes == {"unchanged": 3, "ok": 2}
    labels_now = labels(conn)
    assert labels_now["github.com/acme/r3"] == "jax"
    assert "github.com/acme/renamed" in labels_now
    assert [tuple(r) for r in conn.execute("SELECT * FROM repo_aliases")] == [
        ("github.com/acme/r4", "github.com/acme/renamed")]
    assert gh.counts["charged"] == 0


def test_a_batch_without_an_answer_is_asked_again_in_the_same_run(gh, conn) -> None:
    """A 5xx after retries says nothing about the repositories: the batch is asked again (one
    batch is one request) and the repository is fetched once GitHub answers."""
    gh.model.add_repo("Acme/A", {"a.py": b"import torch\n"})
    add_link(conn, "2001.00001", "github.com/acme/a")
    conn.commit()
    gh.add_fault(r"^/api/graphql$", 500, kind="graphql", times=2)
    summary = run(conn, settings(gh, "graphql", http_retries=0))
    assert summary.outcomes == {"ok": 1}
    assert gh.counts["faults"] == 2


def test_graphql_down_stops_the_run_and_leaves_the_batch_for_the_next(gh, conn) -> None:
    gh.model.add_repo("Acme/A", {"a.py": b"import torch\n"})
    add_link(conn, "2001.00001", "github.com/acme/a")
    conn.commit()
    gh.add_fault(r"^/api/graphql$", 500, kind="graphql", times=10**6)
    with pytest.raises(ServiceUnavailable, match="SURVEY_GITHUB_GRAPHQL_URL"):
        run(conn, settings(gh, "graphql", http_retries=0))
    row = conn.execute("SELECT status, status_detail FROM repos").fetchone()
    assert tuple(row) == ("pending", None)  # not marked failed because GitHub was down
    gh.faults.clear()
    assert run(conn, settings(gh, "graphql")).outcomes == {"ok": 1}


def test_the_token_never_reaches_the_database_or_messages(gh, tmp_path) -> None:
    conn = open_write(tmp_path / "t.db")
    gh.model.add_repo("Acme/A", {"a.py": b"import torch\n"})
    add_link(conn, "2001.00001", "github.com/acme/a")
    add_link(conn, "2001.00002", "github.com/acme/b")
    conn.commit()
    gh.add_fault(r"^/api/graphql$", 502, kind="graphql", body={"message": f"echo {TOKEN}"})
    events = RecordedEvents()
    run(conn, settings(gh, "graphql"), events=events)
    conn.close()
    assert TOKEN not in "\n".join(events.texts())
    for path in tmp_path.iterdir():
        assert TOKEN.encode() not in Path(path).read_bytes()


def test_client_refuses_to_start_without_a_token(gh) -> None:
    from survey.core.errors import ConfigError

    with pytest.raises(ConfigError, match="needs a token"):
        GitHubGraphQL(settings(gh, "graphql", github_token=None), RequestStats())


def test_only_graphql_rate_limit_headers_are_read_as_the_points_budget(gh) -> None:
    """A proxy's REST ``core`` headers saying 0 left do not park the GraphQL client."""
    gh.add_fault(r"^/api/graphql$", 200, kind="graphql",
                 body={"data": {"rateLimit": {"cost": 1, "remaining": 4000}}},
                 headers={"x-ratelimit-resource": "core", "x-ratelimit-remaining": "0",
                          "x-ratelimit-reset": str(int(time.time()) + 3000)})

    def no_sleep(seconds: float) -> None:
        raise AssertionError(f"waited {seconds} s")

    client = GitHubGraphQL(settings(gh, "graphql"), RequestStats(), sleep=no_sleep)
    client.post("query { rateLimit { cost remaining } }", {})
    body, _ = client.post("query { rateLimit { cost remaining } }", {})
    assert body["data"]["rateLimit"]["remaining"] == 4999
    assert client.cost.points == 2 and client.cost.remaining == 4999
