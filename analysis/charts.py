"""Plotly figures for the report, each drawn from an aggregated frame (never from rows).

Every share is drawn with its 95 % interval (a band or error bars), so the uncertainty is seen
without hovering. Titles are short (the page's heading and caption say in full what a chart
counts) and legends sit below the plot, so on a phone a wrapped legend never runs into the
title. The period the as-of day cuts short is shaded and labelled "partial". Colours are fixed
per label so the same framework looks the same in every chart; dates go in as ``YYYY-MM-DD``
strings so the serialised page is small and reproducible. Traces carry ``meta`` (label, name,
category, period length) that the page's script reads to list the papers behind a clicked point.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analysis.dataset import CATEGORY_GROUPS, DYING, LABELS, period_end
from analysis.trends import TrendFit

COLORS = {
    "pytorch": "#d9472b", "tensorflow": "#2b6cb0", "jax": "#2f9e44", "other": "#8e5bb5",
    "none": "#8c8c8c", "unknown": "#d4d4d4",
}
# The frameworks inside "other", when the share chart opens it (then "other" itself is hidden).
OTHER_COLORS = ("#6a3d9a", "#b15928", "#e7298a", "#1b9e77", "#a6761d", "#666666", "#17becf",
                "#bcbd22", "#cab2d6")
NAMES = {
    "pytorch": "PyTorch", "tensorflow": "TensorFlow", "jax": "JAX", "other": "other framework",
    "none": "no DL framework", "unknown": "unknown (not classified)",
}
STAGES = {
    "harvested": "papers harvested", "with_code_link": "with an official code link",
    "fetched": "repository fetched", "classified": "classified",
}
_SHARE_HOVER = (
    "%{fullData.name}: %{y:.1%} (95% CI %{customdata[2]:.1%} to %{customdata[3]:.1%})"
    "<br>%{customdata[0]:,.1f} of %{customdata[1]:,.0f} papers<extra>%{x|%Y Q%q}</extra>"
)
PARTIAL_FILL = "rgba(250,200,60,0.18)"


def _days(s: pd.Series) -> list[str]:
    return [f"{d:%Y-%m-%d}" for d in pd.to_datetime(s)]


def _r(s: pd.Series, digits: int = 5) -> list[float]:
    return s.astype(float).round(digits).tolist()


def _layout(fig: go.Figure, title: str, *, height: int = 440, percent: bool = True,
            top: int = 40) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left", "y": 0.98, "yanchor": "top",
               "yref": "container", "font": {"size": 14}},
        template="plotly_white", height=height, margin={"l": 52, "r": 12, "t": top, "b": 20},
        # Below the plot, at the bottom of the figure: however many rows it wraps to on a
        # narrow screen, plotly grows the bottom margin and nothing covers the title.
        legend={"orientation": "h", "yref": "container", "y": 0.0, "yanchor": "bottom",
                "x": 0.0, "xanchor": "left", "font": {"size": 12}},
        hovermode="closest",
    )
    if percent:
        fig.update_yaxes(tickformat=".0%")
    return fig


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def _partial(fig: go.Figure, as_of: date | None, starts: pd.Series, freq: str,
             **where: Any) -> None:
    """Shade the last period when ``as_of`` cuts it short, and say so once."""
    if as_of is None or starts.empty:
        return
    last = pd.to_datetime(starts).max()
    end = period_end(pd.Series([last]), freq).iloc[0]
    if end <= pd.Timestamp(as_of):
        return
    fig.add_vrect(x0=f"{last:%Y-%m-%d}", x1=f"{end + pd.Timedelta(days=1):%Y-%m-%d}",
                  fillcolor=PARTIAL_FILL, line_width=0, layer="below", **where)
    _partial_note(fig, f"shaded: {'quarter' if freq == 'Q' else 'year'} partial, to {as_of}")


def _partial_note(fig: go.Figure, text: str) -> None:
    # In paper coordinates: a note on the date axis would widen its range by the text's width.
    fig.add_annotation(x=1.0, xref="paper", xanchor="right", y=1.0, yref="paper",
                       yanchor="top", showarrow=False, font={"size": 10, "color": "#7d5a00"},
                       bgcolor="rgba(255,255,255,0.75)", text=text)


Traces = list[dict[str, Any]]


def _scatter(**kw: Any) -> dict[str, Any]:
    """A scatter trace as a plain dict: figures are built from one list of them (adding traces
    one by one re-validates the whole figure each time, seconds for the larger charts)."""
    return {"type": "scatter", **kw}


def _axes(index: int) -> dict[str, Any]:
    """The axes of subplot ``index`` (0-based, row-major) as make_subplots names them."""
    return {} if index == 0 else {"xaxis": f"x{index + 1}", "yaxis": f"y{index + 1}"}


def _band(traces: Traces, x: list[str], d: pd.DataFrame, color: str, group: str,
          meta: dict[str, Any], *, visible: bool = True, **where: Any) -> None:
    """The 95% interval as a filled band (upper edge, then lower edge filled to it)."""
    traces.append(_scatter(x=x, y=_r(d["high"]), mode="lines", line={"width": 0},
                           legendgroup=group, showlegend=False, hoverinfo="skip",
                           visible=visible, meta={**meta, "band": True}, **where))
    traces.append(_scatter(x=x, y=_r(d["low"]), mode="lines", line={"width": 0},
                           fill="tonexty", fillcolor=_rgba(color, 0.16), legendgroup=group,
                           showlegend=False, hoverinfo="skip", visible=visible,
                           meta={**meta, "band": True}, **where))


def _share_lines(traces: Traces, d: pd.DataFrame, name: str, color: str,
                 meta: dict[str, Any], *, visible: bool = True, hover: str = _SHARE_HOVER,
                 **where: Any) -> None:
    x = _days(d["period"])
    _band(traces, x, d, color, name, meta, visible=visible, **where)
    traces.append(_scatter(
        x=x, y=_r(d["share"]), mode="lines+markers", name=name, legendgroup=name,
        line={"color": color, "width": 2}, marker={"size": 4}, visible=visible, meta=meta,
        customdata=d[["papers", "n", "low", "high"]].astype(float).round(5).to_numpy(),
        hovertemplate=hover, **where,
    ))


def shares_chart(shares: pd.DataFrame, others: pd.DataFrame | None = None,
                 as_of: date | None = None) -> go.Figure:
    """Share per quarter of each label with its 95% Wilson band; ``others`` (the frameworks
    inside "other", same denominator) are drawn hidden, for the page's switch to show."""
    traces: Traces = []
    for label in LABELS:
        d = shares[shares["label"] == label]
        _share_lines(traces, d, NAMES[label], COLORS[label],
                     {"label": label, "freq": "Q", "group": "other" if label == "other" else ""})
    if others is not None:
        for i, name in enumerate(dict.fromkeys(others["label"])):
            d = others[others["label"] == name]
            _share_lines(traces, d, name, OTHER_COLORS[i % len(OTHER_COLORS)],
                         {"label": "other", "name": name, "freq": "Q", "group": "split"},
                         visible=False)
    fig = go.Figure(data=traces)
    fig.update_yaxes(range=[0, 1])
    _partial(fig, as_of, shares["period"], "Q")
    return _layout(fig, "Share per quarter, with 95% intervals", height=480)


