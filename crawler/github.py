"""GitHub REST client for the fetch stage: metadata, head commit, tree, raw file bytes.

Endpoints (DESIGN.md): ``GET /repos/{o}/{r}`` (a 301 leads to ``/repositories/{id}``),
``GET /repos/{o}/{r}/commits/{branch}`` (the head sha, ``application/vnd.github.sha``: a 40-byte
answer), ``GET /repos/{o}/{r}/git/trees/{sha}?recursive=1`` and the raw host at the head sha.
Outcomes a caller stores rather than crashes on: 404 missing, 451 or a 403 carrying ``block``
blocked, 409 empty (``size: 0`` in the metadata says nothing: GitHub computes it lazily).
Tree entries keep their ``mode``: ``120000`` is a symbolic link, never downloaded as code. A
truncated tree is walked folder by folder within ``max_tree_requests``, ``max_tree_entries``
and ``max_tree_depth``. The token goes only into the ``Authorization`` header of this client's
sessions (refused before any request when no header can carry it); everything stored or shown
passes :func:`crawler.http.redact` as a second line of defence.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

from crawler.http import RequestStats
from crawler.repo_host import (
    Downloaded,
    Lookup,
    PoliteClient,
    RepoMeta,
    Tree,
    _bool,
    _int,
    _json_or_none,
    _str,
    iso,
    json_body,
)
from crawler.selection import Selected, TreeEntry, is_vendored
from crawler.transport import Answer, Endpoint, Health
from survey.core.errors import ConfigError, ServiceError
from survey.core.settings import Settings

# GitHub's own rules for names: owners are alphanumerics and single hyphens, names add . and _.
_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_MOVED = re.compile(r"/repositories/(\d+)/?$")
_SHA = re.compile(r"^[0-9a-f]{40}$")


def valid_name(owner: str, name: str) -> bool:
    """Whether ``owner/name`` can be a GitHub repository (we never put anything else in a URL)."""
    return bool(_OWNER.match(owner)) and bool(_NAME.match(name)) and name not in (".", "..")


class GitHubClient(PoliteClient):
    """One client per run; ``counts`` holds charged requests, 304s, raw downloads and bytes."""

    def __init__(
        self,
        settings: Settings,
        stats: RequestStats,
        *,
        health: Health | None = None,
        sleep: Callable[[float], None] | None = None,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self.api = settings.github_api_url.rstrip("/")
        super().__init__(settings, stats,
                         endpoint=Endpoint("github", "GITHUB_API_URL", self.api),
                         health=health, token=settings.github_token, sleep=sleep,
                         notify=notify)
        self.session.headers["Accept"] = "application/vnd.github+json"
        self.session.headers["X-GitHub-Api-Version"] = "2022-11-28"
        self.authorize()
        self.raw_base = settings.github_raw_url.rstrip("/")
        self.raw = PoliteClient(settings, stats,
                                endpoint=Endpoint("github-raw", "SURVEY_GITHUB_RAW_URL",
                                                  self.raw_base),
                                health=health, token=settings.github_token,
                                pool_size=settings.raw_workers, raw=True, sleep=sleep,
                                notify=notify)
        self.raw.authorize()

    def close(self) -> None:
        super().close()
        self.raw.close()

    # -- metadata --------------------------------------------------------------------------

    def lookup(self, path: str, etag: str | None = None) -> Lookup:
        """Metadata of ``owner/name``, following renames; ``not_modified`` when ETag matches."""
        owner, _, name = path.partition("/")
        if not valid_name(owner, name):
            return Lookup("missing", detail="not a valid GitHub repository name")
        url = f"{self.api}/repos/{quote(owner)}/{quote(name)}"
        for _hop in range(4):
            headers = {"If-None-Match": etag} if etag else None
            resp = self.get(url, headers=headers)
            status = resp.status
            if status == 304:
                return Lookup("not_modified")
            if status == 401:
                # A wrong or expired token fails every request alike: stop the run, say why.
                raise ConfigError("GitHub rejected GITHUB_TOKEN (HTTP 401 Bad credentials):"
                                  " check or unset it")
            if status in (301, 302, 307, 308):
                url = self._follow(resp, url)
                continue
            if status == 404:
                return Lookup("missing", detail="HTTP 404")
            if status == 451:
                return Lookup("blocked", detail="HTTP 451 repository access blocked")
            if status == 403:
                return self._forbidden(resp, url)
            if status != 200:
                raise ServiceError(f"github: HTTP {status} for {url}", url=url, status=status)
            return Lookup("ok", meta=self._meta(json_body(resp, url), resp.headers.get("ETag")))
        raise ServiceError(f"github: too many redirects for {path}", url=url)

    def _forbidden(self, resp: Answer, url: str) -> Lookup:
        """A 403 that is not a limit (those were waited out): blocked, or a failure."""
        body = _json_or_none(resp)
        if isinstance(body, dict) and body.get("block"):
            block = body["block"]
            reason = block.get("reason") if isinstance(block, dict) else None
            # The reason is the host's text: bounded, and never a secret it may echo.
            shown = self._safe(" ".join(str(reason).split()))[:120] if reason else "no reason"
            return Lookup("blocked", detail=f"HTTP 403 blocked ({shown})")
        raise ServiceError(f"github: HTTP 403 for {url}", url=url, status=403)

    def _follow(self, resp: Any, url: str) -> str:
        """The next URL of a rename redirect, rebuilt on our API base (never another host)."""
        location = resp.headers.get("Location", "")
        body = _json_or_none(resp)
        if not location and isinstance(body, dict):
            location = str(body.get("url", ""))
        path = urlsplit(location).path
        match = _MOVED.search(path)
        if match:
            return f"{self.api}/repositories/{match[1]}"
        parts = [p for p in path.split("/") if p]
        if len(parts) >= 3 and parts[-3] == "repos" and valid_name(parts[-2], parts[-1]):
            return f"{self.api}/repos/{quote(parts[-2])}/{quote(parts[-1])}"
        raise ServiceError(f"github: redirect without a repository location from {url}", url=url,
                           status=resp.status)

    @staticmethod
    def _meta(body: Any, etag: str | None) -> RepoMeta:
        if not isinstance(body, dict) or "id" not in body or "full_name" not in body:
            raise ServiceError("github: repository answer without id or full_name")
        owner, _, name = str(body["full_name"]).partition("/")
        if not valid_name(owner, name):
            raise ServiceError("github: repository answer with an invalid full_name")
        # ``size: 0`` lags behind pushes (computed lazily): emptiness is the head's 409 to say.
        size = body.get("size")
        return RepoMeta(
            remote_id=str(body["id"]),
            full_name=f"{owner}/{name}",
            default_branch=_str(body.get("default_branch")),
            created_at=iso(body.get("created_at")),
            pushed_at=iso(body.get("pushed_at")),
            stars=_int(body.get("stargazers_count")),
            fork=_bool(body.get("fork")),
            archived=_bool(body.get("archived")),
            language=_str(body.get("language")),
            size_kb=_int(size),
            etag=etag,
        )

    # -- head commit and tree ----------------------------------------------------------------

    def _repo_url(self, meta: RepoMeta) -> str:
        owner, _, name = meta.full_name.partition("/")
        return f"{self.api}/repos/{quote(owner)}/{quote(name)}"

    def head(self, meta: RepoMeta) -> str | None:
        """The default branch's head commit sha, or None for an empty repository."""
        if not meta.default_branch:
            return None
        url = f"{self._repo_url(meta)}/commits/{quote(meta.default_branch, safe='')}"
        resp = self.get(url, headers={"Accept": "application/vnd.github.sha"})
        if resp.status in (404, 409, 422):
            return None
        if resp.status != 200:
            raise ServiceError(f"github: HTTP {resp.status} for {url}", url=url,
                               status=resp.status)
        sha = resp.text().strip()
        if not _SHA.match(sha):
            body = _json_or_none(resp)
            sha = str(body.get("sha", "")) if isinstance(body, dict) else ""
        if not _SHA.match(sha):
            raise ServiceError(f"github: no commit sha in the answer of {url}", url=url)
        return sha

    def tree(self, meta: RepoMeta, sha: str) -> Tree | None:
        """The whole tree at ``sha``; when GitHub truncates it, walk level by level within caps.

        None means the repository is empty (409).
        """
        url = f"{self._repo_url(meta)}/git/trees/{sha}"
        resp = self.get(url, params={"recursive": "1"})
        if resp.status == 409:
            return None
        body = self._tree_body(resp, url)
        entries: dict[str, TreeEntry] = {}
        capped = _add_entries(entries, _entries(body, ""), self.settings)
        if capped:
            return Tree(list(entries.values()), truncated=True, why=capped)
        if not body.get("truncated"):
            return Tree(list(entries.values()))
        return self._walk(meta, str(body.get("sha") or sha), entries)

    def _walk(self, meta: RepoMeta, root: str, entries: dict[str, TreeEntry]) -> Tree:
        """Breadth first from the root, non-vendored first, within the request, entry and
        depth caps; the tree is marked truncated either way (the host cut it)."""
        queue: list[tuple[int, int, str, str]] = [(0, 0, "", root)]
        budget = self.settings.max_tree_requests
        why = "the host truncated the tree"
        while queue and budget > 0:
            _v, _depth, prefix, tree_sha = heapq.heappop(queue)
            url = f"{self._repo_url(meta)}/git/trees/{tree_sha}"
            budget -= 1
            found = _entries(self._tree_body(self.get(url), url), prefix)
            capped = _add_entries(entries, found, self.settings)
            if capped:
                return Tree(list(entries.values()), truncated=True, why=capped)
            for entry in found:
                depth = entry.path.count("/") + 1
                if entry.type == "tree" and entry.sha and depth < self.settings.max_tree_depth:
                    heapq.heappush(queue, (int(is_vendored(entry.path + "/x")), depth,
                                           entry.path, entry.sha))
        if queue:
            why = f"walked {self.settings.max_tree_requests} folders (the request cap)"
        return Tree(list(entries.values()), truncated=True, why=why)

    @staticmethod
    def _tree_body(resp: Answer, url: str) -> dict[str, Any]:
        if resp.status != 200:
            raise ServiceError(f"github: HTTP {resp.status} for {url}", url=url,
                               status=resp.status)
        body = json_body(resp, url)
        if not isinstance(body, dict) or not isinstance(body.get("tree"), list):
            raise ServiceError(f"github: tree answer without a tree list from {url}", url=url)
        return body

    # -- raw bytes ---------------------------------------------------------------------------

    def download(self, meta: RepoMeta, sha: str, files: list[Selected]) -> Downloaded:
        """Selected files' bytes from the raw host at commit ``sha``, in a bounded pool."""
        owner, _, name = meta.full_name.partition("/")
        base = f"{self.raw_base}/{quote(owner)}/{quote(name)}/{sha}/"

        def fetch_one(sel: Selected) -> bytes | str:
            url = base + quote(sel.path, safe="/")
            resp = self.raw.get(url, max_body=self.settings.max_file_bytes)
            return raw_outcome(self.raw, resp, url)

        return self.raw.download_many(files, fetch_one, workers=self.settings.raw_workers)

    @property
    def totals(self) -> dict[str, int]:
        """Charged, 304 and raw counts of both sessions, plus downloaded bytes."""
        return {
            "charged": self.counts["charged"],
            "not_modified": self.counts["not_modified"],
            "raw": self.raw.counts["raw"],
            "bytes": self.raw.counts["bytes"],
        }


