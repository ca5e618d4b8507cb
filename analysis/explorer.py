"""The papers behind the charts, embedded in the page for filtering in the browser.

Choice: compact data inside the page, capped per cell. A cell is (framework, quarter of first
version, category group); every cell keeps up to ``cap`` of its paper-repository pairs, with
``cap`` the largest that keeps the whole explorer within ``budget`` rows. A small database
(under the budget) is listed whole; a million papers give a sample of every cell, picked by a
hash of the arXiv id and repository (the same on every run, unrelated to the label), and each
cell's true count is embedded beside it, so the page says "showing 8 of 1,234"; the cap is
lowered further if long titles and evidence would pass ``byte_budget``. The page stays
self-contained (no companion file to lose, no server) and its size is bounded by the budget,
whatever the data size; ``survey export`` gives every row.

Every outside string (title, repository, evidence) is cut to a bounded length and loses the
bidirectional overrides and isolates (U+202A-202E, U+2066-2069) and control characters before
it is embedded: the script renders them as text in isolated elements, and the JSON is escaped
for a ``<script type="application/json">`` element (no ``<``, ``>`` or ``&`` in it).
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.charts import NAMES
from analysis.dataset import CATEGORY_GROUPS, LABELS, category_group
from survey.store import tables

# At most this many paper-repository pairs in the page, and at most this many bytes of them
# (about 300 bytes a pair with real titles and evidence): plotly.js is 4.8 MB of the page and
# the charts under 0.5 MB, so the page stays under 8 MB whatever the data size.
EXPLORER_BUDGET = 8_000
EXPLORER_BYTES = 2_400_000
MAX_TITLE = 160
MAX_EVIDENCE = 70
EVIDENCE_ITEMS = 2
EXPLORER_LABELS = (*LABELS, "unknown")
# Bidirectional overrides and isolates (dropped); C0/C1 controls (become spaces).
BIDI_CONTROLS = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def neutral(text: str | None, limit: int) -> str:
    """``text`` as plain, direction-neutral data of at most ``limit`` characters."""
    if not text:
        return ""
    clean = " ".join(_CONTROLS.sub(" ", BIDI_CONTROLS.sub("", str(text))).split())
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


@dataclass
class Explorer:
    """What the page embeds: ``payload`` (see :func:`build`) and the sample's figures."""

    payload: dict[str, Any] = field(default_factory=dict)
    rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    total: int = 0
    shown: int = 0
    cap: int | None = None  # None: every pair is listed


def quarter_key(ts: pd.Series) -> pd.Series:
    p = pd.to_datetime(ts)
    return p.dt.year.astype(str) + " Q" + p.dt.quarter.astype(str)


def cap_for(counts: np.ndarray, budget: int) -> int | None:
    """The largest per-cell cap keeping ``sum(min(count, cap))`` within ``budget``; None when
    everything fits. At least 1: every cell keeps a row, even past a budget smaller than the
    number of cells (a few thousand at most: framework x quarter x category)."""
    if counts.sum() <= budget:
        return None
    lo, hi = 1, int(counts.max())
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if np.minimum(counts, mid).sum() <= budget:
            lo = mid
        else:
            hi = mid - 1
    return lo


def evidence_text(evidence: str | None, confidence: float | None) -> str:
    """The strongest items of the classifier's evidence, ``file:line seen``, and confidence."""
    try:
        items = json.loads(evidence or "[]")
    except ValueError:
        items = []
    if not isinstance(items, list):
        items = []
    items = [e for e in items if isinstance(e, dict)]
    strong = sorted((e for e in items if _weight(e) > 0), key=lambda e: -_weight(e))
    chosen = strong[:EVIDENCE_ITEMS] or items[:1]
    parts = []
    for e in chosen:
        where = str(e.get("file") or "")
        if where and e.get("line"):
            where += f":{e['line']}"
        seen = neutral(str(e.get("seen", "")), MAX_EVIDENCE)
        parts.append(f"{neutral(where, 60)} {seen}".strip())
    text = "; ".join(p for p in parts if p) or "no evidence stored"
    return text + (f" (confidence {confidence:.2f})" if confidence is not None else "")


def _weight(e: dict[str, Any]) -> float:
    try:
        return float(e.get("weight") or 0.0)
    except (TypeError, ValueError):
        return 0.0


