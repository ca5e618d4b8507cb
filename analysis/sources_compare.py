"""What the other link sources change: coverage by source, the bias of abstract-only coverage,
and survey's labels against Papers With Code's.

* **Coverage by source**: papers with an official code link per year, from the abstract and
  comment alone and from every source (PwC archive, Hugging Face Papers).
* **The bias of abstract-only coverage**, where PwC overlaps (papers first published from
  2018 to July 2025, when PwC closed): each label's share of papers with classified official
  code from abstract/comment links only, from all sources, and among the papers only the other
  sources found, with 95% Wilson intervals; the difference between the last and the first with
  Newcombe's hybrid interval (the two groups share no paper, so the independence it assumes
  holds). A difference whose interval excludes zero means abstract-only shares are biased for
  that label, and so are the months after PwC's end, which only abstracts and Hugging Face see.
* **Agreement with Papers With Code** on the repositories both labelled: the confusion matrix
  (rows survey, columns PwC), the agreement rate with its Wilson interval, Cohen's kappa with
  the asymptotic interval of Fleiss, Cohen and Everitt (1969) (no resampling: the figure is the
  same on every run), and the most frequent disagreements with example repositories, most linked
  first, so a reader can open them and judge who is right. PwC's label comes from its own import
  scan ("none": it found no framework).

Everything is computed here from :mod:`survey.store.sources`; the page shows it in three blocks
and the data go to CSV files beside the page.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from markupsafe import Markup

from analysis.intervals import Z95, newcombe_difference, share_interval
from survey.core import vocab
from survey.store import sources as store

LABELS: tuple[str, ...] = tuple(str(x) for x in vocab.KNOWN_LABELS)
NAMES = {"pytorch": "PyTorch", "tensorflow": "TensorFlow", "jax": "JAX",
         "other": "other framework", "none": "no DL framework"}
# Papers With Code's span: its archive's links, first versions from 2018 to its close.
PWC_SPAN = ("2018-01-01", "2025-08-01")
CODE_KINDS = tuple(sorted(vocab.REPOSITORY_KINDS - vocab.NOT_CODE_KINDS))
NOT_CODE = tuple(sorted(vocab.NOT_CODE_KINDS | vocab.PAGE_KINDS))
TOP_DISAGREEMENTS = 8
EXAMPLES = 3


@dataclass
class Agreement:
    """survey's label against PwC's on the repositories both labelled."""

    matrix: pd.DataFrame           # rows survey's label, columns PwC's, counts
    n: int
    agree: int
    rate: float
    rate_low: float
    rate_high: float
    kappa: float
    kappa_low: float
    kappa_high: float
    disagreements: list[dict[str, object]]   # most frequent (survey, pwc) pairs, with examples
    repos: pd.DataFrame            # every disagreeing repository (CSV)


@dataclass
class SourcesComparison:
    """The three sections' figures, charts and CSV frames."""

    coverage: pd.DataFrame
    bias: pd.DataFrame | None
    bias_papers: dict[str, int]
    agreement: Agreement | None
    span: tuple[str, str] = PWC_SPAN
    figures: dict[str, go.Figure] = field(default_factory=dict)
    html: dict[str, Markup] = field(default_factory=dict)

    @property
    def biased(self) -> list[dict[str, Any]]:
        """The labels whose abstract-only share differs (the difference's interval excludes 0)."""
        if self.bias is None:
            return []
        return [dict(r) for _, r in self.bias[self.bias["biased"]].iterrows()]

    @property
    def verdict(self) -> str:
        """What the bias section concludes, in one or two sentences."""
        if self.bias is None:
            return ""
        biased = self.biased
        if biased:
            parts = ", ".join(f"{NAMES[str(r['label'])]} ({100 * float(r['diff']):+.1f} points"
                              f" among the papers only the other sources found, 95% interval"
                              f" {100 * float(r['diff_low']):+.1f} to"
                              f" {100 * float(r['diff_high']):+.1f})" for r in biased)
            return (f"Abstract-only shares are biased for {parts}: the months after Papers With"
                    " Code's end, which only abstracts and Hugging Face see, carry that bias.")
        widest = self.bias.loc[self.bias["diff"].abs().idxmax()]
        return ("No difference is significant: every interval includes zero (the largest,"
                f" {NAMES[str(widest['label'])]} {100 * widest['diff']:+.1f} points, runs from"
                f" {100 * widest['diff_low']:+.1f} to {100 * widest['diff_high']:+.1f}). At this"
                " sample size abstract-only shares show no bias; more papers narrow the"
                " intervals.")

    def render(self, *, plotlyjs: bool) -> None:
        """Each chart as a div (plotly.js with the first only when the page has none yet)."""
        for i, (div, fig) in enumerate(self.figures.items()):
            self.html[div] = Markup(fig.to_html(
                full_html=False, include_plotlyjs=plotlyjs and i == 0, div_id=div,
                config={"displaylogo": False, "responsive": True}))

    def csv_files(self, folder: Path) -> dict[Path, str]:
        """CSV text by path: ``sources-coverage``, ``sources-bias``, ``sources-agreement``,
        ``sources-disagreements``."""
        frames = {"sources-coverage": self.coverage, "sources-bias": self.bias}
        if self.agreement is not None:
            frames["sources-agreement"] = self.agreement.matrix.reset_index()
            frames["sources-disagreements"] = self.agreement.repos
        return {folder / f"{name}.csv": frame.round(6).to_csv(index=False)
                for name, frame in frames.items() if frame is not None}


