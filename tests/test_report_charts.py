"""What the figures draw: intervals without hovering, the partial period, one scale and the
threshold for the dying frameworks, "other" opened into its frameworks."""

from __future__ import annotations

from datetime import date

import pytest
from synthetic import fill_synthetic

from analysis import charts, dataset
from analysis.evals import links_figures

AS_OF = date(2026, 8, 31)


@pytest.fixture(scope="module")
def links_and_names(tmp_path_factory):
    from survey.core.db import open_write

    conn = open_write(tmp_path_factory.mktemp("charts") / "s.db")
    fill_synthetic(conn, 8000, seed=9)
    links = dataset.load_links(conn, until=dataset.until_after(AS_OF))
    out = (links, dataset.other_names(conn), dataset.dying_uses(conn))
    conn.close()
    return out


def _bands(fig) -> list:
    return [t for t in fig.data if getattr(t, "fill", None) == "tonexty"]


def test_share_charts_draw_their_intervals(links_and_names) -> None:
    links, names, _ = links_and_names
    shares = dataset.shares_by_period(links, "Q")
    fig = charts.shares_chart(shares, dataset.other_shares_by_period(links, names), AS_OF)
    visible = [t for t in _bands(fig) if t.visible is not False]
    assert len(visible) == len(dataset.LABELS)  # one band per label, shown
    for name in ("categories", "official", "repo_created"):
        frame = {"categories": dataset.shares_by_category(links),
                 "official": dataset.official_vs_all(links),
                 "repo_created": dataset.repo_created_view(links)}[name]
        assert _bands(getattr(charts, f"{name}_chart")(frame, AS_OF)), name
    dying = charts.dying_chart(dataset.dying_by_year(links, links_and_names[2]), 0.02, AS_OF)
    assert all(t.error_y.array is not None for t in dying.data[:len(dataset.DYING)])


def test_other_opens_into_its_frameworks_on_the_same_denominator(links_and_names) -> None:
    links, names, _ = links_and_names
    shares = dataset.shares_by_period(links, "Q")
    split = dataset.other_shares_by_period(links, names)
    assert {"MXNet", "PaddlePaddle", "MindSpore", "Theano"} <= set(split["label"])
    # The frameworks inside "other" add up to "other", quarter by quarter.
    total = split.groupby("period")["share"].sum()
    other = shares[shares["label"] == "other"].set_index("period")["share"]
    assert total.to_numpy() == pytest.approx(other.reindex(total.index).to_numpy())
    fig = charts.shares_chart(shares, split, AS_OF)
    hidden = [t for t in fig.data if t.meta and t.meta.get("group") == "split"]
    assert hidden and all(t.visible is False for t in hidden)
    assert {t.name for t in hidden if t.mode} >= {"MXNet", "PaddlePaddle"}


def test_the_partial_quarter_is_shaded(links_and_names) -> None:
    links, _, _ = links_and_names
    fig = charts.ratio_chart(dataset.ratio_by_period(links), AS_OF)
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    assert [(r.x0, r.x1) for r in rects] == [("2026-07-01", "2026-10-01")]
    assert any("partial" in a.text for a in fig.layout.annotations)
    # As of a quarter's last day nothing is partial.
    june = links[links["published"] <= "2026-06-30"]
    whole = charts.ratio_chart(dataset.ratio_by_period(june), date(2026, 6, 30))
    assert not [s for s in whole.layout.shapes if s.type == "rect"]


def test_dying_panels_share_one_scale_and_draw_the_threshold(links_and_names) -> None:
    links, _, uses = links_and_names
    fig = charts.dying_chart(dataset.dying_by_year(links, uses), 0.02, AS_OF)
    ranges = {tuple(axis["range"]) for name, axis in fig.layout.to_plotly_json().items()
              if name.startswith("yaxis")}
    assert len(ranges) == 1
    lines = [s for s in fig.layout.shapes if s.type == "line" and s.y0 == s.y1 == 0.02]
    assert len(lines) == len(dataset.DYING)


def test_links_figures_come_from_the_file() -> None:
    info = {"held": {"official_precision": {"k": 11, "n": 18, "value": 0.6111},
                     "github_recall": {"k": 33, "n": 33, "value": 1.0}},
            "sets": {"held": {"records": 26, "links": 39}}, "judge": "rules"}
    found = links_figures(info)
    assert found is not None
    texts = {f.key: f.text for f in found.figures}
    assert texts["official_precision"] == "61.1% (95% interval 38.6% to 79.7%), 11 of 18"
    assert texts["github_recall"].startswith("100.0% (95% interval 89.6% to 100.0%)")
    assert "held-out set" in found.source and "26 records" in found.source
    assert links_figures({}) is None
