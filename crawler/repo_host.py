"""What every code host client shares: the ``RepoHost`` interface, result types, polite GETs.

The fetch stage (:mod:`crawler.fetch`) talks to every code host through :class:`RepoHost`
(``lookup``, ``head``, ``tree``, ``download``, ``totals``, ``close``), found by host name in
:mod:`crawler.hosts`, so GitHub and GitLab differ only in their URLs and JSON shapes.
:class:`PoliteClient` holds the rules every host asks for, on top of
:class:`crawler.http.Channel` (one deadline, size caps, the error mapping and the run's
outage detection of :mod:`crawler.transport`): urllib3 retries with backoff on 5xx and
connection errors, ``retry-after`` honoured on 403/429, a visible wait until the reset when the
budget of ``x-ratelimit-*`` / ``ratelimit-*`` is spent, and abuse/secondary-limit 403s waited
out, never stored as a failure. Retries beyond urllib3 go through :func:`crawler.http.retrying`.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

from crawler.http import (
    Again,
    Channel,
    RequestStats,
    RetryPolicy,
    make_session,
    redact,
    retrying,
)
from crawler.selection import Selected, TreeEntry
from crawler.transport import Answer, Endpoint, Health, Limits, header_safe
from survey.core.errors import AnswerTooLarge, RateLimitError, ServiceError
from survey.core.settings import Settings

log = logging.getLogger(__name__)

# Git's mode of a symbolic link: the raw host serves the link's target path, not a file.
SYMLINK_MODE = "120000"
# The first line of a Git LFS pointer file (https://git-lfs.github.com/spec/v1).
_LFS_HEADER = b"version https://git-lfs.github.com/spec/"
_LFS_POINTER_MAX = 1024


# The fetch outcome of a repository whose request got no answer: it was left as it was.
UNREACHED = "unreached"

@dataclass
class RepoMeta:
    """Repository metadata as stored in ``repos`` (``full_name`` spelled as the host does)."""

    remote_id: str
    full_name: str
    default_branch: str | None
    created_at: str | None
    pushed_at: str | None
    stars: int | None
    fork: bool | None
    archived: bool | None
    language: str | None
    size_kb: int | None
    etag: str | None = None
    empty: bool = False


@dataclass
class Lookup:
    """Answer to a metadata request: ``ok``, ``not_modified``, ``missing`` or ``blocked``."""

    outcome: str
    meta: RepoMeta | None = None
    detail: str | None = None


@dataclass
class Tree:
    entries: list[TreeEntry]
    truncated: bool = False
    # Why the tree is incomplete: the host cut it, or our entry/depth/request caps did.
    why: str | None = None


@dataclass
class Downloaded:
    """Blob contents by sha; ``failed`` are transient failures (the repo is retried later),
    ``skipped`` files that are not there, too big, altered or not code (path -> reason)."""

    contents: dict[str, bytes] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


class RepoHost(Protocol):
    """One code host as the fetch stage uses it (GitHub REST, GitLab, the next ones).

    ``lookup`` never raises for a repository that is missing or blocked (those are data);
    every call raises :class:`~survey.core.errors.ServiceError` for a failure after retries
    (``transport=True`` when no answer came: the repository is left as it was),
    :class:`~survey.core.errors.ServiceUnavailable` when the host is down, and
    :class:`~survey.core.errors.RateLimitError` for a wait beyond bounds.
    """

    def lookup(self, path: str, etag: str | None = None) -> Lookup: ...

    def head(self, meta: RepoMeta) -> str | None: ...

    def tree(self, meta: RepoMeta, sha: str) -> Tree | None: ...

    def download(self, meta: RepoMeta, sha: str, files: list[Selected]) -> Downloaded: ...

    @property
    def totals(self) -> dict[str, int]: ...

    def close(self) -> None: ...


def git_blob_sha(data: bytes) -> str:
    """Git's blob id of ``data``: lets us check a raw download is the blob the tree named."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def is_lfs_pointer(data: bytes) -> bool:
    """A Git LFS pointer (``version https://git-lfs.github.com/spec/v1``, ``oid sha256:``,
    ``size N``): a few lines standing for a file kept elsewhere, never code to classify."""
    return len(data) <= _LFS_POINTER_MAX and data.lstrip().startswith(_LFS_HEADER) \
        and b"oid sha256:" in data


