"""Database to pandas frames: the units the report counts, and the aggregates it draws.

The unit is a paper with its own (official) code repository, dated by its first version. Its
label is its repository's; a paper with several official repositories counts once for each,
weighted so that the paper sums to one. A repository linked under an old name is followed to
its canonical name through ``repo_aliases``. A repository with no classification (not fetched,
or nothing to judge) is ``unknown``: left out of the shares, counted in the coverage figures.
Everything is aggregated here, before plotting, so the page stays small whatever the data size.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from analysis.asof import default_as_of
from analysis.intervals import wilson
from survey.core import vocab
from survey.store import tables

LABELS: tuple[str, ...] = ("pytorch", "tensorflow", "jax", "other", "none")
ALL_LABELS: tuple[str, ...] = (*LABELS, "unknown")
DL_LABELS: tuple[str, ...] = ("pytorch", "tensorflow", "jax", "other")
DL_NAMES = {"pytorch": "PyTorch", "tensorflow": "TensorFlow", "jax": "JAX",
            "other": "other frameworks"}
# Link kinds that are not code: pages of every kind, a model's weights or a data set.
NOT_CODE_KINDS: tuple[str, ...] = tuple(sorted(vocab.NOT_CODE_KINDS | vocab.PAGE_KINDS))
# Repository statuses meaning "the fetch stage got its files".
FETCHED_STATUSES: tuple[str, ...] = ("ok", "truncated", "empty")
CATEGORY_GROUPS: tuple[str, ...] = ("cs.CV", "cs.CL", "cs.LG", "stat.ML", "cs.AI", "others")
# The frameworks the article calls dead or dying, with the names the classifier may give them
# in its ``frameworks`` scores. Keras here is standalone ``import keras`` (tf.keras counts as
# tensorflow in the classifier's evidence and never produces the ``keras`` name alone).
DYING: dict[str, tuple[str, ...]] = {
    "Theano": ("theano", "lasagne"),
    "Caffe": ("caffe", "caffe2"),
    "Keras (standalone)": ("keras",),
    "MXNet": ("mxnet", "gluon", "gluoncv", "gluonnlp"),
    "Chainer": ("chainer",),
    "CNTK": ("cntk",),
    "PaddlePaddle": ("paddlepaddle", "paddle"),
    "MindSpore": ("mindspore",),
    "Torch7 (Lua)": ("torch7", "lua-torch", "luatorch"),
}

# Share of a repository's framework scores from which a framework counts as used (dying chart
# and claim C3); below it the framework is only mentioned (a requirement line, a utility).
MIN_USE_SHARE = 0.2


def window_start(as_of: date, months: int) -> pd.Timestamp:
    """First day of the claims' "last ``months`` months" ending on ``as_of`` (inclusive)."""
    return (pd.Timestamp(as_of) + pd.Timedelta(days=1) - pd.DateOffset(months=months)).normalize()


def window_end(as_of: date) -> pd.Timestamp:
    """Last day of the claims' window: ``as_of`` itself, so [window_start, window_end] holds
    exactly ``months`` months of whole days, as long as the window before it."""
    return pd.Timestamp(as_of).normalize()


def until_after(as_of: date | None) -> str | None:
    """The exclusive ``published`` bound that keeps papers up to ``as_of`` (ISO day)."""
    return None if as_of is None else (as_of + timedelta(days=1)).isoformat()


def load_links(
    conn: sqlite3.Connection, *, since: str | None = None, until: str | None = None
) -> pd.DataFrame:
    """One row per (paper, canonical repository) code link, with the weights of both views.

    Columns: ``paper`` (papers.rowid), ``arxiv_id``, ``published`` (datetime, v1 day),
    ``primary`` (category), ``repo``, ``official`` (bool), ``framework`` (label, ``unknown``
    when unclassified), ``status``, ``created`` (repository creation day), ``w_off`` (weight
    among the paper's official classified repositories, 0 for the others) and ``w_all`` (weight
    among all its classified repositories). ``since``/``until`` bound ``published`` (ISO dates,
    ``until`` exclusive).
    """
    names, rows = tables.paper_repo_links(conn, exclude_kinds=NOT_CODE_KINDS, since=since,
                                          until=until)
    df = pd.DataFrame.from_records(rows, columns=names)
    return _prepare(df)


