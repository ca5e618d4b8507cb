"""GitHub GraphQL client for the fetch stage: many repositories a query, for one point each.

What one point buys (API_NOTES.md): aliased ``repository`` fields with their metadata, head
commit, nested ``Tree.entries`` and ``object(expression:)`` blobs' texts; no connection is
asked, so every query costs 1 (``rateLimit { cost }`` says what it really cost). The answers
are parsed into the types the REST client returns (:class:`~crawler.repo_host.RepoMeta`,
:class:`~crawler.selection.TreeEntry`, file bytes), so the stage selects the same files
(:func:`crawler.selection.select_files`) and stores the same rows either way.

* :meth:`GitHubGraphQL.fetch`: metadata, head, the tree (``TREE_LEVELS`` levels, deeper
  folders in follow-up queries) and the root manifests' texts.
* :meth:`GitHubGraphQL.check`: the refresh's cheap look: metadata and head oid, 100 a query.
* :meth:`GitHubGraphQL.texts`: file texts by ``<commit>:<path>``, checked against the blob sha
  the tree named (a text GitHub cut at 512,000 bytes, a binary or an altered file is left to
  the raw host).

Every repository is accounted for: ``missing`` (a ``NOT_FOUND`` alias; the rest of the batch
is kept), ``rest`` (another error, blocked or disabled: the stage asks REST once), ``too_big``
(a query of that repository alone timed out: the stage takes its tree from REST).

Politeness: one POST at a time through :func:`crawler.transport.send`; :class:`~crawler.
graphql_pace.Pace` keeps the last minute under 2,000 points and the server-time limit; a batch
cut with 502/504 (charged by GitHub) is split in two and retried, and :class:`~crawler.
graphql_pace.BatchSize` grows batches that answer fast; ``RATE_LIMITED`` in an HTTP 200 answer
and ``x-ratelimit-remaining: 0`` wait for the reset; a 403/429 secondary limit waits
``retry-after`` or ``github_secondary_wait`` doubling. A wait longer than ``max_backoff`` raises
:class:`~survey.core.errors.RateLimitError` (the run stops, everything committed stays).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from crawler.graphql_pace import BatchSize, Pace
from crawler.graphql_query import (
    ROOT_MANIFESTS,
    TREE_LEVELS,
    Ask,
    Listing,
    blob_bytes,
    check_query,
    first_query,
    folders_query,
    head_of,
    parse_entries,
    parse_meta,
    root_tree,
    texts_query,
)
from crawler.http import RequestStats, RetryPolicy, make_session, redact
from crawler.repo_host import RepoMeta, git_blob_sha
from crawler.selection import Selected, TreeEntry
from crawler.transport import Answer, Endpoint, Health, Limits, header_safe, send
from survey.core.errors import ConfigError, RateLimitError, ServiceError
from survey.core.settings import Settings

log = logging.getLogger(__name__)

# Follow-up rounds for deeper folders (TREE_LEVELS more levels each), and the entries a tree
# may have before it is called truncated (REST's own cap is 100,000 entries).
MAX_FOLDER_ROUNDS = 4
MAX_ENTRIES = 100_000
# One text query: at most this many files and about this many bytes of text.
TEXTS_PER_QUERY = 200
TEXT_BYTES_PER_QUERY = 2_000_000
CHECKS_PER_QUERY = 100


class GraphQLTimeout(ServiceError):
    """GitHub cut the query (502/504, "couldn't respond in time"): split it and try again."""


@dataclass
class Found:
    """One repository's answer. ``outcome``: ``ok``, ``missing``, ``rest`` or ``too_big``."""

    ask: Ask
    outcome: str
    meta: RepoMeta | None = None
    head: str | None = None
    entries: list[TreeEntry] = field(default_factory=list)
    truncated: bool = False
    texts: dict[str, bytes] = field(default_factory=dict)  # root manifests by path
    detail: str | None = None
    frontier: list[str] = field(default_factory=list)