def iso(value: Any) -> str | None:
    """Normalise a host's timestamp to the stored form (ISO 8601 UTC, seconds)."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _finite(raw: str) -> float | None:
    """A header's number, or None when it is not one (``nan`` and ``inf`` parse but are not)."""
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _header_float(resp: Answer, *names: str) -> float | None:
    for name in names:
        raw = resp.headers.get(name)
        if raw is None:
            continue
        value = _finite(raw)
        if value is not None:
            return value
    return None


def _retry_after(resp: Answer) -> float | None:
    """``retry-after`` in seconds, given as a number or an HTTP date (both are allowed)."""
    raw = resp.headers.get("retry-after")
    if raw is None:
        return None
    seconds = _finite(raw)
    if seconds is not None:
        return seconds
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - datetime.now(UTC)).total_seconds()


# Messages of GitHub's 403s that mean "slow down", not "forbidden" (old and current wording).
_LIMIT_WORDS = ("rate limit", "abuse detection", "secondary rate")


def host_limits(settings: Settings) -> Limits:
    """Time and size bounds for a code host's requests."""
    return Limits(connect_timeout=min(10.0, settings.http_timeout),
                  read_timeout=settings.http_timeout, deadline=settings.http_deadline,
                  max_wire_bytes=settings.max_answer_bytes,
                  max_body_bytes=settings.max_answer_bytes)


