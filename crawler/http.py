"""Shared HTTP plumbing: one stats sink, urllib3 ``Retry``, the one retry loop, channels.

* :class:`RequestStats` is the run's one stats sink: requests, retries and waits (count and
  seconds) by service and reason, bytes by service. urllib3's retries (:class:`CountingRetry`)
  and the clients' own retries (:func:`retrying`) both count into it; the run records it in
  ``runs`` and the CLI shows it.
* Retry policy is data (:class:`RetryPolicy`): which statuses urllib3 retries, how often, how
  fast. urllib3 retries 5xx and connection errors and honours ``Retry-After``, but never waits
  past the request's deadline (:mod:`crawler.transport`).
* :func:`retrying` is the one loop for what urllib3 cannot see: GitHub's 403/429 rate limits,
  arXiv's empty pages and malformed answers. An attempt raises :class:`Again` to be retried.
* :class:`Channel` is one service as a client uses it: a session, its endpoint, limits, the
  run's :class:`~crawler.transport.Health` and stats; every request goes through
  :func:`crawler.transport.send` there.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests
from urllib3.util.retry import Retry

from crawler.transport import (
    Answer,
    DeadlineAdapter,
    Endpoint,
    Health,
    Limits,
    deadline_left,
    send,
)
from survey.core import stop
from survey.core.errors import RateLimitError, ServiceError

USER_AGENT = "survey/0.1 (+https://github.com/; research framework survey)"
T = TypeVar("T")


@dataclass
class RequestStats:
    """The run's one stats sink (thread-safe): what was asked, retried and waited, by service.

    Retry and wait keys are ``"<service> <reason>"`` (``github HTTP 503``, ``arxiv empty
    page``); request and byte keys are the service alone.
    """

    requests: Counter[str] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)
    waits: Counter[str] = field(default_factory=Counter)
    wait_seconds: dict[str, float] = field(default_factory=dict)
    bytes: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count_request(self, service: str, n: int = 1) -> None:
        with self._lock:
            self.requests[service] += n

    def count_retry(self, reason: str, n: int = 1) -> None:
        with self._lock:
            self.retries[reason] += n

    def count_wait(self, reason: str, seconds: float) -> None:
        with self._lock:
            self.waits[reason] += 1
            self.wait_seconds[reason] = self.wait_seconds.get(reason, 0.0) + max(0.0, seconds)

    def count_bytes(self, service: str, n: int) -> None:
        if n:
            with self._lock:
                self.bytes[service] += n

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": dict(self.requests),
                "retries": dict(self.retries),
                "waits": {k: {"count": n, "seconds": round(self.wait_seconds[k], 1)}
                          for k, n in self.waits.items()},
                "bytes": dict(self.bytes),
            }


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
    # Retries of a request that got no answer in time (None: total); within the deadline.
    read: int | None = None


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
        obj.last_reason = self.last_reason
        return obj

    def get_backoff_time(self) -> float:
        return max(self.backoff_min, super().get_backoff_time())

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if self.status_forcelist is not None and status_code not in self.status_forcelist:
            return False
        left = deadline_left()
        if left is not None and not has_retry_after:
            # The next backoff would pass the deadline: this answer is the final one.
            upcoming = self.backoff_factor * (2 ** len(self.history))
            if len(self.history) >= 1 and max(self.backoff_min, min(
                    self.backoff_max, upcoming)) >= left:
                return False
        return super().is_retry(method, status_code, has_retry_after)

    def increment(self, method=None, url=None, response=None, error=None, _pool=None,
                  _stacktrace=None):  # noqa: ANN001 - urllib3's signature
        # Raises MaxRetryError when the budget is spent: only a retry that will happen is counted.
        new = super().increment(method, url, response, error, _pool, _stacktrace)
        reason = self._reason(response, error)
        if self.stats is not None:
            self.stats.count_retry(reason)
        new.last_reason = reason
        return new

    last_reason: str = ""

    def _reason(self, response: Any, error: Any) -> str:
        if response is not None and response.status:
            return f"{self.service} HTTP {response.status}"
        if error is not None:
            return f"{self.service} {type(error).__name__}"
        return f"{self.service} other"

    def sleep(self, response: Any = None) -> None:
        """Wait as urllib3 would (``Retry-After``, else backoff), but never past the request's
        deadline, and count the wait."""
        wait = self.get_retry_after(response) if response is not None else None
        if wait is None:
            wait = self.get_backoff_time()
        left = deadline_left()
        if left is not None:
            wait = min(wait, max(0.0, left))
        if wait <= 0:
            return
        if self.stats is not None:
            self.stats.count_wait(self.last_reason or f"{self.service} retry", wait)
        time.sleep(wait)

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

    Its adapter enforces :func:`crawler.transport.send`'s deadline; timeouts come with each
    call (``requests`` has none per session): :class:`Channel` passes them.
    """
    retry = CountingRetry(
        total=policy.total,
        connect=policy.total if policy.connect is None else min(policy.connect, policy.total),
        read=policy.total if policy.read is None else min(policy.read, policy.total),
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


# -- the one retry loop ----------------------------------------------------------------------

class Again(Exception):  # noqa: N818 - it is a signal, not an error
    """Raised by an attempt of :func:`retrying`: ask again after ``wait`` seconds (None: the
    loop's backoff). ``budget`` names the budget it spends (an empty arXiv page has its own);
    when that budget is spent, ``fallback`` is returned if given, else ``final`` raised."""

    _NOTHING: Any = object()

    def __init__(self, reason: str, *, wait: float | None = None, budget: str = "retries",
                 fallback: Any = _NOTHING, final: Exception | None = None,
                 announce: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait
        self.budget = budget
        self.fallback = fallback
        self.final = final
        self.announce = announce


def retrying(attempt: Callable[[int], T], *, service: str, stats: RequestStats,
             budgets: Mapping[str, int], backoff: Callable[[int], float],
             max_wait: float = math.inf, sleep: Callable[[float], None] = time.sleep,
             notify: Callable[[str], None] | None = None) -> T:
    """Call ``attempt(n)`` until it returns; each :class:`Again` it raises is one retry.

    Every retry is counted in ``stats`` (and its wait, with seconds), announced through
    ``notify`` when the attempt asks for it, and never longer than ``max_wait``: a wait beyond
    that raises :class:`~survey.core.errors.RateLimitError` instead of parking the run.
    """
    spent: Counter[str] = Counter()
    n = 0
    while True:
        n += 1
        try:
            return attempt(n)
        except Again as again:
            spent[again.budget] += 1
            if spent[again.budget] > budgets.get(again.budget, 0):
                if again.fallback is not Again._NOTHING:
                    return again.fallback
                raise (again.final or ServiceError(
                    f"{service}: {again.reason}, still after {spent[again.budget]} tries")
                       ) from None
            wait = again.wait if again.wait is not None else backoff(spent[again.budget])
            wait = max(0.0, wait)
            if wait > max_wait:
                raise RateLimitError(
                    f"{again.announce or f'{service}: {again.reason}'}: would have to wait"
                    f" {wait:,.0f} s (more than {max_wait:,.0f} s)", status=429) from None
            key = f"{service} {again.reason}"
            stats.count_retry(key)
            if wait > 0:
                stats.count_wait(key, wait)
                if again.announce and notify is not None:
                    until = time.strftime("%H:%M:%S", time.gmtime(time.time() + wait))
                    notify(f"{again.announce}: waiting {wait:,.1f} s (until {until} UTC)")
                sleep(wait)


# -- one service as a client uses it ---------------------------------------------------------

class Channel:
    """A session bound to one service: every request goes through ``transport.send`` with the
    service's limits and the run's health, and is counted (requests, bytes) in ``stats``."""

    def __init__(self, session: requests.Session, endpoint: Endpoint, limits: Limits,
                 stats: RequestStats, health: Health | None = None,
                 unusable: frozenset[int] = frozenset()) -> None:
        self.session = session
        self.endpoint = endpoint
        self.limits = limits
        self.stats = stats
        self.health = health
        self.unusable = unusable

    @property
    def service(self) -> str:
        return self.endpoint.service

    def send(self, method: str, url: str, *, max_body: int | None = None,
             **kwargs: Any) -> Answer:
        stop.check()  # no new request once a stop is asked for
        self.stats.count_request(self.service)
        answer = send(self.session, method, url, endpoint=self.endpoint, limits=self.limits,
                      health=self.health, max_body=max_body, unusable=self.unusable, **kwargs)
        self.stats.count_bytes(self.service, answer.wire_bytes)
        return answer

    def get(self, url: str, **kwargs: Any) -> Answer:
        return self.send("GET", url, **kwargs)

    def close(self) -> None:
        self.session.close()


_TOKEN_PATTERNS = [
    # An Authorization header quoted whole ("Authorization: Bearer xyz", JSON or not).
    re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)((?:bearer|token|basic)\s+)?[^\s\"',})\]]+"),
    # "Bearer xyz" alone; "token xyz" when xyz looks like a credential (long, with digits).
    re.compile(r"(?i)\b(bearer|token)(\s+)(?:(?<=bearer\s)[A-Za-z0-9_\-.=:+/]{8,}"
               r"|(?=[A-Za-z0-9_\-]*\d)[A-Za-z0-9_\-]{20,})"),
    # Token shapes: GitHub, GitLab, Hugging Face.
    re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}"
               r"|glpat-[A-Za-z0-9_\-]{20,}|hf_[A-Za-z0-9]{30,})\b"),
]


def redact(text: str, *secrets: str | None) -> str:
    """Remove known secrets and anything token-shaped from ``text`` before it is shown or stored.

    Applied to everything stored or printed that comes from outside or may quote a request:
    status details, error messages, evidence, run summaries.
    """
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    text = _TOKEN_PATTERNS[0].sub(lambda m: m.group(1) + (m.group(2) or "") + "***", text)
    text = _TOKEN_PATTERNS[1].sub(lambda m: m.group(1) + m.group(2) + "***", text)
    return _TOKEN_PATTERNS[2].sub("***", text)


def redact_json(value: Any, *secrets: str | None) -> Any:
    """:func:`redact` applied to every string of a JSON-able value (a run's summary)."""
    if isinstance(value, str):
        return redact(value, *secrets)
    if isinstance(value, dict):
        return {redact(str(k), *secrets): redact_json(v, *secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_json(v, *secrets) for v in value]
    return value
