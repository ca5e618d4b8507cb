"""One way to ask a remote service: bounded in time and size, errors mapped, outages detected.

Every client (arXiv, GitHub REST and GraphQL, the raw host, GitLab, Hugging Face) sends its
requests through :func:`send`, which adds what ``requests`` alone does not give:

* **One total deadline per request.** ``requests`` times out each socket read, so a server that
  drips one byte a second never times out. Here a watchdog shuts the socket down when the
  request's deadline passes, while waiting for the headers (urllib3's own retries included),
  and the body is read in chunks against the same deadline.
* **Size caps.** The body is read as a stream and counted twice: bytes on the wire and bytes
  after ``Content-Encoding`` is undone, so a 4 MB gzip answer that inflates to 4 GB stops at the
  cap instead of ending in MemoryError. Over a cap: :class:`~survey.core.errors.AnswerTooLarge`,
  which concerns that answer only.
* **One error mapping.** Like httpx's ``map_httpcore_exceptions``, :func:`mapped_errors` turns
  every ``requests``/``urllib3`` exception into a :class:`~survey.core.errors.ServiceError` with
  a short reason and ``transport=True`` (no answer arrived), and a header that cannot be encoded
  (a token pasted with a newline) into a :class:`~survey.core.errors.ConfigError`.
* **Outages stop the run.** :class:`Health` counts consecutive transport failures and 5xx
  answers (after urllib3's retries) per service; at ``Health.outage_after`` (or when they
  have lasted ``Health.outage_seconds``) it raises
  :class:`~survey.core.errors.ServiceUnavailable`, one line naming the service and the setting
  that points at it (``GITHUB_API_URL``...), instead of a silent crawl at 35 s a repository.
  Any answer below 500 resets the count.

Errors::

    ServiceError (survey.core.errors)
    ├── ServiceUnavailable     the service is down or unreachable: stop, keep what is stored
    ├── AnswerTooLarge         one answer over the caps: skip that item
    └── RateLimitError         (raised by the clients' rate-limit logic, not here)
    ConfigError                a header value that cannot be sent (bad token characters)
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import json
import socket
import threading
import time
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    HTTPError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from survey.core.errors import AnswerTooLarge, ConfigError, ServiceError, ServiceUnavailable

_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Endpoint:
    """A service as a user configures it: its name, the setting that points at it, its URL."""

    service: str     # "arxiv", "github", "github-raw", "github-graphql", "gitlab", "hf"
    setting: str     # SURVEY_ARXIV_API_URL, GITHUB_API_URL, SURVEY_GITHUB_RAW_URL, ...
    base_url: str

    def where(self) -> str:
        return f"{self.setting}={self.base_url}"


@dataclass(frozen=True)
class Limits:
    """Time and size bounds of one request, and when a run of failures is an outage."""

    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    # The whole request, urllib3's retries of a missing answer and the body included.
    deadline: float = 120.0
    max_wire_bytes: int = 64_000_000
    max_body_bytes: int = 64_000_000

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)


@dataclass
class Answer:
    """A complete answer: status, headers and the body as bytes (within the caps)."""

    status: int
    headers: CaseInsensitiveDict[str]
    body: bytes
    url: str
    seconds: float = 0.0
    wire_bytes: int = 0

    @property
    def status_code(self) -> int:  # the name requests uses, for callers moving over
        return self.status

    def text(self, errors: str = "replace") -> str:
        return self.body.decode("utf-8", errors)

    def json_body(self) -> Any:
        """The parsed JSON body, or a ServiceError naming the URL (never quoting the body)."""
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):
            raise ServiceError(f"invalid JSON from {self.url} (HTTP {self.status})",
                               url=self.url, status=self.status) from None


# -- outages ---------------------------------------------------------------------------------

@dataclass
class Health:
    """Consecutive failed requests per service; shared by every client of one run.

    A service is down when ``outage_after`` requests in a row got no usable answer, or when
    the failures in a row have lasted ``outage_seconds`` (from the start of the first of them):
    a host that never answers costs a deadline per request, and a run should not wait on it
    for more than a couple of minutes. Any usable answer (status below 500) resets the count.
    """

    outage_after: int = 3
    outage_seconds: float = 60.0
    _failures: dict[str, int] = field(default_factory=dict)
    _since: dict[str, float] = field(default_factory=dict)
    _last: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def ok(self, service: str) -> None:
        with self._lock:
            self._failures[service] = 0
            self._since.pop(service, None)

    def failed(self, endpoint: Endpoint, reason: str, threshold: int | None = None, *,
               started: float | None = None) -> None:
        """Count a failure; raise :class:`ServiceUnavailable` when it makes an outage.

        ``started`` is when the failed request began (monotonic), ``threshold`` a stricter
        count for this call (a raw host refusing every file).
        """
        limit = threshold or self.outage_after
        now = time.monotonic()
        with self._lock:
            count = self._failures.get(endpoint.service, 0) + 1
            self._failures[endpoint.service] = count
            since = self._since.setdefault(endpoint.service,
                                           now if started is None else started)
            self._last[endpoint.service] = reason
        lasted = now - since
        if count >= limit or lasted >= self.outage_seconds:
            raise outage(endpoint, reason, count, lasted)

    def failures(self, service: str) -> int:
        with self._lock:
            return self._failures.get(service, 0)

    def streak(self, service: str) -> tuple[int, float]:
        """Failures in a row and how long they have lasted (seconds)."""
        with self._lock:
            since = self._since.get(service)
            return (self._failures.get(service, 0),
                    0.0 if since is None else time.monotonic() - since)


def outage(endpoint: Endpoint, reason: str, count: int, lasted: float) -> ServiceUnavailable:
    """The one line that stops a run: the service, why, and the setting that points at it."""
    over = f" over {lasted:.0f} s" if lasted >= 1 else ""
    return ServiceUnavailable(
        f"{endpoint.service} is not answering ({reason}; {count} request"
        f"{'s' if count > 1 else ''} in a row{over}): stopped; check {endpoint.where()},"
        " the next run resumes", url=endpoint.base_url, transport=True)


def reason_in(exc: ServiceError) -> str:
    """The few words of a transport error's message (``connection refused``...)."""
    return str(exc).split(": ", 1)[-1].split(" (")[0]


