"""Published measurements beside ours: the table is data (published_measurements.yaml).

Published studies differ from ours mostly by denominator and time axis, so each entry says how
to compute our figure over the same period with the same measure, and we print both with our
95 % Wilson interval and the number of papers (or repositories) behind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

import pandas as pd
import yaml

from analysis.dataset import DL_LABELS, LABELS
from analysis.intervals import share_interval
from survey.core.errors import ConfigError

RELATIONS = {"=": "", ">": "above ", "<": "under ", "~": "about "}


@dataclass(frozen=True)
class Comparison:
    study: str
    title: str
    url: str
    date: str
    counted: str
    measure: str
    published: str
    ours_counted: str
    ours: str
    interval: str
    n: str


def load_measurements() -> list[dict[str, Any]]:
    """The packaged table; a malformed file is a configuration error, not a crash."""
    path = resources.files("analysis").joinpath("data", "published_measurements.yaml")
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
        rows = list(data["measurements"])
    except (yaml.YAMLError, KeyError, TypeError) as exc:
        raise ConfigError(f"published_measurements.yaml is malformed: {exc}") from exc
    return rows


def _our_figure(spec: dict[str, Any], links: pd.DataFrame) -> tuple[float, float, float, float]:
    start = pd.Timestamp(str(spec["from"]))
    end = pd.Timestamp(str(spec["to"]))
    view = spec.get("view", "papers")
    if view == "repos":
        d = links[links["official"] & (links["framework"] != "unknown")]
        d = d.drop_duplicates("repo")
        d = d[(d["created"] >= start) & (d["created"] <= end)]
        weights = pd.Series(1.0, index=d.index)
    elif view == "papers":
        d = links[(links["w_off"] > 0) & (links["published"] >= start)
                  & (links["published"] <= end)]
        weights = d["w_off"]
    else:
        raise ConfigError(f"published_measurements.yaml: unknown view {view!r}")
    cats = spec.get("categories")
    if cats:
        keep = d["primary"].astype(str).isin([str(c) for c in cats])
        d, weights = d[keep], weights[keep]
    by_label = weights.groupby(d["framework"].astype(str)).sum().reindex(
        list(LABELS), fill_value=0.0)
    measure = spec.get("measure")
    label = spec.get("label", "pytorch")
    if measure == "ratio":
        k, n = by_label["pytorch"], by_label["pytorch"] + by_label["tensorflow"]
    elif measure == "share":
        k, n = by_label[label], by_label.sum()
    elif measure == "dl_share":
        k, n = by_label[label], by_label[list(DL_LABELS)].sum()
    else:
        raise ConfigError(f"published_measurements.yaml: unknown measure {measure!r}")
    share, lo, hi = share_interval(float(k), float(n))
    return share, lo, hi, float(n)


def compare(links: pd.DataFrame, measurements: list[dict[str, Any]] | None = None
            ) -> list[Comparison]:
    """One row per published figure with ours for the same period and measure."""
    out = []
    for m in measurements if measurements is not None else load_measurements():
        share, lo, hi, n = _our_figure(m["ours"], links)
        unit = "repositories" if m["ours"].get("view") == "repos" else "papers"
        out.append(Comparison(
            study=str(m["study"]), title=str(m.get("title", "")), url=str(m.get("url", "")),
            date=str(m.get("date", "")), counted=str(m.get("counted", "")),
            measure=str(m.get("measure", "")),
            published=f"{RELATIONS.get(str(m.get('relation', '=')), '')}"
                      f"{100 * float(m['value']):.0f}%",
            ours_counted=str(m.get("ours_counted", "")),
            ours="n/a" if pd.isna(share) else f"{100 * share:.1f}%",
            interval="n/a" if pd.isna(lo) else f"{100 * lo:.1f}% to {100 * hi:.1f}%",
            n=f"{n:,.0f} {unit}",
        ))
    return out
