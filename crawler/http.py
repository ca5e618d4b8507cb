"""Shared HTTP plumbing: sessions with urllib3 ``Retry``, timeouts, counting, redaction.

Retry policy is data (:class:`RetryPolicy`): which statuses are retried, how often, how fast.
urllib3's ``Retry`` does the retrying and honours ``Retry-After`` on 429/503; the subclass
:class:`CountingRetry` records every retry by reason into a :class:`RequestStats` so the end of a
run can report "retries by reason". Service-specific rules (GitHub's 403 rate limits, arXiv's
empty pages) live in the service clients on top of this.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import requests
from urllib3.util.retry import Retry

from crawler.transport import DeadlineAdapter

USER_AGENT = "survey/0.1 (+https://github.com/; research framework survey)"


@dataclass
class RequestStats:
    """Thread-safe counters: requests by service, retries by reason."""

    requests: Counter[str] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count_request(self, service: str, n: int = 1) -> None:
        with self._lock:
            self.requests[service] += n

    def count_retry(self, reason: str, n: int = 1) -> None:
        with self._lock:
            self.retries[reason] += n

    def as_dict(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {"requests": dict(self.requests), "retries": dict(self.retries)}


@dataclass(frozen=True)
class RetryPolicy:
    """How a service is retried; the backoff doubles per attempt, capped by ``backoff_max``."""

    total: int = 5
    statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})
    backoff_factor: float = 1.0
    backoff_max: float = 120.0
    # No retry sooner than this (urllib3 retries the first failure at once; arXiv asks for 3 s).
    backoff_min: float = 0.0
    retry_after_max: float = 3600.0
    # Retries of refused connections and failed look-ups, rarely cured by waiting (None: total).
    connect: int | None = None


class CountingRetry(Retry):
    """urllib3 ``Retry`` that counts each retry by reason and caps ``Retry-After``.

    urllib3 retries any 413/429/503 that carries ``Retry-After``, even outside
    ``status_forcelist``; here only the policy's own statuses are retried, so a client that
    handles 429 itself (GitHub: an announced, bounded wait) is never put to sleep silently.
    """

    stats: RequestStats | None = None
    service: str = "http"
    # Our own names: urllib3 2.x has an int ``retry_after_max`` of its own (default 6 h).
    after_cap: float = 3600.0
    backoff_min: float = 0.0

    def new(self, **kw: Any) -> CountingRetry:
        obj = super().new(**kw)
        obj.stats = self.stats
        obj.service = self.service
        obj.after_cap = self.after_cap
        obj.backoff_min = self.backoff_min
        return obj

    def get_backoff_time(self) -> float:
        return max(self.backoff_min, super().get_backoff_time())

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if self.status_forcelist is not None and status_code not in self.status_forcelist:
            return False
        return super().is_retry(method, status_code, has_retry_after)

    def increment(self, method=None, url=None, response=None, error=None, _pool=None,
                  _stacktrace=None):  # noqa: ANN001 - urllib3's signature
        # Raises MaxRetryError when the budget is spent: only a retry that will happen is counted.
        new = super().increment(method, url, response, error, _pool, _stacktrace)
        if self.stats is not None:
            if response is not None and response.status:
                reason = f"{self.service} HTTP {response.status}"
            elif error is not None:
                reason = f"{self.service} {type(error).__name__}"
            else:
                reason = f"{self.service} other"
            self.stats.count_retry(reason)
        return new

    def get_retry_after(self, response) -> float | None:  # noqa: ANN001
        value = super().get_retry_after(response)
        if value is None:
            return None
        return min(max(value, 0.0), self.after_cap)


def make_session(
    policy: RetryPolicy,
    *,
    stats: RequestStats | None = None,
    service: str = "http",
    pool_size: int = 4,
    allowed_methods: Iterable[str] = ("GET", "HEAD"),
) -> requests.Session:
    """A ``requests.Session`` whose adapter retries per ``policy`` and counts into ``stats``.

    Timeouts are not set here (``requests`` has no session-wide timeout): every call must pass
    ``timeout=``; the service clients do.
    """
    retry = CountingRetry(
        total=policy.total,
        connect=policy.total if policy.connect is None else min(policy.connect, policy.total),
        read=policy.total,
        status=policy.total,
        backoff_factor=policy.backoff_factor,
        backoff_max=policy.backoff_max,
        status_forcelist=sorted(policy.statuses),
        allowed_methods=frozenset(allowed_methods),
        respect_retry_after_header=True,
        raise_on_status=False,
        raise_on_redirect=False,
    )
    retry.stats = stats
    retry.service = service
    retry.after_cap = policy.retry_after_max
    retry.backoff_min = policy.backoff_min
    session = requests.Session()
    adapter = DeadlineAdapter(max_retries=retry, pool_connections=pool_size,
                              pool_maxsize=pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


class Throttle:
    """At least ``interval`` seconds between calls, on the monotonic clock (immune to NTP jumps)."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._last: float | None = None
        self._lock = threading.Lock()

    def wait(self) -> float:
        """Sleep as needed before the next request; return the seconds slept."""
        with self._lock:
            slept = 0.0
            now = time.monotonic()
            if self._last is not None:
                slept = self._last + self.interval - now
                if slept > 0:
                    time.sleep(slept)
                else:
                    slept = 0.0
            self._last = time.monotonic()
            return slept

    def mark(self) -> None:
        """Restart the interval now: a call whose retries ran inside ``requests`` just ended."""
        with self._lock:
            self._last = time.monotonic()


_TOKEN_PATTERNS = [
    re.compile(r"(?i)(authorization:\s*)(\S+\s+)?\S+"),
    re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b"),
]


def redact(text: str, *secrets: str | None) -> str:
    """Remove known secrets and anything token-shaped from ``text`` before it is shown or stored."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = _TOKEN_PATTERNS[0].sub(lambda m: m.group(1) + "***", text)
    return _TOKEN_PATTERNS[1].sub("***", text)
