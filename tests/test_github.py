"""The GitHub client and the fetch stage against a local server that answers like GitHub.

Every test runs the real client over real HTTP; the server counts what reached it.
"""

from __future__ import annotations

import time
import traceback
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
from support.fetching import FILES, TOKEN, fast, repo_row, run, said
from support.github_server import GitHubServer, add_link, blob_sha

from crawler.fetch import fetch_repositories
from crawler.github import GitHubClient
from crawler.http import RequestStats
from survey.core.errors import ConfigError, RateLimitError, ServiceError
from survey.core.events import RecordedEvents


@pytest.fixture
def gh() -> Iterator[GitHubServer]:
    with GitHubServer() as server:
        yield server


def test_first_fetch_stores_metadata_tree_and_compressed_blobs(gh: GitHubServer, conn) -> None:
    gh.model.add_repo("Acme/Net", FILES, stars=42, language="Python", fork=False)
    add_link(conn, "2001.00001", "github.com/acme/net")
    summary = run(conn, fast(gh, github_token=TOKEN))
    assert summary.outcomes == {"ok": 1}
    row = repo_row(conn, "github.com/acme/net")
    model = gh.model.get("Acme/Net")
    assert row["status"] == "ok" and row["full_name"] == "Acme/Net"
    assert row["remote_id"] == str(model.id) and row["head_sha"] == model.head
    assert row["stars"] == 42 and row["fork"] == 0 and row["default_branch"] == "main"
    assert row["created_at"] == "2019-03-01T10:00:00Z" and row["etag"].startswith('W/"')
    tree = {r["path"]: dict(r) for r in conn.execute("SELECT * FROM tree_entries")}
    assert set(tree) == {"train.py", "requirements.txt", "src", "src/model.py", "docs",
                         "docs/logo.png"}
    assert tree["src"]["type"] == "tree" and tree["train.py"]["size"] == len(FILES["train.py"])
    files = {r["path"]: r["role"] for r in conn.execute("SELECT path, role FROM repo_files")}
    assert files == {"train.py": "python", "requirements.txt": "manifest",
                     "src/model.py": "python"}
    for path in files:
        sha, size, content = conn.execute(
            "SELECT b.sha, b.size, b.content FROM blobs b JOIN repo_files f ON f.sha = b.sha"
            " WHERE f.path = ?", (path,)).fetchone()
        assert zlib.decompress(content) == FILES[path] and sha == blob_sha(FILES[path])
        assert size == len(FILES[path])
    # metadata + head sha + tree: three charged requests; three raw downloads at the head sha
    assert gh.counts["charged"] == 3 and gh.counts["raw"] == 3
    assert all(model.head in s.path for s in gh.seen if s.kind == "raw")
    assert summary.charged == 3 and summary.raw_downloads == 3


def test_token_only_in_authorization_header(gh: GitHubServer, conn) -> None:
    gh.token = TOKEN
    gh.model.add_repo("Acme/Net", FILES)
    add_link(conn, "2001.00001", "github.com/acme/net")
    run(conn, fast(gh, github_token=TOKEN))
    assert gh.seen and all(s.authorization == f"Bearer {TOKEN}" for s in gh.seen)
    assert all(TOKEN not in s.path for s in gh.seen)


def test_rename_301_stores_canonical_name_and_alias(gh: GitHubServer, conn) -> None:
    gh.model.add_repo("Acme/Old", FILES)
    gh.model.rename("Acme/Old", "NewOrg/Better")
    add_link(conn, "2001.00001", "github.com/acme/old")
    add_link(conn, "2001.00002", "github.com/neworg/better", official=False)
    summary = run(conn, fast(gh))
    assert summary.outcomes == {"ok": 1}
    repos = [r["repo"] for r in conn.execute("SELECT repo FROM repos")]
    assert repos == ["github.com/neworg/better"]
    assert repo_row(conn, "github.com/neworg/better")["full_name"] == "NewOrg/Better"
    aliases = dict(conn.execute("SELECT alias, repo FROM repo_aliases").fetchall())
    assert aliases == {"github.com/acme/old": "github.com/neworg/better"}
    assert any(s.status == 301 for s in gh.seen)
    # A second crawl asks nothing: both links resolve to the fetched row.
    gh.reset_counts()
    assert run(conn, fast(gh)).outcomes == {}
    assert gh.counts["api"] == 0