@dataclass
class Cost:
    """What the run's queries cost, as GitHub's ``rateLimit`` answered."""

    queries: int = 0
    points: int = 0
    timeouts: int = 0
    rate_limited: int = 0
    remaining: int | None = None
    limit: int | None = None
    reset_at: str | None = None
    waited: float = 0.0
    by_kind: dict[str, int] = field(default_factory=dict)  # queries: fetch, folders, texts...
    seconds: float = 0.0  # answer time of all queries (GitHub's server time and the wire)

    def as_dict(self) -> dict[str, Any]:
        return {"queries": self.queries, "points": self.points, "timeouts": self.timeouts,
                "by_kind": dict(sorted(self.by_kind.items())),
                "seconds": round(self.seconds, 1),
                "rate_limited": self.rate_limited, "remaining": self.remaining,
                "limit": self.limit, "reset_at": self.reset_at,
                "waited_s": round(self.waited, 1)}


class GitHubGraphQL:
    """One client per run (a token is required: GraphQL has no anonymous access)."""

    def __init__(
        self,
        settings: Settings,
        stats: RequestStats,
        *,
        health: Health | None = None,
        sleep: Callable[[float], None] | None = None,
        notify: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not settings.github_token:
            raise ConfigError("GitHub's GraphQL API needs a token: set GITHUB_TOKEN, or use"
                              " --github-api rest")
        self.settings = settings
        self.stats = stats
        self.url = settings.graphql_url()
        self.endpoint = Endpoint("github-graphql", "SURVEY_GITHUB_GRAPHQL_URL", self.url)
        headers = {"Authorization": f"Bearer {settings.github_token}"}
        header_safe(headers, self.endpoint)
        # 502/504 are not retried as they are: the batch is split (GitHub charges them).
        policy = RetryPolicy(total=settings.http_retries, statuses=frozenset({500, 503}),
                             backoff_factor=settings.http_backoff,
                             backoff_max=min(120.0, settings.max_backoff),
                             retry_after_max=settings.max_backoff)
        self.session = make_session(policy, stats=stats, service="github-graphql",
                                    pool_size=1, allowed_methods=("POST",))
        self.session.headers.update(headers)
        self.limits = Limits(read_timeout=settings.http_timeout,
                             deadline=max(30.0, 2 * settings.http_timeout))
        self.health = health or Health()
        self._sleep = sleep or time.sleep
        self._notify = notify or (lambda message: log.info("%s", message))
        self.pace = Pace(clock=clock, sleep=self._sleep)
        self.sizer = BatchSize()
        self.objects_sizer = BatchSize(size=100, high=TEXTS_PER_QUERY)
        self.cost = Cost()
        self._reset_epoch: float | None = None
        self._remaining: int | None = None

    def close(self) -> None:
        self.session.close()

    # -- one query ---------------------------------------------------------------------------

    def post(self, query: str, variables: dict[str, Any]) -> tuple[dict[str, Any], float]:
        """The JSON answer of one query (``data`` and ``errors``) and its seconds."""
        kind = query.split("(", 1)[0].removeprefix("query ").strip().lower() or "other"
        self.cost.by_kind[kind] = self.cost.by_kind.get(kind, 0) + 1
        attempts = max(1, self.settings.http_retries) + 1
        for attempt in range(1, attempts + 1):
            self._wait_for_budget()
            self.cost.waited += self.pace.wait(1.0)
            answer = send(self.session, "POST", self.url, endpoint=self.endpoint,
                          limits=self.limits, health=self.health,
                          json={"query": query, "variables": variables})
            self.stats.count_request("github-graphql")
            self.cost.seconds += answer.seconds
            self._read_headers(answer)
            body = self._judge(answer, attempt)
            if body is None:
                continue
            self.pace.record(self._record_cost(body), answer.seconds)
            return body, answer.seconds
        raise ServiceError(f"github-graphql: still rate limited after {attempts} attempts",
                           url=self.url, status=429)

    def _judge(self, answer: Answer, attempt: int) -> dict[str, Any] | None:
        """The body of a usable answer; None after waiting out a limit (ask again)."""
        status = answer.status
        if status == 401:
            raise ConfigError("GitHub rejected GITHUB_TOKEN (HTTP 401 Bad credentials):"
                              " check or unset it")
        if status in (502, 504):
            self.cost.timeouts += 1
            self.cost.queries += 1
            self.pace.record(1.0, max(answer.seconds, 10.0))  # charged, and 10 s of server time
            self.stats.count_retry(f"github-graphql HTTP {status} (batch split)")
            raise GraphQLTimeout(f"github-graphql: HTTP {status} (the query took too long)",
                                 url=self.url, status=status)
        if status in (403, 429):
            self._pause(self._secondary_wait(answer, attempt),
                        f"github-graphql answered HTTP {status} (secondary rate limit)")
            self.stats.count_retry(f"github-graphql HTTP {status} rate limit")
            return None
        if status != 200:
            raise ServiceError(f"github-graphql: HTTP {status} for {self.url}", url=self.url,
                               status=status)
        body = answer.json_body()
        if not isinstance(body, dict):
            raise ServiceError(f"github-graphql: an answer that is not a JSON object from"
                               f" {self.url}", url=self.url)
        raw_errors = body.get("errors")
        errors: list[Any] = raw_errors if isinstance(raw_errors, list) else []
        if any(isinstance(e, dict) and e.get("type") == "RATE_LIMITED" for e in errors):
            self.cost.rate_limited += 1
            self.stats.count_retry("github-graphql RATE_LIMITED")
            reset = self._reset_epoch or time.time() + 60
            self._pause(max(reset - time.time(), 0.0) + 1.0, "github-graphql points spent",
                        until=reset)
            return None
        if not isinstance(body.get("data"), dict):
            first = errors[0].get("message") if errors and isinstance(errors[0], dict) else None
            raise ServiceError(redact(f"github-graphql: query refused: {str(first)[:200]}",
                                      self.settings.github_token), url=self.url)
        return body

    def _secondary_wait(self, answer: Answer, attempt: int) -> float:
        raw = answer.headers.get("retry-after")
        if raw is not None:
            try:
                return max(float(raw), 0.0)
            except ValueError:
                pass
        if self._remaining == 0 and self._reset_epoch is not None:
            return max(self._reset_epoch - time.time(), 0.0) + 1.0
        return self.settings.github_secondary_wait * 2 ** (attempt - 1)

    def _read_headers(self, answer: Answer) -> None:
        """The GraphQL budget from ``x-ratelimit-*``, when they are GraphQL's own (a proxy or
        an old server may send REST's ``core`` ones, which say nothing of points)."""
        if answer.headers.get("x-ratelimit-resource", "graphql") != "graphql":
            return
        remaining = answer.headers.get("x-ratelimit-remaining", "")
        reset = answer.headers.get("x-ratelimit-reset", "")
        if remaining.isdigit():
            self._remaining = int(remaining)
        if reset.isdigit():
            self._reset_epoch = float(reset)

    def _record_cost(self, body: dict[str, Any]) -> float:
        self.cost.queries += 1
        rate = body["data"].get("rateLimit")
        cost = 1
        if isinstance(rate, dict):
            if isinstance(rate.get("cost"), int):
                cost = rate["cost"]
            if isinstance(rate.get("remaining"), int):
                self.cost.remaining = rate["remaining"]
            if isinstance(rate.get("limit"), int):
                self.cost.limit = rate["limit"]
            if isinstance(rate.get("resetAt"), str):
                self.cost.reset_at = rate["resetAt"][:40]
        self.cost.points += cost
        return float(cost)

    def _wait_for_budget(self) -> None:
        if self._remaining != 0 or self._reset_epoch is None:
            return
        wait = self._reset_epoch - time.time() + 1.0
        if wait > 0:
            self._pause(wait, "github-graphql points spent", until=self._reset_epoch)
        self._remaining = None

    def _pause(self, seconds: float, why: str, *, until: float | None = None) -> None:
        if seconds > self.settings.max_backoff + 5:
            raise RateLimitError(f"{why}: would have to wait {seconds:,.0f} s (more than"
                                 f" {self.settings.max_backoff:,.0f} s)", status=403)
        when = datetime.fromtimestamp(until or time.time() + seconds, UTC).strftime("%H:%M:%S")
        self._notify(f"{why}: waiting {seconds:,.1f} s (until {when} UTC)")
        self.cost.waited += seconds
        self._sleep(seconds)

    # -- batches, split when GitHub cuts them ------------------------------------------------

    def _batches(self, items: list[Any], sizer: BatchSize, limit: int,
                 run: Callable[[list[Any]], float], alone: Callable[[Any], None],
                 weight: Callable[[Any], int] | None = None, cap: int = 0) -> None:
        """Run ``items`` in batches of ``sizer.size`` (at most ``limit``, and at most ``cap``
        of ``weight`` when given); a batch that timed out is halved and retried, one that
        times out alone is handed to ``alone``."""
        todo = list(items)
        stack: list[list[Any]] = []
        while stack or todo:
            if stack:
                chunk = stack.pop()
            else:
                size = max(1, min(sizer.size, limit))
                if weight is not None:
                    size = _fits(todo, size, weight, cap)
                chunk, todo = todo[:size], todo[size:]
            try:
                seconds = run(chunk)
            except GraphQLTimeout:
                sizer.timed_out()
                if len(chunk) == 1:
                    alone(chunk[0])
                else:
                    half = len(chunk) // 2
                    stack.extend([chunk[half:], chunk[:half]])
                continue
            sizer.answered(seconds)

    # -- first fetch ---------------------------------------------------------------------------

    def fetch(self, asks: list[Ask]) -> dict[str, Found]:
        """Metadata, head, whole tree and root manifests of every ask, by ``ask.key``."""
        found: dict[str, Found] = {}

        def run(chunk: list[Ask]) -> float:
            query, variables = first_query(chunk)
            body, seconds = self.post(query, variables)
            errors = _errors_by_alias(body)
            for i, ask in enumerate(chunk):
                found[ask.key] = _first_answer(ask, body["data"].get(f"r{i}"),
                                               errors.get(f"r{i}"))
            return seconds

        def alone(ask: Ask) -> None:
            found[ask.key] = Found(ask, "too_big", detail="GraphQL timed out on this tree")

        self._batches(asks, self.sizer, 100, run, alone)
        self._deeper([f for f in found.values() if f.outcome == "ok" and f.frontier])
        return found

    def _deeper(self, pending: list[Found]) -> None:
        """Follow-up queries for folders below the first query's levels."""
        for _round in range(MAX_FOLDER_ROUNDS):
            work = [(f, path) for f in pending for path in f.frontier]
            if not work:
                return
            for f in pending:
                f.frontier = []

            def run(chunk: list[tuple[Found, str]]) -> float:
                asks, exprs = _grouped((_canonical(f), f"{f.head}:{path}") for f, path in chunk)
                query, variables = folders_query(asks, exprs)
                body, seconds = self.post(query, variables)
                by_key = {f.ask.key: f for f, _p in chunk}
                for i, ask in enumerate(asks):
                    node = body["data"].get(f"r{i}") or {}
                    for j, _expr in enumerate(exprs[i]):
                        obj = node.get(f"x{j}") if isinstance(node, dict) else None
                        listing = Listing()
                        entries = obj.get("entries") if isinstance(obj, dict) else None
                        parse_entries(entries, TREE_LEVELS, listing)
                        target = by_key[ask.key]
                        target.entries.extend(listing.entries)
                        target.frontier.extend(listing.frontier)
                        if len(target.entries) > MAX_ENTRIES:
                            target.truncated, target.frontier = True, []
                return seconds

            def alone(item: tuple[Found, str]) -> None:
                item[0].truncated = True  # one folder too big to list in time: left out

            self._batches(work, self.objects_sizer, TEXTS_PER_QUERY, run, alone)
            pending = [f for f in pending if f.frontier]
        for f in pending:  # still deeper after every round: the tree is not whole
            f.truncated, f.frontier = True, []

    # -- the refresh's cheap look ----------------------------------------------------------------

    def check(self, asks: list[Ask]) -> dict[str, Found]:
        """Metadata and head oid of every ask (no tree), 100 a query."""
        found: dict[str, Found] = {}

        def run(chunk: list[Ask]) -> float:
            query, variables = check_query(chunk)
            body, seconds = self.post(query, variables)
            errors = _errors_by_alias(body)
            for i, ask in enumerate(chunk):
                found[ask.key] = _first_answer(ask, body["data"].get(f"r{i}"),
                                               errors.get(f"r{i}"), tree=False)
            return seconds

        def alone(ask: Ask) -> None:
            found[ask.key] = Found(ask, "rest", detail="GraphQL timed out")

        self._batches(asks, BatchSize(size=CHECKS_PER_QUERY, high=CHECKS_PER_QUERY),
                      CHECKS_PER_QUERY, run, alone)
        return found

    # -- file texts ------------------------------------------------------------------------------

    def texts(self, wanted: list[tuple[Ask, str, Selected]]) -> dict[str, bytes]:
        """Bytes by blob sha of the files GitHub gave whole as text and that hash right."""
        got: dict[str, bytes] = {}
        unique: dict[str, tuple[Ask, str, Selected]] = {}
        for ask, commit, sel in wanted:
            unique.setdefault(sel.sha, (ask, commit, sel))
        def run(flat: list[tuple[Ask, str, Selected]]) -> float:
            asks, exprs = _grouped((ask, f"{commit}:{sel.path}") for ask, commit, sel in flat)
            query, variables = texts_query(asks, exprs)
            body, seconds = self.post(query, variables)
            index = {(ask.key, f"{commit}:{sel.path}"): sel for ask, commit, sel in flat}
            for i, ask in enumerate(asks):
                node = body["data"].get(f"r{i}")
                for j, expr in enumerate(exprs[i]):
                    data = blob_bytes(node.get(f"x{j}") if isinstance(node, dict) else None)
                    sel = index[(ask.key, expr)]
                    if data is not None and git_blob_sha(data) == sel.sha:
                        got[sel.sha] = data
            return seconds

        self._batches(list(unique.values()), self.objects_sizer, TEXTS_PER_QUERY, run,
                      lambda _item: None, weight=lambda item: item[2].size or 0,
                      cap=TEXT_BYTES_PER_QUERY)
        return got


# -- parsing helpers ---------------------------------------------------------------------------

def _errors_by_alias(body: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for error in body.get("errors") or ():
        if not isinstance(error, dict):
            continue
        path = error.get("path")
        if isinstance(path, list) and path and isinstance(path[0], str):
            out.setdefault(path[0], []).append({**error, "depth": len(path)})
    return out


def _first_answer(ask: Ask, node: Any, errors: list[dict[str, Any]] | None, *,
                  tree: bool = True) -> Found:
    """One alias of a first or check query as a :class:`Found`."""
    errors = errors or []
    if any(e.get("type") == "NOT_FOUND" and e["depth"] == 1 for e in errors):
        return Found(ask, "missing", detail="GraphQL NOT_FOUND")
    if not isinstance(node, dict):
        kinds = sorted({str(e.get("type") or "error")[:40] for e in errors}) or ["no answer"]
        return Found(ask, "rest", detail=f"GraphQL {', '.join(kinds)}")
    meta = parse_meta(node)
    if meta is None:
        return Found(ask, "rest", detail="GraphQL answer without databaseId or nameWithOwner")
    head = head_of(node)
    found = Found(ask, "ok", meta=meta, head=head)
    if not tree or head is None:
        return found
    items = root_tree(node)
    if items is None:
        return Found(ask, "rest", meta=meta, head=head, detail="GraphQL answer without a tree")
    listing = Listing()
    parse_entries(items, TREE_LEVELS, listing)
    found.entries, found.frontier = listing.entries, listing.frontier
    for j, name in enumerate(ROOT_MANIFESTS):
        data = blob_bytes(node.get(f"m{j}"))
        if data is not None:
            found.texts[name] = data
    return found


def _canonical(found: Found) -> Ask:
    """Ask again under the name GitHub answered (a renamed repository's new name)."""
    assert found.meta is not None
    owner, _, name = found.meta.full_name.partition("/")
    return Ask(found.ask.key, owner, name)


def _grouped(pairs: Iterable[tuple[Ask, str]]) -> tuple[list[Ask], list[list[str]]]:
    """(ask, expression) pairs as one alias per repository with its expressions."""
    asks: list[Ask] = []
    exprs: list[list[str]] = []
    index: dict[str, int] = {}
    for ask, expr in pairs:
        if ask.key not in index:
            index[ask.key] = len(asks)
            asks.append(ask)
            exprs.append([])
        exprs[index[ask.key]].append(expr)
    return asks, exprs


def _fits(todo: list[Any], size: int, weight: Callable[[Any], int], cap: int) -> int:
    """How many of the first ``size`` items stay within ``cap`` (always at least one)."""
    total = 0
    for n, item in enumerate(todo[:size]):
        total += weight(item)
        if n and total > cap:
            return n
    return min(size, len(todo)) or 1
