"""The units and denominators, checked on small databases whose answers are known exactly."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from synthetic import (
    add_classification,
    add_link,
    add_paper,
    add_paper_with_code,
    add_repo,
    fill_synthetic,
)

from analysis import dataset
from analysis.published import compare, load_measurements

AS_OF = date(2026, 10, 31)


@pytest.fixture
def small(conn):
    """Five papers in 2026, one without code, one with two repos, one unknown, one aliased."""
    add_paper_with_code(conn, "2601.00001", "2026-01-10", "pytorch", primary_category="cs.CV")
    add_paper_with_code(conn, "2602.00002", "2026-02-10", ["pytorch", "tensorflow"],
                        primary_category="cs.CL")
    add_paper_with_code(conn, "2603.00003", "2026-03-10", "unknown")
    add_paper(conn, "2604.00004", "2026-04-10")  # no code
    # A link to an old name that resolves to a classified JAX repository.
    add_paper(conn, "2605.00005", "2026-05-10", primary_category="stat.ML")
    add_repo(conn, "github.com/new/jaxrepo", created_at="2024-05-01T00:00:00Z")
    conn.execute("INSERT INTO repo_aliases (alias, repo) VALUES (?, ?)",
                 ("github.com/old/jaxrepo", "github.com/new/jaxrepo"))
    add_link(conn, "2605.00005", "github.com/old/jaxrepo")
    add_link(conn, "2605.00005", "github.com/new/jaxrepo")  # both names: one repository
    add_classification(conn, "github.com/new/jaxrepo", "jax", {"jax": 2.0, "flax": 1.0})
    # A project page and a tool the paper only mentions: not official code.
    add_link(conn, "2601.00001", "example.org/project", kind="project-page")
    add_repo(conn, "github.com/big/tool")
    add_link(conn, "2601.00001", "github.com/big/tool", official=False)
    add_classification(conn, "github.com/big/tool", "tensorflow")
    return conn


def test_weights_split_a_paper_over_its_official_repositories(small) -> None:
    df = dataset.load_links(small)
    assert "example.org/project" not in set(df["repo"])
    assert len(df[df["arxiv_id"] == "2605.00005"]) == 1  # alias and new name collapse
    assert df.loc[df["arxiv_id"] == "2605.00005", "repo"].item() == "github.com/new/jaxrepo"
    per_paper = df.groupby("arxiv_id")["w_off"].sum()
    assert per_paper.to_dict() == {"2601.00001": 1.0, "2602.00002": 1.0, "2603.00003": 0.0,
                                   "2605.00005": 1.0}
    two = df[df["arxiv_id"] == "2602.00002"]
    assert sorted(two["w_off"]) == [0.5, 0.5]
    # In the every-link view the mentioned tool takes half of paper 1.
    paper1 = df[df["arxiv_id"] == "2601.00001"].set_index("repo")["w_all"].to_dict()
    assert paper1 == {"github.com/u260100001/r0": 0.5, "github.com/big/tool": 0.5}


def test_framework_shares_excludes_unknown_and_sums_to_one(small) -> None:
    shares = dataset.framework_shares(small, months=12, as_of=AS_OF)
    assert shares == pytest.approx({"pytorch": 1.5 / 3, "tensorflow": 0.5 / 3,
                                    "jax": 1 / 3, "other": 0.0, "none": 0.0})
    assert dataset.framework_shares(small, months=3, as_of=AS_OF) == {}
    # The window ends on the as-of day: a paper after it does not count.
    add_paper_with_code(small, "2612.00009", "2026-12-01", "none")
    assert dataset.framework_shares(small, months=12, as_of=AS_OF)["none"] == 0.0


def test_shares_and_counts_by_period(small) -> None:
    df = dataset.load_links(small)
    shares = dataset.shares_by_period(df, "Q")
    q1 = shares[shares["period"] == pd.Timestamp("2026-01-01")].set_index("label")
    assert q1["n"].iloc[0] == 2.0
    assert q1.loc["pytorch", "papers"] == 1.5 and q1.loc["tensorflow", "share"] == 0.25
    assert (q1["low"] <= q1["share"]).all() and (q1["share"] <= q1["high"]).all()
    counts = dataset.counts_by_period(df, "Q").set_index(["period", "label"])["papers"]
    assert counts[(pd.Timestamp("2026-01-01"), "unknown")] == 1.0
    assert counts[(pd.Timestamp("2026-04-01"), "jax")] == 1.0
    ratio = dataset.ratio_by_period(df, "Q")
    assert ratio.loc[0, "ratio"] == pytest.approx(0.75)


def test_coverage_funnel(small) -> None:
    cov = dataset.coverage_by_year(small, dataset.load_links(small))
    row = cov.set_index("year").loc[2026]
    assert row.to_dict() == {"harvested": 5, "with_code_link": 4, "fetched": 4, "classified": 3}
    small.execute("UPDATE repos SET status = 'missing' WHERE repo = 'github.com/u260300003/r0'")
    row = dataset.coverage_by_year(small, dataset.load_links(small)).set_index("year").loc[2026]
    assert row["fetched"] == 3


def test_dying_uses_reads_scores_and_survives_bad_json(conn) -> None:
    add_paper_with_code(conn, "1801.00001", "2018-01-05", "other", frameworks={"theano": 1.0})
    add_paper_with_code(conn, "1801.00002", "2018-01-06", "tensorflow",
                        frameworks={"tensorflow": 2.0, "keras": 0.5})
    add_paper_with_code(conn, "1801.00003", "2018-01-07", "other",
                        frameworks={"caffe": 0.0, "mxnet": 1.0})  # zero score: not used
    add_paper_with_code(conn, "1801.00004", "2018-01-08", "pytorch",
                        frameworks={"pytorch": 0.9, "keras": 0.05, "theano": 0.05})  # noise
    add_paper_with_code(conn, "1801.00005", "2018-01-09", "other")
    # A label without scores (what a legacy row of unreadable JSON migrates to).
    conn.execute("DELETE FROM classification_scores WHERE repo = 'github.com/u180100005/r0'")
    uses = dataset.dying_uses(conn)
    assert sorted(map(tuple, uses.to_numpy())) == [
        ("github.com/u180100001/r0", "Theano"), ("github.com/u180100002/r0", "Keras (standalone)"),
        ("github.com/u180100003/r0", "MXNet")]
    by_year = dataset.dying_by_year(dataset.load_links(conn), uses)
    theano = by_year[by_year["framework"] == "Theano"].iloc[0]
    assert theano["papers"] == 1.0 and theano["n"] == 5.0


def test_repo_view_counts_each_repository_once(conn) -> None:
    add_paper_with_code(conn, "1901.00001", "2019-01-05", "pytorch",
                        created_at="2018-06-01T00:00:00Z")
    add_paper(conn, "1902.00002", "2019-02-05")
    add_link(conn, "1902.00002", "github.com/u190100001/r0")  # same repo, second paper
    view = dataset.repo_created_view(dataset.load_links(conn))
    assert view.loc[view["label"] == "pytorch", "papers"].tolist() == [1.0]
    assert view["period"].iloc[0] == pd.Timestamp("2018-01-01")


def test_categories_fold_into_groups(small) -> None:
    by_cat = dataset.shares_by_category(dataset.load_links(small))
    assert set(by_cat["category"]) == {"cs.CV", "cs.CL", "stat.ML"}
    assert set(dataset.category_group(pd.Series(["cs.RO", "cs.CV"]))) == {"others", "cs.CV"}


def test_empty_database_gives_empty_frames(conn) -> None:
    df = dataset.load_links(conn)
    assert df.empty and dataset.shares_by_period(df).empty
    assert dataset.counts_by_period(df).empty and dataset.ratio_by_period(df).empty
    assert dataset.coverage_by_year(conn, df).empty
    assert dataset.framework_shares(conn) == {}
    ov = dataset.overview(conn, df)
    assert ov.papers == 0 and ov.first_published is None


def test_published_comparison_uses_same_period_and_measure(conn) -> None:
    # cs.CV 2019: 3 PyTorch, 1 TensorFlow, 1 none -> PyTorch/(PyTorch+TensorFlow) = 75%.
    for i, label in enumerate(["pytorch", "pytorch", "pytorch", "tensorflow", "none"]):
        add_paper_with_code(conn, f"1905.0000{i}", "2019-05-01", label, primary_category="cs.CV")
    add_paper_with_code(conn, "2005.00001", "2020-05-01", "tensorflow", primary_category="cs.CV")
    rows = compare(dataset.load_links(conn))
    assert len(rows) == len(load_measurements()) == 7
    cvpr = rows[0]
    assert cvpr.published == "69%" and cvpr.ours == "75.0%" and cvpr.n == "4 papers"
    # State of AI: repositories created 2017-2020, PyTorch 3 of 6 classified.
    assert rows[3].ours == "50.0%" and rows[3].n == "6 repositories"


def test_synthetic_shares_follow_the_generating_curve(conn) -> None:
    fill_synthetic(conn, 30_000, seed=3)
    shares = dataset.framework_shares(conn, months=12, as_of=AS_OF)
    assert shares["pytorch"] == pytest.approx(0.82, abs=0.04)
    assert shares["tensorflow"] == pytest.approx(0.045, abs=0.03)


def test_claims_window_is_as_long_as_the_one_before() -> None:
    from analysis.claims import make_windows

    w = make_windows(date(2026, 11, 26), 12)
    assert w.label == "2025-11-27 to 2026-11-26"
    assert w.prev_label == "2024-11-27 to 2025-11-26"
    assert w.end + pd.Timedelta(days=1) - w.start == w.start - w.prev_start
    # As of a month's end, the window is the last twelve calendar months exactly.
    assert make_windows(AS_OF, 12).label == "2025-11-01 to 2026-10-31"
    assert make_windows(date(2024, 2, 29), 1).label == "2024-02-01 to 2024-02-29"


def test_framework_shares_window_edges(conn) -> None:
    add_paper_with_code(conn, "2511.00001", "2025-11-01", "pytorch")  # first day: in
    add_paper_with_code(conn, "2510.00001", "2025-10-31", "jax")  # the window before: out
    add_paper_with_code(conn, "2611.00001", "2026-11-01", "none")  # after the as-of day: out
    assert dataset.framework_shares(conn, months=12, as_of=AS_OF) == pytest.approx(
        {"pytorch": 1.0, "tensorflow": 0.0, "jax": 0.0, "other": 0.0, "none": 0.0})
