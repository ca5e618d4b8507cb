"""PyTorch / (PyTorch + TensorFlow) per conference and year, beside the published figures.

The published per-conference figures (Horace He, The Gradient, 2019) count the papers of one
conference's main track; so do we: a paper's venue comes from :func:`analysis.venues.venue_of`
and workshop papers are left out (their code, often a side project, is another population).
A paper weighs one, split over its classified official repositories (``w_off``); the ratio's
95 % interval is Wilson's, computed on those (fractional) counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import yaml

from analysis.intervals import wilson
from analysis.venues import VENUES

CLASSIFIED = ("pytorch", "tensorflow", "jax", "other", "none")
RATIO_COLUMNS = ["venue", "year", "pytorch", "tensorflow", "n", "papers", "ratio", "low", "high"]
_ORDER = {name: i for i, name in enumerate(VENUES)}
_NAME_IN_TEXT = re.compile(r"(?<![A-Za-z])(" + "|".join(VENUES) + r"|NIPS)(?![A-Za-z])")
_YEAR_IN_TEXT = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


@dataclass(frozen=True)
class PublishedFigure:
    """A published PyTorch / (PyTorch + TensorFlow) figure for one or more conferences of a
    year (Horace He pooled ACL with NAACL, and ICML with ICLR)."""

    venues: tuple[str, ...]
    year: int
    value: float
    relation: str  # "=", ">" (above), "<" (under), "~" (about), as the study stated it
    study: str
    counted: str
    url: str


def venue_ratios(frame: pd.DataFrame, weight: str = "w_off") -> pd.DataFrame:
    """One row per (venue, year) of main-conference papers: the PyTorch and TensorFlow
    weights (``pytorch``, ``tensorflow``), their sum ``n``, the weight of all classified
    papers ``papers``, and ``ratio`` = pytorch / n with its Wilson 95 % ``low`` and ``high``.

    ``frame`` has columns ``venue``, ``year``, ``framework`` and ``weight``, and optionally
    ``workshop`` (rows where it is true are dropped). Rows without a listed venue or a year,
    or with an unclassified framework, count nothing. Ordered as :data:`VENUES`, then year.
    """
    missing = [c for c in ("venue", "year", "framework", weight) if c not in frame.columns]
    if missing:
        raise ValueError(f"venue_ratios needs the column(s) {', '.join(missing)}")
    d = frame[frame["venue"].isin(VENUES) & frame["year"].notna()]
    if "workshop" in d.columns:
        d = d[~d["workshop"].fillna(False).astype(bool)]
    d = d[d["framework"].astype(str).isin(CLASSIFIED)]
    if d.empty:
        return pd.DataFrame(columns=RATIO_COLUMNS)
    d = d.assign(year=d["year"].astype(int), w=d[weight].astype(float))
    by = d.pivot_table(index=["venue", "year"], columns="framework", values="w", aggfunc="sum",
                       fill_value=0.0).reindex(columns=list(CLASSIFIED), fill_value=0.0)
    out = pd.DataFrame({
        "venue": [v for v, _ in by.index], "year": [int(y) for _, y in by.index],
        "pytorch": by["pytorch"].to_numpy(float), "tensorflow": by["tensorflow"].to_numpy(float),
        "papers": by.sum(axis=1).to_numpy(float),
    })
    out["n"] = out["pytorch"] + out["tensorflow"]
    out = _with_ratio(out, "pytorch", "n", "")
    out = out[out["papers"] > 0]
    return _ordered(out)[RATIO_COLUMNS]


def _with_ratio(table: pd.DataFrame, k: str, n: str, prefix: str) -> pd.DataFrame:
    kk, nn = table[k].to_numpy(float), table[n].to_numpy(float)
    low, high = wilson(kk, nn)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(nn > 0, kk / np.where(nn > 0, nn, 1.0), np.nan)
    return table.assign(**{f"{prefix}ratio": ratio, f"{prefix}low": low, f"{prefix}high": high})


def _ordered(table: pd.DataFrame) -> pd.DataFrame:
    key = table["venue"].map(_ORDER)
    return table.assign(_k=key).sort_values(["_k", "year"]).drop(columns="_k").reset_index(
        drop=True)


def _load_measurements() -> list[dict[str, Any]]:
    path = resources.files("analysis").joinpath("data", "published_measurements.yaml")
    try:
        return list(yaml.safe_load(path.read_text(encoding="utf-8"))["measurements"])
    except (yaml.YAMLError, KeyError, TypeError) as exc:
        raise ValueError(f"published_measurements.yaml is malformed: {exc}") from exc


def published_figures(measurements: list[dict[str, Any]] | None = None
                      ) -> list[PublishedFigure]:
    """The published PyTorch / (PyTorch + TensorFlow) figures that name listed conferences
    (read from ``counted``, e.g. "ACL and NAACL 2019 papers that mention a framework"); the
    year is the one ``counted`` states, else that of ``ours.from``."""
    out = []
    for m in _load_measurements() if measurements is None else measurements:
        ours = m.get("ours") or {}
        counted = str(m.get("counted", ""))
        if ours.get("measure") != "ratio":
            continue
        names = {"NeurIPS" if n == "NIPS" else n for n in _NAME_IN_TEXT.findall(counted)}
        if not names:
            continue
        year_text = _YEAR_IN_TEXT.search(counted) or _YEAR_IN_TEXT.search(str(ours.get("from")))
        if not year_text:
            continue
        out.append(PublishedFigure(
            venues=tuple(sorted(names, key=_ORDER.__getitem__)), year=int(year_text.group(0)),
            value=float(m["value"]), relation=str(m.get("relation", "=")),
            study=str(m.get("study", "")), counted=counted, url=str(m.get("url", ""))))
    return out


_NO_FIGURE: dict[str, Any] = {"published_venues": "", "pooled_k": np.nan, "pooled_n": np.nan,
                              "published": np.nan, "relation": "", "study": "", "url": ""}


def _with_blanks(table: pd.DataFrame, figures: list[PublishedFigure]) -> pd.DataFrame:
    """Add a row of zeros for each venue and year a study measured and we have no paper for."""
    have = set(zip(table["venue"], table["year"], strict=True))
    blanks = [{"venue": v, "year": f.year, "pytorch": 0.0, "tensorflow": 0.0, "n": 0.0,
               "papers": 0.0, "ratio": np.nan, "low": np.nan, "high": np.nan}
              for f in figures for v in f.venues if (v, f.year) not in have]
    if blanks:
        table = pd.concat([table, pd.DataFrame(blanks, columns=RATIO_COLUMNS)],
                          ignore_index=True)
    return table.astype({"year": int})


def _figure_columns(table: pd.DataFrame, figures: list[PublishedFigure]
                    ) -> dict[tuple[str, int], dict[str, Any]]:
    """Per (venue, year), the published figure's columns and our counts pooled the same way."""
    out: dict[tuple[str, int], dict[str, Any]] = {}
    for f in figures:
        group = table[table["venue"].isin(f.venues) & (table["year"] == f.year)]
        columns = {"published_venues": "+".join(f.venues),
                   "pooled_k": float(group["pytorch"].sum()),
                   "pooled_n": float(group["n"].sum()), "published": f.value,
                   "relation": f.relation, "study": f.study, "url": f.url}
        for venue in f.venues:
            out.setdefault((venue, f.year), columns)
    return out


def pair_with_published(ratios: pd.DataFrame,
                        measurements: list[dict[str, Any]] | None = None) -> pd.DataFrame:
    """Each of our (venue, year) ratios (a :func:`venue_ratios` table) beside the published
    figure for that venue and year, if any: ``published``, ``relation``, ``published_venues``
    ("ACL+NAACL"), ``study``, ``url``, and our ratio pooled over the same venues as the study
    pooled them (``pooled_ratio``, ``pooled_low``, ``pooled_high``, ``pooled_n``). A venue
    and year the study measured but we have no paper for is a row with ``n`` = 0."""
    figures = published_figures(measurements)
    table = _with_blanks(ratios[RATIO_COLUMNS].copy(), figures)
    columns = _figure_columns(table, figures)
    rows = [{**rec, **columns.get((str(rec["venue"]), int(rec["year"])), _NO_FIGURE)}
            for rec in table.to_dict("records")]
    out = _with_ratio(pd.DataFrame(rows), "pooled_k", "pooled_n", "pooled_")
    return _ordered(out.drop(columns="pooled_k"))
