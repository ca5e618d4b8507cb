"""The measured quality of the pipeline's judgements, as the methodology states them.

Two measurements are packaged with the code, each written by its benchmark: the classifier's
accuracy on labelled repositories (``classifier_eval.json``) and the link extraction's and the
``official`` rule's figures on labelled real text (``links_eval.json``). The page prints each
with its 95 % Wilson interval and its counts: a few dozen examples leave a wide interval, and
"100 %" alone would overstate it. The files are read, never copied: a new measurement shows up
on the next report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

import pandas as pd

from analysis.intervals import share_interval

# The links figures the methodology states, in its order, with what each measures.
LINK_FIGURES = {
    "extraction_precision": "extraction precision (found links that are real repository links)",
    "github_recall": "GitHub recall (GitHub repository links found)",
    "repository_recall": "repository recall (repository links of any host found)",
    "official_precision": "official precision (links judged the paper's own code that are)",
    "mention_recall": "mention recall (links to tools and baselines judged as mentions)",
    "official_accuracy": "official rule accuracy (own code vs mention, all repository links)",
}


def _packaged(name: str) -> dict[str, Any]:
    path = resources.files("analysis").joinpath("data", name)
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def classifier_eval() -> dict[str, Any]:
    """analysis/data/classifier_eval.json (written by the classifier's benchmark), or {}."""
    return _packaged("classifier_eval.json")


def links_eval() -> dict[str, Any]:
    """analysis/data/links_eval.json (written by benchmarks/links_official_eval.py), or {}."""
    return _packaged("links_eval.json")


def _interval(k: float, n: int) -> str:
    _, lo, hi = share_interval(k, n) if n > 0 else (0.0, float("nan"), float("nan"))
    return "" if pd.isna(lo) else f" (95% interval {100 * lo:.1f}% to {100 * hi:.1f}%)"


def classifier_accuracy(info: dict[str, Any]) -> str:
    """The classifier's measured accuracy in words ("not measured" without a measurement)."""
    try:
        acc = float(info["accuracy"])
        n = int(info.get("n", 0))
    except (KeyError, TypeError, ValueError):
        return "not measured"
    text = f"{100 * acc:.1f}%{_interval(acc * n, n)} on {n:,} labelled repositories"
    extra = [f"version {info['classifier_version']}" if info.get("classifier_version") else "",
             f"measured on {info['measured_on']}" if info.get("measured_on") else "",
             str(info.get("date", ""))]
    extra = [e for e in extra if e]
    return text + (f" ({', '.join(extra)})" if extra else "")


@dataclass(frozen=True)
class Figure:
    """One measured proportion: ``k`` of ``n``, in words with its interval."""

    key: str
    what: str
    k: int
    n: int

    @property
    def text(self) -> str:
        if self.n <= 0:
            return "not measured (no examples)"
        return f"{100 * self.k / self.n:.1f}%{_interval(self.k, self.n)}, {self.k} of {self.n}"


@dataclass(frozen=True)
class LinksEval:
    """The held-out figures of links_eval.json and where they were measured."""

    figures: list[Figure]
    source: str


def links_figures(info: dict[str, Any], split: str = "held") -> LinksEval | None:
    """The ``split`` figures (held-out text by default), or None when not measured."""
    block = info.get(split)
    if not isinstance(block, dict):
        return None
    figures = []
    for key, what in LINK_FIGURES.items():
        f = block.get(key)
        if not isinstance(f, dict):
            continue
        try:
            figures.append(Figure(key, what, int(f["k"]), int(f["n"])))
        except (KeyError, TypeError, ValueError):
            continue
    if not figures:
        return None
    sets = info.get("sets", {}).get(split, {}) if isinstance(info.get("sets"), dict) else {}
    words = [f"{split}-out set" if split == "held" else f"{split} set"]
    if isinstance(sets, dict) and sets.get("records"):
        words.append(f"{sets['records']} records, {sets.get('links', '?')} links")
    for key, label in (("measured_on", "labelled text"), ("judge", "judge"),
                       ("links_version", "links version"), ("date", "")):
        if info.get(key):
            words.append(f"{label} {info[key]}".strip())
    return LinksEval(figures=figures, source=", ".join(str(w) for w in words))
