"""The per-venue view of the report: PyTorch / (PyTorch + TensorFlow) per conference and year.

The studies readers compare with (Horace He's per-conference figures) count one conference's
main track; so does this view: each paper with classified official code gets its venue from its
comment and journal reference (:func:`analysis.venues.venue_of`, workshops kept apart and left
out), and the ratio per (venue, year) comes with its Wilson interval, paired with the published
figure of the same venue and year (:mod:`analysis.venue_shares`).
"""

from __future__ import annotations

import sqlite3

import pandas as pd

from analysis.venue_shares import RATIO_COLUMNS, pair_with_published, venue_ratios
from analysis.venues import venue_of
from survey.store import tables


def venue_frame(conn: sqlite3.Connection, links: pd.DataFrame) -> pd.DataFrame:
    """The papers with classified official code, with their venue, year and workshop flag."""
    d = links[links["w_off"] > 0]
    cols = ["arxiv_id", "framework", "w_off", "venue", "year", "workshop"]
    if d.empty:
        return pd.DataFrame(columns=cols)
    none: tuple[str | None, int | None, bool] = (None, None, False)
    found: dict[str, tuple[str | None, int | None, bool]] = {}
    # One Python list of the ids, read once: iterating a pyarrow-backed column element by
    # element costs seconds at a million papers.
    keys = d["arxiv_id"].astype(str).tolist()
    for arxiv_id, comment, journal_ref, published in tables.venue_texts(conn, keys):
        year = int(published[:4]) if published[:4].isdigit() else None
        venue = venue_of(comment, journal_ref, year)
        found[arxiv_id] = ((venue.name, venue.year, venue.workshop) if venue is not None
                           else none)
    venues, years, workshops = zip(*(found.get(k, none) for k in keys), strict=True)
    out = d[["arxiv_id", "framework", "w_off"]].copy()
    out["venue"] = list(venues)
    out["year"] = list(years)
    out["workshop"] = list(workshops)
    out["framework"] = out["framework"].astype(str)
    return out[cols]


def venue_table(conn: sqlite3.Connection, links: pd.DataFrame) -> pd.DataFrame:
    """Our ratio per (venue, year) beside the published figure for it (empty: no venue)."""
    frame = venue_frame(conn, links)
    ratios = venue_ratios(frame) if not frame.empty else pd.DataFrame(columns=RATIO_COLUMNS)
    return pair_with_published(ratios)