def test_two_names_for_one_id_end_as_one_row(gh: GitHubServer, conn) -> None:
    """The second name is fetched later (e.g. next month) and merges into the first row."""
    gh.model.add_repo("Acme/Net", FILES)
    add_link(conn, "2001.00001", "github.com/acme/net")
    run(conn, fast(gh))
    conn.execute("INSERT INTO classifications (repo, framework, confidence,"
                 " evidence, classifier_version, classified_at) VALUES ('github.com/acme/net',"
                 " 'pytorch', 0.9, '[]', 'v1', '2020-01-01T00:00:00Z')")
    gh.model.rename("Acme/Net", "Acme/Net2")
    add_link(conn, "2001.00002", "github.com/acme/net2")
    run(conn, fast(gh))
    rows = [r["repo"] for r in conn.execute("SELECT repo FROM repos")]
    assert rows == ["github.com/acme/net2"]
    moved = conn.execute("SELECT repo FROM classifications").fetchone()[0]
    assert moved == "github.com/acme/net2"
    assert dict(conn.execute("SELECT alias, repo FROM repo_aliases").fetchall()) == {
        "github.com/acme/net": "github.com/acme/net2"}
    assert conn.execute("SELECT COUNT(*) FROM repo_files").fetchone()[0] == 3


@pytest.mark.parametrize(
    ("setup", "status"),
    [
        (lambda m: None, "missing"),
        (lambda m: m.add_repo("Acme/Net", FILES, blocked="dmca"), "blocked"),
        (lambda m: (m.add_repo("Acme/Net", FILES), m.block("Acme/Net", "tos")), "blocked"),
        (lambda m: m.add_repo("Acme/Net"), "empty"),
    ],
    ids=["404", "451", "403-block", "409"],
)
def test_failures_are_data(gh: GitHubServer, conn, setup: Any, status: str) -> None:
    setup(gh.model)
    add_link(conn, "2001.00001", "github.com/acme/net")
    summary = run(conn, fast(gh))
    assert summary.outcomes == {status: 1}
    row = repo_row(conn, "github.com/acme/net")
    assert row["status"] == status and row["checked_at"]
    assert conn.execute("SELECT COUNT(*) FROM repo_files").fetchone()[0] == 0
    # Settled: the next pending crawl does not ask again.
    gh.reset_counts()
    run(conn, fast(gh))
    assert gh.counts["api"] == 0


def test_empty_repository_answers_409_for_its_head_and_no_tree_is_asked(gh: GitHubServer,
                                                                        conn) -> None:
    gh.model.add_repo("Acme/Net")
    add_link(conn, "2001.00001", "github.com/acme/net")
    run(conn, fast(gh))
    assert [s.status for s in gh.seen] == [200, 409]


def test_primary_rate_limit_waits_until_reset_with_a_message(gh: GitHubServer, conn,
                                                             capsys) -> None:
    gh.model.add_repo("Acme/Net", FILES)
    add_link(conn, "2001.00001", "github.com/acme/net")
    gh.exhaust_rate_limit(reset_in=2.0)
    started = time.monotonic()
    events = RecordedEvents()
    summary = run(conn, fast(gh, github_token=TOKEN), events=events)
    waited = time.monotonic() - started
    assert summary.outcomes == {"ok": 1}
    assert waited >= 1.5
    assert gh.counts["rate_limited"] == 1
    err = said(events)
    assert "rate limit" in err and "waiting" in err


def test_spent_budget_is_waited_for_before_asking(gh: GitHubServer, conn, capsys) -> None:
    """remaining 0 on an answer: the next request waits for the reset instead of failing."""
    gh.model.add_repo("Acme/Net", FILES)
    add_link(conn, "2001.00001", "github.com/acme/net")
    gh.set_budget(1, reset_in=2)  # the metadata answer spends the last request
    events = RecordedEvents()
    summary = run(conn, fast(gh), events=events)
    assert summary.outcomes == {"ok": 1}
    assert gh.counts["rate_limited"] == 0
    assert "rate limit spent" in said(events)


