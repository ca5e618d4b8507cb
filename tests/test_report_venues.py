"""The per-conference view: venues read from comments, ratios with intervals, the published
figures beside them, in the page and its CSV (issue 14)."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pandas as pd
from synthetic import add_paper_with_code

from analysis import dataset
from analysis.report import build_report_data, write_report
from analysis.venue_report import venue_frame, venue_table
from survey.core.settings import Settings

FAST = Settings(report_bootstrap=0)


def _papers(conn: sqlite3.Connection) -> None:
    """2019: 30 CVPR papers (21 PyTorch, 9 TensorFlow), 5 CVPR workshop papers (TensorFlow),
    10 without a venue; 2020: 10 NeurIPS papers (PyTorch)."""
    rows: list[tuple[str, str, str | None]] = []
    for i in range(30):
        rows.append((f"1906.{i:05d}", "pytorch" if i < 21 else "tensorflow",
                     "Accepted at CVPR 2019 (oral)"))
    for i in range(5):
        rows.append((f"1906.{100 + i:05d}", "tensorflow", "CVPR 2019 Workshop on Vision"))
    for i in range(10):
        rows.append((f"1906.{200 + i:05d}", "pytorch", "12 pages, 5 figures"))
    for i in range(10):
        rows.append((f"2006.{i:05d}", "pytorch", "NeurIPS 2020 camera-ready"))
    for arxiv_id, label, comment in rows:
        published = f"20{arxiv_id[:2]}-06-15T12:00:00Z"
        add_paper_with_code(conn, arxiv_id, published, label)
        conn.execute("UPDATE papers SET comment = ? WHERE arxiv_id = ?", (comment, arxiv_id))


def test_venues_come_from_comments_and_workshops_stay_out(conn: sqlite3.Connection) -> None:
    _papers(conn)
    frame = venue_frame(conn, dataset.load_links(conn))
    assert (frame["venue"] == "CVPR").sum() == 35 and frame["workshop"].sum() == 5
    table = venue_table(conn, dataset.load_links(conn))
    cvpr = table[(table["venue"] == "CVPR") & (table["year"] == 2019)].iloc[0]
    assert (cvpr["pytorch"], cvpr["tensorflow"]) == (21.0, 9.0)  # the 5 workshop papers: out
    assert abs(cvpr["ratio"] - 0.7) < 1e-9 and cvpr["low"] < 0.7 < cvpr["high"]
    assert cvpr["published"] == 0.69  # Horace He's CVPR 2019 figure, beside ours
    neurips = table[(table["venue"] == "NeurIPS") & (table["year"] == 2020)].iloc[0]
    assert neurips["ratio"] == 1.0 and neurips["n"] == 10.0


def test_the_page_has_the_venue_chart_and_its_csv(conn: sqlite3.Connection,
                                                  tmp_path: Path) -> None:
    _papers(conn)
    data = build_report_data(conn, FAST, as_of=date(2020, 12, 31))
    chart = next(c for c in data.charts if c.id == "chart-venues")
    assert {"CVPR", "NeurIPS"} <= set(chart.data.loc[chart.data["n"] > 0, "venue"])
    page = write_report(conn, FAST, tmp_path / "out", as_of=date(2020, 12, 31))
    html = page.read_text(encoding="utf-8")
    assert 'id="chart-venues"' in html and "By conference" in html
    csv = pd.read_csv(page.parent / "index-data" / "venues.csv")
    assert set(csv.columns) >= {"venue", "year", "ratio", "low", "high", "published"}


def test_no_venue_no_chart(conn: sqlite3.Connection) -> None:
    add_paper_with_code(conn, "1906.00001", "2019-06-15T12:00:00Z", "pytorch")
    data = build_report_data(conn, FAST, as_of=date(2019, 12, 31))
    assert all(c.id != "chart-venues" for c in data.charts)
