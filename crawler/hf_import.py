"""Links from Hugging Face Papers for harvested papers: ``githubRepo`` and ``projectPage``.

For each harvested paper in the range (newest first) that was never asked, or was asked a while
ago without a repository coming back (authors add links later: again after 30 days while the
paper is young, after a year once it was a year old when asked), the paper is asked
(:mod:`crawler.hf_papers`) and the answer is stored in one transaction: the ``hf_asks`` row and
the paper's ``hf`` link sources. A run killed at any moment resumes with the papers it had not
finished; nothing is stored twice.

A ``githubRepo`` that is a repository (any forge ``crawler.urls`` knows) becomes an official link
of source ``hf`` (authors enter it); one that normalises to a page keeps its kind; anything else
is counted and left out. A ``projectPage`` becomes a link of its kind (usually a project page)
when ``crawler.urls`` knows its host; other sites are counted. A 404 (not indexed) keeps any
links an earlier answer gave.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from crawler.hf_papers import HfPaper, HfPapersClient
from crawler.http import RequestStats
from crawler.urls import https, normalise
from survey.core.clock import SYSTEM_CLOCK, Clock, stamp
from survey.core.db import transaction
from survey.core.errors import ServiceError, ServiceUnavailable
from survey.core.events import SILENT, Events
from survey.core.settings import Settings
from survey.core.vocab import REPOSITORY_KINDS, LinkSource
from survey.store import imports as store
from survey.store.papers import LinkRecord

# Ask again papers that got no repository: after this while the paper is young...
REASK_RECENT = timedelta(days=30)
# ...and after this once it was more than a year old when asked.
REASK_OLD = timedelta(days=365)


@dataclass
class HfImportSummary:
    """What one run asked and what came back."""

    candidates: int = 0
    answers: Counter[str] = field(default_factory=Counter)  # repo, indexed, not_indexed
    errors: int = 0
    repo_links: int = 0          # links that are repositories
    new_links: int = 0           # of those, (paper, repository) pairs no other source had
    page_links: int = 0          # links that are pages (project pages mostly)
    unusable: Counter[str] = field(default_factory=Counter)  # fields left out, by reason
    rate_limited: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"candidates": self.candidates, "asked": sum(self.answers.values()),
                "answers": dict(sorted(self.answers.items())), "errors": self.errors,
                "repo_links": self.repo_links, "new_links": self.new_links,
                "page_links": self.page_links, "unusable": dict(sorted(self.unusable.items())),
                "rate_limited": self.rate_limited}


def links_of(answer: HfPaper, unusable: Counter[str]) -> list[LinkRecord]:
    """The links an answer gives (official: authors enter them); what is left out is counted."""
    found: list[LinkRecord] = []
    for name, value in (("githubRepo", answer.github_repo), ("projectPage", answer.project_page)):
        if value is None:
            continue
        norm = normalise(value)
        if norm is None:
            unusable[f"{name} not a known code host or page"] += 1
            continue
        key, host, kind = norm
        if name == "githubRepo" and kind not in REPOSITORY_KINDS:
            unusable["githubRepo not a repository"] += 1
        if all(link.repo != key for link in found):
            found.append(LinkRecord(key, host, kind, https(value), True, LinkSource.HF.value))
    return found


def ask_papers(conn: sqlite3.Connection, settings: Settings, stats: RequestStats, *,
               since: datetime | None = None, until: datetime | None = None,
               limit: int | None = None, events: Events = SILENT,
               clock: Clock = SYSTEM_CLOCK, client: HfPapersClient | None = None
               ) -> HfImportSummary:
    """Ask Hugging Face about the harvested papers in ``[since, until)`` (see the module doc)."""
    now = clock.now()
    summary = HfImportSummary()
    todo = store.hf_candidates(
        conn, since=stamp(since) if since else None, until=stamp(until) if until else None,
        recent_cutoff=stamp(now - REASK_RECENT), old_cutoff=stamp(now - REASK_OLD), limit=limit)
    summary.candidates = len(todo)
    if not todo:
        return summary
    own = client is None
    hf = client or HfPapersClient(settings, stats, events=events)
    try:
        with events.task("hf: asking Hugging Face Papers", total=len(todo)) as task:
            for item in todo:
                _ask_one(conn, hf, item.arxiv_id, summary, events, clock)
                task.advance()
    finally:
        summary.rate_limited = hf.rate_limited
        if own:
            hf.close()
    return summary


def _ask_one(conn: sqlite3.Connection, hf: HfPapersClient, arxiv_id: str,
             summary: HfImportSummary, events: Events, clock: Clock) -> None:
    try:
        answer = hf.paper(arxiv_id)
    except ServiceUnavailable:
        raise
    except ServiceError as exc:
        if exc.status == 429:
            raise  # a rate limit that cannot be waited out: stop, the next run resumes
        summary.errors += 1
        events.detail(f"{arxiv_id}: {exc}")
        return  # not recorded: asked again by the next run
    links = links_of(answer, summary.unusable) if answer.indexed else None
    repos = [k for k in links or [] if k.kind in REPOSITORY_KINDS]
    status = "repo" if repos else ("indexed" if answer.indexed else "not_indexed")
    with transaction(conn):
        new = store.record_hf_answer(conn, arxiv_id, asked_at=stamp(clock.now()), status=status,
                                     github_repo=answer.github_repo,
                                     project_page=answer.project_page, links=links)
    summary.answers[status] += 1
    summary.repo_links += len(repos)
    summary.page_links += sum(1 for k in links or [] if k.kind not in REPOSITORY_KINDS)
    summary.new_links += new