def raw_outcome(client: PoliteClient, resp: Answer, url: str) -> bytes | str:
    """A file host's answer: the bytes, a reason to skip the file, or a failure to raise.

    One bad file never fails its repository: a 414 (a path too long for a URL), a 404 or any
    other 4xx skips that file. A refusal still standing after its wait is no usable answer: it
    counts towards the host's outage (a host refusing every file stops the run after a few) and
    leaves the repository as it was. A 5xx after retries fails that file (the repository is
    asked again by the next run, for the missing files only).
    """
    if resp.status == 200:
        return resp.body
    if resp.status in (403, 429):
        client.refused(resp)
        raise ServiceError(f"{client.service}: HTTP {resp.status} for {url} after waiting",
                           url=url, status=resp.status, transport=True)
    if resp.status >= 500:
        raise ServiceError(f"{client.service}: HTTP {resp.status} for {url}", url=url,
                           status=resp.status)
    if resp.status in (404, 410) or 300 <= resp.status < 400:
        return "not there at this commit"
    return f"HTTP {resp.status}"


def _add_entries(entries: dict[str, TreeEntry], found: list[TreeEntry],
                 settings: Settings) -> str | None:
    """Add ``found`` within ``max_tree_entries`` and ``max_tree_depth``; why it stopped."""
    for entry in found:
        if entry.path.count("/") >= settings.max_tree_depth:
            continue
        if len(entries) >= settings.max_tree_entries and entry.path not in entries:
            return f"stopped at {settings.max_tree_entries:,} entries (the entry cap)"
        entries[entry.path] = entry
    return None


def _entries(body: dict[str, Any], prefix: str) -> list[TreeEntry]:
    out = []
    for item in body.get("tree", []):
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            continue
        kind = item.get("type")
        if kind not in ("blob", "tree", "commit"):
            continue
        path = f"{prefix}/{item['path']}" if prefix else item["path"]
        out.append(TreeEntry(path, kind, _str(item.get("sha")),
                             _int(item.get("size")) if kind == "blob" else None,
                             _str(item.get("mode"))))
    return out
