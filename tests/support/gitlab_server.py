"""A local server that answers like gitlab.com's API v4 for the fetch stage, faults included.

Built on :class:`support.stub.StubServer`. Serves ``/api/v4/projects/{url-encoded path or id}``,
``.../repository/branches/{branch}``, the recursive tree paginated with ``x-page``/
``x-next-page``/``x-total-pages`` headers, and ``.../repository/files/{url-encoded path}/raw?ref=``,
with ``ratelimit-*`` headers and ETags. Faults as in the base (pattern, status, headers, delay,
times, drop/hang/drip/gzip). Counters are server-side: ``api`` (every answer), ``tree_pages``,
``raw``, ``not_modified``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from support.github_server import _digest, blob_sha
from support.stub import Reply, Request, StubServer


@dataclass
class Project:
    id: int
    path: str  # path_with_namespace, e.g. group/sub/name
    files: dict[str, bytes] = field(default_factory=dict)
    default_branch: str = "main"
    created_at: str = "2019-05-01T08:00:00.000Z"
    last_activity_at: str = "2019-05-03T08:00:00.000Z"
    stars: int = 0
    commit: str | None = None
    # path -> target: symbolic links (mode 120000 in the tree; raw serves the target path)
    symlinks: dict[str, str] = field(default_factory=dict)


class GitLabServer(StubServer):
    name = "gitlab"

    def __init__(self) -> None:
        super().__init__()
        self.projects: dict[int, Project] = {}
        self.redirects: dict[str, int] = {}
        self.per_page_max = 100
        self._next_id = 500

    # -- model --------------------------------------------------------------------------------

    def add_project(self, path: str, files: dict[str, bytes] | None = None,
                    **meta: Any) -> Project:
        with self._lock:
            self._next_id += 1
            project = Project(self._next_id, path, dict(files or {}), **meta)
            project.commit = self._sha(project) if project.files else None
            self.projects[project.id] = project
            return project

    def push(self, path: str, changes: dict[str, bytes | None]) -> str:
        with self._lock:
            project = self._by_path(path)
            assert project is not None
            for name, data in changes.items():
                if data is None:
                    project.files.pop(name, None)
                else:
                    project.files[name] = data
            project.commit = self._sha(project)
            project.last_activity_at = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
            return project.commit

    @staticmethod
    def _sha(project: Project) -> str:
        return _digest("commit", project.id, sorted((p, blob_sha(b))
                                                    for p, b in project.files.items()))

    def rename(self, old: str, new: str) -> None:
        """Rename or transfer; the old path keeps answering with the project (redirect route)."""
        with self._lock:
            project = self._by_path(old)
            assert project is not None
            self.redirects[old.lower()] = project.id
            project.path = new

    def _by_path(self, path: str) -> Project | None:
        for project in self.projects.values():
            if project.path.lower() == path.lower():
                return project
        moved = self.redirects.get(path.lower())
        return self.projects.get(moved) if moved is not None else None

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/v4"

    # -- the stub's hooks ---------------------------------------------------------------------

    def channel(self, method: str, path: str) -> str:
        return "api"

    def decorate(self, request: Request, reply: Reply) -> None:
        for name, value in {"RateLimit-Limit": "2000", "RateLimit-Remaining": "1999",
                            "RateLimit-Reset": str(int(time.time()) + 60)}.items():
            reply.headers.setdefault(name, value)
        if isinstance(reply.body, bytes):
            reply.headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        if reply.status == 304:
            with self._lock:
                self.counts["not_modified"] += 1

    def route(self, request: Request) -> Reply:
        status, body, headers = self._route(request, request.path, request.query)
        return Reply(status, body, headers)

    def _route(self, req: Request, path: str, query: dict[str, list[str]]
               ) -> tuple[int, Any, dict[str, str]]:
        raw_parts = [p for p in path.split("/") if p]
        if raw_parts[:3] != ["api", "v4", "projects"] or len(raw_parts) < 4:
            raise Reply(404, {"error": "404 Not Found"})
        key = unquote(raw_parts[3])
        with self._lock:
            project = (self.projects.get(int(key)) if key.isdigit() else self._by_path(key))
        if project is None:
            raise Reply(404, {"message": "404 Project Not Found"})
        rest = raw_parts[4:]
        if not rest:
            return self._project(req, project)
        if rest[:2] == ["repository", "branches"] and len(rest) == 3:
            if not project.commit or unquote(rest[2]) != project.default_branch:
                raise Reply(404, {"message": "404 Branch Not Found"})
            return 200, {"name": project.default_branch, "default": True,
                         "commit": {"id": project.commit, "short_id": project.commit[:8]}}, {}
        if rest[:2] == ["repository", "tree"]:
            return self._tree(project, query)
        if rest[:2] == ["repository", "files"] and len(rest) == 4 and rest[3] == "raw":
            return self._file(project, unquote(rest[2]), query.get("ref", [""])[0])
        raise Reply(404, {"error": "404 Not Found"})

    @staticmethod
    def _project(req: Request, project: Project) -> tuple[int, Any, dict[str, str]]:
        body = {
            "id": project.id, "path_with_namespace": project.path,
            "name": project.path.rsplit("/", 1)[-1],
            "default_branch": project.default_branch if project.commit else None,
            "created_at": project.created_at, "last_activity_at": project.last_activity_at,
            "star_count": project.stars, "forks_count": 0, "archived": False,
            "empty_repo": project.commit is None, "visibility": "public",
            "web_url": f"https://gitlab.com/{project.path}",
        }
        etag = f'W/"{_digest(body)}"'
        if req.header("If-None-Match") == etag:
            return 304, None, {"ETag": etag}
        return 200, body, {"ETag": etag}

    def _file(self, project: Project, name: str, ref: str) -> tuple[int, Any, dict[str, str]]:
        if ref in (project.commit, project.default_branch) and name in project.symlinks:
            return 200, project.symlinks[name].encode(), {}
        if ref not in (project.commit, project.default_branch) or name not in project.files:
            raise Reply(404, {"message": "404 File Not Found"})
        with self._lock:
            self.counts["raw"] += 1
        return 200, project.files[name], {}

    def _tree(self, project: Project, query: dict[str, list[str]]
              ) -> tuple[int, Any, dict[str, str]]:
        if not project.commit:
            raise Reply(404, {"message": "404 Tree Not Found"})
        entries: list[dict[str, Any]] = []
        dirs: set[str] = set()
        for path in project.files:
            parts = path.split("/")
            dirs.update("/".join(parts[:i]) for i in range(1, len(parts)))
        for d in sorted(dirs):
            entries.append({"id": _digest("tree", d), "name": d.rsplit("/", 1)[-1],
                            "type": "tree", "path": d, "mode": "040000"})
        for path, data in sorted(project.files.items()):
            entries.append({"id": blob_sha(data), "name": path.rsplit("/", 1)[-1],
                            "type": "blob", "path": path, "mode": "100644"})
        for path, target in sorted(project.symlinks.items()):
            entries.append({"id": blob_sha(target.encode()), "name": path.rsplit("/", 1)[-1],
                            "type": "blob", "path": path, "mode": "120000"})
        per_page = min(int(query.get("per_page", ["20"])[0]), self.per_page_max)
        page = int(query.get("page", ["1"])[0] or 1)
        total_pages = max(1, -(-len(entries) // per_page))
        chunk = entries[(page - 1) * per_page: page * per_page]
        with self._lock:
            self.counts["tree_pages"] += 1
        return 200, chunk, {
            "x-page": str(page), "x-per-page": str(per_page), "x-total": str(len(entries)),
            "x-total-pages": str(total_pages),
            "x-next-page": str(page + 1) if page < total_pages else "",
        }
