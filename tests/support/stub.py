"""One base for the local stand-ins of arXiv, GitHub, GitLab and Hugging Face.

A stand-in is a real HTTP server on 127.0.0.1 in a daemon thread. A subclass says how to answer
(:meth:`StubServer.route`); the base does the rest the same way for every service:

* lifecycle: ``with MyServer() as srv:``, ``srv.base_url``;
* a log of every request (``srv.seen``) and counters (``srv.counts``), kept SERVER-SIDE, so a
  test checks what really reached the wire;
* faults injected by a regular expression on the request target: a status with headers and a
  body, a delay, a dropped connection, a hang, a one-byte-a-second drip, a gzip-encoded body;
  each for ``times`` requests;
* answers written with ``Content-Length`` (no body on 304 and HEAD), JSON/str/bytes bodies,
  ``gzip`` when asked, and a client that gave up never stopping the server.

Recorded answers of the real services (``../shared/data/recorded``) are served through the same
path, as a :class:`Reply` with their status, headers and body (see ``tests/support/recorded.py``).
"""

from __future__ import annotations

import gzip
import json
import re
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

ACTIONS = ("answer", "drop", "hang", "drip")


@dataclass
class Fault:
    """Answer requests whose target matches ``pattern`` (a regex) differently, ``times`` times.

    ``action``: ``answer`` (``status``/``headers``/``body``; status None: answer normally after
    ``delay``), ``drop`` (close the connection without a byte), ``hang`` (accept, say nothing for
    ``delay`` seconds, then close), ``drip`` (the normal answer, one byte per ``delay`` s).
    ``channel`` limits it to one kind of request of the server (``api``, ``raw``...).
    """

    pattern: str
    status: int | None = None
    times: int = 1
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    channel: str = "any"
    action: str = "answer"
    gzip: bool = False
    hits: int = 0

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"unknown fault action {self.action!r}")


@dataclass
class Request:
    """What a stand-in received."""

    method: str
    target: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    channel: str = "any"

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Reply(Exception):
    """An answer; raise it from deep inside a route to answer at once.

    ``cut`` delivers it broken: ``drop`` (close without a byte), ``truncate`` (announce the
    whole length, send half, close), ``stall`` (send half, wait ``stall`` seconds, send the rest).
    """

    status: int = 200
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    gzip: bool = False
    cut: str | None = None
    stall: float = 0.0

    def __post_init__(self) -> None:
        Exception.__init__(self, self.status)


@dataclass
class Seen:
    """One request as logged: what was asked and what was answered."""

    method: str
    channel: str
    path: str
    status: int
    authorization: str | None
    if_none_match: str | None
    at: float
    body: bytes = b""

    @property
    def kind(self) -> str:  # the older servers' name for the channel
        return self.channel


def encode_body(body: Any, headers: dict[str, str]) -> bytes:
    """JSON for dicts and lists, UTF-8 for text, bytes as they are; sets a Content-Type."""
    if isinstance(body, dict | list):
        headers.setdefault("Content-Type", "application/json; charset=utf-8")
        return json.dumps(body).encode()
    if isinstance(body, str):
        headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        return body.encode()
    if body is None:
        return b""
    return bytes(body)


