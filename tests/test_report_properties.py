"""Properties that must hold for any link structure and any counts (Hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from synthetic import add_classification, add_paper, add_repo, fill_synthetic

from analysis import dataset
from analysis.intervals import wilson
from survey.core.db import open_write

LABEL = st.sampled_from(["pytorch", "tensorflow", "jax", "other", "none", "unknown"])
# A paper: a list of (repository number, official, label); repositories may be shared.
PAPER = st.lists(st.tuples(st.integers(0, 6), st.booleans(), LABEL), min_size=1, max_size=4)


@settings(max_examples=40, deadline=None)
@given(st.lists(PAPER, min_size=1, max_size=8))
def test_each_paper_sums_to_one_or_zero(papers) -> None:
    conn = open_write(":memory:")
    labels: dict[int, str] = {}
    for i, links in enumerate(papers):
        aid = f"2601.{i:05d}"
        add_paper(conn, aid, "2026-01-15")
        for repo_no, official, label in links:
            repo = f"github.com/o/r{repo_no}"
            add_repo(conn, repo)
            if repo_no not in labels:
                labels[repo_no] = label
                if label != "unknown":
                    add_classification(conn, repo, label)
            conn.execute("INSERT OR IGNORE INTO links (arxiv_id, repo, host, kind, url, official,"
                         " source) VALUES (?, ?, 'github.com', 'github', ?, ?, 'abstract')",
                         (aid, repo, "https://" + repo, int(official)))
    df = dataset.load_links(conn)
    for weight, mask in (("w_off", df["official"]), ("w_all", df["official"] | True)):
        known = (df["framework"] != "unknown") & mask
        sums = df.groupby("paper")[weight].sum()
        has_known = known.groupby(df["paper"]).any()
        assert np.allclose(sums[has_known], 1.0)
        assert np.allclose(sums[~has_known], 0.0)
    shares = dataset.shares_by_period(df, "Q")
    if not shares.empty:
        assert np.allclose(shares.groupby("period")["share"].sum(), 1.0)
    conn.close()


# Counts are whole papers or fractions of one paper (1/k), never denormal floats.
COUNT = st.one_of(st.just(0.0), st.floats(1e-3, 1e6))


@given(COUNT, COUNT)
def test_wilson_brackets_the_share(a: float, b: float) -> None:
    k, n = min(a, b), max(a, b)
    lo, hi = wilson(k, n)
    if n == 0:
        assert np.isnan(lo) and np.isnan(hi)
    else:
        assert 0.0 <= lo <= k / n + 1e-12 and k / n - 1e-12 <= hi <= 1.0


def test_synthetic_can_be_appended_to() -> None:
    conn = open_write(":memory:")
    first = fill_synthetic(conn, 2000, seed=1)
    second = fill_synthetic(conn, 500, seed=2, id_offset=50_000)
    total = conn.execute("SELECT COUNT(*) FROM papers").fetchone()[0]
    assert total == first.papers + second.papers == 2500
    conn.close()
