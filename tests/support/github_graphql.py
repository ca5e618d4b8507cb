"""GitHub's GraphQL API for the local GitHub stand-in: real execution, real cost accounting.

``POST /api/graphql`` is answered by executing the query with ``graphql-core`` against a subset
of GitHub's public schema, written from its documentation (:data:`SDL`): ``Query.repository``
(``followRenames``), ``Query.rateLimit``, ``Repository`` (with one connection, ``refs``, so that
cost accounting has something to charge), ``Ref``, ``Commit``, ``Tree``, ``TreeEntry``,
``Blob``. Resolvers read the same :class:`GitHubModel` as the REST side, so both serve one world.

What GitHub documents and this side does (``../shared/API_NOTES.md``):

* a token is required (401 without one); its own budget (5,000 points an hour), headers as REST
  with ``x-ratelimit-resource: graphql``; over budget: HTTP 200 with a ``RATE_LIMITED`` error;
* cost: the requests needed to fill each connection (``first``/``last``, nested ones multiplied
  by their parent's page), divided by 100, rounded, at least 1. ``rateLimit { cost ... }``
  answers the query's own cost;
* a missing repository is ``null`` with ``errors[{type: NOT_FOUND, path: [alias]}]`` and the
  rest of the batch answers; a blocked one is ``null`` with a ``FORBIDDEN`` error (GitHub does
  not document this case: the client must ask REST once);
* ``Blob.text`` cut at 512,000 bytes with ``isTruncated``; ``null`` for binary blobs;
* depth limit 25 (error, nothing executed, nothing charged);
* a query whose work (tree entries listed plus text kB) exceeds ``work_limit`` is cut with 502
  "We couldn't respond to your request in time" and, as since July 2025, still charged.

Faults on the wire (403 secondary rate limit, drops, delays) use the server's own ``add_fault``.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLResolveInfo,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    build_schema,
    execute_sync,
    parse,
    validate,
)
from graphql.language import DocumentNode

SDL = '''
"An ISO-8601 encoded UTC date string."
scalar DateTime
"A Git object ID."
scalar GitObjectID

type Query {
  "Lookup a given repository by the owner and repository name."
  repository(owner: String!, name: String!, followRenames: Boolean = true): Repository
  "The client's rate limit information."
  rateLimit(dryRun: Boolean = false): RateLimit
}

type RateLimit {
  cost: Int!
  limit: Int!
  nodeCount: Int!
  remaining: Int!
  resetAt: DateTime!
  used: Int!
}

type Repository {
  id: ID!
  databaseId: Int
  name: String!
  nameWithOwner: String!
  createdAt: DateTime!
  pushedAt: DateTime
  isFork: Boolean!
  isArchived: Boolean!
  isDisabled: Boolean!
  isEmpty: Boolean!
  stargazerCount: Int!
  "The number of kilobytes this repository occupies on disk."
  diskUsage: Int
  primaryLanguage: Language
  defaultBranchRef: Ref
  "A Git object in the repository."
  object(expression: String, oid: GitObjectID): GitObject
  refs(refPrefix: String!, first: Int, last: Int, after: String, before: String): RefConnection
}

type Language {
  name: String!
}

type RefConnection {
  totalCount: Int!
  nodes: [Ref]
}

type Ref {
  name: String!
  prefix: String!
  target: GitObject
}

interface GitObject {
  oid: GitObjectID!
  abbreviatedOid: String!
}

type Commit implements GitObject {
  oid: GitObjectID!
  abbreviatedOid: String!
  committedDate: DateTime!
  tree: Tree!
}

type Tree implements GitObject {
  oid: GitObjectID!
  abbreviatedOid: String!
  entries: [TreeEntry!]
}

type TreeEntry {
  name: String!
  path: String
  mode: Int!
  "Entry file type: blob, tree or commit (a submodule)."
  type: String!
  "The full size of the file in bytes (0 for trees)."
  size: Int!
  oid: GitObjectID!
  object: GitObject
  extension: String
}

type Blob implements GitObject {
  oid: GitObjectID!
  abbreviatedOid: String!
  byteSize: Int!
  isBinary: Boolean
  isTruncated: Boolean!
  text: String
}
'''

SCHEMA = build_schema(SDL)
MAX_DEPTH = 25
TEXT_LIMIT = 512_000
TIMEOUT_MESSAGE = ("We couldn't respond to your request in time. Sorry about that. Please try"
                   " resubmitting your request and contact us if the problem persists.")


@dataclass
class Points:
    """The GraphQL budget of one token."""

    limit: int = 5000
    remaining: int = 5000
    reset: float = field(default_factory=lambda: time.time() + 3600)

    def refill(self) -> None:
        if time.time() >= self.reset:
            self.remaining = self.limit
            self.reset = time.time() + 3600


class _Typed(GraphQLError):
    """A field error GitHub answers with a top-level ``type`` (NOT_FOUND, FORBIDDEN)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class _TooSlow(Exception):
    """The query's work passed the limit: GitHub cuts it at 10 s with a 502."""