class PoliteClient:
    """GETs with a deadline, retries, rate-limit waits and counting; subclassed per host.

    ``sleep`` and ``notify`` are injectable (a scheduler may want its own log line), but the
    tests use the real ones against real local servers, with waits of one or two seconds.
    ``raw`` marks a file host: its 403/429 cannot tell a limit from a refusal, so it is waited
    out once per file and a run of them is an outage of that host.
    """

    def __init__(
        self,
        settings: Settings,
        stats: RequestStats,
        *,
        endpoint: Endpoint,
        health: Health | None = None,
        token: str | None = None,
        pool_size: int = 4,
        raw: bool = False,
        sleep: Callable[[float], None] | None = None,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.stats = stats
        self.endpoint = endpoint
        self.service = endpoint.service
        self.health = health
        self._token = token
        self._raw = raw
        self._sleep = sleep or time.sleep
        self._notify = notify or _notify
        policy = RetryPolicy(
            total=settings.http_retries,
            statuses=frozenset({500, 502, 503, 504}),
            backoff_factor=settings.http_backoff,
            backoff_max=min(120.0, settings.max_backoff),
            retry_after_max=settings.max_backoff,
            # A refused connection is rarely cured by waiting: two more tries, then the run's
            # health decides; a request that got no answer is asked once more.
            connect=2,
            read=1,
        )
        # 403/429 waits are this client's (announced, bounded by RateLimitError); urllib3 keeps
        # 5xx (honouring their retry-after) and connection errors.
        self.session = make_session(policy, stats=stats, service=self.service,
                                    pool_size=pool_size)
        self.channel = Channel(self.session, endpoint, host_limits(settings), stats, health,
                               unusable=frozenset({403, 429}) if raw else frozenset())
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._remaining: float | None = None
        self._reset: float | None = None

    def authorize(self, scheme: str = "Bearer") -> None:
        """Send the token in ``Authorization``; a value no header can carry is refused now
        (exit 2, one line), before any request."""
        if self._token:
            value = f"{scheme} {self._token}"
            header_safe({"Authorization": value}, self.endpoint)
            self.session.headers["Authorization"] = value

    def close(self) -> None:
        self.session.close()

    def count(self, key: str, n: int = 1) -> None:
        with self._lock:
            self.counts[key] += n

    def _safe(self, text: str) -> str:
        return redact(text, self._token)

    # -- the one place requests are sent ----------------------------------------------------

    def get(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        max_body: int | None = None,
        kind: str = "api",
    ) -> Answer:
        """GET with every politeness rule; returns the final answer (any status but 403/429
        rate limits, which are waited out). Raises ServiceError after retries, RateLimitError
        when a wait would exceed ``settings.max_backoff``, AnswerTooLarge over the caps."""

        def attempt(n: int) -> Answer:
            self._wait_for_budget()
            answer = self.channel.get(url, headers=headers, params=params, max_body=max_body)
            self._record_budget(answer)
            self._count_answer(answer, kind)
            wait = self._rate_limit_wait(answer, n)
            if wait is None:
                return answer
            # A raw host's per-file waits are counted, not announced one line per file.
            raise Again(f"HTTP {answer.status} rate limit", wait=wait,
                        announce=None if self._raw else
                        f"{self.service} answered HTTP {answer.status} (rate limit)",
                        fallback=answer if self._raw else Again._NOTHING,
                        final=ServiceError(
                            f"{self.service}: still rate limited after {n} attempts:"
                            f" {self._safe(url)}", url=self._safe(url), status=answer.status))

        # A raw host's refusal is waited out once per file (its run is the host's outage).
        budget = 1 if self._raw else max(1, self.settings.http_retries)
        return retrying(attempt, service=self.service, stats=self.stats,
                        budgets={"retries": budget}, backoff=lambda _n: 0.0,
                        max_wait=self.settings.max_backoff + 1, sleep=self._sleep,
                        notify=self._notify)

    def _count_answer(self, resp: Answer, kind: str) -> None:
        if self._raw or kind == "raw":
            self.count("raw")
        elif resp.status == 304:
            self.count("not_modified")
            if not self._token:
                self.count("charged")  # GitHub charges 304s only to anonymous callers
        else:
            self.count("charged")

    def _record_budget(self, resp: Answer) -> None:
        remaining = _header_float(resp, "x-ratelimit-remaining", "ratelimit-remaining")
        reset = _header_float(resp, "x-ratelimit-reset", "ratelimit-reset")
        if remaining is None:
            return
        with self._lock:
            self._remaining = remaining
            self._reset = reset

    def _wait_for_budget(self) -> None:
        """When the last answer said the budget is spent, wait for its reset before asking."""
        with self._lock:
            remaining, reset = self._remaining, self._reset
        if remaining is None or remaining > 0 or reset is None:
            return
        wait = reset - time.time() + 1.0
        if wait > 0:
            why = f"{self.service} rate limit spent"
            if wait > self.settings.max_backoff + 1:
                raise RateLimitError(f"{why}: would have to wait {wait:,.0f} s (more than"
                                     f" {self.settings.max_backoff:,.0f} s)", status=403)
            self.stats.count_wait(f"{self.service} rate limit spent", wait)
            when = datetime.fromtimestamp(reset, UTC).strftime("%H:%M:%S")
            self._notify(f"{why}: waiting {wait:,.1f} s (until {when} UTC)")
            self._sleep(wait)
        with self._lock:
            self._remaining = None

    def _rate_limit_wait(self, resp: Answer, attempt: int) -> float | None:
        """Seconds to wait before retrying, or None when this answer is final.

        GitHub's rule: ``retry-after`` if present, else until ``x-ratelimit-reset`` when
        ``remaining`` is 0, else at least a minute doubling per attempt (a secondary limit or
        the older "abuse detection mechanism" 403). A raw host has no headers to tell a limit
        from a refusal, so its 403/429 back off (once per file).
        """
        if resp.status not in (403, 429):
            return None
        body = _json_or_none(resp)
        if isinstance(body, dict) and body.get("block"):
            return None  # disabled for terms of service: an answer, not a limit
        retry_after = _retry_after(resp)
        if retry_after is not None:
            return max(retry_after, 0.0)
        remaining = _header_float(resp, "x-ratelimit-remaining", "ratelimit-remaining")
        reset = _header_float(resp, "x-ratelimit-reset", "ratelimit-reset")
        if remaining == 0 and reset is not None:
            return max(reset - time.time(), 0.0) + 1.0
        if self._raw:
            return self.settings.raw_refusal_wait
        message = str(body.get("message", "")) if isinstance(body, dict) else ""
        if resp.status == 429 or any(w in message.lower() for w in _LIMIT_WORDS):
            return self.settings.github_secondary_wait * 2 ** (attempt - 1)
        return None  # a plain 403 (forbidden): the caller decides

    def refused(self, resp: Answer) -> None:
        """A raw host still refusing after its wait: one more failure towards its outage."""
        if self.health is not None:
            self.health.failed(self.endpoint, f"HTTP {resp.status} for every file")

    # -- raw downloads in a bounded pool -----------------------------------------------------

    def download_many(
        self,
        files: Iterable[Selected],
        fetch_one: Callable[[Selected], bytes | str],
        *,
        workers: int,
    ) -> Downloaded:
        """Download each distinct blob once with at most ``workers`` in flight.

        ``fetch_one`` returns the bytes, or a reason (str) for a file that is not there or not
        worth keeping, or raises ServiceError for a transient failure. What stops the run is
        passed on: a wait beyond bounds, a host down, and no answer at all (the repository is
        then left as it was). Content that does not hash to the blob sha the tree named is
        dropped, and so are Git LFS pointers. The repository byte cap applies to what arrived.
        """
        unique: dict[str, Selected] = {}
        for sel in files:
            unique.setdefault(sel.sha, sel)
        result = Downloaded()
        budget = [self.settings.max_repo_bytes]

        def one(sel: Selected) -> None:
            try:
                data = fetch_one(sel)
            except AnswerTooLarge:
                data = "over the file size cap"
            except ServiceError as exc:
                if exc.transport or isinstance(exc, RateLimitError):
                    raise  # no answer, a host down or a wait beyond bounds: not this file's
                log.info("download failed: %s", self._safe(str(exc)))
                with self._lock:
                    result.failed.append(sel.path)
                return
            with self._lock:
                reason = data if isinstance(data, str) else self._refuse(data, sel)
                if reason is not None:
                    result.skipped[sel.path] = reason
                    return
                assert isinstance(data, bytes)
                if len(data) > budget[0]:
                    result.skipped[sel.path] = "over the repository byte cap"
                    return
                budget[0] -= len(data)
                result.contents[sel.sha] = data
                self.counts["bytes"] += len(data)

        if not unique:
            return result
        pool = ThreadPoolExecutor(max_workers=max(1, workers))
        try:
            for future in [pool.submit(one, s) for s in unique.values()]:
                exc = future.exception()
                if exc is not None:
                    raise exc
        except BaseException:
            # Ctrl-C, a host down or a bug: drop the queued downloads instead of finishing them.
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
        return result

    @staticmethod
    def _refuse(data: bytes, sel: Selected) -> str | None:
        """Why downloaded bytes are not stored, or None to keep them."""
        if git_blob_sha(data) != sel.sha:
            return "content does not match the tree's blob sha"
        if is_lfs_pointer(data):
            return "a Git LFS pointer, not code"
        return None


def _json_or_none(resp: Answer) -> Any:
    try:
        return resp.json_body()
    except ServiceError:
        return None


# A host's JSON field, or None when it is missing or of another type (never trusted blindly).
def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def json_body(resp: Answer, url: str) -> Any:
    """Parsed JSON, or a ServiceError naming the URL (never the body: it is outside data)."""
    try:
        return resp.json_body()
    except ServiceError:
        raise ServiceError(f"invalid JSON from {url} (HTTP {resp.status})", url=url,
                           status=resp.status) from None


def _notify(message: str) -> None:
    """Without an events sink, a wait goes to the log only (the CLI passes its sink's info)."""
    log.info("%s", message)
