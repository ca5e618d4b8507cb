"""arXiv's Atom feed, read strictly with lxml: the header, the entries, the error feed.

Both of arXiv's styles are read (before November 2025: per-element namespaces, hard-wrapped
text, ``dx.doi.org`` links; after: namespaces declared once, ``arxiv:affiliation``). An error
feed (one entry whose id starts with ``http(s)://arxiv.org/api/errors#``) is reported with
arXiv's reason ("incorrect id format for abc"), never read as zero results.

Hostile input is bounded: the document is parsed without entities, DTDs or network, from a body
that the transport already capped; one entry whose fields are implausibly large (a 10 MB title)
is skipped and recorded (:class:`Skipped`) while the rest of the page is kept, instead of the
parser rejecting the whole page and failing its window forever.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lxml import etree

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
    "arxiv": "http://arxiv.org/schemas/atom",
}
_FEED_TAG = f"{{{NS['atom']}}}feed"
_ERROR_ID = re.compile(r"^https?://arxiv\.org/api/errors")
# huge_tree lifts libxml2's 10 MB text-node limit so that one oversized field costs only its
# entry (the body is capped before parsing); entities are never expanded, nothing is fetched.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True,
                          recover=False, load_dtd=False, dtd_validation=False)


@dataclass(frozen=True)
class FieldLimits:
    """The largest field an entry may have (arXiv's own limits are far below these)."""

    title: int = 2_000
    abstract: int = 20_000
    comment: int = 5_000
    journal_ref: int = 2_000
    doi: int = 500
    authors: int = 5_000
    author_name: int = 500
    categories: int = 100


@dataclass(frozen=True)
class Entry:
    """One paper as the feed lists it (the returned version)."""

    entry_id: str
    arxiv_id: str
    version: int
    title: str
    summary: str
    comment: str | None
    journal_ref: str | None
    doi: str | None
    primary_category: str
    categories: tuple[str, ...]
    authors: tuple[str, ...]
    published: datetime
    updated: datetime


@dataclass(frozen=True)
class Skipped:
    """An entry left out of a page, with why."""

    arxiv_id: str
    reason: str


@dataclass
class Feed:
    total: int
    start: int
    per_page: int
    entries: list[Entry] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


class MalformedFeed(ValueError):
    """Not a well-formed Atom feed, or an entry that cannot be read (worth asking again)."""


class ErrorFeed(ValueError):
    """arXiv's error feed: the query was refused; ``str()`` is arXiv's reason."""


def short_id(entry_id: str) -> tuple[str, int]:
    """``http://arxiv.org/abs/2401.01234v3`` -> (``2401.01234``, 3); old ids keep their slash."""
    tail = entry_id.split("arxiv.org/abs/")[-1]
    head, sep, version = tail.rpartition("v")
    if sep and version.isdigit() and head:
        return head, int(version)
    return tail, 1


def parse_root(content: bytes) -> Any:
    """The document's root element, parsed strictly; :class:`MalformedFeed` otherwise."""
    if not content:
        raise MalformedFeed("empty answer")
    try:
        return etree.fromstring(content, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        raise MalformedFeed(f"malformed XML: {exc}") from None


def error_message(root: Any) -> str | None:
    """arXiv's reason when ``root`` is an error feed (ids ``http(s)://arxiv.org/api/errors#``)."""
    for entry in root.iterfind("atom:entry", NS):
        entry_id = (entry.findtext("atom:id", default="", namespaces=NS) or "").strip()
        if _ERROR_ID.match(entry_id):
            summary = entry.findtext("atom:summary", default="", namespaces=NS) or ""
            text = " ".join(summary.split()) or entry_id.partition("#")[2]
            return text[:200]
    return None


def parse_feed(root: Any, limits: FieldLimits | None = None) -> Feed:
    """Header and entries of a parsed feed (not an error feed: check :func:`error_message`)."""
    if root.tag != _FEED_TAG:
        # Valid XML that is not an Atom feed (a proxy's page): never "zero results".
        raise MalformedFeed(f"not an Atom feed: <{str(root.tag)[:40]}>")
    bounds = limits or FieldLimits()

    def number(path: str) -> int:
        text = (root.findtext(path, default="", namespaces=NS) or "").strip()
        return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else 0

    feed = Feed(total=number("opensearch:totalResults"), start=number("opensearch:startIndex"),
                per_page=number("opensearch:itemsPerPage"))
    for element in root.iterfind("atom:entry", NS):
        fields = _fields(element)
        entry_id = fields.get(_ID)
        if not entry_id:
            continue
        arxiv_id, _ = short_id(entry_id.strip()[:200])
        why = _oversized(fields, element, bounds)
        if why is not None:
            feed.skipped.append(Skipped(arxiv_id, why))
            continue
        feed.entries.append(_entry(fields, element, entry_id.strip()))
    return feed


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


_ID, _TITLE, _SUMMARY = _q("atom", "id"), _q("atom", "title"), _q("atom", "summary")
_PUBLISHED, _UPDATED = _q("atom", "published"), _q("atom", "updated")
_AUTHOR, _NAME, _CATEGORY = _q("atom", "author"), _q("atom", "name"), _q("atom", "category")
_COMMENT, _JOURNAL, _DOI = _q("arxiv", "comment"), _q("arxiv", "journal_ref"), _q("arxiv", "doi")
_PRIMARY = _q("arxiv", "primary_category")


def _fields(element: Any) -> dict[str, str]:
    """The first text of each child element, by qualified tag (one pass over the entry)."""
    out: dict[str, str] = {}
    for child in element:
        tag = child.tag
        if isinstance(tag, str) and tag not in out and child.text is not None:
            out[tag] = str(child.text)
    return out


def _authors(element: Any) -> list[str]:
    names = []
    for author in element.iterchildren(_AUTHOR):
        name = author.find(_NAME)
        names.append("" if name is None or name.text is None else str(name.text))
    return names


def _oversized(fields: dict[str, str], element: Any, bounds: FieldLimits) -> str | None:
    """Why an entry is too large to be a paper, or None."""
    checks = (("title", _TITLE, bounds.title), ("abstract", _SUMMARY, bounds.abstract),
              ("comment", _COMMENT, bounds.comment),
              ("journal_ref", _JOURNAL, bounds.journal_ref), ("doi", _DOI, bounds.doi))
    for name, tag, cap in checks:
        text = fields.get(tag)
        if text is not None and len(text) > cap:
            return f"{name} of {len(text):,} characters (cap {cap:,})"
    authors = _authors(element)
    if len(authors) > bounds.authors:
        return f"{len(authors):,} authors (cap {bounds.authors:,})"
    longest = max(map(len, authors), default=0)
    if longest > bounds.author_name:
        return f"an author name of {longest:,} characters (cap {bounds.author_name:,})"
    if sum(1 for _ in element.iterchildren(_CATEGORY)) > bounds.categories:
        return f"more than {bounds.categories} categories"
    return None


def _entry(fields: dict[str, str], element: Any, entry_id: str) -> Entry:
    arxiv_id, version = short_id(entry_id)
    primary = element.find(_PRIMARY)
    categories = tuple(str(c.get("term")) for c in element.iterchildren(_CATEGORY)
                       if c.get("term") is not None)
    return Entry(
        entry_id=entry_id, arxiv_id=arxiv_id, version=version,
        title=re.sub(r"\s+", " ", fields.get(_TITLE, "")),
        summary=fields.get(_SUMMARY, ""),
        comment=fields.get(_COMMENT), journal_ref=fields.get(_JOURNAL), doi=fields.get(_DOI),
        primary_category=(primary.get("term") if primary is not None else None) or "",
        categories=categories, authors=tuple(_authors(element)),
        published=_date(fields.get(_PUBLISHED), entry_id, "published"),
        updated=_date(fields.get(_UPDATED), entry_id, "updated"),
    )


def _date(text: str | None, entry_id: str, name: str) -> datetime:
    if text is None:
        raise MalformedFeed(f"malformed entry: {entry_id[:80]} has no <{name}>")
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise MalformedFeed(f"malformed entry: {name} {text.strip()[:40]!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
