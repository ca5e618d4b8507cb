"""The GitHub stand-in's GraphQL side: schema, cost accounting and faults, over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from graphql import parse
from support.github_graphql import MAX_DEPTH, SCHEMA, TEXT_LIMIT, cost_and_depth
from support.github_server import GitHubServer

AUTH = {"Authorization": "Bearer test"}


@pytest.fixture
def gh():
    with GitHubServer() as server:
        server.model.add_repo("Acme/Net", {"train.py": b"import torch\n",
                                           "src/deep/model.py": b"import jax\n",
                                           "requirements.txt": b"torch\n"},
                              stars=7, language="Python")
        yield server


def ask(gh: GitHubServer, query: str, variables: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None) -> requests.Response:
    return requests.post(gh.api_url + "/graphql", json={"query": query,
                                                        "variables": variables or {}},
                         headers=AUTH if headers is None else headers, timeout=10)


def test_schema_has_the_documented_types_and_fields() -> None:
    for name in ("Repository", "Ref", "Commit", "Tree", "TreeEntry", "Blob", "RateLimit"):
        assert name in SCHEMA.type_map
    repo = SCHEMA.type_map["Repository"].fields  # type: ignore[union-attr]
    assert {"databaseId", "nameWithOwner", "pushedAt", "defaultBranchRef", "object",
            "diskUsage", "stargazerCount", "isFork", "isArchived"} <= set(repo)
    assert set(SCHEMA.type_map["Blob"].fields) >= {  # type: ignore[union-attr]
        "text", "isTruncated", "byteSize", "isBinary"}
    assert "followRenames" in SCHEMA.query_type.fields["repository"].args  # type: ignore


def test_metadata_matches_the_rest_side_of_the_same_world(gh) -> None:
    resp = ask(gh, 'query { repository(owner: "acme", name: "net") { databaseId nameWithOwner'
                   " stargazerCount diskUsage pushedAt defaultBranchRef { name target { oid } }"
                   " } rateLimit { cost remaining } }")
    rest = requests.get(gh.api_url + "/repos/acme/net", timeout=10).json()
    node = resp.json()["data"]["repository"]
    assert node["databaseId"] == rest["id"] and node["nameWithOwner"] == rest["full_name"]
    assert node["stargazerCount"] == rest["stargazers_count"] == 7
    assert node["diskUsage"] == rest["size"] and node["pushedAt"] == rest["pushed_at"]
    head = requests.get(gh.api_url + "/repos/acme/net/commits/main", timeout=10,
                        headers={"Accept": "application/vnd.github.sha"}).text
    assert node["defaultBranchRef"]["target"]["oid"] == head
    assert resp.json()["data"]["rateLimit"] == {"cost": 1, "remaining": 4999}
    assert resp.headers["x-ratelimit-resource"] == "graphql"


def test_a_hundred_aliased_repositories_with_trees_and_texts_cost_one_point(gh) -> None:
    fields = " ".join(
        f'r{i}: repository(owner: "acme", name: "net") {{ defaultBranchRef {{ target {{'
        " ... on Commit { tree { entries { path oid object { ... on Tree { entries { path"
        ' } } } } } } } } f: object(expression: "HEAD:train.py") { ... on Blob { text } } }'
        for i in range(100))
    resp = ask(gh, f"query {{ {fields} rateLimit {{ cost }} }}")
    data = resp.json()["data"]
    assert data["rateLimit"]["cost"] == 1 and gh.graphql.counts["points"] == 1
    assert data["r99"]["f"]["text"] == "import torch\n"
    assert len(data["r0"]["defaultBranchRef"]["target"]["tree"]["entries"]) == 3


def test_a_connection_costs_by_github_formula(gh) -> None:
    fields = " ".join(f'r{i}: repository(owner: "acme", name: "net") {{ refs(refPrefix:'
                      f' "refs/heads/", first: 100) {{ totalCount }} }}' for i in range(300))
    resp = ask(gh, f"query {{ {fields} rateLimit {{ cost }} }}")
    assert resp.json()["data"]["rateLimit"]["cost"] == 3  # 300 requests / 100
    assert gh.graphql.counts["points"] == 3
    doc = parse('query { a: repository(owner: "a", name: "b") { refs(refPrefix: "x",'
                " first: $n) { totalCount } } }")
    assert cost_and_depth(doc, {"n": 50}) == (1, 3)


def test_not_found_is_a_null_alias_with_a_typed_error_and_the_rest_answers(gh) -> None:
    resp = ask(gh, 'query { a: repository(owner: "acme", name: "net") { nameWithOwner }'
                   ' b: repository(owner: "gone", name: "away") { nameWithOwner } }')
    body = resp.json()
    assert resp.status_code == 200
    assert body["data"] == {"a": {"nameWithOwner": "Acme/Net"}, "b": None}
    assert [(e["type"], e["path"]) for e in body["errors"]] == [("NOT_FOUND", ["b"])]


def test_renames_are_followed_unless_asked_not_to(gh) -> None:
    gh.model.rename("Acme/Net", "Acme/Renamed")
    q = ('query { repository(owner: "acme", name: "net", followRenames: %s) { nameWithOwner'
         " databaseId } }")
    followed = ask(gh, q % "true").json()
    assert followed["data"]["repository"]["nameWithOwner"] == "Acme/Renamed"
    refused = ask(gh, q % "false").json()
    assert refused["data"]["repository"] is None
    assert refused["errors"][0]["type"] == "NOT_FOUND"


def test_blocked_repository_is_a_null_alias_with_another_error_type(gh) -> None:
    gh.model.block("Acme/Net", "dmca")
    body = ask(gh, 'query { r: repository(owner: "acme", name: "net") { nameWithOwner } }'
               ).json()
    assert body["data"]["r"] is None and body["errors"][0]["type"] == "FORBIDDEN"


def test_texts_are_cut_at_512000_bytes(gh) -> None:
    gh.model.push("Acme/Net", {"big.py": b"#" * (TEXT_LIMIT + 10), "bin.dat": b"\0\1\2"})
    body = ask(gh, 'query { repository(owner: "acme", name: "net") {'
                   ' big: object(expression: "HEAD:big.py") { ... on Blob { byteSize'
                   " isTruncated text } } bin: object(expression: \"HEAD:bin.dat\") {"
                   " ... on Blob { isBinary text } } } }").json()["data"]["repository"]
    assert body["big"]["byteSize"] == TEXT_LIMIT + 10 and body["big"]["isTruncated"]
    assert len(body["big"]["text"]) == TEXT_LIMIT
    assert body["bin"] == {"isBinary": True, "text": None}


def test_a_query_over_the_depth_limit_is_refused_uncharged(gh) -> None:
    inner = "path"
    for _ in range(12):
        inner = f"entries {{ object {{ ... on Tree {{ {inner} }} }} }}"
    inner = inner.replace("entries { object { ... on Tree { path } } }", "entries { path }")
    q = ('query { repository(owner: "acme", name: "net") { defaultBranchRef { target {'
         f" ... on Commit {{ tree {{ {inner} }} }} }} }} }} }}")
    depth = cost_and_depth(parse(q), {})[1]
    assert depth > MAX_DEPTH
    body = ask(gh, q).json()
    assert "data" not in body and "exceeds max depth of 25" in body["errors"][0]["message"]
    assert gh.graphql.counts["points"] == 0


def test_a_query_too_slow_for_github_is_cut_with_502_and_charged(gh) -> None:
    gh.graphql.work_limit = 2
    resp = ask(gh, 'query { repository(owner: "acme", name: "net") { defaultBranchRef {'
                   " target { ... on Commit { tree { entries { path } } } } } } }")
    assert resp.status_code == 502 and "couldn't respond" in resp.json()["message"]
    assert gh.graphql.counts == {"queries": 1, "points": 1, "timeouts": 1, "rate_limited": 0}


def test_spent_points_answer_rate_limited_in_an_http_200(gh) -> None:
    gh.graphql.exhaust(reset_in=30)
    resp = ask(gh, "query { rateLimit { cost } }")
    assert resp.status_code == 200 and resp.headers["x-ratelimit-remaining"] == "0"
    assert resp.json()["errors"][0]["type"] == "RATE_LIMITED"


def test_a_token_is_required(gh) -> None:
    resp = ask(gh, "query { rateLimit { cost } }", headers={})
    assert resp.status_code == 401


def test_secondary_rate_limit_fault_on_the_graphql_path(gh) -> None:
    gh.add_fault(r"^/api/graphql$", 403, kind="graphql", headers={"retry-after": "60"},
                 body={"message": "You have exceeded a secondary rate limit."})
    first = ask(gh, "query { rateLimit { cost } }")
    second = ask(gh, "query { rateLimit { cost } }")
    assert (first.status_code, first.headers["retry-after"]) == (403, "60")
    assert second.status_code == 200


def test_rate_limit_endpoint_is_free_and_shows_both_budgets(gh) -> None:
    ask(gh, "query { rateLimit { cost } }")
    body = requests.get(gh.api_url + "/rate_limit", headers=AUTH, timeout=10).json()
    again = requests.get(gh.api_url + "/rate_limit", headers=AUTH, timeout=10).json()
    assert body == again
    assert body["resources"]["graphql"]["remaining"] == 4999
    assert body["resources"]["core"] == {**body["rate"], "remaining": 5000, "used": 0}
    assert gh.counts["charged"] == 0
