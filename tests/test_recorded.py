"""The real clients against answers recorded from the real arXiv, GitHub and GitLab (issue 9 §4).

Each recording is served over real HTTP by :class:`support.recorded.RecordedServer` with its
status, headers (gzip ``Content-Encoding``, weak and strong ETags, ``Retry-After``, ``Location``)
and body; the tests skip when ``../shared`` is absent.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from lxml import etree
from support.recorded import (
    Recorded,
    RecordedServer,
    arxiv_answers,
    arxiv_xml,
    betamax,
    body_of,
    octokit,
    pygithub,
)

from crawler.arxiv_client import ArxivClient
from crawler.atom import parse_feed, parse_root
from crawler.github import GitHubClient
from crawler.gitlab import GitLabClient
from crawler.harvest import paper_record
from crawler.http import RequestStats
from crawler.repo_host import RepoMeta, git_blob_sha
from crawler.selection import Selected
from survey.core.errors import ConfigError, RateLimitError, ServiceError
from survey.core.settings import Settings

ATOM = "{http://www.w3.org/2005/Atom}"


def entries_in(body: bytes) -> int:
    return len(etree.fromstring(body).findall(f"{ATOM}entry"))


@pytest.fixture(scope="module")
def arxiv() -> dict[str, Recorded]:
    return arxiv_answers()


def arxiv_client(url: str) -> ArxivClient:
    return ArxivClient(Settings(arxiv_api_url=url, arxiv_delay=0.0, arxiv_retries=1,
                                arxiv_timeout=5.0))


# -- arXiv ----------------------------------------------------------------------------------

def test_every_recorded_arxiv_page_is_read_whole(arxiv: dict[str, Recorded]) -> None:
    pages = {k: v for k, v in arxiv.items() if v.status == 200}
    assert len(pages) >= 15
    for name, answer in pages.items():
        with RecordedServer([answer], route_any=True) as srv:
            client = arxiv_client(srv.base_url + "/api/query")
            feed = client.page(client.url("all:testing", 0, 100), first_page=False,
                               empty_retries=0)
        assert len(feed.entries) == entries_in(answer.body), name
        assert not feed.skipped, name
        for entry in feed.entries:
            row = paper_record(entry)
            assert row.arxiv_id and row.version >= 1 and row.published <= row.updated, name
            assert row.authors != "[]" and row.primary_category, name


def test_old_style_ids_and_a_paper_titled_zero(arxiv: dict[str, Recorded]) -> None:
    ids = {}
    for name in ("id_hep-ex_0406020v1_s0_m100_84b15d66c0ce",
                 "id_astro-ph_0601001_s0_m100_3150dca9dc76"):
        feed = parse_feed(parse_root(arxiv[name].body))
        ids[name] = [(e.arxiv_id, e.version) for e in feed.entries]
    assert ids["id_hep-ex_0406020v1_s0_m100_84b15d66c0ce"] == [("hep-ex/0406020", 1)]
    assert ids["id_astro-ph_0601001_s0_m100_3150dca9dc76"][0][0] == "astro-ph/0601001"
    titled_zero = [e for a in arxiv.values() if a.status == 200
                   for e in parse_feed(parse_root(a.body)).entries if e.title == "0"]
    assert titled_zero and paper_record(titled_zero[0]).title == "0"


def test_the_empty_result_is_zero_results_not_an_error(arxiv: dict[str, Recorded]) -> None:
    empty = arxiv["id_0000.0000_s0_m100_8b51d9633a68"]
    with RecordedServer([empty], route_any=True) as srv:
        feed = arxiv_client(srv.base_url + "/api/query").first_page("id:0000.0000")
    assert feed.total == 0 and feed.entries == []


def test_the_real_error_feed_says_arxivs_reason(arxiv: dict[str, Recorded]) -> None:
    """Real error ids start with https://arxiv.org/api/errors#: the reason must survive."""
    refused = arxiv["id_abc_s0_m100_b79c8dcf6bc3"]
    assert refused.status == 400 and b"https://arxiv.org/api/errors#" in refused.body
    with RecordedServer([refused], route_any=True) as srv:
        with pytest.raises(ServiceError, match="HTTP 400: incorrect id format for abc") as info:
            arxiv_client(srv.base_url + "/api/query").first_page("id:abc")
    assert not info.value.transport and info.value.status == 400
    assert srv.counts["any"] == 1  # a refused query is not asked again


@pytest.mark.parametrize("name", ["2016_id_list_1111.2011v2.xml", "2016_search_del_maestro.xml"])
def test_the_2016_feed_style_is_read(name: str) -> None:
    body = arxiv_xml(name)
    with RecordedServer([Recorded("GET", "/api/query", 200, {}, body)], route_any=True) as srv:
        feed = arxiv_client(srv.base_url + "/api/query").first_page("all:x")
    assert len(feed.entries) == entries_in(body) >= 1
    first = paper_record(feed.entries[0])
    assert "\n" not in first.title and first.abstract and first.published.endswith("Z")


# -- GitHub ---------------------------------------------------------------------------------

