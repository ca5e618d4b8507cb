"""Hugging Face Papers: ``GET {SURVEY_HF_API_URL}/api/papers/{arxiv_id}``, politely.

The answer is the paper (``id``, ``title``, ``summary``, ``publishedAt``, ``upvotes``...) with,
when someone entered them, ``githubRepo`` (entered by an author, the daily-papers submitter or an
admin, not crawled) and ``projectPage``; a 404 means the paper is not indexed (most papers
before 2023 are not). Requests go through :func:`crawler.transport.send` (a total deadline, size
caps, one error mapping, outages stopping the run).

Pace (Hugging Face's documented limits, counted over fixed 5-minute windows: 1,000 API requests
with a free token, 500 without): requests are spread evenly over the window, a little slower
than the quota. Every answer's ``RateLimit-Policy`` (``"fixed window";"api";q=1000;w=300``)
resets the pace to what the server says, and ``RateLimit`` (``"api";r=0;t=55``) with nothing
remaining waits out the window before the next request. A 429 waits ``Retry-After`` (seconds or
an HTTP date; else the ``RateLimit`` reset; else one window), announced through the events sink,
bounded by ``max_backoff``; a wait longer than that, or :data:`MAX_RATE_LIMITED` 429s in a row,
stops the run with one line (:class:`~survey.core.errors.RateLimitError`).

``HF_TOKEN``, when set, goes only into ``Authorization: Bearer``; it is checked before the first
request (:func:`crawler.transport.header_safe`) and never logged, stored or put in a message.
A token Hugging Face refuses (401) stops the run with one line.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import quote

from crawler.http import RequestStats, RetryPolicy, make_session, redact
from crawler.transport import Answer, Endpoint, Health, Limits, header_safe, send
from survey.core.errors import ConfigError, RateLimitError, ServiceError
from survey.core.events import SILENT, Events
from survey.core.settings import Settings

SERVICE = "hf"
# Hugging Face's documented API limits: requests per fixed window of WINDOW seconds.
QUOTA_WITH_TOKEN = 1000
QUOTA_WITHOUT_TOKEN = 500
WINDOW = 300.0
# Spread requests this much slower than the quota, so clock skew never lands on the limit.
SLACK = 1.05
MAX_RATE_LIMITED = 5
MAX_FIELD = 2048
_RATELIMIT = re.compile(r'"?(?P<name>[\w-]+)"?\s*;\s*r\s*=\s*(?P<r>\d+)\s*;\s*t\s*=\s*(?P<t>\d+)')
_POLICY = re.compile(r"q\s*=\s*(?P<q>\d+).*?w\s*=\s*(?P<w>\d+)")


@dataclass(frozen=True)
class HfPaper:
    """What Hugging Face knows of one paper: indexed or not, and the two links if entered."""

    arxiv_id: str
    indexed: bool
    github_repo: str | None = None
    project_page: str | None = None


class Pace:
    """Even spacing of requests to a quota of ``quota`` per ``window`` seconds (monotonic)."""

    def __init__(self, quota: int, window: float, *, sleep: Callable[[float], None] = time.sleep,
                 notify: Callable[[str], None] | None = None) -> None:
        self.interval = window / max(quota, 1) * SLACK
        self._next = 0.0
        self._sleep = sleep
        self._notify = notify or (lambda _text: None)
        self._lock = threading.Lock()

    def wait(self) -> float:
        """Sleep until the next request may go; the seconds slept."""
        with self._lock:
            now = time.monotonic()
            slept = max(0.0, self._next - now)
            if slept > 0:
                self._sleep(slept)
            self._next = max(now, self._next) + self.interval
            return slept

    def hold(self, seconds: float) -> None:
        """No request before ``seconds`` from now (a window to wait out)."""
        with self._lock:
            self._next = max(self._next, time.monotonic() + seconds)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Follow the server's ``RateLimit-Policy`` and ``RateLimit`` headers."""
        policy = _POLICY.search(headers.get("RateLimit-Policy", "") or "")
        if policy and int(policy["q"]) > 0 and int(policy["w"]) > 0:
            interval = int(policy["w"]) / int(policy["q"]) * SLACK
            with self._lock:  # the request just sent is spaced by the server's figure too
                self._next += interval - self.interval
                self.interval = interval
        state = _RATELIMIT.search(headers.get("RateLimit", "") or "")
        if state and int(state["r"]) == 0 and int(state["t"]) > 0:
            self._notify(f"{SERVICE}: no requests left in this window: waiting"
                         f" {int(state['t'])} s")
            self.hold(float(state["t"]))


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or an HTTP date), else ``RateLimit``'s t."""
    value = (headers.get("Retry-After") or "").strip()
    if value:
        if value.isdigit():
            return float(value)
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None and when.tzinfo is not None:
            return max(0.0, when.timestamp() - (time.time() if now is None else now))
    state = _RATELIMIT.search(headers.get("RateLimit", "") or "")
    return float(state["t"]) if state else None


