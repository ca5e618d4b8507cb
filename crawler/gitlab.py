"""GitLab API v4 client (gitlab.com by default, ``settings.gitlab_api_url``) for the fetch stage.

``GET /projects/{url-encoded path}`` (metadata; a renamed project answers under its new path),
``GET /projects/{id}/repository/branches/{branch}`` (head sha), the recursive tree paginated by
``x-next-page`` (100 entries a page, at most ``max_tree_requests`` pages: beyond that the tree is
stored as truncated, as it is beyond ``max_tree_entries``) and
``/repository/files/{path}/raw?ref={sha}``. GitLab's tree has no sizes, so the file and
repository byte caps apply while downloading; entries keep their ``mode`` (``120000``: a
symbolic link). Same result types and politeness as the GitHub client (:mod:`crawler.repo_host`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from crawler.github import raw_outcome
from crawler.http import RequestStats
from crawler.repo_host import (
    Downloaded,
    Lookup,
    PoliteClient,
    RepoMeta,
    Tree,
    _bool,
    _int,
    _str,
    iso,
    json_body,
)
from crawler.selection import Selected, TreeEntry
from crawler.transport import Endpoint, Health
from survey.core.errors import ServiceError
from survey.core.settings import Settings


class GitLabClient(PoliteClient):
    def __init__(
        self,
        settings: Settings,
        stats: RequestStats,
        *,
        health: Health | None = None,
        sleep: Callable[[float], None] | None = None,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self.api = settings.gitlab_api_url.rstrip("/")
        super().__init__(settings, stats,
                         endpoint=Endpoint("gitlab", "SURVEY_GITLAB_API_URL", self.api),
                         health=health, pool_size=settings.raw_workers, sleep=sleep,
                         notify=notify)

    def lookup(self, path: str, etag: str | None = None) -> Lookup:
        """Project metadata by ``group/.../name``; missing for 404 (also private projects)."""
        parts = path.split("/")
        if len(parts) < 2 or any(not p or p in (".", "..") for p in parts):
            return Lookup("missing", detail="not a valid GitLab project path")
        url = f"{self.api}/projects/{quote(path, safe='')}"
        resp = self.get(url, headers={"If-None-Match": etag} if etag else None)
        if resp.status == 304:
            return Lookup("not_modified")
        if resp.status == 404:
            return Lookup("missing", detail="HTTP 404")
        if resp.status == 451:
            return Lookup("blocked", detail="HTTP 451")
        if resp.status != 200:
            raise ServiceError(f"gitlab: HTTP {resp.status} for {url}", url=url,
                               status=resp.status)
        body = json_body(resp, url)
        full_name = _str(body.get("path_with_namespace")) if isinstance(body, dict) else None
        if not isinstance(body, dict) or "id" not in body or full_name is None:
            raise ServiceError(f"gitlab: project answer without id or path from {url}", url=url)
        return Lookup("ok", meta=RepoMeta(
            remote_id=str(body["id"]),
            full_name=full_name,
            default_branch=_str(body.get("default_branch")),
            created_at=iso(body.get("created_at")),
            pushed_at=iso(body.get("last_activity_at")),
            stars=_int(body.get("star_count")),
            fork=bool(body.get("forked_from_project")),
            archived=_bool(body.get("archived")),
            language=None,
            size_kb=None,
            etag=resp.headers.get("ETag"),
            empty=bool(body.get("empty_repo")),
        ))

    def head(self, meta: RepoMeta) -> str | None:
        if meta.empty or not meta.default_branch:
            return None
        url = (f"{self.api}/projects/{quote(meta.remote_id, safe='')}/repository/branches/"
               f"{quote(meta.default_branch, safe='')}")
        resp = self.get(url)
        if resp.status == 404:
            return None
        if resp.status != 200:
            raise ServiceError(f"gitlab: HTTP {resp.status} for {url}", url=url,
                               status=resp.status)
        body = json_body(resp, url)
        commit = body.get("commit") if isinstance(body, dict) else None
        sha = commit.get("id") if isinstance(commit, dict) else None
        if not isinstance(sha, str) or not sha:
            raise ServiceError(f"gitlab: no commit id in the answer of {url}", url=url)
        return sha

    def tree(self, meta: RepoMeta, sha: str) -> Tree | None:
        url = f"{self.api}/projects/{quote(meta.remote_id, safe='')}/repository/tree"
        entries: list[TreeEntry] = []
        page: str | None = "1"
        pages = 0
        while page:
            if pages >= self.settings.max_tree_requests:
                return Tree(entries, truncated=True,
                            why=f"read {pages} pages (the request cap)")
            resp = self.get(url, params={"recursive": "true", "per_page": "100", "ref": sha,
                                         "page": page})
            pages += 1
            if resp.status == 404 and pages == 1:
                return None
            if resp.status != 200:
                raise ServiceError(f"gitlab: HTTP {resp.status} for {url}", url=url,
                                   status=resp.status)
            body = json_body(resp, url)
            if not isinstance(body, list):
                raise ServiceError(f"gitlab: tree answer is not a list from {url}", url=url)
            entries.extend(_entries(body, self.settings.max_tree_depth))
            if len(entries) > self.settings.max_tree_entries:
                del entries[self.settings.max_tree_entries:]
                return Tree(entries, truncated=True,
                            why=f"stopped at {len(entries):,} entries (the entry cap)")
            page = (resp.headers.get("x-next-page") or "").strip() or None
        if not entries and pages == 1:
            return None
        return Tree(entries)

    def download(self, meta: RepoMeta, sha: str, files: list[Selected]) -> Downloaded:
        base = f"{self.api}/projects/{quote(meta.remote_id, safe='')}/repository/files/"

        def fetch_one(sel: Selected) -> bytes | str:
            url = f"{base}{quote(sel.path, safe='')}/raw"
            resp = self.get(url, params={"ref": sha}, max_body=self.settings.max_file_bytes,
                            kind="raw")
            return raw_outcome(self, resp, url)

        return self.download_many(files, fetch_one, workers=self.settings.raw_workers)

    @property
    def totals(self) -> dict[str, int]:
        return {
            "charged": self.counts["charged"],
            "not_modified": self.counts["not_modified"],
            "raw": self.counts["raw"],
            "bytes": self.counts["bytes"],
        }


def _entries(body: list[Any], max_depth: int) -> list[TreeEntry]:
    """Tree entries of one page (GitLab gives ``id``, ``type``, ``path`` and ``mode``)."""
    out = []
    for item in body:
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            continue
        if item.get("type") in ("blob", "tree", "commit") and \
                item["path"].count("/") < max_depth:
            sha = item.get("id") if isinstance(item.get("id"), str) else None
            out.append(TreeEntry(item["path"], item["type"], sha, None, _str(item.get("mode"))))
    return out
