"""Answers recorded from the real arXiv, GitHub and GitLab, served by a local stand-in.

``../shared/data/recorded/`` (next to the project; its README lists the sources) holds answers
that other projects' test suites recorded from the real services, each in its project's format:

* arXiv: JSON files with ``url``, ``status_code``, ``headers`` and ``body`` (2026), and XML
  bodies (2016);
* PyGithub replay files (``github/pygithub/*.txt``): per request, lines of protocol, verb, host,
  port, path, request headers, request body, status, response headers (a Python list of pairs),
  body, then a blank line;
* github3.py betamax cassettes (``github/github3/*.json``): ``http_interactions`` with request
  ``uri`` and response ``status``/``headers``/``body`` (``string`` or ``base64_string``);
* octokit fixtures (``github/octokit/*.json``): a list of ``{method, path, status, response,
  rawHeaders}``;
* GitLab bodies (``gitlab/*.json``) and perceval's abuse body (no headers).

Every one becomes a :class:`Recorded` (method, path, status, headers, body bytes) whose
:meth:`Recorded.reply` is a :class:`~support.stub.Reply` as the real service sent it: the
same status, the headers it had (ETags weak or strong, ``x-ratelimit-*``, ``Retry-After``,
``Location``), and its body gzip-encoded on the wire when it was (``Content-Encoding: gzip``).
Hop-by-hop headers and ``Content-Length`` are the stand-in's own to write.

Tests find the folder at ``<project>/../shared`` (or ``$SURVEY_SHARED_DIR``) and skip, with the
reason, when it is absent; nothing recorded is copied into the project.
"""

from __future__ import annotations

import ast
import base64
import gzip
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from support.stub import Reply, Request, StubServer

ROOT = Path(__file__).resolve().parents[2]
# Read once at import: the tests' clean environment drops SURVEY_* variables later.
_OVERRIDE = os.environ.get("SURVEY_SHARED_DIR")
_DROPPED = {"content-length", "transfer-encoding", "connection", "keep-alive", "status",
            "content-encoding"}


def shared_dir() -> Path:
    """``<project>/../shared``, or ``$SURVEY_SHARED_DIR`` when set."""
    return Path(_OVERRIDE) if _OVERRIDE else ROOT.parent / "shared"


def recorded_dir() -> Path:
    """The recorded answers' folder; the calling test is skipped when it is absent."""
    path = shared_dir() / "data" / "recorded"
    if not path.is_dir():
        pytest.skip(f"no recorded answers at {path} (the shared folder beside the project)")
    return path


@dataclass
class Recorded:
    """One recorded answer and what it answered."""

    method: str
    path: str  # path and query as asked
    status: int
    headers: dict[str, str]
    body: bytes
    gzip: bool = False
    source: str = ""

    def reply(self) -> Reply:
        return Reply(self.status, self.body, dict(self.headers), gzip=self.gzip)

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None

    def json(self) -> Any:
        return json.loads(self.body)


def _normalised(method: str, url_or_path: str, status: int, pairs: list[tuple[str, str]],
                body: bytes, source: str) -> Recorded:
    """A recording with the stand-in's framing: decoded body, gzip kept as a flag."""
    encoded = any(k.lower() == "content-encoding" and "gzip" in v.lower() for k, v in pairs)
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    headers: dict[str, str] = {}
    for key, value in pairs:
        if key.lower() not in _DROPPED:
            headers[key] = value
    split = urlsplit(url_or_path)
    path = split.path + (f"?{split.query}" if split.query else "")
    return Recorded(method.upper(), path, status, headers, body, encoded and bool(body), source)


# -- the formats -----------------------------------------------------------------------------

def arxiv_answers() -> dict[str, Recorded]:
    """The 2026 arXiv answers by file name (without ``.json``)."""
    out = {}
    for path in sorted((recorded_dir() / "arxiv").glob("*.json")):
        data = json.loads(path.read_text())
        headers = data.get("headers") or {}
        out[path.stem] = _normalised("GET", data["url"], int(data["status_code"]),
                                     list(headers.items()), data["body"].encode(), path.name)
    return out


