"""A local Hugging Face Papers: ``GET /api/papers/{arxiv_id}`` over real HTTP (on ``StubServer``).

It answers as the real service does (API_NOTES, and answers recorded by public projects): the
paper object with ``id``, ``authors``, ``publishedAt``, ``title``, ``summary``, ``upvotes`` and,
when entered, ``githubRepo`` (with ``githubRepoAddedBy`` and ``githubStars``) and
``projectPage``; ``404 {"error": ...}`` for a paper that is not indexed. Every answer carries
the rate-limit headers of the IETF draft that Hugging Face sends::

    RateLimit: "api";r=994;t=28
    RateLimit-Policy: "fixed window";"api";q=1000;w=300

and the server enforces them over fixed windows of ``window`` seconds,
answering ``429`` with ``Retry-After`` once the window's quota is spent. Faults of the base
(429 with a given ``Retry-After``, 500s, drops, hangs) are injected by pattern as for every
stand-in.
"""

from __future__ import annotations

import math
import time
from typing import Any
from urllib.parse import unquote

from support.stub import Reply, Request, StubServer

PREFIX = "/api/papers/"


def hf_paper(arxiv_id: str, *, github: str | None = None, page: str | None = None,
             title: str = "A paper on Hugging Face") -> dict[str, Any]:
    """The body Hugging Face gives for an indexed paper (``github``/``page``: the links)."""
    body: dict[str, Any] = {
        "id": arxiv_id,
        "authors": [{"_id": "64f0c0ffee0000000000000" + arxiv_id[-1], "name": "A. Author",
                     "hidden": False}],
        "publishedAt": "2025-09-16T00:00:00.000Z",
        "title": title,
        "summary": "We study things.",
        "upvotes": 21,
        "discussionId": "68c9f00000000000000000" + arxiv_id[-2:],
    }
    if github is not None:
        body.update(githubRepo=github, githubRepoAddedBy="user", githubStars=19)
    if page is not None:
        body["projectPage"] = page
    return body


class HfServer(StubServer):
    """Papers by id (``papers[id] = hf_paper(...)``); ``quota`` per ``window`` s enforced.

    The default window is one second, not Hugging Face's 300, so that a client pacing itself
    by the announced policy runs a test at full speed; tests of the pace shrink the quota.
    """

    name = "hf"

    def __init__(self, papers: dict[str, dict[str, Any]] | None = None, *,
                 quota: int | None = 1000, window: float = 1.0,
                 send_remaining: bool = True) -> None:
        super().__init__()
        self.send_remaining = send_remaining  # False: only the policy, not what is left
        self.papers: dict[str, dict[str, Any]] = dict(papers or {})
        self.quota = quota
        self.window = window
        self._window_start = 0.0
        self._used = 0
        self.over_quota = 0

    def channel(self, method: str, path: str) -> str:
        return "papers" if path.startswith(PREFIX) else "other"

    def _spend(self) -> tuple[int, float, bool]:
        """(remaining, seconds to the window's end, allowed) for one more request."""
        now = time.monotonic()
        with self._lock:
            if now - self._window_start >= self.window:
                self._window_start, self._used = now, 0
            left = self._window_start + self.window - now
            if self.quota is not None and self._used >= self.quota:
                self.over_quota += 1
                return 0, left, False
            self._used += 1
            remaining = (self.quota - self._used) if self.quota is not None else 999
            return remaining, left, True

    def route(self, request: Request) -> Reply:
        if not request.path.startswith(PREFIX):
            raise Reply(404, {"error": "Not Found"})
        remaining, left, allowed = self._spend()
        limits = self._limit_headers(remaining, left)
        if not allowed:
            raise Reply(429, {"error": "You have exceeded our rate limit."},
                        {**limits, "Retry-After": str(max(1, math.ceil(left)))})
        arxiv_id = unquote(request.path[len(PREFIX):])
        paper = self.papers.get(arxiv_id)
        if paper is None:
            raise Reply(404, {"error": "Paper not found"}, limits)
        return Reply(200, paper, limits)

    def _limit_headers(self, remaining: int, left: float) -> dict[str, str]:
        quota = self.quota if self.quota is not None else 1000
        window = max(1, int(round(self.window)))
        headers = {"RateLimit-Policy": f'"fixed window";"api";q={quota};w={window}'}
        if self.send_remaining:
            headers["RateLimit"] = f'"api";r={max(remaining, 0)};t={max(0, math.ceil(left))}'
        return headers

    @property
    def asked(self) -> list[str]:
        """The paper ids asked, in order (server side)."""
        return [unquote(s.path[len(PREFIX):]) for s in self.seen if s.channel == "papers"]