def ratio_chart(ratio: pd.DataFrame, as_of: date | None = None) -> go.Figure:
    """PyTorch / (PyTorch + TensorFlow) per quarter with its Wilson band."""
    x = _days(ratio["period"])
    fig = go.Figure()
    fig.add_scatter(x=x, y=_r(ratio["high"]), mode="lines", line={"width": 0},
                    showlegend=False, hoverinfo="skip")
    fig.add_scatter(x=x, y=_r(ratio["low"]), mode="lines", line={"width": 0},
                    fill="tonexty", fillcolor="rgba(217,71,43,0.18)", name="95% interval",
                    hoverinfo="skip")
    fig.add_scatter(
        x=x, y=_r(ratio["ratio"]), mode="lines+markers", name="PyTorch share",
        line={"color": COLORS["pytorch"]},
        customdata=ratio[["pytorch", "tensorflow", "low", "high"]].astype(float).round(5)
        .to_numpy(),
        hovertemplate="PyTorch/(PyTorch+TensorFlow): %{y:.1%} (95% CI %{customdata[2]:.1%} to"
                      " %{customdata[3]:.1%})<br>%{customdata[0]:,.1f} PyTorch,"
                      " %{customdata[1]:,.1f} TensorFlow papers<extra>%{x|%Y Q%q}</extra>",
    )
    fig.add_hline(y=0.5, line={"dash": "dot", "color": "#666"})
    fig.update_yaxes(range=[0, 1])
    _partial(fig, as_of, ratio["period"], "Q")
    return _layout(fig, "PyTorch / (PyTorch + TensorFlow)")