def test_rate_limit_beyond_bound_aborts_with_one_line(gh: GitHubServer, conn) -> None:
    gh.model.add_repo("Acme/Net", FILES)
    add_link(conn, "2001.00001", "github.com/acme/net")
    gh.exhaust_rate_limit(reset_in=600)
    with pytest.raises(RateLimitError) as info:
        run(conn, fast(gh, max_backoff=5))
    assert "\n" not in str(info.value)
    assert repo_row(conn, "github.com/acme/net")["status"] == "pending"


@pytest.mark.parametrize("status", [429, 403])
def test_secondary_limit_retry_after_is_honoured(gh: GitHubServer, conn, status: int) -> None:
    gh.model.add_repo("Acme/Net", FILES)
    add_link(conn, "2001.00001", "github.com/acme/net")
    gh.add_fault(r"^/api/repos/acme/net$", status, headers={"retry-after": "1"},
                 body={"message": "You have exceeded a secondary rate limit."}, kind="api")
    stats = RequestStats()
    started = time.monotonic()
    summary = fetch_repositories(conn, fast(gh), stats)
    assert time.monotonic() - started >= 0.9
    assert summary.outcomes == {"ok": 1}
    # urllib3 already honours retry-after on 429; the client does it for 403.
    assert sum(v for k, v in stats.retries.items() if f"HTTP {status}" in k) == 1
    assert [s.status for s in gh.seen][:2] == [status, 200]


def test_secondary_limit_without_retry_after_backs_off(gh: GitHubServer, conn) -> None:
    gh.model.add_repo("Acme/Net", FILES)
    add_link(conn, "2001.00001", "github.com/acme/net")
    gh.add_fault(r"^/api/repos/acme/net$", 403, times=2,
                 body={"message": "You have exceeded a secondary rate limit."})
    started = time.monotonic()
    assert run(conn, fast(gh)).outcomes == {"ok": 1}
    assert time.monotonic() - started >= 0.2 + 0.4  # github_secondary_wait doubled per attempt


def test_5xx_is_retried_with_backoff_and_counted(gh: GitHubServer, conn) -> None:
    gh.model.add_repo("Acme/Net", FILES)
    add_link(conn, "2001.00001", "github.com/acme/net")
    gh.add_fault(r"/git/trees/", 502, times=1)
    stats = RequestStats()
    summary = fetch_repositories(conn, fast(gh), stats)
    assert summary.outcomes == {"ok": 1}
    assert stats.retries["github HTTP 502"] == 1


def test_persistent_5xx_leaves_it_pending_for_the_next_crawl(gh: GitHubServer, conn) -> None:
    """A 5xx after retries is the host failing, not the repository: nothing is marked."""
    gh.model.add_repo("Acme/Net", FILES)
    add_link(conn, "2001.00001", "github.com/acme/net")
    gh.add_fault(r"/commits/", 503, times=10)
    events = RecordedEvents()
    summary = run(conn, fast(gh), events=events)
    assert summary.outcomes == {"unreached": 1}
    row = repo_row(conn, "github.com/acme/net")
    assert row["status"] == "pending" and row["status_detail"] is None
    assert "HTTP 503" in said(events)
    gh.faults.clear()
    assert run(conn, fast(gh)).outcomes == {"ok": 1}


def test_raw_500_once_is_retried(gh: GitHubServer, conn) -> None:
    gh.model.add_repo("Acme/Net", FILES)
    add_link(conn, "2001.00001", "github.com/acme/net")
    gh.add_fault(r"/train\.py$", 500, kind="raw")
    summary = run(conn, fast(gh))
    assert summary.outcomes == {"ok": 1}
    assert conn.execute("SELECT COUNT(*) FROM repo_files").fetchone()[0] == 3


def test_raw_500_persistent_marks_error_then_fetches_only_missing_blob(gh: GitHubServer,
                                                                        conn) -> None:
    gh.model.add_repo("Acme/Net", FILES)
    add_link(conn, "2001.00001", "github.com/acme/net")
    gh.add_fault(r"/train\.py$", 500, times=100, kind="raw")
    summary = run(conn, fast(gh))
    assert summary.outcomes == {"error": 1}
    row = repo_row(conn, "github.com/acme/net")
    assert row["status"] == "error" and "train.py" in row["status_detail"]
    # What did arrive is kept; the next crawl downloads only the missing file.
    assert conn.execute("SELECT COUNT(*) FROM blobs").fetchone()[0] == 2
    gh.faults.clear()
    gh.reset_counts()
    assert run(conn, fast(gh)).outcomes == {"ok": 1}
    assert [s.path.rsplit("/", 1)[-1] for s in gh.seen if s.kind == "raw"] == ["train.py"]
    assert conn.execute("SELECT COUNT(*) FROM repo_files").fetchone()[0] == 3