# -- cost and depth, from the query's syntax tree (before anything runs) -----------------------

def _fragments(doc: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}


def _int_arg(node: FieldNode, name: str, variables: dict[str, Any]) -> int | None:
    for arg in node.arguments or ():
        if arg.name.value != name:
            continue
        value = arg.value
        if value.kind == "int_value":
            return int(value.value)  # type: ignore[attr-defined]
        if value.kind == "variable":
            got = variables.get(value.name.value)  # type: ignore[attr-defined]
            return int(got) if isinstance(got, int) else None
    return None


def _walk(sel: SelectionSetNode | None, frags: dict[str, FragmentDefinitionNode],
          variables: dict[str, Any], multiplier: int, depth: int) -> tuple[int, int]:
    """(connection requests, depth) below ``sel``; GitHub's formula, see the module doc."""
    if sel is None:
        return 0, depth
    requests, deepest = 0, depth
    for node in sel.selections:
        if isinstance(node, FieldNode):
            page = _int_arg(node, "first", variables) or _int_arg(node, "last", variables)
            child_mult = multiplier
            if page is not None:
                requests += multiplier
                child_mult = multiplier * page
            sub, d = _walk(node.selection_set, frags, variables, child_mult, depth + 1)
            requests += sub
            deepest = max(deepest, d)
        elif isinstance(node, InlineFragmentNode):
            sub, d = _walk(node.selection_set, frags, variables, multiplier, depth)
            requests, deepest = requests + sub, max(deepest, d)
        elif isinstance(node, FragmentSpreadNode) and node.name.value in frags:
            sub, d = _walk(frags[node.name.value].selection_set, frags, variables, multiplier,
                           depth)
            requests, deepest = requests + sub, max(deepest, d)
    return requests, deepest


def cost_and_depth(doc: DocumentNode, variables: dict[str, Any]) -> tuple[int, int]:
    """Points GitHub charges for ``doc`` and its depth (nested fields)."""
    frags = _fragments(doc)
    requests, depth = 0, 0
    for op in doc.definitions:
        if isinstance(op, OperationDefinitionNode):
            r, d = _walk(op.selection_set, frags, variables, 1, 0)
            requests, depth = requests + r, max(depth, d)
    return max(1, math.floor(requests / 100 + 0.5)), depth


# -- resolvers over the REST side's model ------------------------------------------------------