# -- the deadline watchdog -------------------------------------------------------------------

_local = threading.local()


def deadline_left() -> float | None:
    """Seconds left before the calling thread's request deadline (None outside :func:`send`)."""
    deadline: float | None = getattr(_local, "deadline", None)
    return None if deadline is None else deadline - time.monotonic()


class _Watchdog:
    """Shuts a connection's socket down when its deadline passes, and remembers having done it:
    a read woken that way can look like a short, complete answer, which it is not."""

    def __init__(self, conn: Any, at: float) -> None:
        self.fired = False
        self.cancelled = False
        self.at = at
        self._conn = conn
        # Shutting and cancelling exclude each other: once the request is done, its
        # connection goes back to the pool and must not be shut under the next request.
        self._lock = threading.Lock()

    def shut(self) -> None:
        with self._lock:
            if self.cancelled:
                return
            self.fired = True
            sock = getattr(self._conn, "sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True


class _Watchdogs:
    """One thread watches every request's deadline (not a thread per request: a census makes
    hundreds of thousands). It sleeps in short steps while a request is in flight and waits
    untimed when none is, so it needs no timed wait between threads."""

    STEP = 0.05  # seconds: how late past its deadline a socket may be shut

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._heap: list[tuple[float, int, _Watchdog]] = []
        self._order = itertools.count()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def arm(self, conn: Any, seconds: float) -> _Watchdog:
        watch = _Watchdog(conn, time.monotonic() + seconds)
        with self._lock:
            heapq.heappush(self._heap, (watch.at, next(self._order), watch))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="survey-deadlines",
                                                daemon=True)
                self._thread.start()
        self._wake.set()
        return watch

    def _due(self) -> tuple[_Watchdog | None, float | None]:
        """The watch whose deadline passed (popped), or the seconds to the next (None: idle)."""
        with self._lock:
            while self._heap and self._heap[0][2].cancelled:
                heapq.heappop(self._heap)
            if not self._heap:
                return None, None
            left = self._heap[0][0] - time.monotonic()
            if left <= 0:
                return heapq.heappop(self._heap)[2], 0.0
            return None, left

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            while True:
                watch, left = self._due()
                if watch is not None:
                    watch.shut()
                elif left is None:
                    break
                else:
                    time.sleep(min(left, self.STEP))


_WATCHDOGS = _Watchdogs()


class DeadlinePassed(ReadTimeoutError):
    """The request's total deadline passed (the watchdog shut its socket)."""


