"""A local arXiv query API for tests and benchmarks: real HTTP on 127.0.0.1, port 0.

Built on :class:`support.stub.StubServer` (lifecycle, request log, the base's faults by pattern,
recorded answers served as :class:`~support.stub.Reply`); the arXiv-specific faults below are
aimed by offset, window and page size.

It answers ``GET /api/query`` the way ``export.arxiv.org`` does (../shared/API_NOTES.md):

* Atom 1.0 with the ``opensearch:`` header and ``arxiv:`` extension elements, entries with
  ``<id>http://arxiv.org/abs/ID vN</id>``, ``<published>`` (v1) and ``<updated>``;
* ``search_query`` parsed for real: ``cat:X`` terms, ``submittedDate:[YYYYMMDDHHMM TO ...]``
  (12-digit GMT form only, both bounds inclusive at minute resolution), ``AND``/``OR``/
  ``ANDNOT`` and parentheses; anything else is answered with arXiv's error feed (HTTP 400);
* ``start``/``max_results`` paging (``max_results`` capped at 2000, ``start`` >= 30000 refused),
  ``sortBy``/``sortOrder`` (relevance is id order here);
* faults on demand (:class:`Fault`): 503/429 with ``Retry-After``, an empty page, malformed
  XML, a dropped connection, an answer slower than the client's timeout, a body cut short,
  duplicated entries (unstable order), an error feed; and an overstated ``totalResults``;
* server-side request counting (:attr:`ArxivServer.requests`), with arrival times on the
  monotonic clock and the highest number of concurrent requests seen, so tests can assert
  "at most N requests", "one connection at a time" and "delay respected".
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode
from xml.sax.saxutils import escape, quoteattr

from support.stub import Reply, Request, StubServer

ATOM_NS = "http://www.w3.org/2005/Atom"
MAX_RESULTS_CAP = 2000
START_CAP = 30000


@dataclass
class Paper:
    """One paper as the server knows it (the latest version)."""

    arxiv_id: str
    title: str
    abstract: str
    published: datetime
    primary: str
    categories: list[str]
    authors: list[str] = field(default_factory=lambda: ["Ada Lovelace"])
    version: int = 1
    updated: datetime | None = None
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    # Hard-wrap the abstract and comment at 76 columns as arXiv does (False: serve them exactly
    # as given, for text recorded as arXiv or a mirror already showed it).
    wrap: bool = True

    @property
    def last_updated(self) -> datetime:
        return self.updated or self.published


@dataclass
class Fault:
    """One injected fault, applied to matching requests ``times`` times after skipping ``after``.

    ``kind``: ``status`` (answer ``status``, with ``retry_after`` if set), ``empty`` (a page
    with the right total and no entries), ``malformed`` (a feed cut in the middle, HTTP 200),
    ``drop`` (close the connection without answering), ``slow`` (sleep ``delay`` before the
    headers), ``slow_body`` (headers, half the body, sleep ``delay``), ``truncate`` (announce the
    full length, send half, close), ``duplicate`` (the page starts half a page too early:
    duplicates and a gap, as an unstable sort order gives), ``error_feed`` (HTTP 400 error feed),
    ``bad_date`` (valid XML whose first entry has an unparseable ``<published>``).
    ``start`` / ``date_from`` / ``max_results`` restrict the fault to one offset / one window
    (its 12-digit lower bound) / one page size; ``times=None`` means forever.
    """

    kind: str
    times: int | None = 1
    status: int = 503
    retry_after: str | None = None
    delay: float = 0.0
    start: int | None = None
    date_from: str | None = None
    max_results: int | None = None
    after: int = 0
    seen: int = 0
    used: int = 0

    def matches(self, start: int, date_from: str | None, max_results: int) -> bool:
        if self.start is not None and self.start != start:
            return False
        if self.max_results is not None and self.max_results != max_results:
            return False
        if self.date_from is not None and self.date_from != date_from:
            return False
        self.seen += 1
        if self.seen <= self.after:
            return False
        if self.times is not None and self.used >= self.times:
            return False
        self.used += 1
        return True


@dataclass
class RecordedRequest:
    """What the server saw: the query parameters, arrival time (monotonic) and its answer."""

    params: dict[str, str]
    at: float
    status: int = 0
    fault: str | None = None

    @property
    def start(self) -> int:
        return int(self.params.get("start", "0") or 0)


class QueryError(ValueError):
    """The query is not one arXiv would accept: answered with an error feed."""


# -- query language --------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<op>ANDNOT|AND|OR)\b|"
    r"(?P<range>[A-Za-z]+:\[\s*[^\]]*\])|(?P<term>[A-Za-z]+:(?:\"[^\"]*\"|[^\s()]+)))"
)
_DATE12 = re.compile(r"^\d{12}$")

Predicate = Callable[[Paper], bool]


def _tokens(query: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    query = query.strip()
    while pos < len(query):
        match = _TOKEN.match(query, pos)
        if not match or match.end() == pos:
            raise QueryError(f"malformed query near {query[pos:pos + 20]!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
        while pos < len(query) and query[pos].isspace():
            pos += 1
    return out


def _minute(text: str) -> datetime:
    if not _DATE12.match(text):
        raise QueryError(
            f"submittedDate bound {text!r}: use the 12-digit GMT form YYYYMMDDHHMM"
        )
    try:
        return datetime.strptime(text, "%Y%m%d%H%M").replace(tzinfo=UTC)
    except ValueError as exc:
        raise QueryError(f"invalid date {text!r}") from exc


def _leaf(kind: str, text: str) -> Predicate:
    name, _, value = text.partition(":")
    if kind == "range":
        if name != "submittedDate":
            raise QueryError(f"range queries are only supported on submittedDate, not {name}")
        inner = value.strip()[1:-1]
        parts = inner.split(" TO ")
        if len(parts) != 2:
            raise QueryError(f"malformed date range {value!r}")
        low, high = _minute(parts[0].strip()), _minute(parts[1].strip())
        return lambda p: low <= p.published.replace(second=0, microsecond=0) <= high
    value = value.strip('"')
    if name == "cat":
        return lambda p: value in p.categories
    if name == "ti":
        return lambda p: value.lower() in p.title.lower()
    if name == "abs":
        return lambda p: value.lower() in p.abstract.lower()
    if name == "all":
        return lambda p: value.lower() in (p.title + " " + p.abstract).lower()
    raise QueryError(f"unknown field {name!r}")


def parse_query(query: str) -> Predicate:
    """``search_query`` -> predicate; operators apply left to right, parentheses group."""
    tokens = _tokens(query)
    if not tokens:
        raise QueryError("empty query")
    pos = 0

    def expr() -> Predicate:
        nonlocal pos
        left = term()
        while pos < len(tokens) and tokens[pos][0] == "op":
            op = tokens[pos][1]
            pos += 1
            right = term()
            if op == "AND":
                left = (lambda a, b: lambda p: a(p) and b(p))(left, right)
            elif op == "OR":
                left = (lambda a, b: lambda p: a(p) or b(p))(left, right)
            else:
                left = (lambda a, b: lambda p: a(p) and not b(p))(left, right)
        return left

    def term() -> Predicate:
        nonlocal pos
        if pos >= len(tokens):
            raise QueryError("query ends too early")
        kind, text = tokens[pos]
        pos += 1
        if kind == "lp":
            inner = expr()
            if pos >= len(tokens) or tokens[pos][0] != "rp":
                raise QueryError("unbalanced parentheses")
            pos += 1
            return inner
        if kind in ("term", "range"):
            return _leaf(kind, text)
        raise QueryError(f"unexpected {text!r}")

    pred = expr()
    if pos != len(tokens):
        raise QueryError(f"unexpected {tokens[pos][1]!r}")
    return pred


def date_from_of(query: str) -> str | None:
    """The 12-digit lower bound of the query's submittedDate range (to aim faults at a window)."""
    match = re.search(r"submittedDate:\[\s*(\d+)\s+TO", query)
    return match[1] if match else None