class _World:
    """Turns :class:`GitHubModel` objects into GraphQL values; counts the query's work."""

    def __init__(self, model: Any, trees_of: Any, work_limit: int, asked: list[str]) -> None:
        self.asked = asked
        self.model = model
        self.trees_of = trees_of
        self.work = 0
        self.work_limit = work_limit
        self._trees: dict[tuple[int, str], dict[str, Any]] = {}

    def trees(self, repo: Any, sha: str) -> dict[str, Any]:
        """Git-like trees of one commit, built once per query."""
        key = (repo.id, sha)
        if key not in self._trees:
            self._trees[key] = self.trees_of(repo.commits[sha], repo.submodules)
        return self._trees[key]

    def spend(self, units: int) -> None:
        self.work += units
        if self.work > self.work_limit:
            raise _TooSlow

    def repository(self, owner: str, name: str, follow: bool) -> dict[str, Any]:
        self.asked.append(f"{owner}/{name}".lower())
        state, repo = self.model.resolve(owner, name)
        if repo is None or (state == "moved" and not follow):
            raise _Typed("NOT_FOUND",
                         f"Could not resolve to a Repository with the name '{owner}/{name}'.")
        if repo.blocked:
            raise _Typed("FORBIDDEN", "Repository access blocked")
        return {"__repo": repo}

    def commit(self, repo: Any, sha: str) -> dict[str, Any]:
        snapshot = repo.commits[sha]
        trees = self.trees(repo, sha)
        return {"__typename": "Commit", "oid": sha, "abbreviatedOid": sha[:7],
                "committedDate": repo.pushed_at, "__tree": (snapshot, trees, "")}

    @staticmethod
    def tree(snapshot: dict[str, bytes], trees: dict[str, Any], prefix: str) -> dict[str, Any]:
        info = trees[prefix]
        return {"__typename": "Tree", "oid": info["sha"], "abbreviatedOid": info["sha"][:7],
                "__entries": (snapshot, trees, prefix)}

    def entries(self, snapshot: dict[str, bytes], trees: dict[str, Any], prefix: str
                ) -> list[dict[str, Any]]:
        children = trees[prefix]["children"]
        self.spend(len(children))
        out = []
        for child in children:
            path = f"{prefix}/{child['path']}" if prefix else child["path"]
            kind = child["type"]
            obj: Any = None
            if kind == "tree":
                obj = ("tree", snapshot, trees, path)
            elif kind == "blob":
                obj = ("blob", child["sha"], snapshot.get(path, b""))
            name = child["path"]
            out.append({"name": name, "path": path, "mode": int(child["mode"], 8), "type": kind,
                        "size": child.get("size", 0) if kind == "blob" else 0,
                        "oid": child["sha"], "__object": obj,
                        "extension": ("." + name.rsplit(".", 1)[1]) if "." in name else None})
        return out

    def blob(self, sha: str, data: bytes) -> dict[str, Any]:
        binary = b"\0" in data[:8000]
        text: str | None = None
        if not binary:
            text = data[:TEXT_LIMIT].decode("utf-8", "replace")
            self.spend(len(data[:TEXT_LIMIT]) // 1000)
        return {"__typename": "Blob", "oid": sha, "abbreviatedOid": sha[:7],
                "byteSize": len(data), "isBinary": binary,
                "isTruncated": not binary and len(data) > TEXT_LIMIT, "text": text}

    def object_at(self, repo: Any, expression: str | None, oid: str | None) -> Any:
        """``object(expression: "<rev>:<path>")`` or ``object(oid:)``; None when not there."""
        if oid is not None:
            return self._by_oid(repo, oid)
        if expression is None:
            return None
        rev, sep, path = expression.partition(":")
        sha = repo.head if rev in ("HEAD", repo.default_branch) else rev
        if sha not in repo.commits:
            return None
        if not sep:
            return self.commit(repo, sha)
        snapshot = repo.commits[sha]
        trees = self.trees(repo, sha)
        path = path.strip("/")
        if path in trees:
            return self.tree(snapshot, trees, path)
        if path in snapshot:
            return self.blob(_blob_sha(snapshot[path]), snapshot[path])
        return None

    def _by_oid(self, repo: Any, oid: str) -> Any:
        if oid in repo.commits:
            return self.commit(repo, oid)
        for sha, snapshot in repo.commits.items():
            trees = self.trees(repo, sha)
            for prefix, info in trees.items():
                if info["sha"] == oid:
                    return self.tree(snapshot, trees, prefix)
            for data in snapshot.values():
                if _blob_sha(data) == oid:
                    return self.blob(oid, data)
        return None


def _blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _resolve(world: _World, obj: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
    """The one field resolver: model objects are dicts with private ``__`` handles."""
    name = info.field_name
    parent = info.parent_type.name
    if parent == "Query":
        if name == "repository":
            return world.repository(args["owner"], args["name"], args.get("followRenames", True))
        return info.context["rate_limit"]
    if parent == "Repository":
        return _repository_field(world, obj["__repo"], name, args)
    if parent == "Commit" and name == "tree":
        return world.tree(*obj["__tree"])
    if parent == "Tree" and name == "entries":
        return world.entries(*obj["__entries"])
    if parent == "TreeEntry" and name == "object":
        handle = obj["__object"]
        if handle is None:
            return None
        if handle[0] == "tree":
            return world.tree(*handle[1:])
        return world.blob(handle[1], handle[2])
    if parent == "Ref" and name == "target":
        repo = obj["__repo"]
        return world.commit(repo, repo.head) if repo.head else None
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def _repository_field(world: _World, repo: Any, name: str, args: dict[str, Any]) -> Any:
    simple = {
        "id": f"R_{repo.id}", "databaseId": repo.id, "name": repo.full_name.split("/")[1],
        "nameWithOwner": repo.full_name, "createdAt": repo.created_at,
        "pushedAt": repo.pushed_at, "isFork": repo.fork, "isArchived": repo.archived,
        "isDisabled": False, "isEmpty": not repo.head, "stargazerCount": repo.stars,
        "diskUsage": repo.size_kb,
        "primaryLanguage": {"name": repo.language} if repo.language else None,
    }
    if name in simple:
        return simple[name]
    if name == "defaultBranchRef":
        if not repo.head:
            return None
        return {"name": repo.default_branch, "prefix": "refs/heads/", "__repo": repo}
    if name == "object":
        return world.object_at(repo, args.get("expression"), args.get("oid"))
    if name == "refs":
        nodes = [] if not repo.head else [
            {"name": repo.default_branch, "prefix": "refs/heads/", "__repo": repo}]
        return {"totalCount": len(nodes), "nodes": nodes}
    return None


def _type_of(value: Any, info: GraphQLResolveInfo, abstract: Any) -> str | None:
    return value.get("__typename") if isinstance(value, dict) else None


# -- one POST ----------------------------------------------------------------------------------

class GraphQLSide:
    """The GraphQL half of the GitHub stand-in. ``answer`` returns (status, body, headers).

    Test controls: ``points`` (the budget), ``work_limit`` (answers that would take GitHub
    more than 10 s), ``counts`` (queries, points charged, timeouts, rate limited).
    """

    def __init__(self, model: Any, trees_of: Any, *, token: str | None = None) -> None:
        self.model = model
        self.trees_of = trees_of
        self.token = token
        self.points = Points()
        self.work_limit = 1_000_000
        self.counts: dict[str, int] = {"queries": 0, "points": 0, "timeouts": 0,
                                       "rate_limited": 0}
        self.costs: list[int] = []
        self.asked: list[str] = []  # owner/name of every repository field resolved
        self._lock = threading.Lock()

    def exhaust(self, reset_in: float = 2.0) -> None:
        with self._lock:
            self.points.remaining = 0
            self.points.reset = time.time() + reset_in

    def headers(self) -> dict[str, str]:
        p = self.points
        return {"x-ratelimit-limit": str(p.limit), "x-ratelimit-remaining": str(p.remaining),
                "x-ratelimit-used": str(p.limit - p.remaining),
                "x-ratelimit-reset": str(int(p.reset)), "x-ratelimit-resource": "graphql"}

    def answer(self, body: bytes, authorization: str | None) -> tuple[int, Any, dict[str, str]]:
        if authorization is None or (self.token is not None
                                     and authorization != f"Bearer {self.token}"):
            return 401, {"message": "This endpoint requires you to be authenticated.",
                         "documentation_url": "https://docs.github.com/graphql"}, {}
        try:
            request = json.loads(body or b"null")
            query = request["query"]
            variables = request.get("variables") or {}
            doc = parse(query)
        except (ValueError, KeyError, TypeError, GraphQLError) as exc:
            return 200, {"errors": [{"message": f"Parse error: {exc}"[:300]}]}, self.headers()
        problems = validate(SCHEMA, doc)
        if problems:
            return 200, {"errors": [e.formatted for e in problems[:5]]}, self.headers()
        cost, depth = cost_and_depth(doc, variables)
        if depth > MAX_DEPTH:
            return 200, {"errors": [{"message": f"Query has depth of {depth}, which exceeds"
                                                f" max depth of {MAX_DEPTH}"}]}, self.headers()
        with self._lock:
            self.points.refill()
            if self.points.remaining < cost:
                self.counts["rate_limited"] += 1
                headers = self.headers()
                headers["x-ratelimit-remaining"] = "0"
                return 200, {"errors": [{"type": "RATE_LIMITED", "code": "graphql_rate_limit",
                                         "message": "API rate limit already exceeded for user"
                                                    " ID 1."}]}, headers
            self.points.remaining -= cost
            self.counts["queries"] += 1
            self.counts["points"] += cost
            self.costs.append(cost)
            reset_at = datetime.fromtimestamp(int(self.points.reset), UTC)
            rate = {"cost": cost, "limit": self.points.limit, "nodeCount": 0,
                    "remaining": self.points.remaining, "used": self.points.limit
                    - self.points.remaining,
                    "resetAt": reset_at.strftime("%Y-%m-%dT%H:%M:%SZ")}
        world = _World(self.model, self.trees_of, self.work_limit, self.asked)
        with self.model.lock:
            try:
                result = execute_sync(SCHEMA, doc, variable_values=variables,
                                      field_resolver=lambda o, i, **a: _resolve(world, o, i, **a),
                                      type_resolver=_type_of,
                                      context_value={"rate_limit": rate})
            except _TooSlow:
                result = None
        if result is None or any(isinstance(e.original_error, _TooSlow)
                                 for e in result.errors or ()):
            with self._lock:
                self.counts["timeouts"] += 1
            return 502, {"message": TIMEOUT_MESSAGE,
                         "documentation_url": "https://docs.github.com/graphql"}, self.headers()
        out: dict[str, Any] = {"data": result.data}
        if result.errors:
            out["errors"] = [_github_error(e) for e in result.errors]
        return 200, out, self.headers()


def _github_error(error: GraphQLError) -> dict[str, Any]:
    """graphql-core's error in GitHub's shape: ``type`` at the top level for typed errors."""
    shaped = dict(error.formatted)
    original = error.original_error
    if isinstance(original, _Typed):
        shaped["type"] = original.kind
    elif isinstance(error, _Typed):
        shaped["type"] = error.kind
    return shaped


def rate_limit_body(core: Any, points: Points) -> dict[str, Any]:
    """``GET /rate_limit`` (free): the REST ``core`` budget and the GraphQL one."""
    def one(limit: int, remaining: int, reset: float) -> dict[str, int]:
        left = max(remaining, 0)
        return {"limit": limit, "remaining": left, "used": limit - left, "reset": int(reset)}

    core_part = one(core.limit, core.remaining, core.reset)
    return {"resources": {"core": core_part,
                          "graphql": one(points.limit, points.remaining, points.reset)},
            "rate": core_part}
