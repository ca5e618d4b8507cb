"""What the page states, in three forms: the headline sentence, the tiles, and ``--json``.

All three are computed from the same window counts as the claims, so a tile can never say
JAX 6.3 % where the C2 table says 6.8 %: PyTorch's tile is C1's figure (of papers with
classified code), the others are C2's (of papers whose code uses a deep-learning framework).
``--json`` is byte-identical for the same database and as-of day: no time of the run in it,
keys sorted, floats rounded.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis.claims import (
    INCONCLUSIVE,
    NOT_ENOUGH,
    NOT_SUPPORTED,
    SUPPORTED,
    Claim,
    Windows,
    interval_text,
    pct,
)
from analysis.dataset import DL_LABELS, LABELS
from analysis.intervals import share_interval

DENOMINATORS = {
    "classified": ("papers with classified code", LABELS),
    "deep_learning": ("papers whose code uses a deep-learning framework", DL_LABELS),
}


@dataclass(frozen=True)
class Share:
    """One share of the window with its Wilson interval and denominator."""

    key: str
    name: str
    papers: float
    n: float
    share: float
    low: float
    high: float
    denominator: str

    @property
    def value(self) -> str:
        return pct(self.share)

    @property
    def interval(self) -> str:
        return interval_text(self.low, self.high)


def window_shares(last: pd.Series) -> dict[str, dict[str, Share]]:
    """Every label's share over both denominators, from the window's label counts."""
    out: dict[str, dict[str, Share]] = {}
    for key, (words, labels) in DENOMINATORS.items():
        n = float(last[list(labels)].sum())
        out[key] = {}
        for label in labels:
            k = float(last[label])
            share, lo, hi = share_interval(k, n)
            out[key][label] = Share(label, label, k, n, share, lo, hi, words)
        if key == "deep_learning":
            k = float(last["pytorch"] + last["tensorflow"])
            share, lo, hi = share_interval(k, n)
            out[key]["pytorch+tensorflow"] = Share("pytorch+tensorflow", "", k, n, share, lo,
                                                   hi, words)
    return out


def tiles(shares: dict[str, dict[str, Share]]) -> list[tuple[str, Share]]:
    """The headline tiles: (title, share), each with the denominator of its claim."""
    dl = shares["deep_learning"]
    return [("PyTorch (C1)", shares["classified"]["pytorch"]),
            ("PyTorch + TensorFlow (C2)", dl["pytorch+tensorflow"]),
            ("TensorFlow (C2)", dl["tensorflow"]), ("JAX (C2)", dl["jax"])]


def headline(claims: list[Claim], windows: Windows, min_papers: int) -> str:
    """One sentence answering the article's claim in plain words, with its numbers."""
    c = {claim.key: claim for claim in claims}
    c1, c2, c3 = c["C1"], c["C2"], c["C3"]
    if windows.empty:
        return "No answer yet: the database holds no papers."
    if c1.verdict == NOT_ENOUGH:
        return (f"Not enough data to answer: only {_n(c1.n)} papers with classified code were"
                f" first published {windows.label}, fewer than the {min_papers:,} the claims"
                " need.")
    if c1.verdict == SUPPORTED and c3.verdict == SUPPORTED:
        answer = "Yes, mostly"
    elif c1.verdict == NOT_SUPPORTED:
        answer = "No"
    elif c1.verdict == SUPPORTED and c3.verdict == NOT_SUPPORTED:
        answer = "Partly"
    else:
        answer = "Not clearly"
    sentence = (f"{answer}: of the {_n(c1.n)} arXiv papers with classified code first published"
                f" {windows.label}, {c1.value} use PyTorch (95% interval {c1.interval}, claim"
                f" {c1.verdict})")
    if c2.verdict != NOT_ENOUGH:
        sentence += (f"; PyTorch and TensorFlow together make {c2.value} of those using a"
                     f" deep-learning framework ({c2.interval}, {c2.verdict})")
    if c3.verdict != NOT_ENOUGH:
        dying = ("every older framework is below the threshold or falling"
                 if c3.verdict == SUPPORTED else c3.reason if c3.verdict != INCONCLUSIVE
                 else "whether every older framework is dead or dying is inconclusive")
        sentence += f"; the largest older framework holds {c3.value} ({c3.interval}): {dying}"
    return sentence + "."


def _n(x: float) -> str:
    return "0" if pd.isna(x) else f"{x:,.0f}"


def _num(x: Any, digits: int) -> Any:
    """A float rounded for JSON (None for NaN), other values unchanged."""
    if isinstance(x, float):
        return None if math.isnan(x) or math.isinf(x) else round(x, digits)
    return x


def claim_json(claim: Claim) -> dict[str, Any]:
    if claim.key == "C4":
        value: Any = None if claim.value == "n/a" else claim.value
        low: Any = None if claim.date_low is None else f"{claim.date_low:%Y-%m}"
        high: Any = None if claim.date_high is None else f"{claim.date_high:%Y-%m}"
        extra = {"replicates_crossing": _num(claim.estimate, 4)}
    else:
        value, low, high = (_num(claim.estimate, 4), _num(claim.low, 4), _num(claim.high, 4))
        extra = {}
    return {"id": claim.key, "claim": claim.statement, "metric": claim.metric, "value": value,
            "low": low, "high": high, "threshold": _num(claim.threshold_value, 4),
            "n": _num(claim.n, 2), "verdict": claim.verdict, "reason": claim.reason, **extra}


def shares_json(shares: dict[str, dict[str, Share]]) -> dict[str, Any]:
    return {key: {"denominator": DENOMINATORS[key][0],
                  "n": _num(next(iter(group.values())).n, 2),
                  "labels": {label: {"papers": _num(s.papers, 2), "share": _num(s.share, 4),
                                     "low": _num(s.low, 4), "high": _num(s.high, 4)}
                             for label, s in group.items()}}
            for key, group in shares.items()}


def report_json(*, as_of: str | None, windows: Windows, months: int, claims: list[Claim],
                shares: dict[str, dict[str, Share]], stamp: dict[str, Any],
                sentence: str) -> str:
    """``survey report --json``: the page's statements, the same bytes on every run."""
    doc = {
        "as_of": as_of,
        "window": None if windows.empty else {
            "start": f"{windows.start:%Y-%m-%d}", "end": f"{windows.end:%Y-%m-%d}",
            "previous_start": f"{windows.prev_start:%Y-%m-%d}", "months": months},
        "headline": sentence,
        "claims": [claim_json(c) for c in claims],
        "shares": shares_json(shares),
        "stamp": stamp,
    }
    return json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