# -- coverage by source ----------------------------------------------------------------------

def coverage_by_source(conn: sqlite3.Connection) -> pd.DataFrame:
    """Per year: papers, and papers with official code from text links, PwC, HF, any source."""
    names, rows = store.coverage_by_source(conn, CODE_KINDS)
    df = pd.DataFrame.from_records(rows, columns=names)
    if df.empty:
        return pd.DataFrame(columns=["year", "papers", "text", "pwc", "hf", "all", "added",
                                     "text_share", "all_share"])
    for col in ("papers", "text", "pwc", "hf", "all"):
        df[col] = df[col].astype(int)
    df["added"] = df["all"] - df["text"]
    df["text_share"] = df["text"] / df["papers"]
    df["all_share"] = df["all"] / df["papers"]
    return df


def coverage_chart(cov: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    for col, name, color in (("text", "abstract or comment", "#8c959f"),
                             ("all", "all sources", "#0969da")):
        fig.add_bar(x=cov["year"], y=cov[col], name=name, marker_color=color,
                    customdata=np.stack([cov[f"{col}_share"] * 100, cov["papers"]], axis=-1),
                    hovertemplate="%{x}: %{y:,} papers with official code (%{customdata[0]:.1f}%"
                                  " of %{customdata[1]:,} harvested)<extra>" + name + "</extra>")
    fig.update_layout(barmode="group", height=380, margin={"l": 50, "r": 20, "t": 30, "b": 40},
                      yaxis_title="papers with an official code link", legend_orientation="h")
    return fig


# -- the bias of abstract-only coverage ------------------------------------------------------

def _weights(paper: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = np.zeros(len(paper))
    if mask.any():
        counts = pd.Series(mask.astype(int)).groupby(paper).transform("sum").to_numpy()
        out[mask] = 1.0 / counts[mask]
    return out


def _shares(df: pd.DataFrame, weight: str, papers: set[int]) -> dict[str, tuple[float, ...]]:
    n = float(len(papers))
    sub = df[df["paper"].isin(papers)]
    k = sub.groupby("framework")[weight].sum()
    return {label: (float(k.get(label, 0.0)), n, *share_interval(float(k.get(label, 0.0)), n))
            for label in LABELS}


def abstract_only_bias(conn: sqlite3.Connection, span: tuple[str, str] = PWC_SPAN
                       ) -> tuple[pd.DataFrame | None, dict[str, int]]:
    """Shares from text links only, from all sources, and among papers only the other sources
    found; the last minus the first with Newcombe's interval (module doc). None without data."""
    names, rows = store.paper_repo_verdicts(conn, exclude_kinds=NOT_CODE, since=span[0],
                                            until=span[1])
    df = pd.DataFrame.from_records(rows, columns=names)
    if df.empty:
        return None, {}
    paper = df["paper"].to_numpy()
    known = (df["framework"] != "unknown").to_numpy()
    text = known & (df["text_official"].fillna(0).to_numpy() == 1)
    every = known & (df["any_official"].to_numpy() == 1)
    df["w_text"] = _weights(paper, text)
    df["w_all"] = _weights(paper, every)
    text_papers = set(paper[text].tolist())
    all_papers = set(paper[every].tolist())
    other_papers = all_papers - text_papers
    counts = {"text": len(text_papers), "all": len(all_papers), "other": len(other_papers)}
    if not text_papers or not other_papers:
        return None, counts
    t = _shares(df, "w_text", text_papers)
    a = _shares(df, "w_all", all_papers)
    o = _shares(df, "w_all", other_papers)
    out = []
    for label in LABELS:
        diff, lo, hi = newcombe_difference(o[label][0], o[label][1], t[label][0], t[label][1])
        out.append({"label": label,
                    "text_papers": t[label][0], "text_n": t[label][1], "text_share": t[label][2],
                    "text_low": t[label][3], "text_high": t[label][4],
                    "all_papers": a[label][0], "all_n": a[label][1], "all_share": a[label][2],
                    "all_low": a[label][3], "all_high": a[label][4],
                    "other_papers": o[label][0], "other_n": o[label][1],
                    "other_share": o[label][2], "other_low": o[label][3],
                    "other_high": o[label][4],
                    "diff": diff, "diff_low": lo, "diff_high": hi,
                    "biased": bool(lo > 0 or hi < 0)})
    return pd.DataFrame(out), counts


def bias_chart(bias: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    x = [NAMES[label] for label in bias["label"]]
    for key, name, color in (("text", "abstract or comment only", "#8c959f"),
                             ("all", "all sources", "#0969da"),
                             ("other", "found only by PwC or Hugging Face", "#bf8700")):
        share = bias[f"{key}_share"] * 100
        fig.add_bar(x=x, y=share, name=name, marker_color=color,
                    error_y={"type": "data", "symmetric": False,
                             "array": bias[f"{key}_high"] * 100 - share,
                             "arrayminus": share - bias[f"{key}_low"] * 100},
                    hovertemplate="%{x}: %{y:.1f}%<extra>" + name + "</extra>")
    fig.update_layout(barmode="group", height=380, margin={"l": 50, "r": 20, "t": 30, "b": 40},
                      yaxis_title="share of papers with classified code (%)",
                      legend_orientation="h")
    return fig


# -- agreement with Papers With Code ---------------------------------------------------------

def cohen_kappa(matrix: np.ndarray) -> tuple[float, float]:
    """Cohen's kappa of a square count matrix and its large-sample standard error
    (Fleiss, Cohen & Everitt 1969, the variance without assuming kappa is zero)."""
    m = np.asarray(matrix, dtype=float)
    n = m.sum()
    if n <= 0:
        return float("nan"), float("nan")
    p = m / n
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    po, pe = float(np.trace(p)), float(rows @ cols)
    if pe >= 1:
        return float("nan"), float("nan")
    kappa = (po - pe) / (1 - pe)
    diag = np.diag(p)
    a = float(np.sum(diag * ((1 - pe) - (cols + rows) * (1 - po)) ** 2))
    off = p.copy()
    np.fill_diagonal(off, 0.0)
    b = (1 - po) ** 2 * float(np.sum(off * (cols[:, None] + rows[None, :]) ** 2))
    c = (po * pe - 2 * pe + po) ** 2
    var = max(a + b - c, 0.0) / (n * (1 - pe) ** 4)
    return float(kappa), math.sqrt(var)


def pwc_agreement(conn: sqlite3.Connection) -> Agreement | None:
    """survey against PwC on the repositories both labelled (module doc); None if none."""
    names, rows = store.pwc_labelled(conn)
    df = pd.DataFrame.from_records(rows, columns=names).drop_duplicates("repo")
    if df.empty:
        return None
    matrix = pd.crosstab(pd.Categorical(df["survey"], LABELS),
                         pd.Categorical(df["pwc"], LABELS), dropna=False)
    matrix.index.name, matrix.columns.name = "survey", "pwc"
    counts = matrix.to_numpy()
    n = int(counts.sum())
    agree = int(np.trace(counts))
    rate, lo, hi = share_interval(agree, n)
    kappa, se = cohen_kappa(counts)
    wrong = df[df["survey"] != df["pwc"]].sort_values(["papers", "repo"],
                                                      ascending=[False, True])
    pairs = (wrong.groupby(["survey", "pwc"]).size().sort_values(ascending=False)
             .head(TOP_DISAGREEMENTS))
    listed = []
    for (ours, theirs), count in pairs.items():
        ex = wrong[(wrong["survey"] == ours) & (wrong["pwc"] == theirs)].head(EXAMPLES)
        listed.append({"survey": ours, "pwc": theirs, "count": int(count),
                       "examples": [{"repo": r.repo, "token": r.token, "papers": int(r.papers),
                                     "confidence": float(r.confidence)}
                                    for r in ex.itertuples()]})
    return Agreement(matrix=matrix, n=n, agree=agree, rate=rate, rate_low=lo, rate_high=hi,
                     kappa=kappa, kappa_low=kappa - Z95 * se, kappa_high=kappa + Z95 * se,
                     disagreements=listed,
                     repos=wrong[["repo", "survey", "pwc", "token", "confidence", "papers"]])


# -- the whole ------------------------------------------------------------------------------

def compare_sources(conn: sqlite3.Connection) -> SourcesComparison | None:
    """The three sections, or None when no link came from another source than the text."""
    if not store.has_other_sources(conn) and not store.has_pwc(conn):
        return None
    coverage = coverage_by_source(conn)
    bias, counts = abstract_only_bias(conn)
    agreement = pwc_agreement(conn) if store.has_pwc(conn) else None
    out = SourcesComparison(coverage, bias, counts, agreement)
    out.figures["chart-sources-coverage"] = coverage_chart(coverage)
    if bias is not None:
        out.figures["chart-sources-bias"] = bias_chart(bias)
    return out
