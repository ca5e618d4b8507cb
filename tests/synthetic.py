"""Fill a database through the real schema with synthetic papers, links, repositories and labels.

Two layers: small ``add_*`` helpers that write one row each (tests state exactly what they
store and check exact figures), and :func:`fill_synthetic`, which writes a large corpus whose
framework shares follow a known curve (benchmarks, the monthly-refresh tests, browser tests).
Every row goes through the same tables the crawler fills, so the report is tested on what it
will really read.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from survey.core.db import transaction

STAMP = "2026-01-01T00:00:00Z"
LABELS = ("pytorch", "tensorflow", "jax", "other", "none")

# Shares of the five labels among papers with classified code at the start of each year;
# linear in between. Shaped like the published record: TensorFlow ahead until about 2019.
ANCHORS: dict[int, tuple[float, float, float, float, float]] = {
    2015: (0.02, 0.30, 0.00, 0.55, 0.13),
    2017: (0.15, 0.50, 0.00, 0.25, 0.10),
    2019: (0.42, 0.36, 0.01, 0.12, 0.09),
    2021: (0.66, 0.18, 0.03, 0.05, 0.08),
    2023: (0.76, 0.09, 0.05, 0.03, 0.07),
    2027: (0.82, 0.04, 0.06, 0.02, 0.06),
}
# Which specific framework an `other` repository uses, by era (weights early, weights late).
OTHER_FRAMEWORKS = {
    "theano": (0.30, 0.01), "caffe": (0.30, 0.02), "mxnet": (0.15, 0.05),
    "chainer": (0.10, 0.01), "cntk": (0.05, 0.00), "paddlepaddle": (0.05, 0.40),
    "mindspore": (0.00, 0.35), "dynet": (0.05, 0.16),
}
# Tools that papers mention without having written them (non-official links).
TOOLS = (("github.com/huggingface/transformers", "pytorch"),
         ("github.com/tensorflow/models", "tensorflow"),
         ("github.com/facebookresearch/detectron2", "pytorch"),
         ("github.com/google/jax", "jax"))
CATEGORIES = {
    "cs.LG": 0.30, "cs.CV": 0.25, "cs.CL": 0.15, "stat.ML": 0.05, "cs.AI": 0.10,
    "cs.RO": 0.05, "eess.IV": 0.05, "math.OC": 0.05,
}


def add_paper(
    conn: sqlite3.Connection, arxiv_id: str, published: str, *, title: str = "A paper",
    primary_category: str = "cs.LG", categories: str | None = None,
    abstract: str = "abstract", comment: str | None = None,
) -> None:
    """One paper (``published`` as YYYY-MM-DD or a full timestamp)."""
    if len(published) == 10:
        published = published + "T12:00:00Z"
    conn.execute(
        "INSERT INTO papers (arxiv_id, version, title, abstract, comment, journal_ref, doi,"
        " primary_category, categories, authors, published, updated, harvested_at)"
        " VALUES (?, 1, ?, ?, ?, NULL, NULL, ?, ?, '[]', ?, ?, ?)",
        (arxiv_id, title, abstract, comment, primary_category, categories or primary_category,
         published, published, STAMP),
    )


def add_repo(
    conn: sqlite3.Connection, repo: str, *, status: str = "ok", created_at: str | None = None
) -> None:
    """One repository row (``INSERT OR IGNORE``: several papers may link the same one)."""
    conn.execute(
        "INSERT OR IGNORE INTO repos (repo, host, status, created_at, first_seen)"
        " VALUES (?, ?, ?, ?, ?)",
        (repo, repo.split("/", 1)[0], status, created_at, STAMP),
    )


def add_link(
    conn: sqlite3.Connection, arxiv_id: str, repo: str, *, official: bool = True,
    kind: str = "github", source: str = "abstract",
) -> None:
    row = (arxiv_id, repo, repo.split("/", 1)[0], kind, "https://" + repo, int(official), source)
    conn.execute(
        "INSERT INTO links (arxiv_id, repo, host, kind, url, official, source)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)", row)
    # As the store writes it: every source of a link is a link_sources row too.
    conn.execute(
        "INSERT INTO link_sources (arxiv_id, repo, host, kind, url, official, source)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)", row)


def add_classification(
    conn: sqlite3.Connection, repo: str, framework: str,
    frameworks: Mapping[str, float] | None = None, *, confidence: float = 0.9,
    version: str = "test-1",
) -> None:
    if frameworks is None:
        frameworks = {} if framework in ("none", "unknown") else {framework: 1.0}
    conn.execute(
        "INSERT OR REPLACE INTO classifications (repo, framework, confidence,"
        " evidence, classifier_version, head_sha, classified_at)"
        " VALUES (?, ?, ?, '[]', ?, NULL, ?)",
        (repo, framework, confidence, version, STAMP),
    )
    conn.execute("DELETE FROM classification_scores WHERE repo = ?", (repo,))
    conn.executemany("INSERT INTO classification_scores (repo, framework, score) VALUES (?, ?, ?)",
                     [(repo, name, float(score)) for name, score in frameworks.items()])


def add_paper_with_code(
    conn: sqlite3.Connection, arxiv_id: str, published: str, framework: str | Iterable[str],
    *, title: str = "A paper", primary_category: str = "cs.LG", official: bool = True,
    frameworks: Mapping[str, float] | None = None, created_at: str | None = None,
) -> list[str]:
    """A paper linking one repository per label given (``unknown``: fetched, never classified).

    Returns the repositories written (``github.com/u<id>/r<i>``).
    """
    labels = [framework] if isinstance(framework, str) else list(framework)
    add_paper(conn, arxiv_id, published, title=title, primary_category=primary_category)
    repos = []
    for i, label in enumerate(labels):
        repo = f"github.com/u{arxiv_id.replace('.', '')}/r{i}"
        add_repo(conn, repo, created_at=created_at or published[:10] + "T00:00:00Z")
        add_link(conn, arxiv_id, repo, official=official)
        if label != "unknown":
            add_classification(conn, repo, label, frameworks)
        repos.append(repo)
    return repos


@dataclass
class SyntheticSummary:
    """What :func:`fill_synthetic` wrote: counts to check the report against."""

    papers: int = 0
    papers_with_link: int = 0
    links: int = 0
    repos: int = 0
    classified: int = 0
    by_label: dict[str, int] = field(default_factory=dict)


def true_shares(when: np.ndarray) -> np.ndarray:
    """The generating shares (rows: dates as fractional years; columns: LABELS)."""
    years = np.array(sorted(ANCHORS), dtype=float)
    table = np.array([ANCHORS[int(y)] for y in years])
    cols = [np.interp(when, years, table[:, j]) for j in range(len(LABELS))]
    out = np.column_stack(cols)
    return out / out.sum(axis=1, keepdims=True)


def fill_synthetic(
    conn: sqlite3.Connection, n_papers: int, *, seed: int = 0,
    start: date = date(2017, 1, 1), end: date = date(2026, 10, 31),
    code_rate: float = 0.3, titles: Mapping[int, str] | None = None, batch: int = 100_000,
    id_offset: int = 0,
) -> SyntheticSummary:
    """Write ``n_papers`` papers between ``start`` and ``end``; about ``code_rate`` link code.

    Of the papers with links: 85 % official (else only a tool they mention), 5 % with a second
    official repository, 1 % linking an old name kept in ``repo_aliases``, 8 % of repositories
    never fetched (``unknown``), 2 % with a project page besides the code; one paper in 29
    also mentions one of four widely used TOOLS (non-official). ``titles`` overrides
    the title of paper number ``i`` (e.g. a ``<script>`` to test escaping). ``id_offset``
    starts each month's arXiv numbers higher, so a second call can add papers to the same
    months (a monthly refresh) without colliding with the first call's ids.
    """
    rng = np.random.default_rng(seed)
    span = (end - start).days
    days = np.sort(rng.integers(0, span + 1, n_papers))
    cats = list(CATEGORIES)
    cat_idx = rng.choice(len(cats), n_papers, p=np.array(list(CATEGORIES.values())))
    has_code = rng.random(n_papers) < code_rate
    official = rng.random(n_papers) < 0.85
    second = rng.random(n_papers) < 0.05
    aliased = rng.random(n_papers) < 0.01
    fetched = rng.random(n_papers) >= 0.08
    page = rng.random(n_papers) < 0.02
    base = start.toordinal()
    years_frac = start.year + (days + (start - date(start.year, 1, 1)).days) / 365.25
    probs = true_shares(years_frac)
    cum = probs.cumsum(axis=1)
    draw = rng.random((n_papers, 2))
    label_idx = np.stack([(draw[:, k:k + 1] > cum).sum(axis=1) for k in (0, 1)], axis=1)
    label_idx = np.minimum(label_idx, len(LABELS) - 1)
    other_names = list(OTHER_FRAMEWORKS)
    other_early = np.array([OTHER_FRAMEWORKS[n][0] for n in other_names])
    other_late = np.array([OTHER_FRAMEWORKS[n][1] for n in other_names])
    titles = titles or {}
    summary = SyntheticSummary(by_label=dict.fromkeys((*LABELS, "unknown"), 0))
    month_seq: dict[str, int] = {}

    def rows(lo: int, hi: int):
        papers, repos, links, classes, aliases = [], [], [], [], []
        for i in range(lo, hi):
            d = date.fromordinal(base + int(days[i]))
            ym = f"{d.year % 100:02d}{d.month:02d}"
            seq = month_seq.get(ym, id_offset) + 1
            month_seq[ym] = seq
            aid = f"{ym}.{seq:05d}"
            pub = f"{d.isoformat()}T{int(days[i]) % 24:02d}:00:00Z"
            cat = cats[cat_idx[i]]
            papers.append((aid, titles.get(i, f"Synthetic paper {i}"), cat,
                           f"{cat} cs.LG" if cat != "cs.LG" else cat, pub, pub, STAMP))
            if not has_code[i]:
                continue
            n_repos = 2 if second[i] else 1
            for k in range(n_repos):
                repo = f"github.com/lab{i % 997}/p{aid.replace('.', '')}-{k}"
                created = date.fromordinal(base + int(days[i]) - int((i * 7919) % 180))
                status = "ok" if fetched[i] else "pending"
                repos.append((repo, "github.com", status, f"{created.isoformat()}T00:00:00Z",
                              STAMP))
                linked = repo
                if aliased[i] and k == 0:
                    linked = repo + "-old"
                    aliases.append((linked, repo))
                links.append((aid, linked, "github.com", "github", "https://" + linked,
                              int(official[i]), "abstract"))
                if not fetched[i]:
                    summary.by_label["unknown"] += 1
                    continue
                label = LABELS[label_idx[i, k]]
                summary.by_label[label] += 1
                fws: dict[str, float] = {}
                if label in ("pytorch", "tensorflow", "jax"):
                    fws[label] = 1.0
                    if label == "tensorflow" and (i % 100) < max(2, 40 - 5 * (d.year - 2016)):
                        fws["keras"] = 0.8
                elif label == "other":
                    t = min(max((d.year - 2016) / 9.0, 0.0), 1.0)
                    wts = (1 - t) * other_early + t * other_late
                    pick = other_names[int(np.searchsorted(np.cumsum(wts / wts.sum()),
                                                           ((i * 2654435761) % 1000) / 1000))]
                    fws[pick] = 1.0
                classes.append((repo, label, json.dumps(fws), 0.9, "[]", "synthetic-1", None,
                                STAMP))
            if i % 29 == 0:
                # A widely used tool the paper mentions but did not write.
                tool = TOOLS[(i // 29) % len(TOOLS)][0]
                links.append((aid, tool, "github.com", "github", "https://" + tool, 0,
                              "abstract"))
            if page[i]:
                links.append((aid, f"{aid}.example.org/project", "example.org", "project-page",
                              f"https://{aid}.example.org/project", 1, "comment"))
            summary.papers_with_link += 1
        return papers, repos, links, classes, aliases

    with transaction(conn):
        for tool, label in TOOLS:
            conn.execute("INSERT OR IGNORE INTO repos (repo, host, status, created_at, first_seen)"
                         " VALUES (?, 'github.com', 'ok', '2016-01-01T00:00:00Z', ?)",
                         (tool, STAMP))
            conn.execute("INSERT OR IGNORE INTO classifications (repo, framework,"
                         " confidence, evidence, classifier_version, head_sha, classified_at)"
                         " VALUES (?, ?, 0.99, '[]', 'synthetic-1', NULL, ?)",
                         (tool, label, STAMP))
            conn.execute("INSERT OR IGNORE INTO classification_scores VALUES (?, ?, 1.0)",
                         (tool, label))
    for lo in range(0, n_papers, batch):
        hi = min(n_papers, lo + batch)
        papers, repos, links, classes, aliases = rows(lo, hi)
        with transaction(conn):
            conn.executemany(
                "INSERT INTO papers (arxiv_id, version, title, abstract, primary_category,"
                " categories, authors, published, updated, harvested_at)"
                " VALUES (?, 1, ?, '', ?, ?, '[]', ?, ?, ?)", papers)
            conn.executemany(
                "INSERT INTO repos (repo, host, status, created_at, first_seen)"
                " VALUES (?, ?, ?, ?, ?)", repos)
            conn.executemany("INSERT INTO repo_aliases (alias, repo) VALUES (?, ?)", aliases)
            for table in ("links", "link_sources"):
                conn.executemany(
                    f"INSERT INTO {table} (arxiv_id, repo, host, kind, url, official, source)"  # noqa: S608
                    " VALUES (?, ?, ?, ?, ?, ?, ?)", links)
            conn.executemany(
                "INSERT INTO classifications (repo, framework, confidence, evidence,"
                " classifier_version, head_sha, classified_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [c[:2] + c[3:] for c in classes])
            conn.executemany(
                "INSERT INTO classification_scores (repo, framework, score) VALUES (?, ?, ?)",
                [(c[0], name, float(score)) for c in classes
                 for name, score in json.loads(c[2]).items()])
        summary.papers += len(papers)
        summary.links += len(links)
        summary.repos += len(repos)
        summary.classified += len(classes)
    return summary
