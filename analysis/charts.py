"""Plotly figures for the report, each drawn from an aggregated frame (never from rows).

Every figure says in its title what it counts. Colours are fixed per label so that the same
framework looks the same in every chart; dates go in as ``YYYY-MM-DD`` strings so the
serialised page is small and reproducible.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analysis.dataset import CATEGORY_GROUPS, DYING, LABELS
from analysis.trends import TrendFit

COLORS = {
    "pytorch": "#d9472b", "tensorflow": "#2b6cb0", "jax": "#2f9e44", "other": "#8e5bb5",
    "none": "#8c8c8c", "unknown": "#d4d4d4",
}
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


def _days(s: pd.Series) -> list[str]:
    return [f"{d:%Y-%m-%d}" for d in pd.to_datetime(s)]


def _layout(fig: go.Figure, title: str, *, height: int = 440, percent: bool = True) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 15}},
        template="plotly_white", height=height, margin={"l": 60, "r": 20, "t": 90, "b": 50},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0.0},
        hovermode="closest",
    )
    if percent:
        fig.update_yaxes(tickformat=".0%")
    return fig


def shares_chart(shares: pd.DataFrame) -> go.Figure:
    """Chart 1: 100 % stacked shares per quarter, Wilson intervals and counts on hover."""
    fig = go.Figure()
    for label in LABELS:
        d = shares[shares["label"] == label]
        fig.add_bar(
            x=_days(d["period"]), y=d["share"].round(5).tolist(), name=NAMES[label],
            marker_color=COLORS[label],
            customdata=d[["papers", "n", "low", "high"]].round(5).to_numpy(),
            hovertemplate=_SHARE_HOVER,
        )
    fig.update_layout(barmode="stack", bargap=0.05)
    fig.update_yaxes(range=[0, 1])
    return _layout(fig, "Framework share of papers with classified official code, per quarter"
                        " of first version (unknown excluded)")


def ratio_chart(ratio: pd.DataFrame) -> go.Figure:
    """PyTorch / (PyTorch + TensorFlow) per quarter with its Wilson band."""
    x = _days(ratio["period"])
    fig = go.Figure()
    fig.add_scatter(x=x, y=ratio["high"].round(5).tolist(), mode="lines", line={"width": 0},
                    showlegend=False, hoverinfo="skip")
    fig.add_scatter(x=x, y=ratio["low"].round(5).tolist(), mode="lines", line={"width": 0},
                    fill="tonexty", fillcolor="rgba(217,71,43,0.18)", name="95% interval",
                    hoverinfo="skip")
    fig.add_scatter(
        x=x, y=ratio["ratio"].round(5).tolist(), mode="lines+markers", name="PyTorch share",
        line={"color": COLORS["pytorch"]},
        customdata=ratio[["pytorch", "tensorflow", "low", "high"]].round(5).to_numpy(),
        hovertemplate="PyTorch/(PyTorch+TensorFlow): %{y:.1%} (95% CI %{customdata[2]:.1%} to"
                      " %{customdata[3]:.1%})<br>%{customdata[0]:,.1f} PyTorch,"
                      " %{customdata[1]:,.1f} TensorFlow papers<extra>%{x|%Y Q%q}</extra>",
    )
    fig.add_hline(y=0.5, line={"dash": "dot", "color": "#666"})
    fig.update_yaxes(range=[0, 1])
    return _layout(fig, "PyTorch / (PyTorch + TensorFlow) among papers with official code,"
                        " per quarter (the conference studies' measure)")


def counts_chart(counts: pd.DataFrame) -> go.Figure:
    """Chart 2: papers with official code per quarter, by label, unknown included."""
    fig = go.Figure()
    for label in (*LABELS, "unknown"):
        d = counts[counts["label"] == label]
        fig.add_bar(x=_days(d["period"]), y=d["papers"].round(2).tolist(), name=NAMES[label],
                    marker_color=COLORS[label],
                    hovertemplate="%{fullData.name}: %{y:,.1f} papers<extra>%{x|%Y Q%q}</extra>")
    fig.update_layout(barmode="stack", bargap=0.05)
    fig.update_yaxes(title_text="papers", tickformat=",")
    return _layout(fig, "Papers with official code per quarter of first version, by framework"
                        " (a paper with k classified repositories counts 1/k for each)",
                   percent=False)


def categories_chart(by_cat: pd.DataFrame) -> go.Figure:
    """Chart 3: yearly shares in small multiples by primary category."""
    fig = make_subplots(rows=2, cols=3, subplot_titles=list(CATEGORY_GROUPS),
                        shared_xaxes=True, shared_yaxes=True, vertical_spacing=0.14,
                        horizontal_spacing=0.04)
    for i, group in enumerate(CATEGORY_GROUPS):
        part = by_cat[by_cat["category"] == group]
        for label in LABELS:
            d = part[part["label"] == label]
            fig.add_scatter(
                x=_days(d["period"]), y=d["share"].round(5).tolist(), mode="lines+markers",
                name=NAMES[label], legendgroup=label, showlegend=i == 0,
                line={"color": COLORS[label], "width": 2}, marker={"size": 4},
                customdata=d[["papers", "n", "low", "high"]].round(5).to_numpy(),
                hovertemplate=_SHARE_HOVER.replace("%Y Q%q", "%Y"),
                row=i // 3 + 1, col=i % 3 + 1,
            )
    fig.update_yaxes(range=[0, 1], tickformat=".0%")
    _layout(fig, "Framework share per year by primary arXiv category (papers with classified"
                 " official code)", height=600)
    # Below the panels: above them the legend would cover the panel titles.
    fig.update_layout(legend={"y": -0.08, "yanchor": "top"}, margin={"b": 70})
    return fig


def dying_chart(dying: pd.DataFrame) -> go.Figure:
    """Chart 4: the frameworks called dead or dying, one panel each, share per year."""
    names = list(DYING)
    cols = 3
    rows = -(-len(names) // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=names, shared_xaxes=True,
                        vertical_spacing=0.09, horizontal_spacing=0.06)
    for i, name in enumerate(names):
        d = dying[dying["framework"] == name]
        share = d["share"].fillna(0)
        fig.add_scatter(
            x=_days(d["period"]), y=share.round(5).tolist(), mode="lines+markers",
            name=name, showlegend=False, line={"color": COLORS["other"]},
            error_y={"type": "data", "symmetric": False,
                     "array": (d["high"] - share).clip(lower=0).round(5).tolist(),
                     "arrayminus": (share - d["low"]).clip(lower=0).round(5).tolist(),
                     "thickness": 1},
            customdata=d[["papers", "n", "low", "high"]].round(5).to_numpy(),
            hovertemplate=name + ": %{y:.2%} (95% CI %{customdata[2]:.2%} to"
                          " %{customdata[3]:.2%})<br>%{customdata[0]:,.1f} of"
                          " %{customdata[1]:,.0f} papers<extra>%{x|%Y}</extra>",
            row=i // cols + 1, col=i % cols + 1,
        )
    # "~" drops trailing zeros, so small ranges do not print the same label twice.
    fig.update_yaxes(tickformat=".2~%", rangemode="tozero")
    return _layout(fig, "Share of papers with classified official code whose repository uses"
                        " each framework, per year", height=720, percent=False)


def official_chart(views: pd.DataFrame) -> go.Figure:
    """Chart 5: shares over official repositories (solid) and every linked one (dotted)."""
    fig = go.Figure()
    for view, dash in (("official", "solid"), ("all linked", "dot")):
        part = views[views["view"] == view]
        for label in LABELS:
            d = part[part["label"] == label]
            fig.add_scatter(
                x=_days(d["period"]), y=d["share"].round(5).tolist(), mode="lines",
                name=f"{NAMES[label]} ({view})", legendgroup=view,
                line={"color": COLORS[label], "dash": dash, "width": 2},
                customdata=d[["papers", "n", "low", "high"]].round(5).to_numpy(),
                hovertemplate=_SHARE_HOVER,
            )
    fig.update_yaxes(range=[0, 1])
    _layout(fig, "Official repositories (solid) vs every linked repository (dotted):"
                 " framework share per quarter", height=540)
    # Ten entries wrap to several lines: below the plot they cover nothing.
    fig.update_layout(legend={"y": -0.1, "yanchor": "top"}, margin={"b": 60})
    return fig


def coverage_chart(coverage: pd.DataFrame) -> go.Figure:
    """Chart 6: the coverage funnel by year."""
    fig = go.Figure()
    shades = ("#c6dbef", "#6baed6", "#2171b5", "#08306b")
    for (col, name), color in zip(STAGES.items(), shades, strict=True):
        fig.add_bar(x=coverage["year"].astype(str).tolist(), y=coverage[col].tolist(),
                    name=name, marker_color=color,
                    hovertemplate=name + ": %{y:,}<extra>%{x}</extra>")
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text="papers", tickformat=",")
    return _layout(fig, "Coverage: papers harvested, with an official code link, repository"
                        " fetched, classified, by year of first version", percent=False)


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
        fig.add_scatter(x=x, y=d["high"].round(5).tolist(), mode="lines", line={"width": 0},
                        legendgroup=label, showlegend=False, hoverinfo="skip")
        fig.add_scatter(x=x, y=d["low"].round(5).tolist(), mode="lines", line={"width": 0},
                        fill="tonexty", fillcolor=_rgba(color, 0.2), legendgroup=label,
                        showlegend=False, hoverinfo="skip")
        fig.add_scatter(
            x=x, y=d["share"].round(5).tolist(), mode="lines", name=NAMES[label],
            legendgroup=label, line={"color": color, "width": 2.5},
            customdata=d[["low", "high"]].round(5).to_numpy(),
            hovertemplate="%{fullData.name} (model): %{y:.1%} (95% band %{customdata[0]:.1%}"
                          " to %{customdata[1]:.1%})<extra>%{x|%Y-%m}</extra>",
        )
        o = observed[observed["label"] == label]
        period_mid = pd.to_datetime(o["period"]) + pd.Timedelta(days=45)
        fig.add_scatter(x=_days(period_mid), y=o["share"].round(5).tolist(), mode="markers",
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
                           text=f"PyTorch passes TensorFlow: {c.date:%Y-%m}", xanchor="left",
                           bgcolor="rgba(255,255,255,0.8)")
    fig.update_yaxes(range=[0, 1])
    bands = (f"{fit.replicates} bootstrap replicates (95% bands)" if fit.replicates
             else "no bootstrap replicates, so no bands")
    return _layout(fig, f"Trend model: multinomial logistic regression of label on time, {bands}",
                   height=480)


def repo_created_chart(shares: pd.DataFrame) -> go.Figure:
    """Second view: official repositories dated by their creation, share per year."""
    fig = go.Figure()
    for label in LABELS:
        d = shares[shares["label"] == label]
        fig.add_bar(x=[f"{p:%Y}" for p in pd.to_datetime(d["period"])],
                    y=d["share"].round(5).tolist(), name=NAMES[label],
                    marker_color=COLORS[label],
                    customdata=d[["papers", "n", "low", "high"]].round(5).to_numpy(),
                    hovertemplate="%{fullData.name}: %{y:.1%} (95% CI %{customdata[2]:.1%} to"
                                  " %{customdata[3]:.1%})<br>%{customdata[0]:,.0f} of"
                                  " %{customdata[1]:,.0f} repositories<extra>%{x}</extra>")
    fig.update_layout(barmode="stack")
    fig.update_yaxes(range=[0, 1])
    return _layout(fig, "Framework share of official repositories by year of repository"
                        " creation (each repository once; unknown excluded)")


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"
