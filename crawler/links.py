"""Code links in arXiv abstracts and comments, and whether each is the paper's own code.

The public entry the harvest uses: ``paper_links(abstract, comment)`` returns every link with a
key and a kind (``crawler.urls``: finding and normalising URLs) and an ``official`` verdict
(``crawler.official``: own code or a mention). Only links whose kind is in
``REPOSITORY_KINDS`` are repositories (fetched, counted, exported in ``repo``); the others
(project pages, organisation pages, shorteners, docs) are kept with their kind.

``LINKS_VERSION`` changes whenever a rule changes what these functions return, so stored papers'
links can be extracted again offline.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from crawler.official import is_official, mask
from crawler.urls import (
    KINDS,
    REPO_KEY_PATTERN,
    REPOSITORY_KINDS,
    LinkKind,
    find_spans,
    has_hint,
    https,
    normalise,
    prepare,
)

__all__ = ["KINDS", "LINKS_VERSION", "REPOSITORY_KINDS", "REPO_KEY_PATTERN", "Link", "LinkKind",
           "extract_links", "normalise", "paper_links"]

LINKS_VERSION = "2.0"


@dataclass(frozen=True)
class Link:
    """One link of a paper, as stored in the ``links`` table."""

    repo: str      # normalised key, lower case, matches REPO_KEY_PATTERN
    host: str      # github.com, gitlab.com, huggingface.co, github.io, ...
    kind: str      # a LinkKind value; a repository when in REPOSITORY_KINDS
    url: str       # the cleaned URL as found, https scheme
    official: bool
    source: str    # "abstract" or "comment"

    @property
    def is_repository(self) -> bool:
        """Fetched, counted and exported in ``repo`` (project and organisation pages are not)."""
        return self.kind in REPOSITORY_KINDS


def _merge(links: list[Link]) -> list[Link]:
    """One link per key, first mention kept, official when any mention is official."""
    merged: dict[str, Link] = {}
    for link in links:
        seen = merged.get(link.repo)
        if seen is None:
            merged[link.repo] = link
        elif link.official and not seen.official:
            merged[link.repo] = replace(seen, official=True)
    return list(merged.values())


def extract_links(text: str, source: str) -> list[Link]:
    """Links in one field, in order of appearance, one per key. Never raises."""
    if not isinstance(text, str) or not text or not has_hint(text):
        return []
    text = prepare(text)
    spans = find_spans(text)
    if not spans:
        return []
    masked = mask(text, spans)
    links: list[Link] = []
    official_repos: set[str] = set()
    for span in spans:
        if not span.repo or span.repo in official_repos:
            continue  # not a link we keep, or a repeat of one already known official
        official = is_official(masked, span.start, span.end)
        if official:
            official_repos.add(span.repo)
        links.append(Link(repo=span.repo, host=span.host, kind=span.kind, url=https(span.url),
                          official=official, source=source))
    return _merge(links)


def paper_links(abstract: str, comment: str | None) -> list[Link]:
    """A paper's links: abstract's first, then the comment's, deduplicated by key."""
    return _merge(extract_links(abstract or "", "abstract") + extract_links(comment or "",
                                                                             "comment"))