def counts_chart(counts: pd.DataFrame, as_of: date | None = None) -> go.Figure:
    """Papers with official code per quarter, by label, unknown included."""
    fig = go.Figure()
    for label in (*LABELS, "unknown"):
        d = counts[counts["label"] == label]
        fig.add_bar(x=_days(d["period"]), y=_r(d["papers"], 2), name=NAMES[label],
                    marker_color=COLORS[label], meta={"label": label, "freq": "Q"},
                    hovertemplate="%{fullData.name}: %{y:,.1f} papers<extra>%{x|%Y Q%q}</extra>")
    fig.update_layout(barmode="stack", bargap=0.05)
    fig.update_yaxes(title_text="papers", tickformat=",")
    _partial(fig, as_of, counts["period"], "Q")
    return _layout(fig, "Papers with code per quarter", percent=False)


def categories_chart(by_cat: pd.DataFrame, as_of: date | None = None) -> go.Figure:
    """Yearly shares with 95% bands in small multiples by primary category (two columns, so
    the panels stay readable on a phone)."""
    rows, cols = 3, 2
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=list(CATEGORY_GROUPS),
                        shared_xaxes=True, shared_yaxes=True, vertical_spacing=0.07,
                        horizontal_spacing=0.05)
    traces: Traces = []
    for i, group in enumerate(CATEGORY_GROUPS):
        part = by_cat[by_cat["category"] == group]
        where = _axes(i)
        for label in LABELS:
            d = part[part["label"] == label]
            x = _days(d["period"])
            meta = {"label": label, "category": group, "freq": "Y"}
            _band(traces, x, d, COLORS[label], label, meta, **where)
            traces.append(_scatter(
                x=x, y=_r(d["share"]), mode="lines+markers", name=NAMES[label],
                legendgroup=label, showlegend=i == 0, meta=meta,
                line={"color": COLORS[label], "width": 2}, marker={"size": 4},
                customdata=d[["papers", "n", "low", "high"]].astype(float).round(5).to_numpy(),
                hovertemplate=_SHARE_HOVER.replace("%Y Q%q", "%Y"), **where,
            ))
    fig.add_traces(traces)
    fig.update_yaxes(range=[0, 1], tickformat=".0%")
    if as_of is not None and not by_cat.empty:
        _partial_all(fig, as_of, by_cat["period"])
    fig.update_annotations(font_size=12)  # the panels' titles
    return _layout(fig, "Share per year by primary category", height=780, top=64)


def _partial_all(fig: go.Figure, as_of: date, starts: pd.Series) -> None:
    """The partial-year shading in every panel of a subplot figure."""
    last = pd.to_datetime(starts).max()
    end = period_end(pd.Series([last]), "Y").iloc[0]
    if end <= pd.Timestamp(as_of):
        return
    fig.add_vrect(x0=f"{last:%Y-%m-%d}", x1=f"{end + pd.Timedelta(days=1):%Y-%m-%d}",
                  fillcolor=PARTIAL_FILL, line_width=0, layer="below", row="all", col="all")


def dying_chart(dying: pd.DataFrame, threshold: float, as_of: date | None = None) -> go.Figure:
    """The frameworks called dead or dying, one panel each, on one shared y-scale, with the
    claim's threshold drawn in every panel and 95% error bars on every point."""
    names = list(DYING)
    cols = 3
    rows = -(-len(names) // cols)
    # Short panel titles (Keras is the standalone package: the caption says so).
    titles = [n.split(" (")[0] if n.startswith("Keras") else n for n in names]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, shared_xaxes=True,
                        shared_yaxes="all", vertical_spacing=0.08, horizontal_spacing=0.04)
    traces: Traces = []
    for i, name in enumerate(names):
        d = dying[dying["framework"] == name]
        share = d["share"].fillna(0)
        traces.append(_scatter(
            x=_days(d["period"]), y=_r(share), mode="lines+markers",
            name=name, showlegend=False, line={"color": COLORS["other"]},
            error_y={"type": "data", "symmetric": False,
                     "array": _r((d["high"] - share).clip(lower=0)),
                     "arrayminus": _r((share - d["low"]).clip(lower=0)),
                     "thickness": 1},
            customdata=d[["papers", "n", "low", "high"]].astype(float).round(5).to_numpy(),
            hovertemplate=name + ": %{y:.2%} (95% CI %{customdata[2]:.2%} to"
                          " %{customdata[3]:.2%})<br>%{customdata[0]:,.1f} of"
                          " %{customdata[1]:,.0f} papers<extra>%{x|%Y}</extra>",
            **_axes(i),
        ))
    traces.append(_scatter(x=[None], y=[None], mode="lines", name=f"threshold {threshold:.1%}",
                           line={"dash": "dash", "color": "#cf222e", "width": 1},
                           hoverinfo="skip"))
    fig.add_traces(traces)
    top = max(float(dying["high"].max()) if not dying.empty else 0.0, threshold) * 1.15
    fig.update_yaxes(tickformat=".1~%", range=[0, top if top > 0 else 0.05])
    fig.add_hline(y=threshold, line={"dash": "dash", "color": "#cf222e", "width": 1},
                  row="all", col="all")
    if as_of is not None and not dying.empty:
        _partial_all(fig, as_of, dying["period"])
    fig.update_annotations(font_size=12)  # the panels' titles
    return _layout(fig, "Share using each framework, per year", height=780, percent=False,
                   top=64)


