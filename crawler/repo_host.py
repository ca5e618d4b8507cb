"""What the GitHub and GitLab clients share: result types, polite GETs, bounded raw downloads.

The fetch stage (:mod:`crawler.fetch`) talks to every code host through the same four calls
(``lookup``, ``head``, ``tree``, ``download``) returning the types below, so GitHub and GitLab
differ only in their URLs and JSON shapes. :class:`PoliteClient` holds the rules both hosts ask
for: a timeout on every request, urllib3 retries with backoff on 5xx and connection errors
(``crawler.http.make_session``), ``retry-after`` honoured on 403/429, and a visible wait until
the reset when the budget of ``x-ratelimit-*`` / ``ratelimit-*`` is spent.
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
from typing import Any

import requests

from crawler.http import RequestStats, RetryPolicy, make_session, redact
from crawler.selection import Selected, TreeEntry
from survey.core.errors import RateLimitError, ServiceError
from survey.core.settings import Settings

log = logging.getLogger(__name__)


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


@dataclass
class Downloaded:
    """Blob contents by sha; ``failed`` are transient failures (the repo is retried later)."""

    contents: dict[str, bytes] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def git_blob_sha(data: bytes) -> str:
    """Git's blob id of ``data``: lets us check a raw download is the blob the tree named."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


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


def _header_float(resp: requests.Response, *names: str) -> float | None:
    for name in names:
        raw = resp.headers.get(name)
        if raw is None:
            continue
        value = _finite(raw)
        if value is not None:
            return value
    return None


def _retry_after(resp: requests.Response) -> float | None:
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