def build(conn: sqlite3.Connection, links: pd.DataFrame, names: pd.DataFrame,
          budget: int = EXPLORER_BUDGET, byte_budget: int = EXPLORER_BYTES) -> Explorer:
    """The explorer over the official (paper, repository) pairs of ``links``: every pair when
    they fit ``budget`` rows and ``byte_budget`` bytes, else at most ``cap`` per cell."""
    off = links[links["official"]]
    if off.empty:
        return Explorer()
    d = pd.DataFrame({
        "arxiv_id": off["arxiv_id"].astype(str), "repo": off["repo"].astype(str),
        "label": off["framework"].astype(str), "published": off["published"],
        "status": off["status"].astype(str),
    })
    d["quarter"] = quarter_key(d["published"])
    d["category"] = category_group(off["primary"]).to_numpy()
    named = dict(zip(names["repo"], names["name"], strict=True))
    d["name"] = np.where(d["label"] == "other", [named.get(r, "") for r in d["repo"]], "")
    cell = ["label", "name", "quarter", "category"]
    # The pick is a hash of the pair (stable across runs, unrelated to the label).
    d["h"] = pd.util.hash_pandas_object(d[["arxiv_id", "repo"]], index=False).to_numpy()
    d = d.sort_values([*cell, "h"], kind="mergesort")
    d["rank"] = d.groupby(cell, sort=False).cumcount()
    counts = d.groupby(cell, sort=True).size()
    cap = cap_for(counts.to_numpy(), budget)
    keep = d if cap is None else d[d["rank"] < cap]
    keep = keep.sort_values(["published", "arxiv_id", "repo"], ascending=[False, True, True])
    titles = tables.paper_titles(conn, keep["arxiv_id"].unique().tolist())
    evidence = tables.classification_evidence(conn, keep["repo"].unique().tolist())
    payload = _payload(keep, counts, titles, evidence)
    # Long titles and evidence: lower the cap until the rows fit their bytes too.
    sizes = np.array([len(json.dumps(r, ensure_ascii=False).encode()) for r in payload["rows"]])
    ranks = keep["rank"].to_numpy()
    while sizes.sum() > byte_budget and int(ranks.max(initial=0)) > 0:
        cap = int(ranks.max())
        fits = ranks < cap
        keep, sizes, ranks = keep[fits], sizes[fits], ranks[fits]
        payload["rows"] = [r for r, ok in zip(payload["rows"], fits, strict=True) if ok]
    return Explorer(payload=payload, rows=keep, total=len(d), shown=len(keep), cap=cap)


def _payload(keep: pd.DataFrame, counts: pd.Series, titles: dict[str, str],
             evidence: dict[str, tuple[str, float, str]]) -> dict[str, Any]:
    quarters = sorted(set(counts.index.get_level_values("quarter")))
    other = sorted({n for n in counts.index.get_level_values("name") if n})
    q_at = {q: i for i, q in enumerate(quarters)}
    n_at = {n: i for i, n in enumerate(other)}
    l_at = {label: i for i, label in enumerate(EXPLORER_LABELS)}
    c_at = {c: i for i, c in enumerate(CATEGORY_GROUPS)}
    rows = []
    for r in keep.itertuples(index=False):
        if r.label == "unknown":
            ev = f"not classified (repository {neutral(r.status, 20) or 'not fetched'})"
        else:
            text, conf, _ = evidence.get(r.repo, ("[]", None, ""))
            ev = evidence_text(text, conf)
        rows.append([neutral(r.arxiv_id, 30), neutral(titles.get(r.arxiv_id, ""), MAX_TITLE),
                     neutral(r.repo, 120), l_at[r.label], n_at.get(r.name, -1),
                     q_at[r.quarter], c_at[r.category], f"{r.published:%Y-%m-%d}", ev])
    cells = [[l_at[lab], n_at.get(name, -1), q_at[q], c_at[cat], int(n)]
             for (lab, name, q, cat), n in counts.items()]
    return {"labels": list(EXPLORER_LABELS), "names": [NAMES[x] for x in EXPLORER_LABELS],
            "other": other, "quarters": quarters,
            "categories": list(CATEGORY_GROUPS), "rows": rows, "cells": cells}


def embed(payload: dict[str, Any]) -> str:
    """``payload`` as JSON that is safe inside ``<script type="application/json">``."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text