class _DeadlineMixin:
    """Connection pools that enforce the calling thread's deadline while headers arrive."""

    def _make_request(self, conn: Any, method: str, url: str, *args: Any, **kw: Any) -> Any:
        deadline: float | None = getattr(_local, "deadline", None)
        if deadline is None:
            return super()._make_request(conn, method, url, *args, **kw)  # type: ignore[misc]
        left = deadline - time.monotonic()
        if left <= 0:
            raise DeadlinePassed(self, url, "the request's deadline passed")  # type: ignore[arg-type]
        watchdog = _WATCHDOGS.arm(conn, left)
        try:
            response = super()._make_request(conn, method, url, *args, **kw)  # type: ignore[misc]
        except Exception as exc:
            if watchdog.fired:  # the socket was shut by us: say so, not "connection closed"
                raise DeadlinePassed(self, url, "the request's deadline passed") from exc  # type: ignore[arg-type]
            raise
        finally:
            watchdog.cancel()
        if watchdog.fired:
            raise DeadlinePassed(self, url, "the request's deadline passed")  # type: ignore[arg-type]
        return response


class _DeadlineHTTPPool(_DeadlineMixin, HTTPConnectionPool):
    pass


class _DeadlineHTTPSPool(_DeadlineMixin, HTTPSConnectionPool):
    pass


class DeadlineAdapter(HTTPAdapter):
    """``HTTPAdapter`` whose pools honour :func:`send`'s per-request deadline."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _DeadlineHTTPPool,
                                                   "https": _DeadlineHTTPSPool}


# -- error mapping ---------------------------------------------------------------------------

def _chain(exc: BaseException) -> tuple[BaseException, ...]:
    """An exception and what it wraps (``reason``, ``args[0]``, cause, context)."""
    seen: list[BaseException] = []
    inner: BaseException | None = exc
    while inner is not None and inner not in seen and len(seen) < 8:
        seen.append(inner)
        nxt = getattr(inner, "reason", None)
        if not isinstance(nxt, BaseException):
            args = getattr(inner, "args", ())
            nxt = args[0] if args and isinstance(args[0], BaseException) else None
        if nxt is None:
            nxt = inner.__cause__ or inner.__context__
        inner = nxt
    return tuple(seen)


def _refused(e: BaseException) -> bool:
    return isinstance(e, ConnectionRefusedError) or (
        isinstance(e, NewConnectionError) and "refused" in str(e).lower())


# (matches one exception of the chain, what to say), the first rule that matches wins.
_REASONS: list[tuple[Any, str]] = [
    (lambda e: isinstance(e, NameResolutionError), "the host name does not resolve"),
    (_refused, "connection refused"),
    (lambda e: isinstance(e, ConnectTimeoutError) and not isinstance(e, NewConnectionError),
     "no connection{connect}"),
    (lambda e: isinstance(e, SSLError | requests.exceptions.SSLError), "TLS handshake failed"),
    (lambda e: isinstance(e, DeadlinePassed), "no complete answer within {deadline}"),
    (lambda e: isinstance(e, ReadTimeoutError | requests.exceptions.ReadTimeout
                          | socket.timeout), "no answer{read}"),
    (lambda e: isinstance(e, ProtocolError | requests.exceptions.ChunkedEncodingError
                          | ConnectionResetError | BrokenPipeError),
     "the connection was closed without a complete answer"),
    (lambda e: isinstance(e, DecodeError | zlib.error), "the answer's compression is corrupt"),
    (lambda e: isinstance(e, NewConnectionError), "cannot connect"),
    (lambda e: isinstance(e, requests.exceptions.TooManyRedirects), "too many redirects"),
]


def reason_of(exc: BaseException, limits: Limits | None = None) -> str:
    """What went wrong under a requests/urllib3 error, in a few words (no URL, no repr)."""
    chain = _chain(exc)
    read = f" within {limits.read_timeout:g} s" if limits else ""
    connect = f" within {limits.connect_timeout:g} s" if limits else ""
    deadline = f"the {limits.deadline:g} s deadline" if limits else "the deadline"
    for matches, text in _REASONS:
        if any(matches(e) for e in chain):
            return text.format(read=read, connect=connect, deadline=deadline)
    return type(exc).__name__


@contextlib.contextmanager
def mapped_errors(endpoint: Endpoint, limits: Limits | None = None) -> Iterator[None]:
    """Turn every exception of the HTTP stack into survey's errors (see the module doc)."""
    try:
        yield
    except (ServiceError, ConfigError):
        raise
    except (UnicodeEncodeError, requests.exceptions.InvalidHeader):
        raise ConfigError(f"a header for {endpoint.service} cannot be sent (a token with"
                          " characters a header cannot hold?): check the token's value") from None
    except ValueError as exc:
        if "header" in str(exc).lower():  # http.client: "Invalid header value ..."
            raise ConfigError(f"a header for {endpoint.service} cannot be sent (a token with"
                              " characters a header cannot hold?): check the token's value"
                              ) from None
        raise
    except (requests.exceptions.RequestException, HTTPError, OSError, zlib.error) as exc:
        # HTTPError: urllib3's own base, raised while the body is streamed from ``raw``.
        raise ServiceError(f"{endpoint.service}: {reason_of(exc, limits)} ({endpoint.where()})",
                           url=endpoint.base_url, transport=True) from exc


