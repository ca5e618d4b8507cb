"""The arXiv query API, asked politely and read strictly, for a crawl that runs for hours.

Requests go through :class:`crawler.http.Channel` (:mod:`crawler.transport`: one total deadline
per request, the answer capped on the wire and decompressed, every transport error mapped, the
run's outage detection); the Atom feed is read by :mod:`crawler.atom` (lxml, no entities, an
oversized entry skipped and recorded). On top of that:

* urllib3 ``Retry`` retries connection errors, answers that did not come in time and 429/5xx
  with exponential backoff, honours ``Retry-After`` (capped), never retries other 4xx, counts
  every retry and wait by reason; every backoff is at least the arXiv delay, so a retry is never
  ruder than a normal request;
* at least ``delay`` seconds between requests on the monotonic clock
  (:class:`crawler.http.Throttle`), one connection;
* the one retry loop (:func:`crawler.http.retrying`) asks again for what urllib3 cannot see: a
  body cut short or stalled, malformed XML (parsed strictly, never "recovered") and the known
  random empty page in the middle of paging. A service that gives no answer several times in a
  row (or for a minute) is an outage: :class:`~survey.core.errors.ServiceUnavailable`, one line
  naming ``SURVEY_ARXIV_API_URL``;
* an error feed (entry id ``http(s)://arxiv.org/api/errors#...``) is raised as
  :class:`ServiceError` with arXiv's reason.

:meth:`ArxivClient.fetch_window` pages one query to its end and compares what it received with
``opensearch:totalResults``; completeness is judged by distinct ids, never by sort order. A
total that a partial page contradicts by more than a page is not believed (issue 9 §5).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

from crawler.atom import (
    Entry,
    Feed,
    MalformedFeed,
    error_message,
    parse_feed,
    parse_root,
    short_id,
)
from crawler.http import Again, Channel, RequestStats, RetryPolicy, Throttle, make_session, retrying
from crawler.transport import Endpoint, Health, Limits, outage, reason_in
from survey.core.errors import AnswerTooLarge, ServiceError, ServiceUnavailable
from survey.core.settings import Settings

log = logging.getLogger(__name__)

__all__ = ["ArxivClient", "WindowResult", "short_id", "EMPTY_PAGE_RETRIES", "MAX_PAGE_SIZE"]

SERVICE = "arxiv"
# The API's own cap on max_results per call.
MAX_PAGE_SIZE = 2000
# An empty page in the middle of paging is re-asked this many times before the window is
# considered short (an overstated total also ends in empty pages: don't spend too much on it).
EMPTY_PAGE_RETRIES = 3
# Retries of a connection that cannot be opened at all (refused, DNS), inside one request.
CONNECT_RETRIES = 2
# A window that comes back short is paged again this many times in all.
WINDOW_ATTEMPTS = 2


def _channel(settings: Settings, stats: RequestStats, health: Health | None) -> Channel:
    """Our session with the arXiv retry policy mounted (one connection: arXiv's rule)."""
    policy = RetryPolicy(
        total=settings.arxiv_retries,
        statuses=frozenset({429, 500, 502, 503, 504}),
        backoff_factor=max(settings.arxiv_delay, 0.01),
        backoff_max=max(120.0, settings.arxiv_delay),
        retry_after_max=settings.max_backoff,
        # Every retry waits at least the arXiv delay (Retry-After still wins when given).
        backoff_min=settings.arxiv_delay,
        # A refused connection or failed look-up is rarely cured by waiting minutes.
        connect=CONNECT_RETRIES,
        read=1,
    )
    session = make_session(policy, stats=stats, service=SERVICE, pool_size=1)
    limits = Limits(connect_timeout=min(10.0, settings.arxiv_timeout),
                    read_timeout=settings.arxiv_timeout, deadline=settings.arxiv_deadline,
                    max_wire_bytes=settings.max_arxiv_answer_bytes,
                    max_body_bytes=settings.max_arxiv_answer_bytes)
    endpoint = Endpoint(SERVICE, "SURVEY_ARXIV_API_URL", settings.arxiv_api_url)
    return Channel(session, endpoint, limits, stats, health)


@dataclass
class WindowResult:
    """What paging one query produced: distinct results by id and the API's total.

    ``skipped`` are entries received but not kept (oversized fields): they count as received.
    ``overstated`` is the total arXiv claimed when a partial page showed it was not true.
    """

    total: int
    results: dict[str, Entry] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    requests: int = 0
    attempts: int = 0
    overstated: int | None = None

    @property
    def fetched(self) -> int:
        return len(self.results) + len(self.skipped.keys() - self.results.keys())

    @property
    def short(self) -> bool:
        return self.fetched < self.total


class ArxivClient:
    """The arXiv API for one run (module docstring).

    ``page_size`` defaults to the API's maximum of 2000 (fewest requests under the 3 s rule);
    ``delay`` is arXiv's "one request every three seconds".
    """

    def __init__(self, settings: Settings, stats: RequestStats | None = None,
                 health: Health | None = None) -> None:
        self.page_size = max(1, min(settings.arxiv_page_size, MAX_PAGE_SIZE))
        self.delay = settings.arxiv_delay
        self.num_retries = settings.arxiv_retries
        self.max_backoff = settings.max_backoff
        self.base_url = settings.arxiv_api_url
        self.stats = stats if stats is not None else RequestStats()
        self.health = health or Health(settings.outage_after, settings.outage_seconds)
        self.channel = _channel(settings, self.stats, self.health)
        self._throttle = Throttle(settings.arxiv_delay)
        self.requests_made = 0

    def close(self) -> None:
        self.channel.close()

    # -- one page --------------------------------------------------------------------------

    def url(self, query: str, start: int, size: int) -> str:
        """A whole-window search URL, sorted by submission date.

        Completeness never rests on the order (ids are deduplicated and counted against the
        total), but a date order is the likeliest to stay put between pages.
        """
        params = {"search_query": query, "id_list": "", "sortBy": "submittedDate",
                  "sortOrder": "ascending", "start": start, "max_results": size}
        return f"{self.base_url}?{urlencode(params)}"

    def page(self, url: str, *, first_page: bool = True,
             empty_retries: int = EMPTY_PAGE_RETRIES) -> Feed:
        """Fetch and parse one page; retry what is worth retrying, raise the rest.

        An empty page is returned (not raised) once ``empty_retries`` are spent:
        :meth:`fetch_window` decides whether that makes the window short. Answers cut short or
        malformed are retried ``num_retries`` times, then raised.
        """

        def attempt(_n: int) -> Feed:
            feed = self._fetch_once(url)
            if not feed.entries and not feed.skipped and (not first_page or feed.total > 0):
                raise Again("empty page", budget="empty", fallback=feed)
            return feed

        return retrying(attempt, service=SERVICE, stats=self.stats,
                        budgets={"retries": self.num_retries, "empty": empty_retries},
                        backoff=self._backoff, max_wait=self.max_backoff)

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter, never below the delay the Throttle enforces."""
        base = max(self.delay, 0.01) * (2 ** (attempt - 1))
        return min(self.max_backoff, base * (1 + 0.25 * random.random()))

    def _fetch_once(self, url: str) -> Feed:
        """One request (urllib3 retries included) and a strict parse."""
        slept = self._throttle.wait()
        if slept > 0:
            self.stats.count_wait(f"{SERVICE} delay between requests", slept)
        self.requests_made += 1
        try:
            answer = self.channel.get(url)
        except (ServiceUnavailable, AnswerTooLarge):
            raise
        except ServiceError as exc:
            if not exc.transport:
                raise
            reason = reason_in(exc)
            raise Again(_retry_key(reason), final=outage(self.channel.endpoint, reason,
                                                         *self.health.streak(SERVICE))) from None
        finally:
            self._throttle.mark()
        return self._parse_answer(url, answer.status, answer.body)

    def _parse_answer(self, url: str, status: int, content: bytes) -> Feed:
        """Strict XML parse; error feeds and non-200 answers become ``ServiceError``."""
        root = None
        try:
            root = parse_root(content)
        except MalformedFeed as exc:
            if status == 200:
                raise _bad(url, str(exc)) from None
        message = error_message(root) if root is not None else None
        if status != 200:
            detail = f": {message}" if message else ""
            raise ServiceError(f"arXiv answered HTTP {status}{detail}: {_where(url)}", url=url,
                               status=status)
        if message is not None:
            raise ServiceError(f"arXiv rejected the query: {message}: {_where(url)}", url=url,
                               status=status)
        try:
            return parse_feed(root)
        except MalformedFeed as exc:
            raise _bad(url, str(exc)) from None

    # -- one window ------------------------------------------------------------------------

    def fetch_window(
        self,
        query: str,
        *,
        first: Feed | None = None,
        on_page: Callable[[int, int], None] | None = None,
    ) -> WindowResult:
        """Page ``query`` to its end, deduplicating by id; page it again while short.

        ``first`` is an already fetched first page (the caller probed the total with it).
        ``on_page(new_distinct, total)`` is called after each page for progress bars.
        """
        result = WindowResult(total=0)
        for attempt in range(WINDOW_ATTEMPTS):
            result.attempts = attempt + 1
            before = self.requests_made
            feed = first if first is not None else self.first_page(query)
            first = None
            result.total = max(result.total, feed.total)
            self._page_through(query, feed, result, on_page)
            result.requests += self.requests_made - before
            if not result.short:
                break
            self.stats.count_retry(f"{SERVICE} short window")
            log.info("window short (%d of %d), paging it again", result.fetched, result.total)
        return result

    def _page_through(self, query: str, feed: Feed, result: WindowResult,
                      on_page: Callable[[int, int], None] | None) -> None:
        offset, page_size, smaller_tried = 0, self.page_size, False
        while True:
            added = _add(result, feed)
            if on_page is not None:
                on_page(added, result.total)
            received = len(feed.entries) + len(feed.skipped)
            if not received:
                if smaller_tried or offset == 0 or page_size < 2 or offset >= feed.total:
                    return
                # "Some page sizes fail at some offsets": one try with half the page.
                smaller_tried, page_size = True, page_size // 2
                self.stats.count_retry(f"{SERVICE} smaller page")
                feed = self.page(self.url(query, offset, page_size), first_page=False,
                                 empty_retries=0)
                continue
            offset += received
            if received < page_size and feed.total > offset + self.page_size:
                # A partial page is the end of the results; a total claiming more than another
                # page beyond it is not believed (an overstated total, issue 9 §5).
                result.overstated = result.total
                result.total = result.fetched
                return
            if offset >= feed.total:
                return
            feed = self.page(self.url(query, offset, page_size), first_page=False)

    def first_page(self, query: str) -> Feed:
        """The first page; an empty one is asked again before it is believed."""
        url = self.url(query, 0, self.page_size)
        feed = self.page(url, first_page=True)
        if not feed.entries and not feed.skipped and feed.total == 0:
            # A spurious empty first page looks like an empty window: re-ask once.
            self.stats.count_retry(f"{SERVICE} empty first page")
            feed = self.page(url, first_page=True)
        return feed


def _add(result: WindowResult, feed: Feed) -> int:
    """Merge a page into the window's results; the number of new distinct ids."""
    added = 0
    for item in feed.entries:
        if item.arxiv_id not in result.results and item.arxiv_id not in result.skipped:
            added += 1
        result.results[item.arxiv_id] = item
        result.skipped.pop(item.arxiv_id, None)
    for skipped in feed.skipped:
        if skipped.arxiv_id not in result.results and skipped.arxiv_id not in result.skipped:
            added += 1
            result.skipped[skipped.arxiv_id] = skipped.reason
    return added


def _retry_key(reason: str) -> str:
    """A transport failure's name in the retry counts."""
    if "closed" in reason:
        return "answer cut short"
    if "still arriving" in reason:
        return "answer too slow"
    return reason.split(" within")[0]


def _bad(url: str, detail: str) -> Again:
    """A malformed answer: asked again, then an error naming what was wrong."""
    return Again("malformed XML", final=ServiceError(
        f"arXiv answered badly ({detail[:200]}): {_where(url)}", url=url))


def _where(url: str) -> str:
    """The endpoint and the page offset of a request URL: short enough for one line."""
    parts = urlsplit(url)
    start = parse_qs(parts.query).get("start", ["0"])[0]
    return f"{parts.scheme}://{parts.netloc}{parts.path} (start={start})"