def github(srv: RecordedServer, **kw: Any) -> GitHubClient:
    options: dict[str, Any] = dict(github_api_url=srv.base_url, github_raw_url=srv.base_url,
                                   http_timeout=5.0, http_retries=1, http_backoff=0.01,
                                   github_secondary_wait=0.05, github_token="test-token")
    options.update(kw)
    return GitHubClient(Settings(**options), RequestStats())


def test_a_real_301_rename_is_followed_to_the_gzip_answer_with_its_weak_etag() -> None:
    answers = pygithub("Repository.testGetRepositoryWith301Redirect.txt")
    assert [a.status for a in answers] == [301, 200] and answers[1].gzip
    with RecordedServer(answers) as srv:
        lookup = github(srv).lookup("protoncoin/protoncoin")
    assert lookup.outcome == "ok" and lookup.meta is not None
    assert lookup.meta.full_name == "padima2/protoncoin"
    assert lookup.meta.remote_id == "112116543"
    assert lookup.meta.etag == answers[1].header("etag") and lookup.meta.etag.startswith('W/"')
    assert [s.path for s in srv.seen] == ["/repos/protoncoin/protoncoin", "/repositories/112116543"]


def test_octokits_rename_and_strong_etag() -> None:
    rename = [a for a in octokit("rename-repository.raw-fixture.json") if a.method == "GET"]
    with RecordedServer(rename) as srv:
        name = rename[0].path.rsplit("/", 1)[-1]
        lookup = github(srv).lookup(f"octokit-fixture-org/{name}")
    assert lookup.outcome == "ok" and lookup.meta is not None
    assert lookup.meta.full_name.endswith("-newname")
    repo = octokit("get-repository.raw-fixture.json")[0]
    with RecordedServer([repo]) as srv:
        meta = github(srv).lookup("octokit-fixture-org/hello-world").meta
    assert meta is not None and meta.etag == repo.header("ETag") and meta.etag.startswith('"')


def test_a_real_304_is_not_modified() -> None:
    answers = pygithub("ConditionalRequestUpdate.testDidNotUpdate.txt")
    with RecordedServer(answers) as srv:
        lookup = github(srv).lookup("akfish/PyGithub", etag='"8600bedcb7fed1d8065e1693e05529ce"')
    assert lookup.outcome == "not_modified"
    assert srv.seen[0].if_none_match == '"8600bedcb7fed1d8065e1693e05529ce"'


def test_a_real_404_is_missing_and_a_real_401_stops_with_one_line() -> None:
    unknown = [a for a in pygithub("Exceptions.testUnknownObject.txt") if a.status == 404]
    with RecordedServer(unknown) as srv:
        assert github(srv).lookup("jacquev6/Xxx").outcome == "missing"
    bad = pygithub("Exceptions.testBadAuthentication.txt")[0]
    with RecordedServer([Recorded("GET", "/repos/a/b", 401, bad.headers, bad.body)]) as srv:
        with pytest.raises(ConfigError, match="HTTP 401") as info:
            github(srv).lookup("a/b")
    assert "\n" not in str(info.value)


def test_the_real_503_html_page_is_a_service_error_after_retries() -> None:
    page = pygithub("Exceptions.testNonJsonDataReturnedByGithub.txt")[0]
    assert page.status == 503 and page.body.startswith(b"<html>")
    with RecordedServer([Recorded("GET", "/repos/a/b", 503, page.headers, page.body)]) as srv:
        with pytest.raises(ServiceError, match="HTTP 503") as info:
            github(srv).lookup("a/b")
    assert not info.value.transport and srv.counts["any"] == 2  # one try, one urllib3 retry


def test_the_real_rate_limit_403_without_reset_is_waited_on_not_a_failure() -> None:
    limited = [a for a in pygithub("SpecificExceptions.testRateLimitExceeded.txt")
               if a.status == 403][0]
    assert limited.header("x-ratelimit-remaining") == "0"
    assert limited.header("x-ratelimit-reset") is None
    repo = pygithub("Repository.setUp.txt")[0]
    with RecordedServer([Recorded("GET", "/repos/PyGithub/PyGithub", 403, limited.headers,
                                  limited.body), repo], repeat_last=True) as srv:
        client = github(srv)
        lookup = client.lookup("PyGithub/PyGithub")
    assert lookup.outcome == "ok" and [s.status for s in srv.seen] == [403, 200]
    assert client.stats.retries == {"github HTTP 403 rate limit": 1}


def test_the_real_abuse_403_without_retry_after_is_a_limit_not_a_failure() -> None:
    """perceval's recorded abuse body, with no headers: waited out, then answered."""
    abuse = body_of("github", "perceval_abuse_rate_limit.json")
    assert "abuse detection mechanism" in abuse["message"]
    repo = pygithub("Repository.setUp.txt")[0]
    with RecordedServer([Recorded("GET", "/repos/PyGithub/PyGithub", 403, {},
                                  json.dumps(abuse).encode()), repo]) as srv:
        client = github(srv)
        lookup = client.lookup("PyGithub/PyGithub")
    assert lookup.outcome == "ok"
    assert client.stats.waits["github HTTP 403 rate limit"] == 1