# -- one request -----------------------------------------------------------------------------

def _read_body(resp: requests.Response, limits: Limits, deadline: float, cap: int,
               endpoint: Endpoint) -> tuple[bytes, int]:
    """The decoded body within ``cap`` bytes, the wire within its cap, before the deadline."""
    declared = resp.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limits.max_wire_bytes:
        resp.close()
        raise AnswerTooLarge(f"{endpoint.service}: answer of {int(declared):,} bytes announced,"
                             f" over the {limits.max_wire_bytes:,}-byte cap", url=resp.url)
    raw = resp.raw
    chunks: list[bytes] = []
    total = 0
    try:
        for chunk in raw.stream(_CHUNK, decode_content=True):
            total += len(chunk)
            wire = raw.tell()
            if total > cap or wire > limits.max_wire_bytes:
                what = "decompressed" if total > cap else "on the wire"
                raise AnswerTooLarge(f"{endpoint.service}: answer over the"
                                     f" {min(cap, limits.max_wire_bytes):,}-byte cap ({what})",
                                     url=resp.url)
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise ServiceError(f"{endpoint.service}: answer still arriving after"
                                   f" {limits.deadline:g} s ({endpoint.where()})", url=resp.url,
                                   transport=True)
        return b"".join(chunks), raw.tell()
    finally:
        resp.close()


def send(session: requests.Session, method: str, url: str, *, endpoint: Endpoint,
         limits: Limits, health: Health | None = None, max_body: int | None = None,
         unusable: frozenset[int] = frozenset(), **kwargs: Any) -> Answer:
    """One request with every bound of the module docstring; never follows redirects.

    Returns any answer (the caller judges its status); a 5xx still standing after urllib3's
    retries counts towards an outage, as does no answer at all. A status in ``unusable`` (a
    raw host's 403) neither counts nor resets: the caller judges whether it is an outage.
    """
    started = time.monotonic()
    deadline = started + limits.deadline
    cap = min(max_body or limits.max_body_bytes, limits.max_body_bytes)
    _local.deadline = deadline
    try:
        with mapped_errors(endpoint, limits):
            resp = session.request(method, url, stream=True, timeout=limits.timeout,
                                   allow_redirects=False, **kwargs)
            body, wire = _read_body(resp, limits, deadline, cap, endpoint)
    except ServiceError as exc:
        if exc.transport and health is not None:
            health.failed(endpoint, reason_in(exc), started=started)
        raise
    finally:
        _local.deadline = None
    answer = Answer(resp.status_code, resp.headers, body, url, time.monotonic() - started, wire)
    if health is not None:
        if answer.status >= 500:
            health.failed(endpoint, f"HTTP {answer.status}", started=started)
        elif answer.status not in unusable:
            health.ok(endpoint.service)
    return answer


def mount(session: requests.Session, adapter: HTTPAdapter) -> requests.Session:
    """Use ``adapter`` (a :class:`DeadlineAdapter`) for both schemes."""
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def header_safe(headers: Mapping[str, str], endpoint: Endpoint) -> None:
    """Refuse, before any request, a header value that cannot be sent (exit 2, one line)."""
    for name, value in headers.items():
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            raise ConfigError(f"the {name} header for {endpoint.service} holds characters a"
                              " header cannot carry: check the token's value") from None
        if "\n" in value or "\r" in value or "\x00" in value:
            raise ConfigError(f"the {name} header for {endpoint.service} holds a line break:"
                              " check the token's value") from None