def official_chart(views: pd.DataFrame, as_of: date | None = None) -> go.Figure:
    """Shares over official repositories (solid, with bands) and every linked one (dotted)."""
    traces: Traces = []
    for view, dash in (("official", "solid"), ("all linked", "dot")):
        part = views[views["view"] == view]
        for label in LABELS:
            d = part[part["label"] == label]
            x = _days(d["period"])
            meta = {"label": label, "freq": "Q", "view": view}
            if view == "official":
                _band(traces, x, d, COLORS[label], f"{label} {view}", meta)
            traces.append(_scatter(
                x=x, y=_r(d["share"]), mode="lines", name=f"{NAMES[label]} ({view})",
                legendgroup=f"{label} {view}", meta=meta,
                line={"color": COLORS[label], "dash": dash, "width": 2},
                customdata=d[["papers", "n", "low", "high"]].astype(float).round(5).to_numpy(),
                hovertemplate=_SHARE_HOVER,
            ))
    fig = go.Figure(data=traces)
    fig.update_yaxes(range=[0, 1])
    _partial(fig, as_of, views["period"], "Q")
    return _layout(fig, "Official vs every linked repository", height=560)


def coverage_chart(coverage: pd.DataFrame, as_of: date | None = None) -> go.Figure:
    """The coverage funnel by year; a year the as-of day cuts short says so on its label."""
    fig = go.Figure()
    shades = ("#c6dbef", "#6baed6", "#2171b5", "#08306b")
    years = coverage["year"].astype(int).tolist()
    labels = [f"{y} (partial)" if as_of is not None and y == as_of.year and
              (as_of.month, as_of.day) != (12, 31) else str(y) for y in years]
    for (col, name), color in zip(STAGES.items(), shades, strict=True):
        fig.add_bar(x=labels, y=coverage[col].tolist(), name=name, marker_color=color,
                    hovertemplate=name + ": %{y:,}<extra>%{x}</extra>")
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text="papers", tickformat=",")
    return _layout(fig, "Coverage by year", percent=False)


def trend_chart(fit: TrendFit, observed: pd.DataFrame) -> go.Figure:
    """The trend model: smooth shares with bootstrap bands, observed quarters as dots, and the
    PyTorch-over-TensorFlow crossover with its interval."""
    fig = go.Figure()
    curves = fit.curves
    for label in LABELS:
        d = curves[curves["label"] == label]
        # The model's shares are for each month's middle (its predictor), like the dots below.
        x = _days(pd.to_datetime(d["month"]) + pd.Timedelta(days=14))
        color = COLORS[label]
        fig.add_scatter(x=x, y=_r(d["high"]), mode="lines", line={"width": 0},
                        legendgroup=label, showlegend=False, hoverinfo="skip")
        fig.add_scatter(x=x, y=_r(d["low"]), mode="lines", line={"width": 0},
                        fill="tonexty", fillcolor=_rgba(color, 0.2), legendgroup=label,
                        showlegend=False, hoverinfo="skip")
        fig.add_scatter(
            x=x, y=_r(d["share"]), mode="lines", name=NAMES[label],
            legendgroup=label, line={"color": color, "width": 2.5},
            customdata=d[["low", "high"]].astype(float).round(5).to_numpy(),
            hovertemplate="%{fullData.name} (model): %{y:.1%} (95% band %{customdata[0]:.1%}"
                          " to %{customdata[1]:.1%})<extra>%{x|%Y-%m}</extra>",
        )
        o = observed[observed["label"] == label]
        period_mid = pd.to_datetime(o["period"]) + pd.Timedelta(days=45)
        fig.add_scatter(x=_days(period_mid), y=_r(o["share"]), mode="markers",
                        marker={"color": color, "size": 5, "opacity": 0.55},
                        legendgroup=label, showlegend=False,
                        hovertemplate=NAMES[label] + " (observed quarter): %{y:.1%}"
                                      "<extra></extra>")
    c = fit.crossover
    # The replicates' band only beside a crossover the fitted model has: drawn alone it would
    # suggest a crossing the point estimate does not show.
    if c.status == "crossed" and c.low is not None and c.high is not None:
        fig.add_vrect(x0=f"{c.low:%Y-%m-%d}", x1=f"{c.high:%Y-%m-%d}",
                      fillcolor="rgba(0,0,0,0.08)", line_width=0)
    if c.date is not None:
        fig.add_vline(x=f"{c.date:%Y-%m-%d}", line={"dash": "dash", "color": "#333"})
        fig.add_annotation(x=f"{c.date:%Y-%m-%d}", y=1.0, yref="paper", showarrow=False,
                           text=f"crossover {c.date:%Y-%m}", xanchor="left",
                           bgcolor="rgba(255,255,255,0.8)")
    fig.update_yaxes(range=[0, 1])
    # Short, to clear the modebar on a phone; the caption gives the number of refits.
    title = "Trend model, 95% bands" if fit.replicates else "Trend model (no refits, no bands)"
    return _layout(fig, title, height=480)


