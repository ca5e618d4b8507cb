"""Assemble the report: one self-contained HTML page plus each chart's data as CSV beside it.

The page inlines plotly.js exactly once (the first chart carries it, the others reuse it), so it
opens offline; every chart has a fixed div id so two runs over the same data give the same
page. Outside strings (titles, repository names) only reach the page through jinja2's
autoescaping, and the charts' JSON is escaped by plotly (``<`` as ``\\u003c``). Files are written
to a temporary name and renamed, so a crash never leaves half a page where the last good one
was. CSV names start with the page's stem, so monthly pages can share one folder.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from analysis import charts, dataset, sources_compare
from analysis.claims import Claim, Windows, check_thresholds, evaluate_claims, pct
from analysis.intervals import share_interval
from analysis.published import Comparison, compare
from analysis.trends import MIN_MONTHS, TrendFit, fit_trend
from survey.core.errors import InputError, StoreError
from survey.core.events import SILENT, Events
from survey.core.settings import Settings

_PAGE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,100}\.html$")
_HREF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,200}$")


@dataclass(frozen=True)
class ReportChanges:
    """What changed since the last refresh (given by the monthly job)."""

    since: str
    new_papers: int
    new_repos: int
    shares_before: dict[str, float]
    shares_after: dict[str, float]


@dataclass
class Chart:
    """One chart: its fixed div id, CSV name, what it counts, figure and data."""

    id: str
    csv: str
    title: str
    caption: str
    figure: go.Figure
    data: pd.DataFrame
    html: Markup = field(default_factory=lambda: Markup(""))
    href: str = ""


@dataclass
class ReportData:
    """Everything the template shows, computed from the database."""

    overview: dataset.Overview
    charts: list[Chart]
    claims: list[Claim]
    windows: Windows
    fit: TrendFit | None
    comparisons: list[Comparison]
    recent: list[dict[str, str]]
    top: list[dict[str, str]]
    coverage: pd.DataFrame
    accuracy: str
    accuracy_note: str
    shares_last: dict[str, float]
    observed_crossover: str
    sources: sources_compare.SourcesComparison | None = None  # other link sources (issue 13)


def classifier_eval() -> dict[str, Any]:
    """analysis/data/classifier_eval.json (written by the classifier's benchmark), or {}."""
    path = resources.files("analysis").joinpath("data", "classifier_eval.json")
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def classifier_accuracy(info: dict[str, Any]) -> str:
    """The classifier's measured accuracy in words ("not measured" without a measurement)."""
    try:
        acc = float(info["accuracy"])
        n = int(info.get("n", 0))
    except (KeyError, TypeError, ValueError):
        return "not measured"
    # A few dozen repositories leave a wide interval: "100%" alone would overstate it.
    _, lo, hi = share_interval(acc * n, n) if n > 0 else (acc, float("nan"), float("nan"))
    ci = "" if pd.isna(lo) else f" (95% interval {100 * lo:.1f}% to {100 * hi:.1f}%)"
    text = f"{100 * acc:.1f}%{ci} on {n:,} labelled repositories"
    extra = [f"version {info['classifier_version']}" if info.get("classifier_version") else "",
             f"measured on {info['measured_on']}" if info.get("measured_on") else "",
             str(info.get("date", ""))]
    extra = [e for e in extra if e]
    return text + (f" ({', '.join(extra)})" if extra else "")


def build_report_data(
    conn: sqlite3.Connection, settings: Settings, now: datetime | None = None,
    progress: Callable[[str, int], None] | None = None,
    on_replicate: Callable[[int], None] | None = None,
) -> ReportData:
    """Read the database once and compute every aggregate, claim and comparison."""
    step = progress or (lambda _name, _advance: None)
    check_thresholds(settings)
    try:
        links = dataset.load_links(conn)
        uses = dataset.dying_uses(conn)
        overview = dataset.overview(conn, links)
        coverage = dataset.coverage_by_year(conn, links)
        sources = sources_compare.compare_sources(conn)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot read the database: {exc}") from exc
    step("aggregating", 1)
    fit = fit_trend(links, replicates=settings.report_bootstrap, progress=on_replicate)
    step("fitting the trend model", 1)
    claims, windows = evaluate_claims(links, uses, fit, settings, now)
    comparisons = compare(links)
    shares_q = dataset.shares_by_period(links, "Q")
    built: list[Chart] = []
    if overview.papers_classified > 0:
        counts = dataset.counts_by_period(links, "Q")
        ratio = dataset.ratio_by_period(links, "Q")
        by_cat = dataset.shares_by_category(links)
        dying = dataset.dying_by_year(links, uses)
        views = dataset.official_vs_all(links, "Q")
        created = dataset.repo_created_view(links)
        built += [
            Chart("chart-shares", "shares", "Share per quarter",
                  "Each paper with classified official code counts once, split evenly over its"
                  " classified official repositories; papers whose repositories are all unknown"
                  " are left out (see coverage). Hover for the 95% Wilson interval and the counts.",
                  charts.shares_chart(shares_q), shares_q),
            Chart("chart-ratio", "pytorch-vs-tensorflow", "PyTorch / (PyTorch + TensorFlow)",
                  "The measure of the best-known conference study: only papers whose code is"
                  " PyTorch or TensorFlow count. It runs higher than PyTorch's share of all"
                  " papers with code.", charts.ratio_chart(ratio), ratio),
            Chart("chart-counts", "counts", "Papers with code per quarter",
                  "Papers with an official code link, by framework; grey: repository not"
                  " fetched or not classified.", charts.counts_chart(counts), counts),
            Chart("chart-categories", "categories", "By primary category",
                  "The same shares per year within each primary arXiv category (others: every"
                  " other primary category).", charts.categories_chart(by_cat), by_cat),
            Chart("chart-dying", "dying-frameworks", "The frameworks called dead or dying",
                  "Share of papers with classified official code whose repository uses the"
                  " framework, per year, with 95% Wilson intervals. Uses: the framework holds"
                  f" at least {dataset.MIN_USE_SHARE:.0%} of the repository's framework scores"
                  " (a stray requirement line does not count). Keras means the keras package"
                  " (imported or required, Keras 3 included), not tf.keras.",
                  charts.dying_chart(dying), dying),
            Chart("chart-official", "official-vs-all", "Official vs every linked repository",
                  "Solid: the paper's own repositories. Dotted: every repository a paper links,"
                  " including tools and baselines it only mentions.",
                  charts.official_chart(views), views),
        ]
        if fit is not None:
            built.append(Chart(
                "chart-trend", "trend-model", "Trend model",
                "Smooth shares from a multinomial logistic regression of label on time (cubic"
                " B-spline of the date), bands from refits on bootstrap resamples of the papers;"
                " dots: observed quarters. The dashed line marks the date PyTorch's share first"
                " exceeds TensorFlow's, the grey band its 95% interval.",
                charts.trend_chart(fit, shares_q), fit.curves))
        built.append(Chart(
            "chart-repo-created", "repo-created", "By repository creation date",
            "Second view: each official repository once, dated by its creation on the host"
            " (the time axis of the State of AI and Papers With Code figures).",
            charts.repo_created_chart(created), created))
    if overview.papers > 0:
        built.append(Chart(
            "chart-coverage", "coverage", "Coverage",
            "How many papers reach each stage, by year: harvested from arXiv, with an official"
            " code link, repository fetched, classified with a known label.",
            charts.coverage_chart(coverage), coverage))
    step("drawing charts", 1)
    recent = dataset.recent_papers(links)
    titles = dataset.titles_for(conn, recent["arxiv_id"].tolist())
    recent_rows = [{"arxiv_id": r.arxiv_id, "title": titles.get(r.arxiv_id, ""),
                    "published": f"{r.published:%Y-%m-%d}", "repo": r.repo,
                    "framework": str(r.framework)} for r in recent.itertuples()]
    top_rows = [{"repo": r.repo, "papers": f"{r.papers:,}",
                 "official": f"{int(r.official_papers):,}", "framework": r.framework}
                for r in dataset.top_repos(links).itertuples()]
    last = dataset.in_window(links, windows.start, windows.end)
    counts_last = dataset.label_counts(last)
    total = float(counts_last.sum())
    shares_last = {k: float(v / total) for k, v in counts_last.items()} if total else {}
    info = classifier_eval()
    note = ""
    measured = str(info.get("classifier_version", ""))
    in_db = [v for v, _ in overview.classifier_versions]
    if measured and in_db and measured not in in_db:
        note = (f"The accuracy was measured for version {measured}; the labels in this database"
                f" come from {', '.join(in_db)}.")
    return ReportData(overview=overview, charts=built, claims=claims, windows=windows, fit=fit,
                      comparisons=comparisons, recent=recent_rows, top=top_rows,
                      coverage=coverage, accuracy=classifier_accuracy(info),
                      accuracy_note=note, shares_last=shares_last,
                      observed_crossover=observed_crossover(shares_q), sources=sources)


def observed_crossover(shares: pd.DataFrame) -> str:
    """The first quarter whose observed PyTorch share exceeds TensorFlow's, in words.

    Shown beside the model's date: the model smooths, the quarters do not.
    """
    if shares.empty:
        return "no quarter with data"
    t = shares.pivot_table(index="period", columns="label", values="share").sort_index()
    if "pytorch" not in t or "tensorflow" not in t:
        return "no quarter with both PyTorch and TensorFlow"
    ahead = (t["pytorch"] > t["tensorflow"]).to_numpy()
    if ahead[0]:
        return f"PyTorch already leads in the first quarter, {_quarter(t.index[0])}"
    if not ahead.any():
        return "TensorFlow leads in every quarter"
    first = int(ahead.argmax())
    return f"{_quarter(t.index[first])} is the first quarter in which PyTorch leads"


def _quarter(ts: pd.Timestamp) -> str:
    return f"{ts.year} Q{(ts.month - 1) // 3 + 1}"


def _csv_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].round(6)
    return out