# -- Atom rendering --------------------------------------------------------------------------

def _ts(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _wrap(text: str, width: int = 76) -> str:
    """arXiv's metadata is hard-wrapped: reproduce that (links broken by line wraps included).
    Each line of the text is wrapped on its own: a line break the text already has stays, and a
    line no longer than ``width`` is never broken."""
    out: list[str] = []
    for source_line in text.split("\n"):
        line = ""
        for word in source_line.split(" "):
            if line and len(line) + 1 + len(word) > width:
                out.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        out.append(line)
    return "\n".join(out)


def render_entry(p: Paper, oversized: dict[str, int] | None = None) -> str:
    """One ``<entry>`` as arXiv writes it; ``oversized`` pads fields (``title``, ``abstract``)
    to that many characters, as a hostile or broken answer would."""
    vid = f"{p.arxiv_id}v{p.version}"
    pad = oversized or {}
    title = escape(_wrap(p.title)) + "x" * pad.get("title", 0)
    abstract = escape(_wrap(p.abstract) if p.wrap else p.abstract) + "y" * pad.get("abstract", 0)
    parts = [
        "  <entry>",
        f"    <id>http://arxiv.org/abs/{vid}</id>",
        f"    <updated>{_ts(p.last_updated)}</updated>",
        f"    <published>{_ts(p.published)}</published>",
        f"    <title>{title}</title>",
        f"    <summary>  {abstract}\n</summary>",
    ]
    parts += [f"    <author>\n      <name>{escape(a)}</name>\n    </author>" for a in p.authors]
    if p.doi:
        parts.append(f'    <arxiv:doi xmlns:arxiv="http://arxiv.org/schemas/atom">'
                     f"{escape(p.doi)}</arxiv:doi>")
        parts.append(f'    <link title="doi" href={quoteattr("http://dx.doi.org/" + p.doi)}'
                     ' rel="related"/>')
    if p.comment:
        parts.append(f'    <arxiv:comment xmlns:arxiv="http://arxiv.org/schemas/atom">'
                     f"{escape(_wrap(p.comment) if p.wrap else p.comment)}</arxiv:comment>")
    if p.journal_ref:
        parts.append(f'    <arxiv:journal_ref xmlns:arxiv="http://arxiv.org/schemas/atom">'
                     f"{escape(p.journal_ref)}</arxiv:journal_ref>")
    parts += [
        f'    <link href="http://arxiv.org/abs/{vid}" rel="alternate" type="text/html"/>',
        f'    <link title="pdf" href="http://arxiv.org/pdf/{vid}" rel="related"'
        ' type="application/pdf"/>',
        f'    <arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom"'
        f' term="{p.primary}" scheme="http://arxiv.org/schemas/atom"/>',
    ]
    parts += [f'    <category term="{c}" scheme="http://arxiv.org/schemas/atom"/>'
              for c in p.categories]
    parts.append("  </entry>")
    return "\n".join(parts)


def render_feed(params: dict[str, str], total: int, start: int, entries: Iterable[str],
                per_page: int) -> bytes:
    """The whole feed document with its opensearch header."""
    query = urlencode({k: params.get(k, "") for k in
                       ("search_query", "id_list", "start", "max_results")})
    head = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<feed xmlns="{ATOM_NS}">',
        f'  <link href={quoteattr("http://arxiv.org/api/query?" + query)} rel="self"'
        ' type="application/atom+xml"/>',
        f'  <title type="html">ArXiv Query: {escape(query)}</title>',
        "  <id>http://arxiv.org/api/local-test-server</id>",
        f"  <updated>{_ts(datetime.now(UTC).replace(hour=0, minute=0, second=0))}</updated>",
        '  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
        f"{total}</opensearch:totalResults>",
        '  <opensearch:startIndex xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
        f"{start}</opensearch:startIndex>",
        '  <opensearch:itemsPerPage xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
        f"{per_page}</opensearch:itemsPerPage>",
    ]
    return ("\n".join(head + list(entries) + ["</feed>", ""])).encode("utf-8")


