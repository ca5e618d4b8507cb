"""``survey show ARXID_ID|REPO``: everything stored about one paper or one repository.

:func:`parse_target` says what the user asked for (or raises :class:`InputError`: exit 2);
:func:`show` reads it (``survey.store.show``, read-only) and returns plain dicts, printed as
they are by ``--json`` and as a screen by the CLI; nothing stored under that name raises
:class:`NotFoundError` (exit 5), so a script can tell "not stored" from "not a valid name".

A link's official verdict comes with why: for a link found in the abstract or the comment the
judgement (``crawler.official.is_official``) is run again on the stored text, and the cue
words that decided it are named; for other sources (Papers With Code, Hugging Face) the verdict
is as the source entered it.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from typing import Any

from crawler.official import explain, mask, sentence_context
from crawler.urls import find_spans, has_hint, normalise, prepare
from survey.core.errors import InputError, NotFoundError
from survey.core.vocab import REPOSITORY_KINDS, LinkSource
from survey.store import classifications
from survey.store import show as store

MAX_INPUT = 300
# YYMM.NNNN until December 2014, YYMM.NNNNN since January 2015.
_NEW_ID = re.compile(r"((\d\d)(0[1-9]|1[0-2])\.(\d{4,5}))(?:v\d+)?")
# Old-style ids: archive, an optional subject class (dropped: arXiv's ids do not keep it), number.
_LOOKS_NEW = re.compile(r"\d{4}\.\d+(?:v\d+)?")
_OLD_ID = re.compile(r"([a-z]+(?:-[a-z]+)*)(?:\.[A-Za-z]{2})?/(\d{7})(?:v\d+)?")
_ARXIV_URL = re.compile(r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/(.+?)"
                        r"(?:\.pdf)?/?(?:[?#].*)?$", re.IGNORECASE)
_OWNER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9_.-]+")
_TEXT_SOURCES = (LinkSource.ABSTRACT.value, LinkSource.COMMENT.value)
_CONTEXT_CHARS = 200


@dataclass(frozen=True)
class Target:
    """What to show: a paper (``arxiv_id`` without version) or a repository key."""

    kind: str   # "paper" or "repository"
    key: str


def parse_target(text: str) -> Target:
    """An arXiv id (``2401.01234``, ``2401.01234v2``, ``cs/0112017``, ``arXiv:...``, an
    ``arxiv.org/abs/`` or ``/pdf/`` URL) or a repository (``github.com/owner/name``,
    ``owner/name`` meaning GitHub, any URL ``crawler.urls.normalise`` knows)."""
    raw = text.strip()
    shown = repr(raw[:80] + ("..." if len(raw) > 80 else ""))
    if not raw or len(raw) > MAX_INPUT or any(c.isspace() for c in raw):
        raise InputError(f"{shown} is not an arXiv id or a repository")
    candidate = re.sub(r"^arxiv:", "", raw, flags=re.IGNORECASE)
    url = _ARXIV_URL.match(candidate)
    if url:
        candidate = url.group(1)
    paper = _paper_id(candidate)
    if paper:
        return Target("paper", paper)
    if url or raw.lower().startswith("arxiv:") or _LOOKS_NEW.fullmatch(candidate):
        raise InputError(f"{shown} is not a valid arXiv id (YYMM.NNNNN since 2015, YYMM.NNNN"
                         " before, or archive/YYMMNNN: 2401.01234, 1412.1234, cs/0112017)")
    if _OWNER_NAME.fullmatch(raw) and "." not in raw.split("/", 1)[0]:
        raw = "github.com/" + raw
    found = normalise(raw)
    if found is None:
        raise InputError(f"{shown} is not an arXiv id or a repository (e.g. 2401.01234,"
                         " github.com/owner/name)")
    return Target("repository", found[0])


def _paper_id(text: str) -> str | None:
    new = _NEW_ID.fullmatch(text)
    if new:
        digits = 5 if (int(new.group(2)), int(new.group(3))) >= (15, 1) else 4
        return new.group(1) if len(new.group(4)) == digits else None
    old = _OLD_ID.fullmatch(text)
    return f"{old.group(1)}/{old.group(2)}" if old else None


def show(conn: sqlite3.Connection, target: Target | str) -> dict[str, Any]:
    """Everything stored about ``target`` (see :func:`parse_target`), as plain JSON-able dicts:
    ``{"type": "paper", ...}``, ``{"type": "repository", ...}`` or ``{"type": "page", ...}``."""
    if isinstance(target, str):
        target = parse_target(target)
    if target.kind == "paper":
        return show_paper(conn, target.key)
    return show_repository(conn, target.key)


# -- papers ----------------------------------------------------------------------------------

def show_paper(conn: sqlite3.Connection, arxiv_id: str) -> dict[str, Any]:
    row = store.paper(conn, arxiv_id)
    if row is None:
        raise NotFoundError(f"no paper {arxiv_id} in the database (harvested categories and"
                            " dates only: see `survey status`)")
    sources = store.link_sources(conn, arxiv_id)
    links = []
    for link in store.paper_links(conn, arxiv_id):
        links.append({
            "repo": link.key, "canonical": link.canonical, "host": link.host, "kind": link.kind,
            "url": link.url, "repository": link.kind in REPOSITORY_KINDS,
            "official": link.official, "status": link.status, "framework": link.framework,
            "sources": [_source(s, row, link.key) for s in sources.get(link.key, [])],
        })
    return {
        "type": "paper", "arxiv_id": row["arxiv_id"], "version": row["version"],
        "url": f"https://arxiv.org/abs/{row['arxiv_id']}v{row['version']}",
        "title": row["title"], "authors": _json_list(row["authors"]),
        "published": row["published"], "updated": row["updated"],
        "primary_category": row["primary_category"], "categories": row["categories"].split(),
        "journal_ref": row["journal_ref"], "doi": row["doi"], "comment": row["comment"],
        "abstract": row["abstract"], "harvested_at": row["harvested_at"], "links": links,
    }


def _json_list(text: str | None) -> list[Any]:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def _source(source: store.SourceRow, paper: dict[str, Any], key: str) -> dict[str, Any]:
    """One source of a link, with its verdict and why."""
    out: dict[str, Any] = {"source": source.source, "url": source.url,
                           "official": source.official, "judged": None, "cue": None}
    if source.source not in _TEXT_SOURCES:
        out["why"] = "as entered by the source"
        return out
    judged = judge(paper.get(source.source) or "", key)
    if judged is None:
        out["why"] = (f"the link is no longer found in the stored {source.source} (the link"
                      " rules changed since it was stored)")
        return out
    out.update(judged.to_json())
    return out


# -- the official verdict, with why -----------------------------------------------------------

@dataclass(frozen=True)
class Judgement:
    """The judgement of one link in one text: the verdict, the cue that decided, the words."""

    official: bool
    cue: str | None     # the cue words that decided (None: no cue, or a heading)
    why: str
    context: str        # the link's sentence as the rule reads it, the link as <link>

    def to_json(self) -> dict[str, Any]:
        return {"judged": self.official, "cue": self.cue, "why": self.why,
                "context": self.context}


def judge(text: str, key: str) -> Judgement | None:
    """Run the official judgement on each mention of ``key`` in ``text`` and say why.

    Official when any mention is (as the harvest stores it); the first such mention (or the
    first mention) explains. None when ``key`` is not found in ``text``.
    """
    if not text or not has_hint(text):
        return None
    prepared = prepare(text)
    spans = find_spans(prepared)
    masked = mask(prepared, spans)
    found = [_judge_span(masked, s.start, s.end, key) for s in spans if s.repo == key]
    if not found:
        return None
    return next((j for j in found if j.official), found[0])


def _judge_span(masked: str, start: int, end: int, repo: str) -> Judgement:
    reason = explain(masked, start, end, repo)
    return Judgement(reason.verdict is not False, reason.cue, reason.why,
                     _context(masked, start, end))


def _context(masked: str, start: int, end: int) -> str:
    """The link's sentence as the judgement reads it: words before, <link>, words after."""
    before, after = sentence_context(masked, start, end)
    glue = "" if before.endswith(("(", "[", "{", '"', "'", "<")) else " "
    text = (before + glue if before else "") + "<link>" + (" " + after if after else "")
    return text if len(text) <= _CONTEXT_CHARS else text[:_CONTEXT_CHARS - 3] + "..."