def test_raw_404_is_skipped_not_retried_forever(gh: GitHubServer, conn) -> None:
    gh.model.add_repo("Acme/Net", FILES)
    add_link(conn, "2001.00001", "github.com/acme/net")
    gh.add_fault(r"/src/model\.py$", 404, times=100, kind="raw")
    summary = run(conn, fast(gh))
    assert summary.outcomes == {"ok": 1}
    row = repo_row(conn, "github.com/acme/net")
    assert "not stored" in row["status_detail"]
    assert conn.execute("SELECT COUNT(*) FROM repo_files").fetchone()[0] == 2


def test_altered_raw_content_is_refused(gh: GitHubServer, conn) -> None:
    gh.model.add_repo("Acme/Net", FILES)
    add_link(conn, "2001.00001", "github.com/acme/net")
    gh.add_fault(r"/train\.py$", 200, body="import tensorflow\n", kind="raw")
    run(conn, fast(gh))
    paths = {r[0] for r in conn.execute("SELECT path FROM repo_files")}
    assert "train.py" not in paths and len(paths) == 2


def test_slow_answer_beyond_timeout_is_retried(gh: GitHubServer, conn) -> None:
    gh.model.add_repo("Acme/Net", FILES)
    add_link(conn, "2001.00001", "github.com/acme/net")
    gh.add_fault(r"^/api/repos/acme/net$", delay=1.0, times=1)
    stats = RequestStats()
    summary = fetch_repositories(conn, fast(gh, http_timeout=0.3), stats)
    assert summary.outcomes == {"ok": 1}
    assert sum(v for k, v in stats.retries.items() if "Timeout" in k) == 1


def test_always_slow_is_left_pending_not_a_hang_nor_an_error(gh: GitHubServer, conn) -> None:
    """No answer says nothing about the repository: it stays pending for the next run."""
    gh.model.add_repo("Acme/Net", FILES)
    add_link(conn, "2001.00001", "github.com/acme/net")
    slow = gh.add_fault(r"^/api/repos/acme/net$", delay=0.6, times=10)
    summary = run(conn, fast(gh, http_timeout=0.2, http_retries=1))
    assert summary.outcomes == {"unreached": 1}
    assert slow.hits == 2  # the first try and one retry, each cut off by the timeout
    row = repo_row(conn, "github.com/acme/net")
    assert row["status"] == "pending" and row["status_detail"] is None
    assert row["checked_at"] is None


def test_truncated_tree_is_walked_level_by_level(gh: GitHubServer, conn) -> None:
    files = {f"pkg{i}/sub/mod{i}.py": b"import jax\n# %d\n" % i for i in range(5)}
    files["third_party/lib/x.py"] = b"x = 1\n"
    files["requirements.txt"] = b"jax\n"
    gh.model.add_repo("Acme/Big", files, truncated=True, truncate_at=3)
    add_link(conn, "2001.00001", "github.com/acme/big")
    summary = run(conn, fast(gh))
    assert summary.outcomes == {"truncated": 1}
    paths = {r[0] for r in conn.execute("SELECT path FROM tree_entries")}
    assert set(files) <= paths
    assert repo_row(conn, "github.com/acme/big")["status"] == "truncated"
    assert conn.execute("SELECT COUNT(*) FROM repo_files").fetchone()[0] == len(files)


def test_truncated_walk_stops_at_its_request_cap(gh: GitHubServer, conn) -> None:
    files = {f"d{i}/e{i}/f{i}.py": b"%d" % i for i in range(10)}
    gh.model.add_repo("Acme/Big", files, truncated=True, truncate_at=2)
    add_link(conn, "2001.00001", "github.com/acme/big")
    run(conn, fast(gh, max_tree_requests=4))
    walks = [s for s in gh.seen if "/git/trees/" in s.path and "recursive" not in s.path]
    assert len(walks) == 4
    assert repo_row(conn, "github.com/acme/big")["status"] == "truncated"