def render_error_feed(message: str) -> bytes:
    """arXiv's answer to an invalid query: one entry whose id is under /api/errors#."""
    slug = re.sub(r"[^A-Za-z0-9]+", "_", message).strip("_")
    ident = f"http://arxiv.org/api/errors#{slug}"
    entry = "\n".join([
        "  <entry>",
        f"    <id>{escape(ident)}</id>",
        "    <title>Error</title>",
        f"    <summary>{escape(message)}</summary>",
        f"    <updated>{_ts(datetime.now(UTC).replace(microsecond=0))}</updated>",
        f'    <link href={quoteattr(ident)} rel="alternate" type="text/html"/>',
        "    <author>\n      <name>arXiv api core</name>\n    </author>",
        "  </entry>",
    ])
    return render_feed({}, 1, 0, [entry], 1)


# -- the server ------------------------------------------------------------------------------

class ArxivServer(StubServer):
    """Threaded HTTP server over a list of :class:`Paper`; ``with ArxivServer(papers) as s:``."""

    name = "arxiv"

    def __init__(self, papers: Iterable[Paper] = (), *, overstate: int = 0,
                 overstate_windows: dict[str, int] | None = None) -> None:
        super().__init__()
        self.papers: list[Paper] = sorted(papers, key=lambda p: p.arxiv_id)
        self.overstate = overstate
        self.overstate_windows = dict(overstate_windows or {})
        self.arxiv_faults: list[Fault] = []
        self.requests: list[RecordedRequest] = []
        # Papers whose entries are rendered with oversized fields (id -> field -> characters).
        self.oversized: dict[str, dict[str, int]] = {}

    @property
    def url(self) -> str:
        return f"{self.base_url}/api/query"

    # test helpers
    def add_fault(self, kind: str, *args: object, **kw: object) -> Fault:  # type: ignore[override]
        """An arXiv fault (:class:`Fault`); the base's pattern faults: :meth:`add_pattern_fault`."""
        fault = Fault(kind, *args, **kw)  # type: ignore[arg-type]
        with self._lock:
            self.arxiv_faults.append(fault)
        return fault

    def add_pattern_fault(self, pattern: str, status: int | None = None, **kw: object) -> object:
        return StubServer.add_fault(self, pattern, status, **kw)

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self.requests)

    def reset_counts(self) -> None:
        with self._lock:
            super().reset_counts()
            self.requests.clear()

    def gaps(self) -> list[float]:
        """Seconds between consecutive request arrivals."""
        times = [r.at for r in self.requests]
        return [b - a for a, b in zip(times, times[1:], strict=False)]

    def matching(self, query: str) -> list[Paper]:
        pred = parse_query(query)
        return [p for p in self.papers if pred(p)]

    # answering
    def _take_fault(self, start: int, date_from: str | None, max_results: int) -> Fault | None:
        with self._lock:
            for fault in self.arxiv_faults:
                if fault.matches(start, date_from, max_results):
                    return fault
        return None

    def route(self, request: Request) -> Reply:
        params = {k: v[-1] for k, v in request.query.items()}
        record = RecordedRequest(params=params, at=time.monotonic())
        with self._lock:
            self.requests.append(record)
        if request.path != "/api/query":
            record.status = 404
            return Reply(404, "not found")
        status, headers, body, fault = self.answer(params, record)
        record.status = status
        headers = {"Content-Type": "application/atom+xml; charset=UTF-8", **headers}
        kind = fault.kind if fault else None
        if kind == "slow":
            time.sleep(fault.delay)  # type: ignore[union-attr]
        if kind == "malformed":
            body = body[: max(40, len(body) // 2)]
        cut = {"drop": "drop", "truncate": "truncate", "slow_body": "stall"}.get(kind or "")
        return Reply(status, body, headers, cut=cut,
                     stall=fault.delay if fault is not None else 0.0)

    def answer(self, params: dict[str, str], record: RecordedRequest) -> tuple[int, dict, bytes,
                                                                               Fault | None]:
        """Status, headers, body and the fault to apply for one request."""
        query = params.get("search_query", "")
        try:
            start, per_page = _paging(params)
        except QueryError as exc:
            return 400, {}, render_error_feed(str(exc)), None
        date_from = date_from_of(query)
        fault = self._take_fault(start, date_from, per_page)
        if fault is not None:
            record.fault = fault.kind
            early = _fault_answer(fault)
            if early is not None:
                return early
        try:
            matched = _sorted(self.matching(query) if query else [], params)
        except QueryError as exc:
            return 400, {}, render_error_feed(str(exc)), None
        total = len(matched) + self.overstate + self.overstate_windows.get(date_from or "", 0)
        first = start
        if fault is not None and fault.kind == "duplicate":
            first = max(0, start - max(1, per_page // 2))
        page = [] if fault is not None and fault.kind == "empty" else \
            matched[first:first + per_page]
        entries = [render_entry(p, self.oversized.get(p.arxiv_id)) for p in page]
        if fault is not None and fault.kind == "bad_date" and entries:
            # well-formed XML, but a <published> no ISO parser accepts
            entries[0] = re.sub(r"<published>[^<]*</published>",
                                "<published>2024-13-45T99:99:99Z</published>", entries[0])
        body = render_feed(params, total, start, entries, per_page)
        return 200, {}, body, fault


def _paging(params: dict[str, str]) -> tuple[int, int]:
    """``start`` and ``max_results`` as arXiv checks them (QueryError: an error feed)."""
    try:
        start = int(params.get("start", "0") or 0)
        per_page = int(params.get("max_results", "10") or 10)
    except ValueError:
        raise QueryError("start and max_results must be integers") from None
    if start < 0 or per_page < 0:
        raise QueryError("start and max_results must be >= 0")
    if start >= START_CAP:
        raise QueryError(f"start must be less than {START_CAP}: narrow the query")
    return start, min(per_page, MAX_RESULTS_CAP)


def _fault_answer(fault: Fault) -> tuple[int, dict, bytes, Fault] | None:
    """The whole answer of a fault that replaces it (an HTTP error, an error feed)."""
    if fault.kind == "status":
        headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
        body = f"<html><body>HTTP {fault.status}</body></html>".encode()
        return fault.status, {**headers, "Content-Type": "text/html"}, body, fault
    if fault.kind == "error_feed":
        return 400, {}, render_error_feed("simulated error for this query"), fault
    return None


def _sorted(matched: list[Paper], params: dict[str, str]) -> list[Paper]:
    sort_by = params.get("sortBy", "relevance")
    if sort_by == "submittedDate":
        matched.sort(key=lambda p: (p.published, p.arxiv_id))
    elif sort_by == "lastUpdatedDate":
        matched.sort(key=lambda p: (p.last_updated, p.arxiv_id))
    if params.get("sortOrder") == "descending" and sort_by != "relevance":
        matched.reverse()
    return matched


# -- corpora ---------------------------------------------------------------------------------

IN_SCOPE = ("cs.LG", "cs.CV", "cs.CL", "cs.AI", "cs.NE", "stat.ML")
OTHER = ("math.OC", "eess.IV", "q-bio.NC", "physics.data-an", "cs.RO", "math.AG")


def make_corpus(n: int, start: datetime, end: datetime, *, seed: int = 0,
                out_of_scope_every: int = 10) -> list[Paper]:
    """``n`` papers published uniformly in ``[start, end)``, deterministic for a seed.

    Every third has a GitHub link (in the abstract or, hard-wrapped, in the comment), some are
    at version 2+, every ``out_of_scope_every``-th is listed only in categories outside the
    default set (a crawl of the defaults must not get it), titles carry markup-like text.
    """
    rng = random.Random(seed)
    span = (end - start).total_seconds()
    papers = []
    counters: dict[str, int] = {}
    stamps = sorted(start + timedelta(seconds=rng.random() * span) for _ in range(n))
    for i, published in enumerate(stamps):
        prefix = published.strftime("%y%m")
        counters[prefix] = counters.get(prefix, 0) + 1
        arxiv_id = f"{prefix}.{counters[prefix]:05d}"
        if out_of_scope_every and i % out_of_scope_every == out_of_scope_every - 1:
            cats = [rng.choice(OTHER[3:])]
        else:
            cats = [rng.choice(IN_SCOPE)]
            if rng.random() < 0.5:
                cats.append(rng.choice(IN_SCOPE + OTHER))
        cats = list(dict.fromkeys(cats))
        abstract = (f"We study problem {i} with a <method> & measure it on benchmark {i % 7}. "
                    "Results improve on prior work by a wide margin.")
        comment = None
        if i % 3 == 0:
            abstract += f" Our code is available at https://github.com/lab{i % 50}/model-{i}."
        elif i % 3 == 1:
            comment = (f"12 pages, 4 figures. Code: https://github.com/group{i % 40}/"
                       f"project-with-a-long-name-{i}")
        version = 1 + (i % 4 == 0) + (i % 16 == 0)
        updated = published + timedelta(days=3 * (version - 1)) if version > 1 else None
        papers.append(Paper(
            arxiv_id=arxiv_id,
            title=f"Paper {i}: a <study> of \"things\" & more",
            abstract=abstract,
            published=published.replace(microsecond=0),
            primary=cats[0],
            categories=cats,
            authors=[f"Author {i} A", f"Author {i} B"],
            version=version,
            updated=updated.replace(microsecond=0) if updated else None,
            comment=comment,
            journal_ref="NeurIPS 2024" if i % 5 == 0 else None,
            doi=f"10.1000/test.{i}" if i % 7 == 0 else None,
        ))
    return papers


def in_scope(papers: Iterable[Paper], categories: Iterable[str] = IN_SCOPE) -> Iterator[Paper]:
    cats = set(categories)
    return (p for p in papers if cats & set(p.categories))


def serve_forever(papers: list[Paper], port: int = 0) -> None:  # pragma: no cover - manual use
    """``python tests/support/arxiv_server.py`` runs a server over a small corpus until Ctrl-C."""
    server = ArxivServer(papers).start()
    print(server.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":  # pragma: no cover
    serve_forever(make_corpus(500, datetime(2024, 1, 1, tzinfo=UTC),
                              datetime(2024, 4, 1, tzinfo=UTC)))