class StubServer:
    """The base of every stand-in; subclasses implement :meth:`route` (and may override
    :meth:`channel` and :meth:`decorate`)."""

    name = "stub"

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.seen: list[Seen] = []
        self.counts: Counter[str] = Counter()
        self.max_concurrent = 0
        self._active = 0
        self._lock = threading.RLock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- what subclasses implement -------------------------------------------------------------

    def route(self, request: Request) -> Reply:
        """The normal answer to ``request``."""
        raise Reply(404, {"message": "Not Found"})

    def channel(self, method: str, path: str) -> str:
        """The kind of request (faults and counts are kept per channel)."""
        return "any"

    def decorate(self, request: Request, reply: Reply) -> None:
        """Add what every answer of this service carries (rate-limit headers...)."""

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> StubServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms stall
            server_version = f"{self.name}-local/1.0"

            def do_GET(self) -> None:  # noqa: N802 - http.server's names
                owner._handle(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                owner._handle(self, "POST")

            def do_HEAD(self) -> None:  # noqa: N802
                owner._handle(self, "HEAD")

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        httpd.block_on_close = False
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    # -- test controls -------------------------------------------------------------------------

    def add_fault(self, pattern: str, status: int | None = None, **kw: Any) -> Fault:
        fault = Fault(pattern, status, **kw)
        with self._lock:
            self.faults.append(fault)
        return fault

    def reset_counts(self) -> None:
        with self._lock:
            self.counts.clear()
            self.seen.clear()
            self.max_concurrent = 0

    def take_fault(self, channel: str, target: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and fault.channel in ("any", channel) and re.search(
                        fault.pattern, target):
                    fault.times -= 1
                    fault.hits += 1
                    return fault
        return None

    # -- one request ---------------------------------------------------------------------------

    def _handle(self, req: BaseHTTPRequestHandler, method: str) -> None:
        with self._lock:
            self._active += 1
            self.max_concurrent = max(self.max_concurrent, self._active)
        try:
            self._answer(req, method)
        finally:
            with self._lock:
                self._active -= 1

    def _answer(self, req: BaseHTTPRequestHandler, method: str) -> None:
        split = urlsplit(req.path)
        length = int(req.headers.get("Content-Length") or 0)
        body = req.rfile.read(length) if length > 0 else b""
        channel = self.channel(method, split.path)
        request = Request(method, req.path, split.path, parse_qs(split.query),
                          dict(req.headers.items()), body, channel)
        fault = self.take_fault(channel, req.path)
        if fault is not None and fault.action in ("drop", "hang"):
            self._record(request, 0)
            if fault.action == "hang":
                time.sleep(fault.delay)
            req.close_connection = True
            return
        if fault is not None and fault.delay and fault.action == "answer":
            time.sleep(fault.delay)
        if fault is not None and fault.status is not None and fault.action == "answer":
            with self._lock:
                self.counts["faults"] += 1
            reply = Reply(fault.status, fault.body, dict(fault.headers), fault.gzip)
        else:
            try:
                reply = self.route(request)
            except Reply as raised:
                reply = raised
            if fault is not None and fault.gzip:
                reply.gzip = True
        self.decorate(request, reply)
        self._record(request, reply.status)
        self._write(req, method, reply, fault if fault is not None and fault.action == "drip"
                    else None)

    def _record(self, request: Request, status: int) -> None:
        with self._lock:
            self.counts[request.channel] += 1
            self.seen.append(Seen(request.method, request.channel, request.target, status,
                                  request.header("Authorization"),
                                  request.header("If-None-Match"), time.monotonic(),
                                  request.body))

    def _write(self, req: BaseHTTPRequestHandler, method: str, reply: Reply,
               drip: Fault | None) -> None:
        headers = dict(reply.headers)
        payload = encode_body(reply.body, headers)
        if reply.gzip and payload:
            payload = gzip.compress(payload)
            headers["Content-Encoding"] = "gzip"
        no_body = reply.status in (204, 304) or method == "HEAD"
        if reply.cut == "drop":
            _shut(req)
            return
        try:
            req.send_response(reply.status)
            for name, value in headers.items():
                if name.lower() != "content-length":
                    req.send_header(name, value)
            req.send_header("Content-Length", "0" if no_body else str(len(payload)))
            req.end_headers()
            if no_body:
                return
            if reply.cut in ("truncate", "stall"):
                req.wfile.write(payload[: len(payload) // 2])
                req.wfile.flush()
                if reply.cut == "truncate":
                    _shut(req)
                    return
                time.sleep(reply.stall)
                req.wfile.write(payload[len(payload) // 2:])
                return
            if drip is None:
                req.wfile.write(payload)
                return
            for i in range(len(payload)):
                req.wfile.write(payload[i:i + 1])
                req.wfile.flush()
                time.sleep(drip.delay)
        except OSError:
            req.close_connection = True  # the client gave up (a timeout, a deadline): carry on


def _shut(req: BaseHTTPRequestHandler) -> None:
    """Close the connection at once, as a dropped link does."""
    req.close_connection = True
    try:
        req.connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