def test_the_real_abuse_403_with_retry_after_60_is_waited_or_stops_the_run() -> None:
    abuse = [a for a in pygithub("SpecificExceptions.testAuthenticatedRateLimitExceeded.txt")
             if a.status == 403][0]
    assert abuse.header("Retry-After") == "60"
    with RecordedServer([Recorded("GET", "/repos/a/b", 403, abuse.headers, abuse.body)]) as srv:
        with pytest.raises(RateLimitError, match="would have to wait 60 s"):
            github(srv, max_backoff=5).lookup("a/b")
    assert srv.counts["any"] == 1


def test_the_vnd_github_sha_answer_gives_the_head() -> None:
    answers = betamax("Branch_latest_sha_differs.json")
    sha_answer = next(a for a in answers if "/commits/" in a.path)
    assert sha_answer.header("Content-Type").startswith("application/vnd.github.v3.sha")
    with RecordedServer(answers) as srv:
        meta = RepoMeta("1", "sigmavirus24/github3.py", "develop", None, None, None, None,
                        None, None, None)
        sha = github(srv).head(meta)
    assert sha == sha_answer.body.decode().strip() and len(sha) == 40


@pytest.mark.parametrize("cassette", ["Repository_tree_recursive.json", "Repository_tree.json"])
def test_real_gzip_trees_keep_every_entry_and_mode(cassette: str) -> None:
    answers = betamax(cassette)
    tree_answer = next(a for a in answers if "/git/trees/" in a.path)
    want = tree_answer.json()["tree"]
    sha = tree_answer.path.split("/git/trees/")[1].split("?")[0]
    with RecordedServer(answers) as srv:
        meta = RepoMeta("1", "sigmavirus24/github3.py", "develop", None, None, None, None,
                        None, None, None)
        client = github(srv)
        tree = client.tree(meta, sha)
    assert tree is not None and len(tree.entries) == len(want) and not tree.truncated
    assert {e.path: e.mode for e in tree.entries} == {w["path"]: w["mode"] for w in want}
    assert client.stats.bytes["github"] < len(tree_answer.body)  # gzip on the wire


def test_pygithubs_recursive_tree_without_truncated() -> None:
    answers = pygithub("Repository.testGetGitTreeWithRecursive.txt")
    body = answers[0].json()
    assert "truncated" not in body
    with RecordedServer(answers) as srv:
        meta = RepoMeta("1", "PyGithub/PyGithub", "master", None, None, None, None, None,
                        None, None)
        tree = github(srv).tree(meta, body["sha"])
    assert tree is not None and len(tree.entries) == len(body["tree"]) and not tree.truncated


def test_a_real_raw_host_answer_gzip_and_all_is_the_file() -> None:
    raw = next(a for a in betamax("PullFile_download.json")
               if a.path.startswith("/sigmavirus24/github3.py/") and a.status == 200)
    assert raw.gzip and raw.header("ETag")
    commit, path = raw.path.split("/")[3], "/".join(raw.path.split("/")[4:])
    with RecordedServer([raw]) as srv:
        meta = RepoMeta("1", "sigmavirus24/github3.py", "develop", None, None, None, None,
                        None, None, None)
        got = github(srv).download(meta, commit, [Selected(path, git_blob_sha(raw.body),
                                                           None, "python")])
    assert got.contents == {git_blob_sha(raw.body): raw.body} and not got.skipped


# -- GitLab ---------------------------------------------------------------------------------

def test_a_real_gitlab_project_body_is_read() -> None:
    body = body_of("gitlab", "perceval_fdroid_project.json")
    answer = Recorded("GET", "/projects/fdroid%2Ffdroiddata", 200,
                      {"Content-Type": "application/json"}, json.dumps(body).encode())
    with RecordedServer([answer]) as srv:
        client = GitLabClient(Settings(gitlab_api_url=srv.base_url, http_timeout=5.0),
                              RequestStats())
        lookup = client.lookup("fdroid/fdroiddata")
    assert lookup.outcome == "ok" and lookup.meta is not None
    meta = lookup.meta
    assert (meta.remote_id, meta.full_name, meta.default_branch, meta.stars) == (
        "36528", "fdroid/fdroiddata", "master", 295)
    assert meta.created_at == "2014-03-19T13:18:45Z" and meta.pushed_at == "2017-12-12T10:32:26Z"


def test_every_project_of_a_real_gitlab_list_page_reads_as_metadata() -> None:
    projects = body_of("gitlab", "swh_gitlab.com_projects_page1.json")
    answers = [Recorded("GET", "/projects/" + p["path_with_namespace"].replace("/", "%2F"), 200,
                        {}, json.dumps(p).encode()) for p in projects]
    with RecordedServer(answers) as srv:
        client = GitLabClient(Settings(gitlab_api_url=srv.base_url, http_timeout=5.0),
                              RequestStats())
        metas = [client.lookup(p["path_with_namespace"]).meta for p in projects]
    assert all(m is not None for m in metas)
    assert [m.full_name for m in metas if m] == [p["path_with_namespace"] for p in projects]
