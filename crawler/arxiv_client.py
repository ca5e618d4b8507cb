"""The `arxiv` package's ``Client``, made safe for a crawl that runs for hours.

``arxiv.Client`` 4.x has no request timeout, ignores ``Retry-After``, retries 4xx like 5xx with no
backoff, measures its delay on the wall clock, does not retry ``ReadTimeout`` or
``ChunkedEncodingError``, parses a truncated document leniently and reads an error feed as "zero
results". :class:`ArxivClient` keeps the package's query building and Atom-to-``Result``
conversion and replaces the fetching:

* one ``requests`` session from :mod:`crawler.http`: urllib3 ``Retry`` retries connection
  errors, dropped connections, timeouts while waiting for headers and 429/5xx answers with
  exponential backoff, honours ``Retry-After`` (capped), never retries other 4xx, and counts
  every retry by reason; every backoff is at least the arXiv delay, so a retry is never ruder
  than a normal request;
* a timeout on every request and at least ``delay`` seconds between requests on the monotonic
  clock (:class:`crawler.http.Throttle`);
* application-level retries, with backoff, for what urllib3 cannot see: a body cut short
  (``ChunkedEncodingError``, ``ConnectionError`` while reading), malformed XML (parsed strictly
  here, never "recovered") and the known random empty page in the middle of paging;
* an error feed (entry id ``http://arxiv.org/api/errors#...``) raised as :class:`ServiceError`.

:meth:`ArxivClient.fetch_window` pages one query to its end and compares what it received with
``opensearch:totalResults``; completeness is judged by distinct ids, never by sort order.

Errors::

    ServiceError (survey.core.errors)     arXiv unreachable, HTTP error after retries, error feed,
                                     malformed answers after retries
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import arxiv
import requests
from arxiv import _feed
from lxml import etree
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

from crawler.http import RequestStats, RetryPolicy, Throttle, make_session
from survey.core.errors import ServiceError
from survey.core.settings import Settings

log = logging.getLogger(__name__)

SERVICE = "arxiv"
# The API's own cap on max_results per call.
MAX_PAGE_SIZE = 2000
# An empty page in the middle of paging is re-asked this many times before the window is
# considered short (an overstated total also ends in empty pages: don't spend too much on it).
EMPTY_PAGE_RETRIES = 3
# Retries of a connection that cannot be opened at all (refused, DNS).
CONNECT_RETRIES = 3
# A window that comes back short is paged again this many times in all.
WINDOW_ATTEMPTS = 2

_ERROR_ID_PREFIX = "http://arxiv.org/api/errors"
_POOL_PREFIX = re.compile(r"^(?:HTTPS?ConnectionPool\(.*?\)|<[^>]*>|HTTPS?Connection\(.*?\)): ")
_STRICT_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, recover=False
)


def _arxiv_session(settings: Settings, stats: RequestStats | None) -> requests.Session:
    """Our session with the arXiv retry policy mounted (one connection: arXiv's rule)."""
    policy = RetryPolicy(
        total=settings.arxiv_retries,
        statuses=frozenset({429, 500, 502, 503, 504}),
        backoff_factor=max(settings.arxiv_delay, 0.01),
        backoff_max=max(120.0, settings.arxiv_delay),
        retry_after_max=settings.max_backoff,
        # Every retry waits at least the arXiv delay (Retry-After still wins when given).
        backoff_min=settings.arxiv_delay,
        # A refused connection or failed DNS lookup is rarely cured by waiting minutes: three
        # tries (3 + 6 + 12 s at the default delay) before the one-line error; the windows
        # already stored are kept and the next crawl resumes.
        connect=CONNECT_RETRIES,
    )
    return make_session(policy, stats=stats, service=SERVICE, pool_size=1)


@dataclass
class WindowResult:
    """What paging one query produced: distinct results by id and the API's total."""

    total: int
    results: dict[str, arxiv.Result] = field(default_factory=dict)
    requests: int = 0
    attempts: int = 0

    @property
    def fetched(self) -> int:
        return len(self.results)

    @property
    def short(self) -> bool:
        return self.fetched < self.total


class _RetryableAnswer(Exception):
    """An answer worth asking again for (cut short, malformed, unexpectedly empty)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def short_id(entry_id: str) -> tuple[str, int]:
    """``http://arxiv.org/abs/2401.01234v3`` -> (``2401.01234``, 3); old ids keep their slash."""
    tail = entry_id.split("arxiv.org/abs/")[-1]
    head, sep, version = tail.rpartition("v")
    if sep and version.isdigit() and head:
        return head, int(version)
    return tail, 1


class ArxivClient(arxiv.Client):
    """``arxiv.Client`` with timeouts, polite retries and strict parsing (module docstring).

    ``page_size`` defaults to the API's maximum of 2000 (fewest requests under the 3 s rule);
    ``delay`` is arXiv's "one request every three seconds".
    """

    def __init__(self, settings: Settings, stats: RequestStats | None = None) -> None:
        page_size = max(1, min(settings.arxiv_page_size, MAX_PAGE_SIZE))
        super().__init__(
            page_size=page_size, delay_seconds=settings.arxiv_delay,
            num_retries=settings.arxiv_retries,
        )
        self.query_url_format = settings.arxiv_api_url + "?{}"
        self.timeout = settings.arxiv_timeout
        self.max_backoff = settings.max_backoff
        self.stats = stats if stats is not None else RequestStats()
        self._session = _arxiv_session(settings, self.stats)
        self._throttle = Throttle(settings.arxiv_delay)
        self.requests_made = 0

    # -- one page --------------------------------------------------------------------------

    def _parse_feed(
        self, url: str, first_page: bool = True, _try_index: int = 0,
        *, empty_retries: int = EMPTY_PAGE_RETRIES,
    ) -> _feed.ParsedFeed:
        """Fetch and parse one page; retry what is worth retrying, raise the rest.

        Overrides the package's method of the same name, so ``Client.results`` is safe too.
        Unlike the package, an empty page is returned (not raised) once ``empty_retries`` are
        spent: :meth:`fetch_window` decides whether that makes the window short. Answers cut
        short or malformed are retried ``num_retries`` times, then raised.
        """
        attempt, empties = _try_index, 0
        while True:
            try:
                feed = self._fetch_once(url)
                if not feed.results and (not first_page or feed.header.total_results > 0):
                    if empties >= empty_retries:
                        return feed
                    empties += 1
                    raise _RetryableAnswer("empty page", "page unexpectedly empty")
                return feed
            except _RetryableAnswer as exc:
                if exc.reason != "empty page":
                    if attempt >= self.num_retries:
                        raise ServiceError(
                            f"arXiv answered badly {attempt + 1} times ({exc}): {_where(url)}",
                            url=url, attempt=attempt + 1,
                        ) from exc
                    attempt += 1
                self.stats.count_retry(f"{SERVICE} {exc.reason}")
                log.info("retrying %s (%s)", url, exc)
                self._backoff(attempt + empties)

    def _backoff(self, attempt: int) -> None:
        """Exponential backoff with jitter, never below the delay the Throttle enforces."""
        base = max(self.delay_seconds, 0.01) * (2 ** (attempt - 1))
        time.sleep(min(self.max_backoff, base * (1 + 0.25 * random.random())))

    def _fetch_once(self, url: str) -> _feed.ParsedFeed:
        """One request (urllib3 retries included) and a strict parse."""
        self._throttle.wait()
        self.requests_made += 1
        self.stats.count_request(SERVICE)
        try:
            status, content = self._get(url)
        except requests.exceptions.ChunkedEncodingError as exc:
            raise _RetryableAnswer("ChunkedEncodingError", "answer cut short") from exc
        except requests.exceptions.ConnectionError as exc:
            if isinstance(exc.args[0] if exc.args else None, MaxRetryError):
                # urllib3 already spent its retry budget on this one.
                raise ServiceError(
                    f"cannot reach arXiv at {self.query_url_format[:-3]}:"
                    f" {_reason(exc, self.timeout)}", url=url,
                ) from exc
            raise _RetryableAnswer(type(exc).__name__, "connection lost while reading") from exc
        except requests.exceptions.Timeout as exc:
            raise _RetryableAnswer("ReadTimeout", f"no answer within {self.timeout} s") from exc
        except requests.exceptions.RequestException as exc:
            raise ServiceError(
                f"arXiv request failed: {_reason(exc, self.timeout)}: {_where(url)}", url=url
            ) from exc
        return self._parse_answer(url, status, content)

    def _get(self, url: str) -> tuple[int, bytes]:
        """One ``session.get`` with its body; the delay restarts when it ends, however."""
        try:
            resp = self._session.get(url, timeout=self.timeout)
            return resp.status_code, resp.content
        finally:
            self._throttle.mark()

    def _parse_answer(self, url: str, status: int, content: bytes) -> _feed.ParsedFeed:
        """Strict XML parse; error feeds and non-200 answers become ``ServiceError``."""
        root = None
        try:
            root = etree.fromstring(content, parser=_STRICT_PARSER) if content else None
        except etree.XMLSyntaxError as exc:
            if status == 200:
                raise _RetryableAnswer("malformed XML", f"malformed XML: {exc}") from exc
        message = _error_feed_message(root) if root is not None else None
        if status != 200:
            detail = f": {message}" if message else ""
            raise ServiceError(f"arXiv answered HTTP {status}{detail}: {_where(url)}", url=url,
                               status=status)
        if root is None:
            raise _RetryableAnswer("malformed XML", "empty answer")
        if root.tag != f"{{{_feed._NS['atom']}}}feed":
            # Valid XML that is not an Atom feed (a proxy's page): never "zero results".
            raise _RetryableAnswer("malformed XML", f"not an Atom feed: <{root.tag}>")
        if message is not None:
            raise ServiceError(f"arXiv rejected the query: {message}: {_where(url)}", url=url,
                               status=status)
        try:
            return _parsed_feed(root)
        except ValueError as exc:  # a date the package cannot parse: never a traceback
            raise _RetryableAnswer("malformed XML", f"malformed entry: {exc}") from exc

    # -- one window ------------------------------------------------------------------------

    def fetch_window(
        self,
        query: str,
        *,
        first: _feed.ParsedFeed | None = None,
        on_page: Callable[[int, int], None] | None = None,
    ) -> WindowResult:
        """Page ``query`` to its end, deduplicating by id; page it again while short.

        ``first`` is an already fetched first page (the caller probed the total with it).
        ``on_page(new_distinct, total)`` is called after each page for progress bars.
        """
        search = _search(query)
        result = WindowResult(total=0)
        for attempt in range(WINDOW_ATTEMPTS):
            result.attempts = attempt + 1
            before = self.requests_made
            if first is None:
                first = self.first_page(query)
            feed, offset, page_size, smaller_tried = first, 0, self.page_size, False
            first = None
            result.total = max(result.total, feed.header.total_results)
            while True:
                added = 0
                for item in feed.results:
                    arxiv_id, _ = short_id(item.entry_id)
                    if arxiv_id not in result.results:
                        added += 1
                    result.results[arxiv_id] = item
                if on_page is not None:
                    on_page(added, result.total)
                if not feed.results:
                    if smaller_tried or offset == 0 or page_size < 2 \
                            or offset >= feed.header.total_results:
                        break
                    # "Some page sizes fail at some offsets": one try with half the page.
                    smaller_tried, page_size = True, page_size // 2
                    self.stats.count_retry(f"{SERVICE} smaller page")
                    url = self._format_url(search, offset, page_size)
                    feed = self._parse_feed(url, first_page=False, empty_retries=0)
                    continue
                offset += len(feed.results)
                if offset >= feed.header.total_results:
                    break
                url = self._format_url(search, offset, page_size)
                feed = self._parse_feed(url, first_page=False)
            result.requests += self.requests_made - before
            if not result.short:
                break
            self.stats.count_retry(f"{SERVICE} short window")
            log.info("window short (%d of %d), paging it again", result.fetched, result.total)
        return result

    def first_page(self, query: str) -> _feed.ParsedFeed:
        """The first page; an empty one is asked again before it is believed."""
        search = _search(query)
        url = self._format_url(search, 0, self.page_size)
        feed = self._parse_feed(url, first_page=True)
        if not feed.results and feed.header.total_results == 0:
            # A spurious empty first page looks like an empty window: re-ask once.
            self.stats.count_retry(f"{SERVICE} empty first page")
            feed = self._parse_feed(url, first_page=True)
        return feed


def _search(query: str) -> arxiv.Search:
    """A whole-window search, sorted by submission date.

    Completeness never rests on the order (ids are deduplicated and counted against the
    total), but a date order is the likeliest to stay put between pages; relevance, the
    package's default, means nothing for a pure filter query.
    """
    return arxiv.Search(query=query, max_results=None, sort_by=arxiv.SortCriterion.SubmittedDate,
                        sort_order=arxiv.SortOrder.Ascending)


def _reason(exc: BaseException, timeout: float) -> str:
    """What went wrong under a requests/urllib3 error, in a few words (no URL, no repr)."""
    inner: BaseException = exc.args[0] if exc.args and isinstance(exc.args[0],
                                                                   BaseException) else exc
    reason = getattr(inner, "reason", None) or inner
    if isinstance(reason, ReadTimeoutError | requests.exceptions.ReadTimeout):
        return f"no answer within {timeout:g} s"
    if isinstance(reason, ProtocolError):
        return "the connection was closed without an answer"
    if isinstance(reason, ConnectTimeoutError) and not isinstance(reason, NewConnectionError):
        return f"no connection within {timeout:g} s"  # (NewConnectionError subclasses it)
    text = str(reason).splitlines()[0] if str(reason) else type(reason).__name__
    text = _POOL_PREFIX.sub("", text)
    return text.replace("Failed to establish a new connection: ", "").strip() or "unknown error"


def _where(url: str) -> str:
    """The endpoint and the page offset of a request URL: short enough for one line."""
    parts = urlsplit(url)
    start = parse_qs(parts.query).get("start", ["0"])[0]
    return f"{parts.scheme}://{parts.netloc}{parts.path} (start={start})"


def _error_feed_message(root: Any) -> str | None:
    """The summary of an arXiv error feed (entry id ``http://arxiv.org/api/errors#...``)."""
    ns = _feed._NS
    for entry in root.iterfind("atom:entry", ns):
        entry_id = (entry.findtext("atom:id", default="", namespaces=ns) or "").strip()
        if entry_id.startswith(_ERROR_ID_PREFIX):
            summary = entry.findtext("atom:summary", default="", namespaces=ns) or ""
            text = " ".join(summary.split()) or entry_id.partition("#")[2]
            return text[:200]
    return None


def _parsed_feed(root: Any) -> _feed.ParsedFeed:
    """Header and results from a strictly parsed feed, with the package's own converter."""
    ns = _feed._NS

    def number(path: str) -> int:
        text = root.findtext(path, default="", namespaces=ns).strip()
        return int(text) if text.isascii() and text.isdigit() else 0

    header = _feed.FeedHeader(
        total_results=number("opensearch:totalResults"),
        items_per_page=number("opensearch:itemsPerPage"),
        start_index=number("opensearch:startIndex"),
    )
    results = []
    for entry in root.iterfind("atom:entry", ns):
        item = _feed._build_result(entry)
        if item is not None:
            results.append(item)
    return _feed.ParsedFeed(header=header, results=results)