def _write_atomic(path: Path, data: str) -> None:
    """Write to a temporary file in the same folder, then rename over ``path``."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(data)
        # mkstemp creates 0600; a report is meant to be read (served, shared): 0644.
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def render_page(data: ReportData, settings: Settings, *, stem: str, generated: datetime,
                changes: ReportChanges | None = None,
                archive: Sequence[tuple[str, str]] = ()) -> str:
    """The HTML page (charts must already carry ``html`` and ``href``)."""
    env = Environment(loader=PackageLoader("analysis", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["pct"] = pct
    env.filters["num"] = lambda n: f"{n:,}"
    template = env.get_template("report.html.j2")
    change_rows = []
    if changes is not None:
        for label in dataset.LABELS:
            before = changes.shares_before.get(label)
            after = changes.shares_after.get(label)
            delta = (f"{100 * (after - before):+.1f} points"
                     if before is not None and after is not None else "n/a")
            change_rows.append({"label": charts.NAMES[label], "before": pct(before)
                                if before is not None else "n/a",
                                "after": pct(after) if after is not None else "n/a",
                                "delta": delta})
    ov = data.overview
    return template.render(
        generated=f"{generated:%Y-%m-%d %H:%M} UTC", ov=ov, data=data, settings=settings,
        stem=stem, changes=changes, change_rows=change_rows, archive=list(archive),
        names=charts.NAMES, min_months=MIN_MONTHS,
        tiny=0 < ov.papers_classified < settings.claim_min_papers,
        empty=ov.papers_classified == 0,
        categories=", ".join(ov.harvest_categories or settings.categories),
    )


def _check_inputs(page_name: str, archive: Sequence[tuple[str, str]]) -> None:
    if not _PAGE_NAME.match(page_name) or ".." in page_name:
        raise InputError(f"invalid page name {page_name!r}: use a plain file name ending in"
                         " .html")
    for label, href in archive:
        if not _HREF.match(href) or ".." in href.split("/"):
            raise InputError(f"invalid archive link {href!r} for {label!r}: use a relative path")


def write_report(
    conn: sqlite3.Connection, settings: Settings, out_dir: Path, *,
    page_name: str = "index.html", changes: ReportChanges | None = None,
    archive: Sequence[tuple[str, str]] = (), now: datetime | None = None,
) -> Path:
    """Write ``out_dir/page_name`` and its CSVs (in ``out_dir/<stem>-data/``); return the page.

    ``now`` fixes the claims' window end and the page's date (default: the current time).
    """
    page, _ = generate_report(conn, settings, out_dir, page_name=page_name, changes=changes,
                              archive=archive, now=now)
    return page


def generate_report(
    conn: sqlite3.Connection, settings: Settings, out_dir: Path, *,
    page_name: str = "index.html", changes: ReportChanges | None = None,
    archive: Sequence[tuple[str, str]] = (), now: datetime | None = None,
    events: Events = SILENT,
) -> tuple[Path, ReportData]:
    """:func:`write_report`, also returning what the page shows (the CLI prints the verdicts)."""
    pages, data = generate_pages(conn, settings, out_dir, [(page_name, archive)],
                                 changes=changes, now=now, events=events)
    return pages[0], data


def generate_pages(
    conn: sqlite3.Connection, settings: Settings, out_dir: Path,
    pages: Sequence[tuple[str, Sequence[tuple[str, str]]]], *,
    changes: ReportChanges | None = None, now: datetime | None = None,
    events: Events = SILENT,
) -> tuple[list[Path], ReportData]:
    """Compute the report once and write it as each ``(page_name, archive)`` page.

    The monthly refresh writes ``YYYY-MM.html`` and ``index.html`` from one computation (the
    trend model's bootstrap is the expensive part); each page gets its own ``<stem>-data/``.
    """
    for page_name, archive in pages:
        _check_inputs(page_name, archive)
    check_thresholds(settings)
    generated = now or datetime.now(UTC)
    out_dir = Path(out_dir)
    for page_name, _ in pages:
        data_dir = out_dir / f"{page_name[: -len('.html')]}-data"
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create report folder {data_dir}: {exc.strerror}") from exc
    with events.task("report: reading the database", total=5) as task, \
            events.task("report: bootstrap replicates", total=settings.report_bootstrap) as boot:

        def step(name: str, advance: int) -> None:
            task.update(description=f"report: {name}")
            task.advance(advance)

        def replicate(done: int) -> None:
            boot.update(completed=done)

        data = build_report_data(conn, settings, now=generated, progress=step,
                                 on_replicate=replicate)
        # Everything is computed and rendered in memory first: a failure up to here leaves the
        # previous pages and CSVs untouched; then each file is replaced atomically.
        for i, chart in enumerate(data.charts):
            chart.html = Markup(chart.figure.to_html(
                full_html=False, include_plotlyjs=i == 0, div_id=chart.id,
                config={"displaylogo": False, "responsive": True}))
        if data.sources is not None:
            data.sources.render(plotlyjs=not data.charts)
        claims_csv = pd.DataFrame(
            [{k: v for k, v in vars(c).items() if k != "details"} for c in data.claims]
        ).to_csv(index=False)
        published_csv = pd.DataFrame([vars(c) for c in data.comparisons]).to_csv(index=False)
        step("writing the page", 1)
        files: dict[Path, str] = {}
        written = []
        for page_name, archive in pages:
            stem = page_name[: -len(".html")]
            data_dir = out_dir / f"{stem}-data"
            for chart in data.charts:
                chart.href = f"{stem}-data/{chart.csv}.csv"
                files[data_dir / f"{chart.csv}.csv"] = _csv_frame(chart.data).to_csv(index=False)
            files[data_dir / "claims.csv"] = claims_csv
            files[data_dir / "published.csv"] = published_csv
            files.update(data.sources.csv_files(data_dir) if data.sources else {})
            page = out_dir / page_name
            files[page] = render_page(data, settings, stem=stem, generated=generated,
                                      changes=changes, archive=archive)
            written.append(page)
        for path, text in files.items():  # each page after its CSVs: it links them
            try:
                _write_atomic(path, text)
            except OSError as exc:
                raise InputError(f"cannot write {path}: {exc.strerror}") from exc
        step("done", 1)
    return written, data
