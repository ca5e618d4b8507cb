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

from crawler.official import mask, verdict
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

__all__ = ["JUDGE", "KINDS", "LINKS_VERSION", "REPOSITORY_KINDS", "REPO_KEY_PATTERN", "Link",
           "LinkKind", "extract_links", "normalise", "paper_links"]

LINKS_VERSION = "2.1"

# Which judge sets ``official``: "rules" (crawler.official.verdict) or "model" (the learned
# OfficialModel). Chosen by benchmarks/links_official_eval.py on the tune split's accuracy.
JUDGE = "rules"


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


Judged = tuple[Link, "bool | None"]


def _merge(judged: list[Judged]) -> list[Link]:
    """One link per key, first mention kept. A key is official when any mention of it has an own
    cue; else a mention when any has a mention cue; else (only bare links) official."""
    first: dict[str, Link] = {}
    cues: dict[str, set[bool | None]] = {}
    for link, found in judged:
        first.setdefault(link.repo, link)
        cues.setdefault(link.repo, set()).add(found)
    merged = []
    for key, link in first.items():
        official = True in cues[key] or False not in cues[key]
        merged.append(link if link.official == official else replace(link, official=official))
    return merged


def _judged(text: str, source: str) -> list[Judged]:
    """Every keyed link in one field with its verdict (True, False or None for no cue)."""
    if not isinstance(text, str) or not text or not has_hint(text):
        return []
    text = prepare(text)
    spans = find_spans(text)
    if not spans:
        return []
    masked = mask(text, spans)
    judged: list[Judged] = []
    own: set[str] = set()
    for span in spans:
        if not span.repo or span.repo in own:
            continue  # not a link we keep, or a repeat of one already known official
        found = verdict(masked, span.start, span.end, span.repo)
        if found:
            own.add(span.repo)
        judged.append((Link(repo=span.repo, host=span.host, kind=span.kind, url=https(span.url),
                            official=found is not False, source=source), found))
    return judged


def extract_links(text: str, source: str) -> list[Link]:
    """Links in one field, in order of appearance, one per key. Never raises."""
    return _merge(_judged(text, source))


def paper_links(abstract: str, comment: str | None) -> list[Link]:
    """A paper's links: abstract's first, then the comment's, deduplicated by key."""
    return _merge(_judged(abstract or "", "abstract") + _judged(comment or "", "comment"))
