"""Assemble the report: one self-contained HTML page plus each chart's data as CSV beside it.

The page is computed *as of* a day (``--as-of``; default the end of the last complete month in
the data): papers first published after it are left out of everything, the claims' windows end
on it, and the bootstrap is seeded, so the same database and as-of day give the same numbers on
any day, and the same bytes in ``report.json`` / ``survey report --json``. The page stamps what
it was computed from (as-of day, harvest coverage, survey and classifier versions, a digest of
the charts' data). The only time of the run on it is the optional "generated" line, from the
caller's clock.

The page inlines plotly.js exactly once (the first chart carries it, the others reuse it), so it
opens offline; every chart has a fixed div id. Outside strings (titles, repository names,
evidence) reach the page only through jinja2's autoescaping, inside ``<bdi>`` so a
right-to-left override cannot reverse the text around them; the explorer's embedded JSON has
those overrides removed and is escaped for its script element. Files are written to a temporary
name and renamed, so a crash never leaves half a page where the last good one was. CSV names
start with the page's stem, so monthly pages can share one folder.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from analysis import charts, dataset, explorer, sources_compare, summary
from analysis.asof import default_as_of, harvested_through
from analysis.claims import Claim, Windows, check_thresholds, evaluate_claims, pct
from analysis.evals import (
    LinksEval,
    classifier_accuracy,
    classifier_eval,
    links_eval,
    links_figures,
)
from analysis.published import Comparison, compare
from analysis.trends import MIN_MONTHS, TrendFit, fit_trend
from analysis.venue_report import venue_table
from survey import __version__ as SURVEY_VERSION
from survey.core.clock import Clock
from survey.core.errors import InputError, StoreError
from survey.core.events import SILENT, Events
from survey.core.settings import Settings
from survey.store.sample import sample_fraction, sample_size

__all__ = ["ReportChanges", "ReportData", "classifier_accuracy", "classifier_eval",
           "generate_pages", "generate_report", "write_report"]

_PAGE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,100}\.html$")
_HREF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,200}$")
# The page's sections, in order: one template each in templates/sections/ (a new section is a
# new file and a name here).
SECTIONS = ("headline", "notices", "tiles", "changes", "claims", "charts", "sources", "explorer",
            "published", "recent", "top", "methodology", "archive")
# A short modebar (save as PNG, reset): the full one covers a chart's title on a phone.
CHART_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": [
    "zoom2d", "pan2d", "select2d", "lasso2d", "zoomIn2d", "zoomOut2d", "autoScale2d",
    "toggleSpikelines", "hoverClosestCartesian", "hoverCompareCartesian"]}
# The bootstrap's seed: fixed, so the trend model's bands and C4 are reproducible.
BOOTSTRAP_SEED = 0


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
    explore: bool = False  # a click on a point lists its papers in the explorer


@dataclass
class ReportData:
    """Everything the template shows, computed from the database."""

    as_of: date | None
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
    links: LinksEval | None
    shares: dict[str, dict[str, summary.Share]]
    headline: str
    observed_crossover: str
    explorer: explorer.Explorer
    stamp: dict[str, Any] = field(default_factory=dict)
    extra_csv: dict[str, pd.DataFrame] = field(default_factory=dict)
    json_text: str = ""
    sources: sources_compare.SourcesComparison | None = None  # other link sources (issue 13)

    @property
    def tiles(self) -> list[tuple[str, summary.Share]]:
        return summary.tiles(self.shares)


def _charts(links: pd.DataFrame, uses: pd.DataFrame, others: pd.DataFrame, fit: TrendFit | None,
            as_of: date | None, settings: Settings, shares_q: pd.DataFrame,
            venues: pd.DataFrame) -> list[Chart]:
    """The charts over papers with classified code (none when there is no such paper)."""
    q, y = (lambda f: dataset.mark_partial(f, as_of, "Q")), (
        lambda f: dataset.mark_partial(f, as_of, "Y"))
    counts = q(dataset.counts_by_period(links, "Q"))
    ratio = q(dataset.ratio_by_period(links, "Q"))
    by_cat = y(dataset.shares_by_category(links))
    dying = y(dataset.dying_by_year(links, uses))
    views = q(dataset.official_vs_all(links, "Q"))
    created = y(dataset.repo_created_view(links))
    out = [
        Chart("chart-shares", "shares", "Share per quarter",
              "Share of papers with classified official code per quarter of first version, with"
              " 95% Wilson intervals as bands. Each paper counts once, split evenly over its"
              " classified official repositories; papers whose repositories are all unknown are"
              " left out (see coverage). Switch \u201cother\u201d into its frameworks below the"
              " chart; click a point to list its papers.",
              charts.shares_chart(shares_q, others, as_of), q(shares_q), explore=True),
        Chart("chart-ratio", "pytorch-vs-tensorflow", "PyTorch / (PyTorch + TensorFlow)",
              "The measure of the best-known conference study: only papers whose code is"
              " PyTorch or TensorFlow count. It runs higher than PyTorch's share of all"
              " papers with code.", charts.ratio_chart(ratio, as_of), ratio),
        Chart("chart-counts", "counts", "Papers with code per quarter",
              "Papers with an official code link, by framework (a paper with k classified"
              " repositories counts 1/k for each); grey: repository not fetched or not"
              " classified. Click a bar to list its papers.",
              charts.counts_chart(counts, as_of), counts, explore=True),
        Chart("chart-categories", "categories", "By primary category",
              "The same shares per year within each primary arXiv category (others: every"
              " other primary category), with 95% bands. Click a point to list its papers.",
              charts.categories_chart(by_cat, as_of), by_cat, explore=True),
        Chart("chart-dying", "dying-frameworks", "The frameworks called dead or dying",
              "Share of papers with classified official code whose repository uses the"
              " framework, per year, with 95% Wilson intervals, all panels on one scale; the"
              f" dashed line is C3's threshold ({pct(settings.claim_dying_share)}). Uses: the"
              f" framework holds at least {dataset.MIN_USE_SHARE:.0%} of the repository's"
              " framework scores (a stray requirement line does not count). Keras means the"
              " keras package (imported or required, Keras 3 included), not tf.keras.",
              charts.dying_chart(dying, settings.claim_dying_share, as_of), dying),
        Chart("chart-official", "official-vs-all", "Official vs every linked repository",
              "Solid, with 95% bands: the paper's own repositories. Dotted: every repository a"
              " paper links, including tools and baselines it only mentions (never counted in"
              " the shares above).", charts.official_chart(views, as_of), views),
    ]
    if (venues["n"] > 0).any():
        out.insert(2, Chart(
            "chart-venues", "venues", "By conference",
            "PyTorch / (PyTorch + TensorFlow) per conference and year, main tracks only (the"
            " venue read from the paper's arXiv comment or journal reference; workshops left"
            " out), with 95% Wilson error bars; hollow diamonds: Horace He's published figures"
            " for the same conferences (ACL with NAACL, ICML with ICLR pooled as he pooled"
            " them; the CSV gives our pooled ratio beside each). Venue extraction is measured"
            " in the README.", charts.venue_chart(venues), venues))
    if fit is not None:
        out.append(Chart(
            "chart-trend", "trend-model", "Trend model",
            "Smooth shares from a multinomial logistic regression of label on time (cubic"
            f" B-spline of the date), bands from {fit.replicates} refits on bootstrap resamples"
            " of the papers (seeded: the same data give the same bands); dots: observed"
            " quarters. The dashed"
            " line marks the date PyTorch's share first exceeds TensorFlow's, the grey band its"
            " 95% interval.", charts.trend_chart(fit, shares_q), fit.curves))
    out.append(Chart(
        "chart-repo-created", "repo-created", "By repository creation date",
        "Second view: each official repository once, dated by its creation on the host"
        " (the time axis of the State of AI and Papers With Code figures), with 95% bands.",
        charts.repo_created_chart(created, as_of), created))
    return out


def _recent_rows(conn: sqlite3.Connection, links: pd.DataFrame) -> list[dict[str, str]]:
    recent = dataset.recent_papers(links)
    titles = dataset.titles_for(conn, recent["arxiv_id"].tolist())
    return [{"arxiv_id": r.arxiv_id, "title": titles.get(r.arxiv_id, ""),
             "published": f"{r.published:%Y-%m-%d}", "repo": r.repo,
             "framework": str(r.framework)} for r in recent.itertuples()]


def build_report_data(
    conn: sqlite3.Connection, settings: Settings, as_of: date | None = None,
    progress: Callable[[str, int], None] | None = None,
    on_replicate: Callable[[int], None] | None = None,
) -> ReportData:
    """Read the database once and compute every aggregate, claim and comparison as of
    ``as_of`` (default: the end of the last complete month in the data)."""
    step = progress or (lambda _name, _advance: None)
    check_thresholds(settings)
    try:
        as_of = as_of or default_as_of(conn)
        until = dataset.until_after(as_of)
        links = dataset.load_links(conn, until=until)
        uses = dataset.dying_uses(conn)
        others = dataset.other_names(conn)
        overview = dataset.overview(conn, links, until=until)
        coverage = dataset.coverage_by_year(conn, links, until=until)
        through = harvested_through(conn)
        sources = sources_compare.compare_sources(conn)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot read the database: {exc}") from exc
    step("aggregating", 1)
    fit = fit_trend(links, replicates=settings.report_bootstrap, seed=BOOTSTRAP_SEED,
                    progress=on_replicate)
    step("fitting the trend model", 1)
    claims, windows = evaluate_claims(links, uses, fit, settings, as_of)
    shares_q = dataset.shares_by_period(links, "Q")
    built: list[Chart] = []
    extra: dict[str, pd.DataFrame] = {}
    if overview.papers_classified > 0:
        split = dataset.other_shares_by_period(links, others, "Q")
        built = _charts(links, uses, split, fit, as_of, settings, shares_q,
                        venue_table(conn, links))
        extra["shares-other"] = dataset.mark_partial(split, as_of, "Q")
    if overview.papers > 0:
        built.append(Chart(
            "chart-coverage", "coverage", "Coverage",
            "How many papers reach each stage, by year: harvested from arXiv, with an official"
            " code link, repository fetched, classified with a known label.",
            charts.coverage_chart(coverage, as_of),
            dataset.mark_partial(coverage, as_of, "Y", column="year")))
    step("drawing charts", 1)
    found = explorer.build(conn, links, others)
    last = dataset.label_counts(dataset.in_window(links, windows.start, windows.end))
    shares = summary.window_shares(last)
    info = classifier_eval()
    note = ""
    measured = str(info.get("classifier_version", ""))
    in_db = [v for v, _ in overview.classifier_versions]
    if measured and in_db and measured not in in_db:
        note = (f"The accuracy was measured for version {measured}; the labels in this database"
                f" come from {', '.join(in_db)}.")
    top_rows = [{"repo": r.repo, "papers": f"{r.papers:,}",
                 "official": f"{int(r.official_papers):,}", "framework": r.framework}
                for r in dataset.top_repos(links).itertuples()]
    return ReportData(
        as_of=as_of, overview=overview, charts=built, claims=claims, windows=windows, fit=fit,
        comparisons=compare(links), recent=_recent_rows(conn, links), top=top_rows,
        coverage=coverage, accuracy=classifier_accuracy(info), accuracy_note=note,
        links=links_figures(links_eval()), shares=shares,
        headline=summary.headline(claims, windows, settings.claim_min_papers),
        observed_crossover=observed_crossover(shares_q), explorer=found,
        stamp={"as_of": None if as_of is None else as_of.isoformat(),
               "harvested_through": None if through is None else through.isoformat(),
               "survey_version": SURVEY_VERSION,
               "classifier_versions": {v: n for v, n in overview.classifier_versions},
               "bootstrap": {"replicates": settings.report_bootstrap, "seed": BOOTSTRAP_SEED},
               "sample": _sample(conn)},
        extra_csv=extra, sources=sources,
    )


def _sample(conn: sqlite3.Connection) -> dict[str, Any] | None:
    """``survey crawl --sample``: the fraction the repositories were sampled at and how many
    were fetched (None for a census), so the page says what its intervals are over."""
    fraction = sample_fraction(conn)
    if fraction is None:
        return None
    return {"fraction": fraction, "repositories": sample_size(conn)}


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


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("analysis", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["pct"] = pct
    env.filters["num"] = lambda n: f"{n:,}"
    env.filters["sentence"] = lambda t: str(t)[:1].upper() + str(t)[1:]
    return env


def _change_rows(changes: ReportChanges | None) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    if changes is None:
        return rows
    for label in dataset.LABELS:
        before = changes.shares_before.get(label)
        after = changes.shares_after.get(label)
        delta = (f"{100 * (after - before):+.1f} points"
                 if before is not None and after is not None else "n/a")
        rows.append({"label": charts.NAMES[label],
                     "before": pct(before) if before is not None else "n/a",
                     "after": pct(after) if after is not None else "n/a", "delta": delta})
    return rows


def render_page(data: ReportData, settings: Settings, *, stem: str, generated: str | None,
                changes: ReportChanges | None = None,
                archive: Sequence[tuple[str, str]] = ()) -> str:
    """The HTML page (charts must already carry ``html`` and ``href``)."""
    env = _environment()
    template = env.get_template("report.html.j2")
    ov = data.overview
    script = resources.files("analysis").joinpath("templates", "explorer.js")
    return template.render(
        generated=generated, ov=ov, data=data, settings=settings, sections=SECTIONS,
        stem=stem, changes=changes, change_rows=_change_rows(changes), archive=list(archive),
        names=charts.NAMES, min_months=MIN_MONTHS,
        tiny=0 < ov.papers_classified < settings.claim_min_papers,
        empty=ov.papers_classified == 0,
        categories=", ".join(ov.harvest_categories or settings.categories),
        explorer_json=Markup(explorer.embed(data.explorer.payload)),
        explorer_js=Markup(script.read_text(encoding="utf-8")),
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
    archive: Sequence[tuple[str, str]] = (), as_of: date | None = None,
    clock: Clock | None = None,
) -> Path:
    """Write ``out_dir/page_name`` and its CSVs (in ``out_dir/<stem>-data/``); return the page.

    ``as_of`` ends the claims' windows and the data (default: the end of the last complete
    month in the data); ``clock``, when given, stamps the page's "generated" time.
    """
    page, _ = generate_report(conn, settings, out_dir, page_name=page_name, changes=changes,
                              archive=archive, as_of=as_of, clock=clock)
    return page


def generate_report(
    conn: sqlite3.Connection, settings: Settings, out_dir: Path, *,
    page_name: str = "index.html", changes: ReportChanges | None = None,
    archive: Sequence[tuple[str, str]] = (), as_of: date | None = None,
    clock: Clock | None = None, events: Events = SILENT,
) -> tuple[Path, ReportData]:
    """:func:`write_report`, also returning what the page shows (the CLI prints the verdicts)."""
    pages, data = generate_pages(conn, settings, out_dir, [(page_name, archive)],
                                 changes=changes, as_of=as_of, clock=clock, events=events)
    return pages[0], data


def _data_files(data: ReportData) -> dict[str, str]:
    """Every CSV of the page (by file name) and report.json; the stamp's digest covers the
    charts' data."""
    files = {f"{chart.csv}.csv": _csv_frame(chart.data).to_csv(index=False)
             for chart in data.charts}
    files.update({f"{name}.csv": _csv_frame(frame).to_csv(index=False)
                  for name, frame in data.extra_csv.items()})
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    data.stamp["data_digest"] = "sha256:" + digest.hexdigest()[:16]
    claims = pd.DataFrame([
        {**{k: v for k, v in vars(c).items() if k not in ("details", "date_low", "date_high")},
         "as_of": data.stamp["as_of"], "window": data.windows.label,
         "data_digest": data.stamp["data_digest"]} for c in data.claims])
    files["claims.csv"] = _csv_frame(claims).to_csv(index=False)
    files["published.csv"] = pd.DataFrame([vars(c) for c in data.comparisons]).to_csv(
        index=False)
    rows = data.explorer.payload.get("rows", [])
    p = data.explorer.payload
    files["papers.csv"] = pd.DataFrame(
        [{"arxiv_id": r[0], "title": r[1], "published": r[7], "quarter": p["quarters"][r[5]],
          "category": p["categories"][r[6]], "repo": r[2], "label": p["labels"][r[3]],
          "framework": p["other"][r[4]] if r[4] >= 0 else "", "evidence": r[8]} for r in rows],
        columns=["arxiv_id", "title", "published", "quarter", "category", "repo", "label",
                 "framework", "evidence"]).to_csv(index=False)
    return files


