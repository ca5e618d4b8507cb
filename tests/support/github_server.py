"""A local server that answers like GitHub's REST API and its raw host, faults included.

Built on :class:`support.stub.StubServer`. Routing is a table (:attr:`GitHubServer.routes`):
``POST /api/graphql`` is executed by the GraphQL side (``tests/support/github_graphql.py``,
``server.graphql``) and ``GET /api/rate_limit`` answers both budgets for free; the model
(:class:`GitHubModel`, :class:`Repo`) is shared by every route.

It serves an in-memory model of repositories that tests mutate between calls (push commits,
rename, delete, block), with the shapes and headers the real service documents (API_NOTES.md):
``x-ratelimit-*`` on every API answer, weak ETags and 304s to ``If-None-Match``, 301 to
``/repositories/{id}`` after a rename, 404 / 451 / 403-with-``block`` / 409, trees truncated on
demand. Faults are injected per path pattern (status, headers, body, delay, number of times).

Counters are kept SERVER-SIDE, so a test checks what really reached the wire: ``charged``
(API answers that cost rate limit), ``not_modified`` (304s, free with a token), ``raw``
(downloads from the raw host), ``rate_limited`` and ``api`` (all API answers).

Use::

    with GitHubServer() as gh:
        gh.model.add_repo("Acme/Net", {"train.py": b"import torch\\n"})
        settings = Settings(github_api_url=gh.api_url, github_raw_url=gh.raw_url)
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from support.github_graphql import GraphQLSide, rate_limit_body
from support.stub import Fault, Reply, Request, StubServer


def blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _digest(*parts: Any) -> str:
    return hashlib.sha1(json.dumps(parts, sort_keys=True).encode()).hexdigest()


@dataclass
class Repo:
    """One repository of the model: the current files, the commit history, the metadata."""

    id: int
    full_name: str
    default_branch: str = "main"
    created_at: str = "2019-03-01T10:00:00Z"
    pushed_at: str = "2019-03-02T10:00:00Z"
    stars: int = 0
    fork: bool = False
    archived: bool = False
    language: str | None = "Python"
    blocked: str | None = None  # "dmca" -> 451, "tos" -> 403 with a block object
    block_reason: str | None = None  # the block object's reason text (default: ``blocked``)
    truncated: bool = False  # recursive tree answers come back truncated
    truncate_at: int = 3
    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)
    head: str | None = None
    submodules: dict[str, str] = field(default_factory=dict)
    # path -> target: symbolic links (mode 120000; the raw host serves the target path)
    symlinks: dict[str, str] = field(default_factory=dict)
    # ``size`` in the metadata, when it should not be computed (GitHub's lags: 0 with commits)
    size_override: int | None = None

    @property
    def files(self) -> dict[str, bytes]:
        return dict(self.commits[self.head]) if self.head else {}

    @property
    def size_kb(self) -> int:
        if self.size_override is not None:
            return self.size_override
        if not self.head:
            return 0
        return max(1, sum(len(v) for v in self.commits[self.head].values()) // 1024)


class GitHubModel:
    """The repositories the server knows, by id, current name and old names."""

    def __init__(self) -> None:
        self.repos: dict[int, Repo] = {}
        self.names: dict[str, int] = {}
        self.old_names: dict[str, int] = {}
        self._next_id = 1000
        self._clock = 0
        self.lock = threading.RLock()

    def add_repo(self, full_name: str, files: dict[str, bytes] | None = None,
                 **meta: Any) -> Repo:
        with self.lock:
            self._next_id += 1
            repo = Repo(id=self._next_id, full_name=full_name, **meta)
            self.repos[repo.id] = repo
            self.names[full_name.lower()] = repo.id
            if files:
                self._commit(repo, dict(files))
            return repo

    def get(self, full_name: str) -> Repo:
        return self.repos[self.names[full_name.lower()]]

    def _commit(self, repo: Repo, snapshot: dict[str, bytes]) -> str:
        self._clock += 1
        sha = _digest("commit", repo.id, self._clock, sorted(
            (p, blob_sha(b)) for p, b in snapshot.items()))
        repo.commits[sha] = snapshot
        repo.head = sha
        return sha

    def push(self, full_name: str, changes: dict[str, bytes | None],
             pushed_at: str | None = None) -> str:
        """A new commit on the default branch: bytes add or change a file, None deletes it."""
        with self.lock:
            repo = self.get(full_name)
            snapshot = repo.files
            for path, data in changes.items():
                if data is None:
                    snapshot.pop(path, None)
                else:
                    snapshot[path] = data
            repo.pushed_at = pushed_at or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            return self._commit(repo, snapshot)

    def rename(self, old: str, new: str) -> None:
        """Rename or transfer: the old name answers 301 to ``/repositories/{id}``."""
        with self.lock:
            repo = self.get(old)
            del self.names[old.lower()]
            self.old_names[old.lower()] = repo.id
            repo.full_name = new
            self.names[new.lower()] = repo.id
            self.old_names.pop(new.lower(), None)

    def block(self, full_name: str, reason: str = "dmca") -> None:
        """Take down (``dmca``: 451) or disable for terms of service (``tos``: 403 + block)."""
        with self.lock:
            self.get(full_name).blocked = reason

    def delete(self, full_name: str) -> None:
        with self.lock:
            repo = self.get(full_name)
            del self.names[full_name.lower()]
            del self.repos[repo.id]

    def resolve(self, owner: str, name: str) -> tuple[str, Repo | None]:
        """('ok', repo), ('moved', repo) or ('missing', None)."""
        key = f"{owner}/{name}".lower()
        with self.lock:
            if key in self.names:
                return "ok", self.repos[self.names[key]]
            if key in self.old_names and self.old_names[key] in self.repos:
                return "moved", self.repos[self.old_names[key]]
        return "missing", None


@dataclass
class Budget:
    limit: int
    remaining: int = -1
    reset: float = 0.0

    def __post_init__(self) -> None:
        if self.remaining < 0:
            self.remaining = self.limit
        self.reset = self.reset or time.time() + 3600


class GitHubServer(StubServer):
    """GitHub's REST API under ``/api`` and its raw host under ``/raw``; ``api_url`` and
    ``raw_url`` are what Settings need. Channels: ``api``, ``raw``, ``graphql``."""

    name = "github"

    def __init__(self, *, token: str | None = None, limit: int = 5000,
                 anonymous_limit: int = 60) -> None:
        super().__init__()
        self.model = GitHubModel()
        self.graphql = GraphQLSide(self.model, _build_trees, token=token)
        self.token = token  # when set, any other Authorization is answered 401
        # GitHub keeps one budget per token and one per address for anonymous callers.
        self.budgets = {True: Budget(limit), False: Budget(anonymous_limit)}
        # (method, path prefix) -> handler; the first match answers.
        self.routes: list[tuple[str, str, Callable[[Request], Reply]]] = [
            ("POST", "/api/graphql", self._graphql_route),
            ("GET", "/raw/", self._raw_route),
            ("GET", "/api/", self._api_route),
        ]

    @property
    def api_url(self) -> str:
        return self.base_url + "/api"

    @property
    def raw_url(self) -> str:
        return self.base_url + "/raw"

    # -- test controls ------------------------------------------------------------------------

    def add_fault(self, pattern: str, status: int | None = None, *, kind: str = "any",
                  **kw: Any) -> Fault:
        """A fault on requests whose target matches ``pattern``; ``kind``: api, raw or any."""
        return super().add_fault(pattern, status, channel=kw.pop("channel", kind), **kw)

    def exhaust_rate_limit(self, reset_in: float = 2.0) -> None:
        """Spend the budget: API answers are 403 rate limited until ``reset_in`` seconds pass."""
        self.set_budget(0, reset_in)

    def set_budget(self, remaining: int, reset_in: float, *,
                   authorized: bool | None = None) -> None:
        """Set what is left of the hourly budget (both budgets unless ``authorized`` says)."""
        with self._lock:
            for key, budget in self.budgets.items():
                if authorized is None or key == authorized:
                    budget.remaining = remaining
                    budget.reset = time.time() + reset_in

    # -- the stub's hooks ---------------------------------------------------------------------

    def channel(self, method: str, path: str) -> str:
        if path.startswith("/raw/"):
            return "raw"
        return "graphql" if path.rstrip("/") == "/api/graphql" else "api"

    def route(self, request: Request) -> Reply:
        for method, prefix, handler in self.routes:
            if request.method == method and request.path.startswith(prefix):
                return handler(request)
        return Reply(404, _not_found())

    def decorate(self, request: Request, reply: Reply) -> None:
        if request.channel == "api":
            for name, value in self._budget_headers(request.header("Authorization") is not None
                                                    ).items():
                reply.headers.setdefault(name, value)
        if request.channel == "raw" and reply.status == 200:
            with self._lock:
                self.counts["raw_bytes"] += len(reply.body or b"")

    def _graphql_route(self, request: Request) -> Reply:
        """``POST /api/graphql``: executed by the GraphQL side (tests/support/github_graphql.py)
        over the same model as the REST routes."""
        status, body, headers = self.graphql.answer(request.body,
                                                    request.header("Authorization"))
        return Reply(status, body, headers)

    # -- request handling ---------------------------------------------------------------------

    def _raw_route(self, request: Request) -> Reply:
        body, headers = self._raw(request.path[len("/raw/"):])
        return Reply(200, body, headers)

    def _api_route(self, request: Request) -> Reply:
        status, body, headers = self._api(request, request.path[len("/api"):], request.query,
                                          request.header("Authorization"),
                                          request.header("If-None-Match"))
        return Reply(status, body, headers)

    def _budget_headers(self, authorized: bool) -> dict[str, str]:
        with self._lock:
            budget = self.budgets[authorized]
            left = max(budget.remaining, 0)
            return {
                "x-ratelimit-limit": str(budget.limit),
                "x-ratelimit-remaining": str(left),
                "x-ratelimit-used": str(budget.limit - left),
                "x-ratelimit-reset": str(int(budget.reset)),
                "x-ratelimit-resource": "core",
            }

    def _charge(self, not_modified: bool, authorized: bool) -> None:
        with self._lock:
            if not_modified:
                self.counts["not_modified"] += 1
                if authorized:
                    return
            self.counts["charged"] += 1
            self.budgets[authorized].remaining -= 1

    def _api(self, req: Request, path: str, query: dict[str, list[str]],
             auth: str | None, inm: str | None) -> tuple[int, Any, dict[str, str]]:
        if self.token is not None and auth is not None and auth != f"Bearer {self.token}":
            raise Reply(401, {"message": "Bad credentials",
                              "documentation_url": "https://docs.github.com/rest"})
        if path.strip("/") == "rate_limit":  # free, and answered even when the budget is spent
            return 200, rate_limit_body(self.budgets[auth is not None], self.graphql.points), {}
        with self._lock:
            budget = self.budgets[auth is not None]
            if time.time() >= budget.reset:
                budget.remaining = budget.limit
                budget.reset = time.time() + 3600
            spent = budget.remaining <= 0
            if spent:
                self.counts["rate_limited"] += 1
        if spent:
            raise Reply(403, {
                "message": "API rate limit exceeded for 127.0.0.1.",
                "documentation_url": "https://docs.github.com/rest/overview/rate-limits",
            })
        try:
            status, body, headers = self._route(req, path, query)
        except Reply:
            self._charge(False, auth is not None)  # 301, 404, 409, 451 cost a request too
            raise
        etag = headers.get("ETag")
        if status == 200 and etag is not None and inm is not None and inm == etag:
            self._charge(True, auth is not None)
            return 304, None, {"ETag": etag}
        self._charge(False, auth is not None)
        return status, body, headers

    def _route(self, req: Request, path: str, query: dict[str, list[str]]
               ) -> tuple[int, Any, dict[str, str]]:
        parts = [unquote(p) for p in path.split("/") if p]
        repo, rest = self._repo_of(parts)
        if repo.blocked:
            block = {"reason": repo.block_reason or repo.blocked,
                     "created_at": "2020-01-01T00:00:00Z",
                     "html_url": f"https://github.com/github/dmca/blob/master/{repo.id}.md"}
            raise Reply(451 if repo.blocked == "dmca" else 403,
                        {"message": "Repository access blocked", "block": block})
        if not rest:
            return self._repo_json(repo)
        if rest[0] == "commits" and len(rest) >= 2:
            return self._commit_json(req, repo, "/".join(rest[1:]))
        if rest[:2] == ["git", "trees"] and len(rest) >= 3:
            recursive = query.get("recursive", ["0"])[0] not in ("0", "false", "")
            return self._tree_json(repo, "/".join(rest[2:]), recursive)
        raise Reply(404, _not_found())

    def _repo_of(self, parts: list[str]) -> tuple[Repo, list[str]]:
        """The repository a path names (by id or name) and the rest of the path; a rename
        answers 301 to ``/repositories/{id}``."""
        if len(parts) >= 2 and parts[0] == "repositories" and parts[1].isdigit():
            with self.model.lock:
                repo = self.model.repos.get(int(parts[1]))
            if repo is None:
                raise Reply(404, _not_found())
            return repo, parts[2:]
        if len(parts) < 3 or parts[0] != "repos":
            raise Reply(404, _not_found())
        state, found = self.model.resolve(parts[1], parts[2])
        if state == "missing" or found is None:
            raise Reply(404, _not_found())
        if state == "moved":
            location = f"{self.api_url}/repositories/{found.id}"
            if parts[3:]:
                location += "/" + "/".join(parts[3:])
            raise Reply(301, {"message": "Moved Permanently", "url": location,
                              "documentation_url": "https://docs.github.com/rest"},
                        {"Location": location})
        return found, parts[3:]

    def _repo_json(self, repo: Repo) -> tuple[int, Any, dict[str, str]]:
        owner, name = repo.full_name.split("/")
        body = {
            "id": repo.id, "node_id": f"R_{repo.id}", "name": name, "full_name": repo.full_name,
            "private": False, "owner": {"login": owner, "id": repo.id * 7, "type": "User"},
            "html_url": f"https://github.com/{repo.full_name}", "description": None,
            "fork": repo.fork, "url": f"{self.api_url}/repos/{repo.full_name}",
            "created_at": repo.created_at, "updated_at": repo.pushed_at,
            "pushed_at": repo.pushed_at, "size": repo.size_kb,
            "stargazers_count": repo.stars, "watchers_count": repo.stars,
            "language": repo.language, "forks_count": 0, "archived": repo.archived,
            "disabled": False, "open_issues_count": 0, "default_branch": repo.default_branch,
            "visibility": "public",
        }
        return 200, body, {"ETag": f'W/"{_digest(body)}"'}

    def _snapshot(self, repo: Repo, ref: str) -> tuple[str, dict[str, bytes]]:
        if not repo.head:
            raise Reply(409, {"message": "Git Repository is empty.",
                                "documentation_url": "https://docs.github.com/rest"})
        if ref in (repo.default_branch, "HEAD"):
            return repo.head, repo.commits[repo.head]
        if ref in repo.commits:
            return ref, repo.commits[ref]
        raise Reply(422, {"message": f"No commit found for SHA: {ref}"})

    def _commit_json(self, req: Request, repo: Repo, ref: str
                     ) -> tuple[int, Any, dict[str, str]]:
        sha, snapshot = self._snapshot(repo, ref)
        etag = f'"{_digest("c", sha)}"'
        if "application/vnd.github.sha" in (req.header("Accept") or ""):
            return 200, sha, {"ETag": etag}
        root = _build_trees(snapshot, repo.submodules, repo.symlinks)[""]
        return 200, {"sha": sha, "commit": {"tree": {"sha": root["sha"]}}}, {"ETag": etag}

    def _tree_json(self, repo: Repo, ref: str, recursive: bool
                   ) -> tuple[int, Any, dict[str, str]]:
        if not repo.head:
            raise Reply(409, {"message": "Git Repository is empty."})
        trees: dict[str, dict[str, Any]] = {}
        for snapshot in repo.commits.values():
            for info in _build_trees(snapshot, repo.submodules, repo.symlinks).values():
                trees[info["sha"]] = info
        if ref in (repo.default_branch, "HEAD") or ref in repo.commits:
            _sha, snapshot = self._snapshot(repo, ref)
            info = _build_trees(snapshot, repo.submodules, repo.symlinks)[""]
        elif ref in trees:
            info = trees[ref]
        else:
            raise Reply(404, _not_found())
        url = f"{self.api_url}/repos/{repo.full_name}/git/trees/{info['sha']}"
        if not recursive:
            return 200, {"sha": info["sha"], "url": url, "tree": info["children"],
                         "truncated": False}, {}
        entries = _flatten(info, trees)
        truncated = repo.truncated and len(entries) > repo.truncate_at
        if truncated:
            entries = entries[:repo.truncate_at]
        return 200, {"sha": info["sha"], "url": url, "tree": entries,
                     "truncated": truncated}, {}

    def _raw(self, path: str) -> tuple[bytes, dict[str, str]]:
        parts = path.split("/")
        if len(parts) < 4:
            raise Reply(404, "404: Not Found")
        state, repo = self.model.resolve(unquote(parts[0]), unquote(parts[1]))
        if repo is None or repo.blocked or not repo.head:
            raise Reply(404, "404: Not Found")
        ref = unquote(parts[2])
        snapshot = (repo.commits.get(ref) if ref in repo.commits
                    else repo.commits[repo.head] if ref == repo.default_branch else None)
        file_path = unquote("/".join(parts[3:]))
        if snapshot is not None and file_path in repo.symlinks:
            # The raw host serves a symbolic link's target path as the file's bytes.
            target = repo.symlinks[file_path].encode()
            return target, {"Content-Type": "text/plain; charset=utf-8"}
        if snapshot is None or file_path not in snapshot:
            raise Reply(404, "404: Not Found")
        return snapshot[file_path], {"Content-Type": "text/plain; charset=utf-8",
                                     "ETag": f'"{blob_sha(snapshot[file_path])}"'}


def _not_found() -> dict[str, str]:
    return {"message": "Not Found",
            "documentation_url": "https://docs.github.com/rest", "status": "404"}


def _build_trees(snapshot: dict[str, bytes], submodules: dict[str, str],
                 symlinks: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """Git-like trees of a snapshot: prefix -> {sha, children (non-recursive entries)}."""
    dirs: dict[str, dict[str, Any]] = {"": {}}
    items = [(p, "blob", d) for p, d in snapshot.items()]
    items += [(p, "commit", s) for p, s in submodules.items()]
    items += [(p, "link", t.encode()) for p, t in (symlinks or {}).items()]
    for path, kind, data in items:
        parts = path.split("/")
        for i in range(1, len(parts)):
            dirs.setdefault("/".join(parts[:i]), {})
        dirs["/".join(parts[:-1])][parts[-1]] = (kind, data)
    out: dict[str, dict[str, Any]] = {}
    for prefix in sorted(dirs, key=lambda d: -d.count("/") - (1 if d else 0)):
        children = []
        for name, (kind, data) in sorted(dirs[prefix].items()):
            if kind in ("blob", "link"):
                children.append({"path": name, "mode": "100644" if kind == "blob" else "120000",
                                 "type": "blob", "sha": blob_sha(data), "size": len(data)})
            elif kind == "commit":
                children.append({"path": name, "mode": "160000", "type": "commit",
                                 "sha": data})
        for sub in sorted(d for d in dirs if d and _parent(d) == prefix):
            name = sub.rsplit("/", 1)[-1]
            children.append({"path": name, "mode": "040000", "type": "tree",
                             "sha": out[sub]["sha"]})
        children.sort(key=lambda c: c["path"])
        out[prefix] = {"sha": _digest("tree", children), "children": children,
                       "prefix": prefix}
    return out


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def _flatten(info: dict[str, Any], trees: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Recursive listing of a tree, paths relative to it, in git's order."""
    out = []
    for child in info["children"]:
        out.append(dict(child))
        if child["type"] == "tree":
            for sub in _flatten(trees[child["sha"]], trees):
                sub["path"] = f"{child['path']}/{sub['path']}"
                out.append(sub)
    return out


def add_link(conn: Any, arxiv_id: str, repo: str, *, kind: str = "github",
             official: bool = True, published: str = "2020-01-01T00:00:00Z") -> None:
    """A harvested paper linking ``repo`` (``host/owner/name``), as the harvest stage stores it."""
    conn.execute(
        "INSERT OR IGNORE INTO papers (arxiv_id, version, title, abstract, primary_category,"
        " categories, authors, published, updated, harvested_at)"
        " VALUES (?, 1, 'A title', 'An abstract', 'cs.LG', 'cs.LG', '[]', ?, ?, ?)",
        (arxiv_id, published, published, published),
    )
    row = (arxiv_id, repo, repo.split("/")[0], kind, f"https://{repo}", int(official))
    for table in ("links", "link_sources"):  # every source of a link is a link_sources row too
        conn.execute(
            f"INSERT INTO {table} (arxiv_id, repo, host, kind, url, official, source)"  # noqa: S608
            " VALUES (?, ?, ?, ?, ?, ?, 'abstract')", row)