def repo_created_chart(shares: pd.DataFrame, as_of: date | None = None) -> go.Figure:
    """Second view: official repositories dated by their creation, share per year with bands."""
    hover = ("%{fullData.name}: %{y:.1%} (95% CI %{customdata[2]:.1%} to %{customdata[3]:.1%})"
             "<br>%{customdata[0]:,.0f} of %{customdata[1]:,.0f} repositories<extra>%{x|%Y}"
             "</extra>")
    traces: Traces = []
    for label in LABELS:
        d = shares[shares["label"] == label]
        _share_lines(traces, d, NAMES[label], COLORS[label], {"label": label}, hover=hover)
    fig = go.Figure(data=traces)
    fig.update_yaxes(range=[0, 1])
    _partial(fig, as_of, shares["period"], "Y")
    return _layout(fig, "Share by repository creation year")


# Colours of the venues in the per-venue chart (plotly's qualitative palette, in VENUES order).
_VENUE_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                 "#7f7f7f", "#bcbd22", "#17becf")


def venue_chart(table: pd.DataFrame) -> go.Figure:
    """PyTorch / (PyTorch + TensorFlow) per conference and year (our papers, 95% Wilson error
    bars) and the published per-conference figures as hollow diamonds."""
    fig = go.Figure()
    ours = table[table["n"] > 0]
    venues = list(dict.fromkeys(ours["venue"].astype(str)))
    for i, venue in enumerate(venues):
        d = ours[ours["venue"] == venue]
        color = _VENUE_COLORS[i % len(_VENUE_COLORS)]
        ratio = d["ratio"].astype(float)
        fig.add_scatter(
            x=d["year"].astype(int).tolist(), y=_r(ratio), mode="lines+markers", name=venue,
            legendgroup=venue, line={"color": color},
            error_y={"type": "data", "symmetric": False, "thickness": 1,
                     "array": _r((d["high"].astype(float) - ratio).clip(lower=0)),
                     "arrayminus": _r((ratio - d["low"].astype(float)).clip(lower=0))},
            customdata=d[["pytorch", "tensorflow", "low", "high"]].astype(float).round(5)
            .to_numpy(),
            hovertemplate=venue + " %{x}: %{y:.1%} (95% CI %{customdata[2]:.1%} to"
                          " %{customdata[3]:.1%})<br>%{customdata[0]:,.1f} PyTorch,"
                          " %{customdata[1]:,.1f} TensorFlow papers<extra></extra>",
        )
    published = table[table["published"].notna()].drop_duplicates(["published_venues", "year"])
    if not published.empty:
        fig.add_scatter(
            x=published["year"].astype(int).tolist(), y=_r(published["published"].astype(float)),
            mode="markers", name="published (Horace He, 2019)",
            marker={"symbol": "diamond-open", "size": 12, "color": "#222"},
            customdata=published[["published_venues", "relation"]].astype(str).to_numpy(),
            hovertemplate="%{customdata[0]} %{x}, published: %{customdata[1]} %{y:.0%}"
                          "<extra></extra>",
        )
    fig.add_hline(y=0.5, line={"dash": "dot", "color": "#666"})
    fig.update_yaxes(range=[0, 1])
    fig.update_xaxes(dtick=1)
    return _layout(fig, "PyTorch / (PyTorch + TensorFlow) by conference")
