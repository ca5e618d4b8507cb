"""A local server that answers like gitlab.com's API v4 for the fetch stage, faults included.

Serves ``/api/v4/projects/{url-encoded path or id}``, ``.../repository/branches/{branch}``,
the recursive tree paginated with ``x-page``/``x-next-page``/``x-total-pages`` headers, and
``.../repository/files/{url-encoded path}/raw?ref=``, with ``ratelimit-*`` headers and ETags.
Faults as in :mod:`github_server` (pattern, status, headers, delay, times). Counters are
server-side: ``api`` (every answer), ``tree_pages``, ``raw``, ``not_modified``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from github_server import Fault, _Answer, _digest, blob_sha


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


class GitLabServer:
    def __init__(self) -> None:
        self.projects: dict[int, Project] = {}
        self.redirects: dict[str, int] = {}
        self.counts: Counter[str] = Counter()
        self.faults: list[Fault] = []
        self.per_page_max = 100
        self._next_id = 500
        self._lock = threading.RLock()
        self._httpd: ThreadingHTTPServer | None = None

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

    def add_fault(self, pattern: str, status: int | None = None, **kw: Any) -> Fault:
        fault = Fault(pattern, status, **kw)
        with self._lock:
            self.faults.append(fault)
        return fault

    # -- lifecycle ----------------------------------------------------------------------------

    def __enter__(self) -> GitLabServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else headers and body wait on delayed ACKs

            def do_GET(self) -> None:  # noqa: N802
                server._handle(self)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    @property
    def api_url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/api/v4"

    # -- handling -----------------------------------------------------------------------------

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        split = urlsplit(req.path)
        headers: dict[str, str] = {"RateLimit-Limit": "2000", "RateLimit-Remaining": "1999",
                                   "RateLimit-Reset": str(int(time.time()) + 60)}
        try:
            fault = None
            with self._lock:
                for f in self.faults:
                    if f.times > 0 and re.search(f.pattern, req.path):
                        f.times -= 1
                        f.hits += 1
                        fault = f
                        break
            if fault is not None and fault.delay:
                time.sleep(fault.delay)
            if fault is not None and fault.status is not None:
                raise _Answer(fault.status, fault.body, dict(fault.headers))
            status, body, extra = self._route(req, split.path, parse_qs(split.query))
            headers.update(extra)
        except _Answer as answer:
            status, body = answer.status, answer.body
            headers.update(answer.headers)
        if isinstance(body, dict | list):
            payload = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(body, bytes):
            payload = body
            headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        else:
            payload = str(body or "").encode()
        with self._lock:
            self.counts["api"] += 1
            if status == 304:
                self.counts["not_modified"] += 1
        try:
            req.send_response(status)
            for name, value in headers.items():
                req.send_header(name, value)
            req.send_header("Content-Length", "0" if status == 304 else str(len(payload)))
            req.end_headers()
            if status != 304:
                req.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _route(self, req: BaseHTTPRequestHandler, path: str, query: dict[str, list[str]]
               ) -> tuple[int, Any, dict[str, str]]:
        raw_parts = [p for p in path.split("/") if p]
        if raw_parts[:3] != ["api", "v4", "projects"] or len(raw_parts) < 4:
            raise _Answer(404, {"error": "404 Not Found"})
        key = unquote(raw_parts[3])
        with self._lock:
            project = (self.projects.get(int(key)) if key.isdigit() else self._by_path(key))
        if project is None:
            raise _Answer(404, {"message": "404 Project Not Found"})
        rest = raw_parts[4:]
        if not rest:
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
            if req.headers.get("If-None-Match") == etag:
                return 304, None, {"ETag": etag}
            return 200, body, {"ETag": etag}
        if rest[:2] == ["repository", "branches"] and len(rest) == 3:
            if not project.commit or unquote(rest[2]) != project.default_branch:
                raise _Answer(404, {"message": "404 Branch Not Found"})
            return 200, {"name": project.default_branch, "default": True,
                         "commit": {"id": project.commit, "short_id": project.commit[:8]}}, {}
        if rest[:2] == ["repository", "tree"]:
            return self._tree(project, query)
        if rest[:2] == ["repository", "files"] and len(rest) == 4 and rest[3] == "raw":
            name = unquote(rest[2])
            ref = query.get("ref", [""])[0]
            if ref not in (project.commit, project.default_branch) or name not in project.files:
                raise _Answer(404, {"message": "404 File Not Found"})
            with self._lock:
                self.counts["raw"] += 1
            return 200, project.files[name], {}
        raise _Answer(404, {"error": "404 Not Found"})

    def _tree(self, project: Project, query: dict[str, list[str]]
              ) -> tuple[int, Any, dict[str, str]]:
        if not project.commit:
            raise _Answer(404, {"message": "404 Tree Not Found"})
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