class HfPapersClient:
    """One run's client of Hugging Face Papers (see the module doc)."""

    def __init__(self, settings: Settings, stats: RequestStats, *, events: Events = SILENT,
                 limits: Limits | None = None, health: Health | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.stats = stats
        self.events = events
        self.endpoint = Endpoint(SERVICE, "SURVEY_HF_API_URL", settings.hf_api_url)
        self.limits = limits or Limits(read_timeout=settings.http_timeout,
                                       deadline=max(60.0, 2 * settings.http_timeout),
                                       max_wire_bytes=4_000_000, max_body_bytes=4_000_000)
        self.health = health or Health(settings.outage_after, settings.outage_seconds)
        self._sleep = sleep
        headers = {"Accept": "application/json"}
        if settings.hf_token:
            headers["Authorization"] = f"Bearer {settings.hf_token}"
        header_safe(headers, self.endpoint)
        self.session = make_session(
            RetryPolicy(total=3, statuses=frozenset({500, 502, 503, 504}),
                        backoff_factor=settings.http_backoff, backoff_max=30.0),
            stats=stats, service=SERVICE, pool_size=1)
        self.session.headers.update(headers)
        quota = QUOTA_WITH_TOKEN if settings.hf_token else QUOTA_WITHOUT_TOKEN
        self.pace = Pace(quota, WINDOW, sleep=sleep, notify=events.info)
        self.rate_limited = 0

    def url_for(self, arxiv_id: str) -> str:
        return f"{self.settings.hf_api_url.rstrip('/')}/api/papers/{quote(arxiv_id, safe='.')}"

    def paper(self, arxiv_id: str) -> HfPaper:
        """Ask about one paper; ServiceError when it could not be answered (see module doc)."""
        url = self.url_for(arxiv_id)
        for attempt in range(MAX_RATE_LIMITED + 1):
            self.pace.wait()
            answer = self._send(url)
            self.pace.observe(answer.headers)
            if answer.status != 429:
                return self._read(arxiv_id, answer)
            self.rate_limited += 1
            self._wait_out(answer, attempt)
        raise AssertionError("unreachable")  # the loop returns or raises

    def _send(self, url: str) -> Answer:
        self.stats.count_request(SERVICE)
        try:
            return send(self.session, "GET", url, endpoint=self.endpoint, limits=self.limits,
                        health=self.health)
        except ServiceError as exc:
            raise type(exc)(redact(str(exc), self.settings.hf_token), url=exc.url,
                            status=exc.status, transport=exc.transport) from None

    def _wait_out(self, answer: Answer, attempt: int) -> None:
        wait = retry_after(answer.headers)
        wait = WINDOW if wait is None else wait
        if wait > self.settings.max_backoff:
            raise RateLimitError(f"{SERVICE} answered HTTP 429 asking to wait {wait:,.0f} s,"
                                 f" more than {self.settings.max_backoff:,.0f} s: stopped; the"
                                 " next run resumes", url=answer.url, status=429)
        if attempt >= MAX_RATE_LIMITED:
            raise RateLimitError(f"{SERVICE} answered HTTP 429 {attempt + 1} times in a row:"
                                 " stopped; the next run resumes (set HF_TOKEN for a higher"
                                 " limit)", url=answer.url, status=429)
        self.stats.count_retry(f"{SERVICE} HTTP 429")
        self.events.info(f"{SERVICE} answered HTTP 429 (rate limit): waiting {wait:,.0f} s")
        self._sleep(wait)

    def _read(self, arxiv_id: str, answer: Answer) -> HfPaper:
        if answer.status == 404:
            return HfPaper(arxiv_id, indexed=False)
        if answer.status == 401 and self.settings.hf_token:
            raise ConfigError("Hugging Face refused HF_TOKEN (HTTP 401): check the token or"
                              " unset it (public papers need none)")
        if answer.status != 200:
            raise ServiceError(f"{SERVICE}: HTTP {answer.status} for paper {arxiv_id}",
                               url=answer.url, status=answer.status)
        body = answer.json_body()
        if not isinstance(body, dict):
            raise ServiceError(f"{SERVICE}: answer for paper {arxiv_id} is not a JSON object",
                               url=answer.url, status=answer.status)
        return HfPaper(arxiv_id, True, _text(body.get("githubRepo")),
                       _text(body.get("projectPage")))

    def close(self) -> None:
        self.session.close()


def _text(value: object) -> str | None:
    """A URL field as answered: a non-empty string within bounds, else None."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if value and len(value) <= MAX_FIELD else None