class PoliteClient:
    """GETs with timeout, retries, rate-limit waits and counting; subclassed per host.

    ``sleep`` and ``notify`` are injectable (a scheduler may want its own log line), but the
    tests use the real ones against real local servers, with waits of one or two seconds.
    """

    def __init__(
        self,
        settings: Settings,
        stats: RequestStats,
        *,
        service: str,
        token: str | None = None,
        pool_size: int = 4,
        sleep: Callable[[float], None] | None = None,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.stats = stats
        self.service = service
        self._token = token
        self._sleep = sleep or time.sleep
        self._notify = notify or _notify
        policy = RetryPolicy(
            total=settings.http_retries,
            statuses=frozenset({500, 502, 503, 504}),
            backoff_factor=settings.http_backoff,
            backoff_max=min(120.0, settings.max_backoff),
            retry_after_max=settings.max_backoff,
        )
        # 403/429 waits are this client's (announced, bounded by RateLimitError); urllib3 keeps
        # 5xx (honouring their retry-after) and connection errors.
        self.session = make_session(policy, stats=stats, service=service, pool_size=pool_size)
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._remaining: float | None = None
        self._reset: float | None = None

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
        stream: bool = False,
        kind: str = "api",
    ) -> requests.Response:
        """GET with every politeness rule; returns the final answer (any status but 403/429
        rate limits, which are waited out). Raises ServiceError after retries, RateLimitError
        when a wait would exceed ``settings.max_backoff``."""
        attempts = max(1, self.settings.http_retries) + 1
        for attempt in range(1, attempts + 1):
            self._wait_for_budget()
            try:
                resp = self.session.get(
                    url, headers=headers, params=params, stream=stream,
                    timeout=self.settings.http_timeout, allow_redirects=False,
                )
                if not stream:
                    _ = resp.content
            except requests.RequestException as exc:
                self.stats.count_request(self.service)
                raise ServiceError(
                    self._safe(f"{self.service}: {type(exc).__name__} for {url}"),
                    url=self._safe(url), attempt=attempt,
                ) from exc
            self.stats.count_request(self.service)
            self._record_budget(resp)
            self._count_answer(resp, kind)
            wait = self._rate_limit_wait(resp, attempt, kind)
            if wait is None:
                return resp
            resp.close()
            self.stats.count_retry(f"{self.service} HTTP {resp.status_code} rate limit")
            self._pause(wait, f"{self.service} answered HTTP {resp.status_code} (rate limit)")
        raise ServiceError(
            f"{self.service}: still rate limited after {attempts} attempts: {self._safe(url)}",
            url=self._safe(url), status=429, attempt=attempts,
        )

    def _count_answer(self, resp: requests.Response, kind: str) -> None:
        if kind == "raw":
            self.count("raw")
        elif resp.status_code == 304:
            self.count("not_modified")
            if not self._token:
                self.count("charged")  # GitHub charges 304s only to anonymous callers
        else:
            self.count("charged")

    def _record_budget(self, resp: requests.Response) -> None:
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
            self._pause(wait, f"{self.service} rate limit spent", until=reset)
        with self._lock:
            self._remaining = None

    def _rate_limit_wait(self, resp: requests.Response, attempt: int, kind: str = "api"
                         ) -> float | None:
        """Seconds to wait before retrying, or None when this answer is final.

        GitHub's rule: ``retry-after`` if present, else until ``x-ratelimit-reset`` when
        ``remaining`` is 0, else at least a minute doubling per attempt. A raw host has no
        headers to tell a limit from a refusal, so its 403/429 always back off.
        """
        if resp.status_code not in (403, 429):
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
        message = str(body.get("message", "")) if isinstance(body, dict) else ""
        if resp.status_code == 429 or kind == "raw" or "rate limit" in message.lower():
            return self.settings.github_secondary_wait * 2 ** (attempt - 1)
        return None  # a plain 403 (forbidden): the caller decides

    def _pause(self, seconds: float, why: str, *, until: float | None = None) -> None:
        if seconds > self.settings.max_backoff + 5:  # + the second added to every reset
            raise RateLimitError(
                f"{why}: would have to wait {seconds:,.0f} s"
                f" (more than {self.settings.max_backoff:,.0f} s)",
                status=403,
            )
        when = datetime.fromtimestamp(until or time.time() + seconds, UTC).strftime("%H:%M:%S")
        self._notify(f"{why}: waiting {seconds:,.1f} s (until {when} UTC)")
        self._sleep(seconds)

    # -- raw downloads in a bounded pool -----------------------------------------------------

    def download_many(
        self,
        files: Iterable[Selected],
        fetch_one: Callable[[Selected], bytes | None],
        *,
        workers: int,
    ) -> Downloaded:
        """Download each distinct blob once with at most ``workers`` in flight.

        ``fetch_one`` returns the bytes, None for a file that is not there or too big, or raises
        ServiceError for a transient failure (RateLimitError is passed on: it ends the run).
        Content that does not hash to the blob sha the tree named is dropped. The repository
        byte cap applies to what actually arrived.
        """
        unique: dict[str, Selected] = {}
        for sel in files:
            unique.setdefault(sel.sha, sel)
        result = Downloaded()
        budget = [self.settings.max_repo_bytes]

        def one(sel: Selected) -> None:
            try:
                data = fetch_one(sel)
            except RateLimitError:
                raise  # a wait beyond bounds stops the run, not only this file
            except ServiceError as exc:
                log.info("download failed: %s", exc)
                with self._lock:
                    result.failed.append(sel.path)
                return
            with self._lock:
                if data is None:
                    result.skipped.append(sel.path)
                    return
                if git_blob_sha(data) != sel.sha:
                    result.skipped.append(sel.path)
                    return
                if len(data) > budget[0]:
                    result.skipped.append(sel.path)
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
            # Ctrl-C or a bug: drop the queued downloads instead of finishing them first.
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
        return result

    def read_capped(self, resp: requests.Response, url: str) -> bytes | None:
        """The body of a streamed answer, or None when it exceeds ``max_file_bytes``."""
        cap = self.settings.max_file_bytes
        chunks: list[bytes] = []
        total = 0
        try:
            for chunk in resp.iter_content(64 * 1024):
                total += len(chunk)
                if total > cap:
                    return None
                chunks.append(chunk)
        except requests.RequestException as exc:
            raise ServiceError(
                self._safe(f"{self.service}: {type(exc).__name__} reading {url}"),
                url=self._safe(url),
            ) from exc
        finally:
            resp.close()
        return b"".join(chunks)


def _json_or_none(resp: requests.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None


# A host's JSON field, or None when it is missing or of another type (never trusted blindly).
def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def json_body(resp: requests.Response, url: str) -> Any:
    """Parsed JSON, or a ServiceError naming the URL (never the body: it is outside data)."""
    try:
        return resp.json()
    except ValueError:
        raise ServiceError(f"invalid JSON from {url} (HTTP {resp.status_code})", url=url,
                           status=resp.status_code) from None


def _notify(message: str) -> None:
    """Without an events sink, a wait goes to the log only (the CLI passes its sink's info)."""
    log.info("%s", message)