def arxiv_xml(name: str) -> bytes:
    """A 2016 arXiv answer body (``2016_*.xml``)."""
    return (recorded_dir() / "arxiv" / name).read_bytes()


def pygithub(name: str) -> list[Recorded]:
    """The answers of one PyGithub replay file, in order."""
    path = recorded_dir() / "github" / "pygithub" / name
    lines = path.read_text().split("\n")
    out = []
    i = 0
    while i + 9 < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        verb, target = lines[i + 1], lines[i + 4]
        status = int(lines[i + 7])
        pairs = [(str(k), str(v)) for k, v in ast.literal_eval(lines[i + 8])]
        out.append(_normalised(verb, target, status, pairs, lines[i + 9].encode(), path.name))
        i += 10
    return out


def betamax(name: str) -> list[Recorded]:
    """The answers of one github3.py cassette, in order."""
    path = recorded_dir() / "github" / "github3" / name
    out = []
    for item in json.loads(path.read_text())["http_interactions"]:
        req, resp = item["request"], item["response"]
        body = resp["body"]
        raw = (base64.b64decode(body["base64_string"]) if body.get("base64_string")
               else str(body.get("string", "")).encode())
        pairs = [(k, v[0] if isinstance(v, list) else v) for k, v in resp["headers"].items()]
        out.append(_normalised(req["method"], req["uri"], int(resp["status"]["code"]), pairs,
                               raw, path.name))
    return out


def octokit(name: str) -> list[Recorded]:
    """The answers of one octokit raw fixture, in order."""
    path = recorded_dir() / "github" / "octokit" / name
    out = []
    for item in json.loads(path.read_text()):
        raw = item.get("rawHeaders") or []
        pairs = list(zip(raw[::2], raw[1::2], strict=False))
        response = item.get("response")
        body = (response.encode() if isinstance(response, str)
                else json.dumps(response).encode())
        out.append(_normalised(item["method"], item["path"], int(item["status"]), pairs, body,
                               path.name))
    return out


def body_of(*parts: str) -> Any:
    """A recorded JSON body without headers (GitLab projects, perceval's abuse answer)."""
    return json.loads(recorded_dir().joinpath(*parts).read_text())


# -- serving them ----------------------------------------------------------------------------

@dataclass
class _Queue:
    answers: list[Recorded] = field(default_factory=list)
    repeat_last: bool = False


class RecordedServer(StubServer):
    """Serves recorded answers by method and path (query included), in recorded order.

    A path asked more often than it was recorded gets its last answer again when
    ``repeat_last`` (a service that keeps answering the same), else 404 and a note in
    :attr:`unexpected`. ``route_any`` answers every path with one queue (arXiv's pages, whose
    query strings our client writes its own way).
    """

    name = "recorded"

    def __init__(self, answers: list[Recorded] = (), *, repeat_last: bool = True,  # type: ignore[assignment]
                 route_any: bool = False) -> None:
        super().__init__()
        self._queues: dict[tuple[str, str], _Queue] = {}
        self._any = _Queue(repeat_last=repeat_last)
        self._route_any = route_any
        self._repeat = repeat_last
        self.unexpected: list[str] = []
        self._qlock = threading.Lock()
        for answer in answers:
            self.add(answer)

    def add(self, answer: Recorded, path: str | None = None) -> None:
        if self._route_any:
            self._any.answers.append(answer)
            return
        key = (answer.method, path or answer.path)
        self._queues.setdefault(key, _Queue(repeat_last=self._repeat)).answers.append(answer)

    def route(self, request: Request) -> Reply:
        with self._qlock:
            queue = self._any if self._route_any else self._queues.get(
                (request.method, request.target)) or self._queues.get(
                (request.method, request.path))
            if queue is None or not queue.answers:
                self.unexpected.append(f"{request.method} {request.target}")
                return Reply(404, {"message": "Not Found (not recorded)"})
            answer = queue.answers[0] if (len(queue.answers) == 1 and queue.repeat_last) \
                else queue.answers.pop(0)
        return answer.reply()