def test_client_refuses_names_it_cannot_put_in_a_url(gh: GitHubServer) -> None:
    client = GitHubClient(fast(gh), RequestStats())
    try:
        for path in ["acme/../../x", "acme/na me", "-acme/x", "acme/"]:
            assert client.lookup(path).outcome == "missing"
        assert gh.counts["api"] == 0
    finally:
        client.close()


def test_invalid_json_is_a_service_error(gh: GitHubServer) -> None:
    gh.add_fault(r"^/api/repos/acme/net$", 200, body="<html>oops</html>")
    client = GitHubClient(fast(gh), RequestStats())
    try:
        with pytest.raises(ServiceError, match="invalid JSON"):
            client.lookup("acme/net")
    finally:
        client.close()


def test_sentinel_token_never_leaks(gh: GitHubServer, conn, db_path, caplog, capsys) -> None:
    caplog.set_level("DEBUG")
    gh.model.add_repo("Acme/Net", FILES)
    gh.model.add_repo("Acme/Broken", FILES)
    gh.model.add_repo("Acme/Slow", FILES)
    add_link(conn, "2001.00001", "github.com/acme/net")
    add_link(conn, "2001.00002", "github.com/acme/broken")
    add_link(conn, "2001.00003", "github.com/acme/slow")
    add_link(conn, "2001.00004", "github.com/acme/gone")
    gh.model.block("Acme/Broken", "tos")  # a block reason that echoes the request's header
    gh.model.get("Acme/Broken").block_reason = f"echo Authorization: Bearer {TOKEN}"
    gh.add_fault(r"acme/slow", delay=0.5, times=100)
    gh.exhaust_rate_limit(reset_in=1.0)
    events = RecordedEvents()
    run(conn, fast(gh, github_token=TOKEN, http_timeout=0.2, http_retries=1), events=events)
    # Exceptions that end a run: a limit too long to wait out, a token the server rejects.
    add_link(conn, "2001.00005", "github.com/acme/later")
    gh.model.add_repo("Acme/Later", FILES)
    gh.exhaust_rate_limit(reset_in=600)
    with pytest.raises(RateLimitError) as limit:
        run(conn, fast(gh, github_token=TOKEN, max_backoff=1))
    gh.set_budget(5000, reset_in=3600)
    gh.token = "the-right-one"
    with pytest.raises(ConfigError) as rejected:
        run(conn, fast(gh, github_token=TOKEN))
    errors = ["".join(traceback.format_exception(e)) + repr(e.args)
              for e in (limit.value, rejected.value)]
    details = [r[0] or "" for r in conn.execute("SELECT status_detail FROM repos")]
    assert any("blocked (echo Authorization: Bearer ***)" in d for d in details), details
    out = capsys.readouterr()
    texts = [caplog.text, out.out, out.err, said(events), *details, *errors]
    assert all(TOKEN not in t for t in texts)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for path in db_path.parent.iterdir():
        assert TOKEN.encode() not in path.read_bytes(), path


def test_warns_once_without_token(gh: GitHubServer, conn, capsys) -> None:
    for i in range(3):
        gh.model.add_repo(f"Acme/R{i}", FILES)
        add_link(conn, f"2001.0000{i}", f"github.com/acme/r{i}")
    events = RecordedEvents()
    run(conn, fast(gh), events=events)
    assert said(events).count("GITHUB_TOKEN is not set") == 1
    gh.model.add_repo("Acme/R9", FILES)
    add_link(conn, "2001.00009", "github.com/acme/r9")
    events = RecordedEvents()
    assert run(conn, fast(gh, github_token=TOKEN), events=events).outcomes == {"ok": 1}
    assert "GITHUB_TOKEN" not in said(events)


def test_rejected_token_stops_the_run_with_one_clear_line(gh: GitHubServer, conn) -> None:
    gh.token = "the-right-one"
    gh.model.add_repo("Acme/Net", FILES)
    add_link(conn, "2001.00001", "github.com/acme/net")
    with pytest.raises(ConfigError, match="HTTP 401") as info:
        run(conn, fast(gh, github_token=TOKEN))
    assert TOKEN not in str(info.value)
    assert repo_row(conn, "github.com/acme/net")["status"] == "pending"