def _prepare(df: pd.DataFrame) -> pd.DataFrame:
    if df.empty:
        df = pd.DataFrame({n: pd.Series(dtype=object) for n in (
            "paper", "arxiv_id", "published", "primary", "repo", "official", "framework",
            "status", "created")})
    df["paper"] = df["paper"].astype("int64")
    df["published"] = pd.to_datetime(df["published"], errors="coerce", format="%Y-%m-%d")
    df["created"] = pd.to_datetime(df["created"], errors="coerce", format="%Y-%m-%d")
    df["official"] = df["official"].astype(bool)
    fw = df["framework"].where(df["framework"].isin(ALL_LABELS), "unknown")
    df["framework"] = pd.Categorical(fw, categories=list(ALL_LABELS))
    df["primary"] = df["primary"].astype("category")
    known = (df["framework"] != "unknown").to_numpy()
    off_known = known & df["official"].to_numpy()
    df["w_off"] = _split_weights(df["paper"].to_numpy(), off_known)
    df["w_all"] = _split_weights(df["paper"].to_numpy(), known)
    return df


def _split_weights(paper: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """1 / (number of masked rows of the same paper) on masked rows, else 0."""
    out = np.zeros(len(paper))
    if not mask.any():
        return out
    counts = pd.Series(mask.astype(int)).groupby(paper).transform("sum").to_numpy()
    out[mask] = 1.0 / counts[mask]
    return out


def framework_shares(
    conn: sqlite3.Connection, *, months: int = 12, as_of: date | None = None
) -> dict[str, float]:
    """Share of each label among papers with classified official code, in the ``months``
    months up to ``as_of`` (default: the end of the last complete month in the data).

    Unknown is excluded; the shares sum to one. Empty dict when no such paper exists.
    """
    as_of = as_of or default_as_of(conn)
    if as_of is None:
        return {}
    df = load_links(conn, since=window_start(as_of, months).strftime("%Y-%m-%d"),
                    until=until_after(as_of))
    counts = label_counts(df, "w_off")
    total = counts.sum()
    if total <= 0:
        return {}
    return {label: float(counts[label] / total) for label in LABELS}


def label_counts(df: pd.DataFrame, weight: str = "w_off") -> pd.Series:
    """Weighted number of papers per label (LABELS order)."""
    s = df.groupby("framework", observed=False)[weight].sum()
    return s.reindex(list(LABELS), fill_value=0.0).astype(float)


def in_window(df: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Rows published in [start, end]."""
    return df[(df["published"] >= start) & (df["published"] <= end)]


def _period(dates: pd.Series, freq: str) -> pd.Series:
    return dates.dt.to_period(freq).dt.start_time


def shares_by_period(df: pd.DataFrame, freq: str = "Q", weight: str = "w_off") -> pd.DataFrame:
    """Long frame: period (start date), label, papers (weighted), n, share, low, high."""
    d = df[df[weight] > 0]
    cols = ["period", "label", "papers", "n", "share", "low", "high"]
    if d.empty:
        return pd.DataFrame(columns=cols)
    g = d.groupby([_period(d["published"], freq), "framework"], observed=False)[weight].sum()
    table = g.unstack("framework").reindex(columns=list(LABELS), fill_value=0.0).fillna(0.0)
    table.index.name = "period"
    n = table.sum(axis=1)
    long = table.stack().rename("papers").reset_index().rename(columns={"framework": "label"})
    long["n"] = long["period"].map(n)
    long["share"] = long["papers"] / long["n"]
    long["low"], long["high"] = wilson(long["papers"], long["n"])
    long["label"] = long["label"].astype(str)
    return long[cols]


def counts_by_period(df: pd.DataFrame, freq: str = "Q") -> pd.DataFrame:
    """Papers with official code per period by label; a paper whose official repositories are
    all unclassified counts one in ``unknown``. Columns: period, label, papers."""
    off = df[df["official"]]
    if off.empty:
        return pd.DataFrame(columns=["period", "label", "papers"])
    known = off[off["w_off"] > 0]
    g = known.groupby([_period(known["published"], freq), "framework"], observed=True)["w_off"]
    counts = g.sum().rename("papers").reset_index()
    per_paper = off.groupby("paper").agg(published=("published", "first"),
                                         known=("w_off", "sum"))
    unk = per_paper[per_paper["known"] == 0]
    unk_counts = unk.groupby(_period(unk["published"], freq)).size().rename("papers")
    unk_counts = unk_counts.reset_index().rename(columns={"published": "period"})
    unk_counts["framework"] = "unknown"
    counts = counts.rename(columns={"published": "period"})
    out = pd.concat([counts, unk_counts], ignore_index=True)
    out = out.rename(columns={"framework": "label"})
    out["label"] = out["label"].astype(str)
    out["papers"] = out["papers"].astype(float)
    return out[["period", "label", "papers"]].sort_values(["period", "label"]).reset_index(
        drop=True)


def ratio_by_period(df: pd.DataFrame, freq: str = "Q", weight: str = "w_off") -> pd.DataFrame:
    """PyTorch / (PyTorch + TensorFlow) per period, the conference studies' measure."""
    d = df[(df[weight] > 0) & df["framework"].isin(["pytorch", "tensorflow"])]
    cols = ["period", "pytorch", "tensorflow", "ratio", "low", "high"]
    if d.empty:
        return pd.DataFrame(columns=cols)
    g = d.groupby([_period(d["published"], freq), "framework"], observed=False)[weight].sum()
    t = g.unstack("framework").reindex(columns=["pytorch", "tensorflow"], fill_value=0.0)
    t = t.fillna(0.0)
    t.index.name = "period"
    t = t.reset_index()
    n = t["pytorch"] + t["tensorflow"]
    t["ratio"] = t["pytorch"] / n.where(n > 0)
    t["low"], t["high"] = wilson(t["pytorch"], n)
    t.columns.name = None
    return t[cols]


def category_group(primary: pd.Series) -> pd.Series:
    """Primary category folded into CATEGORY_GROUPS."""
    p = primary.astype(str)
    return p.where(p.isin(CATEGORY_GROUPS[:-1]), "others")


def shares_by_category(df: pd.DataFrame, freq: str = "Y") -> pd.DataFrame:
    """Shares per year within each category group (small multiples)."""
    d = df[df["w_off"] > 0]
    frames = []
    groups = category_group(d["primary"]) if not d.empty else pd.Series(dtype=str)
    for group in CATEGORY_GROUPS:
        part = shares_by_period(d[groups == group], freq)
        part.insert(0, "category", group)
        frames.append(part)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def dying_uses(conn: sqlite3.Connection) -> pd.DataFrame:
    """(repo, framework) for classified repositories that use a DYING framework.

    A repository uses a framework when the framework holds at least :data:`MIN_USE_SHARE` of
    the repository's framework scores: a stray ``keras`` line in a pip-freeze requirements file
    of a PyTorch project is noise, and counting it would keep a dead framework "alive".
    """
    names = {alias: display for display, aliases in DYING.items() for alias in aliases}
    rows = tables.framework_uses(conn, list(names), MIN_USE_SHARE)
    df = pd.DataFrame.from_records(rows, columns=["repo", "name"])
    df["framework"] = df["name"].map(names)
    return df[["repo", "framework"]].drop_duplicates().reset_index(drop=True)


def dying_by_year(df: pd.DataFrame, uses: pd.DataFrame) -> pd.DataFrame:
    """Per year and DYING framework: weighted papers whose repository uses it, of all papers
    with classified official code. Columns: framework, period, papers, n, share, low, high."""
    d = df[df["w_off"] > 0]
    cols = ["framework", "period", "papers", "n", "share", "low", "high"]
    if d.empty:
        return pd.DataFrame(columns=cols)
    period = _period(d["published"], "Y")
    n = d.groupby(period)["w_off"].sum()
    frames = []
    for name in DYING:
        repos = set(uses.loc[uses["framework"] == name, "repo"])
        mask = d["repo"].isin(repos)
        k = d[mask].groupby(period[mask])["w_off"].sum().reindex(n.index, fill_value=0.0)
        part = pd.DataFrame({"framework": name, "period": n.index, "papers": k.to_numpy(),
                             "n": n.to_numpy()})
        frames.append(part)
    out = pd.concat(frames, ignore_index=True)
    out["share"] = out["papers"] / out["n"]
    out["low"], out["high"] = wilson(out["papers"], out["n"])
    return out[cols]


def official_vs_all(df: pd.DataFrame, freq: str = "Q") -> pd.DataFrame:
    """Shares per period over official repositories and over every linked repository."""
    a = shares_by_period(df, freq, "w_off")
    a.insert(0, "view", "official")
    b = shares_by_period(df, freq, "w_all")
    b.insert(0, "view", "all linked")
    return pd.concat([a, b], ignore_index=True)


def repo_created_view(df: pd.DataFrame, freq: str = "Y") -> pd.DataFrame:
    """Second view: distinct official repositories dated by creation, shares per year."""
    d = df[df["official"] & (df["framework"] != "unknown") & df["created"].notna()]
    d = d.drop_duplicates("repo")
    d = d.assign(published=d["created"], w=1.0)
    return shares_by_period(d, freq, "w")


def coverage_by_year(conn: sqlite3.Connection, df: pd.DataFrame, *, until: str | None = None
                     ) -> pd.DataFrame:
    """The funnel: papers harvested, with an official code link, repository fetched,
    classified (a known label), by year of first version (papers before ``until``)."""
    rows = tables.papers_per_year(conn, until=until)
    harvested = pd.Series({int(y): int(c) for y, c in rows if str(y).isdigit()}, dtype="int64")
    off = df[df["official"]]
    if off.empty:
        per = pd.DataFrame(columns=["year", "fetched", "classified"])
    else:
        per = pd.DataFrame({
            "paper": off["paper"], "year": off["published"].dt.year,
            "fetched": off["status"].isin(FETCHED_STATUSES) | (off["framework"] != "unknown"),
            "classified": off["framework"] != "unknown",
        }).groupby("paper").agg(year=("year", "first"), fetched=("fetched", "any"),
                                classified=("classified", "any"))
    years = sorted(set(harvested.index) | set(per["year"].dropna().astype(int)))
    out = pd.DataFrame({"year": years})
    out["harvested"] = out["year"].map(harvested).fillna(0).astype(int)
    grouped = per.groupby("year")
    out["with_code_link"] = out["year"].map(grouped.size()).fillna(0).astype(int)
    out["fetched"] = out["year"].map(grouped["fetched"].sum()).fillna(0).astype(int)
    out["classified"] = out["year"].map(grouped["classified"].sum()).fillna(0).astype(int)
    return out


@dataclass(frozen=True)
class Overview:
    """Totals for the page's header and methodology."""

    papers: int
    first_published: str | None
    last_published: str | None
    papers_with_link: int
    papers_classified: int
    repos: int
    primary_categories: list[tuple[str, int]]
    harvest_categories: list[str]
    classifier_versions: list[tuple[str, int]]


def overview(conn: sqlite3.Connection, df: pd.DataFrame, *, until: str | None = None
             ) -> Overview:
    """Totals over the papers published before ``until`` (all when None)."""
    total, first, last = tables.paper_span(conn, until=until)
    off = df[df["official"]]
    return Overview(
        papers=total,
        first_published=first[:10] if first else None,
        last_published=last[:10] if last else None,
        papers_with_link=int(off["paper"].nunique()),
        papers_classified=int(off.loc[off["w_off"] > 0, "paper"].nunique()),
        repos=int(off["repo"].nunique()),
        primary_categories=tables.primary_categories(conn, 12, until=until),
        harvest_categories=tables.harvest_categories(conn),
        classifier_versions=tables.classifier_versions(conn),
    )


def recent_papers(df: pd.DataFrame, limit: int = 12) -> pd.DataFrame:
    """The latest papers with classified official code (arxiv_id, published, repo, label)."""
    d = df[df["w_off"] > 0].sort_values(["published", "arxiv_id"], ascending=False)
    return d.head(limit)[["arxiv_id", "published", "repo", "framework"]].reset_index(drop=True)


def titles_for(conn: sqlite3.Connection, arxiv_ids: list[str]) -> dict[str, str]:
    """Titles of a few papers (kept out of the big frame to save memory)."""
    return tables.titles(conn, arxiv_ids)


def top_repos(df: pd.DataFrame, limit: int = 12) -> pd.DataFrame:
    """Repositories linked by the most papers (any link), with their label."""
    if df.empty:
        return pd.DataFrame(columns=["repo", "papers", "official_papers", "framework"])
    g = df.groupby("repo", observed=True).agg(
        papers=("paper", "nunique"), official_papers=("official", "sum"),
        framework=("framework", "first"))
    g = g.sort_values(["papers", "official_papers"], ascending=False).head(limit)
    g["framework"] = g["framework"].astype(str)
    return g.reset_index()


# Display names of the specific frameworks behind the label ``other`` (the classifier's names,
# framework_table.yaml), so the share chart can open "other" into them.
OTHER_NAMES: dict[str, str] = {
    "mxnet": "MXNet", "gluon": "MXNet", "gluoncv": "MXNet", "gluonnlp": "MXNet",
    "paddle": "PaddlePaddle", "paddlepaddle": "PaddlePaddle", "mindspore": "MindSpore",
    "chainer": "Chainer", "theano": "Theano", "lasagne": "Theano", "caffe": "Caffe",
    "caffe2": "Caffe", "cntk": "CNTK", "dynet": "DyNet", "oneflow": "OneFlow",
    "megengine": "MegEngine", "torch7": "Torch7 (Lua)", "lua-torch": "Torch7 (Lua)",
    "luatorch": "Torch7 (Lua)", "flux": "Flux.jl", "knet": "Knet.jl", "matlab": "MATLAB",
    "dl4j": "DL4J", "darknet": "Darknet", "jittor": "Jittor", "mlx": "MLX",
    "tinygrad": "tinygrad", "keras": "Keras (standalone)",
}
UNNAMED_OTHER = "unnamed other"


def other_names(conn: sqlite3.Connection) -> pd.DataFrame:
    """(repo, name): the display name of the framework each ``other`` repository uses most."""
    rows = tables.top_frameworks(conn, "other", list(OTHER_NAMES))
    df = pd.DataFrame.from_records(rows, columns=["repo", "name"])
    df["name"] = df["name"].map(OTHER_NAMES)
    return df


def other_shares_by_period(df: pd.DataFrame, names: pd.DataFrame, freq: str = "Q",
                           top: int = 8) -> pd.DataFrame:
    """The ``other`` share opened into its frameworks, over the same denominator as
    :func:`shares_by_period` (all papers with classified official code). The ``top`` largest
    keep their names, the rest are summed as ``other (rest)``; columns as shares_by_period
    with ``label`` the framework's name."""
    cols = ["period", "label", "papers", "n", "share", "low", "high"]
    d = df[df["w_off"] > 0]
    if d.empty:
        return pd.DataFrame(columns=cols)
    period = _period(d["published"], freq)
    n = d.groupby(period)["w_off"].sum()
    other = d["framework"] == "other"
    name = d.loc[other, "repo"].map(names.set_index("repo")["name"]).fillna(UNNAMED_OTHER)
    totals = d.loc[other, "w_off"].groupby(name).sum().sort_values(ascending=False)
    keep = [k for k in totals.index if k != UNNAMED_OTHER][:top]
    name = name.where(name.isin(keep), "other (rest)")
    frames = []
    for label in [*keep, *(["other (rest)"] if (name == "other (rest)").any() else [])]:
        mask = name == label
        k = d.loc[other, "w_off"][mask].groupby(period[other][mask]).sum()
        frames.append(pd.DataFrame({"period": n.index, "label": label,
                                    "papers": k.reindex(n.index, fill_value=0.0).to_numpy(),
                                    "n": n.to_numpy()}))
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True)
    out["share"] = out["papers"] / out["n"]
    out["low"], out["high"] = wilson(out["papers"], out["n"])
    return out[cols]


def period_end(start: pd.Series, freq: str) -> pd.Series:
    """Last day of each period that starts on ``start`` (quarters or years)."""
    months = 3 if freq == "Q" else 12
    return pd.to_datetime(start) + pd.DateOffset(months=months) - pd.Timedelta(days=1)


def mark_partial(frame: pd.DataFrame, as_of: date | None, freq: str,
                 column: str = "period") -> pd.DataFrame:
    """``frame`` with a ``partial`` column: True for the period that ``as_of`` cuts short (the
    report counts papers up to ``as_of`` only, so that period holds fewer days)."""
    out = frame.copy()
    if out.empty or as_of is None:
        out["partial"] = pd.Series(dtype=bool)
        return out
    if column == "year":
        start = pd.to_datetime(out[column].astype(str) + "-01-01")
    else:
        start = pd.to_datetime(out[column])
    out["partial"] = (period_end(start, freq) > pd.Timestamp(as_of)).to_numpy()
    return out