def generate_pages(
    conn: sqlite3.Connection, settings: Settings, out_dir: Path,
    pages: Sequence[tuple[str, Sequence[tuple[str, str]]]], *,
    changes: ReportChanges | None = None, as_of: date | None = None,
    clock: Clock | None = None, events: Events = SILENT,
) -> tuple[list[Path], ReportData]:
    """Compute the report once and write it as each ``(page_name, archive)`` page.

    The monthly refresh writes ``YYYY-MM.html`` and ``index.html`` from one computation (the
    trend model's bootstrap is the expensive part); each page gets its own ``<stem>-data/``.
    Nothing here reads the wall clock: ``as_of`` defaults to the data's last complete month,
    and the "generated" line appears only when the caller passes its ``clock``.
    """
    for page_name, archive in pages:
        _check_inputs(page_name, archive)
    check_thresholds(settings)
    generated = None if clock is None else f"{clock.now():%Y-%m-%d %H:%M} UTC"
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

        data = build_report_data(conn, settings, as_of=as_of, progress=step,
                                 on_replicate=replicate)
        # Everything is computed and rendered in memory first: a failure up to here leaves the
        # previous pages and CSVs untouched; then each file is replaced atomically.
        shared = _data_files(data)
        data.json_text = summary.report_json(
            as_of=data.stamp["as_of"], windows=data.windows, months=settings.report_months,
            claims=data.claims, shares=data.shares, stamp=data.stamp, sentence=data.headline)
        shared["report.json"] = data.json_text
        for i, chart in enumerate(data.charts):
            chart.html = Markup(chart.figure.to_html(
                full_html=False, include_plotlyjs=i == 0, div_id=chart.id,
                config=CHART_CONFIG))
        if data.sources is not None:
            data.sources.render(plotlyjs=not data.charts)
        step("writing the page", 1)
        files: dict[Path, str] = {}
        written = []
        for page_name, archive in pages:
            stem = page_name[: -len(".html")]
            data_dir = out_dir / f"{stem}-data"
            for chart in data.charts:
                chart.href = f"{stem}-data/{chart.csv}.csv"
            files.update({data_dir / name: text for name, text in shared.items()})
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
