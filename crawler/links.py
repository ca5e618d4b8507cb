"""Code links in arXiv abstracts and comments, and whether each is the paper's own code.

The public entry the harvest uses: ``paper_links(abstract, comment)`` returns every link with a
key and a kind (``crawler.urls``: finding and normalising URLs) and an ``official`` verdict
(``crawler.official``: own code or a mention, by the judge ``JUDGE`` names: the cue rules or
the learned model; ``extract_links`` always uses the rules). Only links whose kind is in
``REPOSITORY_KINDS`` are repositories (fetched, counted, exported in ``repo``); the others
(project pages, organisation pages, shorteners, docs) are kept with their kind.

``LINKS_VERSION`` changes whenever a rule changes what these functions return, so stored papers'
links can be extracted again offline.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

from crawler.official import OfficialModel, mask, span_context, verdict
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

LINKS_VERSION = "2.3"

# Which judge sets ``official`` in ``paper_links``: "rules" (crawler.official.verdict) or
# "model" (the learned OfficialModel, weights in crawler/official_model.json). Chosen by
# benchmarks/links_official_eval.py on the tuning parts' accuracy (the model under 5-fold
# cross-validation), before the held-out part is scored.
JUDGE = "model"


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


def _judged(text: str, source: str,
            contexts: list[tuple[list[str], str]] | None = None) -> list[Judged]:
    """Every keyed link in one field with its verdict (True, False or None for no cue). With
    ``contexts``, also appends the learned model's (features, repo) for every keyed mention,
    from the same pass (``crawler.official.context_features`` gives the same pairs)."""
    if not isinstance(text, str) or not text or not has_hint(text):
        return []
    text = prepare(text)
    spans = find_spans(text)
    if not spans:
        return []
    masked = mask(text, spans)
    lowered = masked.lower() if contexts is not None else ""
    judged: list[Judged] = []
    own: set[str] = set()
    for span in spans:
        if not span.repo:
            continue  # not a link we keep
        if span.repo in own and contexts is None:
            continue  # a repeat of one already known official
        found = verdict(masked, span.start, span.end, span.repo)
        if contexts is not None:
            contexts.append(span_context(masked, lowered, span, found))
        if span.repo in own:
            continue
        if found:
            own.add(span.repo)
        judged.append((Link(repo=span.repo, host=span.host, kind=span.kind, url=https(span.url),
                            official=found is not False, source=source), found))
    return judged


def extract_links(text: str, source: str) -> list[Link]:
    """Links in one field, in order of appearance, one per key. Never raises."""
    return _merge(_judged(text, source))


@cache
def _model() -> OfficialModel:
    """The committed weights, read once per process."""
    return OfficialModel.load()


def paper_links(abstract: str, comment: str | None, judge: str = JUDGE) -> list[Link]:
    """A paper's links: abstract's first, then the comment's, deduplicated by key, each
    ``official`` as ``judge`` says ("rules" or "model")."""
    contexts: list[tuple[list[str], str]] | None = [] if judge == "model" else None
    links = _merge(_judged(abstract or "", "abstract", contexts)
                   + _judged(comment or "", "comment", contexts))
    if contexts is not None and links:
        own = _model().own(contexts)
        return [lk if lk.official == (lk.repo in own) else replace(lk, official=lk.repo in own)
                for lk in links]
    return links