# -- repositories ----------------------------------------------------------------------------

def show_repository(conn: sqlite3.Connection, key: str) -> dict[str, Any]:
    resolved = store.canonical_repo(conn, key)
    if resolved is None:
        return _link_target(conn, key)
    name, via_alias = resolved
    row = store.repo(conn, name)
    assert row is not None  # canonical_repo found it
    counts = store.tree_counts(conn, name)
    return {
        "type": "repository", "repo": name, "asked_as": key if via_alias else None,
        "aliases": store.aliases(conn, name), **row,
        "fork": _flag(row.get("fork")), "archived": _flag(row.get("archived")),
        "tree": {"entries": sum(counts.values()), "files": counts.get("blob", 0),
                 "folders": counts.get("tree", 0), "submodules": counts.get("commit", 0)},
        "files": [{"path": f.path, "role": f.role, "size": f.size}
                  for f in store.files_read(conn, name)],
        "classification": _classification(conn, name),
        "papers": _papers(store.linking_papers(conn, name)),
    }


def _flag(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _classification(conn: sqlite3.Connection, name: str) -> dict[str, Any] | None:
    row = store.classification(conn, name)
    if row is None:
        return None
    evidence = _json_list(row.get("evidence"))
    return {
        "framework": row["framework"], "confidence": row["confidence"],
        "scores": classifications.scores(conn, name),
        "evidence": [e for e in evidence if isinstance(e, dict)],
        "classifier_version": row["classifier_version"], "head_sha": row["head_sha"],
        "repo_status": row.get("repo_status"), "classified_at": row["classified_at"],
    }


def _papers(rows: list[store.LinkingPaper]) -> list[dict[str, Any]]:
    return [{"arxiv_id": p.arxiv_id, "title": p.title, "published": p.published,
             "linked_as": p.linked_as, "official": p.official} for p in rows]


def _link_target(conn: sqlite3.Connection, key: str) -> dict[str, Any]:
    """A key that papers link but that is no ``repos`` row: a page, or not registered yet."""
    found = store.link_target(conn, key)
    if found is None:
        raise NotFoundError(f"no repository {key} in the database (not linked by any stored"
                            " paper)")
    host, kind = found
    repository = kind in REPOSITORY_KINDS
    return {
        "type": "repository" if repository else "page", "repo": key, "host": host,
        "kind": kind, "status": None,
        "status_detail": ("linked, not registered yet: the next `survey crawl` fetches it"
                          if repository else f"a {kind} link: pages are kept, never fetched"),
        "papers": _papers(store.linking_papers(conn, key)),
    }