def test_raw_429_without_retry_after_backs_off(gh: GitHubServer, conn) -> None:
    gh.model.add_repo("Acme/Net", FILES)
    add_link(conn, "2001.00001", "github.com/acme/net")
    gh.add_fault(r"/train\.py$", 429, kind="raw", body="Too Many Requests")
    started = time.monotonic()
    assert run(conn, fast(gh)).outcomes == {"ok": 1}
    assert time.monotonic() - started >= 0.2
    assert conn.execute("SELECT COUNT(*) FROM repo_files").fetchone()[0] == 3


def test_anonymous_budget_is_60_an_hour(gh: GitHubServer, conn, capsys) -> None:
    """Without a token the server's 60-request budget runs out: the stage waits for the reset
    it announces rather than failing (30 left, reset 2 s ahead, to keep the test short). The
    work fits in one hour's 60 requests: more would stop before the fetch (test_graphql_budget)."""
    for i in range(15):
        gh.model.add_repo(f"Acme/R{i:02d}", {"train.py": b"import torch\n"})
        add_link(conn, f"2001.{i:05d}", f"github.com/acme/r{i:02d}")
    gh.set_budget(30, reset_in=2, authorized=False)
    events = RecordedEvents()
    summary = run(conn, fast(gh), events=events)
    assert summary.outcomes == {"ok": 15}
    assert gh.counts["charged"] == 45 and gh.counts["rate_limited"] == 0
    assert "rate limit spent" in said(events)


def test_retry_after_as_http_date(gh: GitHubServer, conn) -> None:
    from email.utils import formatdate

    gh.model.add_repo("Acme/Net", FILES)
    add_link(conn, "2001.00001", "github.com/acme/net")
    gh.add_fault(r"^/api/repos/acme/net$", 403, kind="api",
                 headers={"retry-after": formatdate(time.time() + 2, usegmt=True)},
                 body={"message": "You have exceeded a secondary rate limit."})
    started = time.monotonic()
    assert run(conn, fast(gh)).outcomes == {"ok": 1}
    assert time.monotonic() - started >= 0.9


@pytest.mark.parametrize("headers", [
    {"retry-after": "nan"},
    {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "nan"},
], ids=["retry-after", "reset"])
def test_rate_limit_headers_that_are_not_numbers_do_not_crash(gh: GitHubServer, conn,
                                                              headers: dict[str, str]) -> None:
    """``float("nan")`` parses: such a header is ignored, and the one-minute backoff applies."""
    gh.model.add_repo("Acme/Net", FILES)
    add_link(conn, "2001.00001", "github.com/acme/net")
    gh.add_fault(r"^/api/repos/acme/net$", 403, kind="api", headers=headers,
                 body={"message": "You have exceeded a secondary rate limit."})
    assert run(conn, fast(gh)).outcomes == {"ok": 1}
    assert [s.status for s in gh.seen][:2] == [403, 200]


def test_raw_limit_beyond_bound_stops_the_run(gh: GitHubServer, conn) -> None:
    """A raw host asking for a wait longer than ``max_backoff`` ends the run like the API does,
    instead of marking every repository an error after one refused request per file."""
    for i, name in enumerate(["Acme/Net", "Acme/Two"]):
        gh.model.add_repo(name, FILES)
        add_link(conn, f"2001.0000{i}", f"github.com/{name.lower()}")
    gh.add_fault(r"^/raw/", 403, headers={"retry-after": "600"}, times=100, kind="raw")
    with pytest.raises(RateLimitError):
        run(conn, fast(gh, max_backoff=5))
    statuses = {r[0] for r in conn.execute("SELECT status FROM repos")}
    assert statuses == {"pending"}
    assert not any("acme/two" in s.path.lower() for s in gh.seen)  # the run stopped there


def test_429_beyond_bound_stops_at_once_with_one_request(gh: GitHubServer, conn) -> None:
    """A 429 asking for more than ``max_backoff`` is not slept on silently (urllib3 would, up to
    ``max_backoff`` per retry): the first answer already ends the run."""
    gh.model.add_repo("Acme/Net", FILES)
    add_link(conn, "2001.00001", "github.com/acme/net")
    limit = gh.add_fault(r"^/api/repos/acme/net$", 429, kind="api", times=100,
                         headers={"retry-after": "600"},
                         body={"message": "You have exceeded a secondary rate limit."})
    with pytest.raises(RateLimitError):
        run(conn, fast(gh, max_backoff=1))
    assert limit.hits == 1
