"""The trend model and the claims' verdicts, on data whose truth is known."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from synthetic import add_paper_with_code, fill_synthetic

from analysis import dataset
from analysis.claims import (
    INCONCLUSIVE,
    NOT_ENOUGH,
    NOT_SUPPORTED,
    SUPPORTED,
    evaluate_claims,
)
from analysis.trends import fit_trend
from survey.core.errors import ConfigError
from survey.core.settings import Settings

AS_OF = date(2026, 10, 31)


def _claims(conn, settings: Settings | None = None, replicates: int = 60):
    settings = settings or Settings()
    df = dataset.load_links(conn)
    fit = fit_trend(df, replicates=replicates)
    claims, _ = evaluate_claims(df, dataset.dying_uses(conn), fit, settings, AS_OF)
    return {c.key: c for c in claims}, fit


@pytest.fixture(scope="module")
def synthetic_conn(tmp_path_factory):
    from survey.core.db import open_write

    conn = open_write(tmp_path_factory.mktemp("claims") / "s.db")
    fill_synthetic(conn, 60_000, seed=11)
    yield conn
    conn.close()


def test_trend_model_recovers_the_generating_crossover(synthetic_conn) -> None:
    fit = fit_trend(dataset.load_links(synthetic_conn), replicates=80)
    assert fit is not None
    c = fit.crossover
    # The generating shares cross on 2018-09-17 (linear between the 2017 and 2019 anchors).
    truth = pd.Timestamp("2018-09-17")
    assert c.status == "crossed" and c.share_crossing == 1.0
    assert abs((c.date - truth).days) < 75
    assert c.low < c.date < c.high and (c.high - c.low).days < 200
    curves = fit.curves
    last = curves[curves["month"] == curves["month"].max()].set_index("label")
    assert last.loc["pytorch", "share"] == pytest.approx(0.82, abs=0.05)
    assert (curves["low"] <= curves["share"] + 1e-9).all()
    assert (curves["share"] <= curves["high"] + 1e-9).all()
    total = curves.groupby("month")["share"].sum()
    assert total.to_numpy() == pytest.approx(1.0)


def test_all_claims_supported_on_the_synthetic_record(synthetic_conn) -> None:
    # PyTorch + TensorFlow hold about 91.5% of deep-learning code in the synthetic last year.
    claims, _ = _claims(synthetic_conn, Settings(claim_two_frameworks=0.85))
    assert {k: c.verdict for k, c in claims.items()} == {
        "C1": SUPPORTED, "C2": SUPPORTED, "C3": SUPPORTED, "C4": SUPPORTED}
    assert claims["C4"].value.startswith("2018-")
    assert claims["C1"].interval.count("%") == 2


def test_thresholds_change_the_verdicts(synthetic_conn) -> None:
    strict = Settings(claim_majority=0.95, claim_two_frameworks=0.99, claim_dying_share=0.001)
    claims, _ = _claims(synthetic_conn, strict)
    assert claims["C1"].verdict == NOT_SUPPORTED
    assert claims["C2"].verdict == NOT_SUPPORTED
    assert "95.0%" in claims["C1"].threshold


def test_threshold_inside_the_interval_is_inconclusive(synthetic_conn) -> None:
    claims, _ = _claims(synthetic_conn)
    share = float(claims["C1"].value.rstrip("%")) / 100
    claims, _ = _claims(synthetic_conn, Settings(claim_majority=share))
    assert claims["C1"].verdict == INCONCLUSIVE and "straddles" in claims["C1"].reason
    # Plenty of papers: a straddling interval is a measurement, not a lack of data.
    assert claims["C1"].n > 1000 and "not enough" not in claims["C1"].reason


def _flat(conn, label_of, start: date, months: int, per_month: int) -> None:
    """``per_month`` papers a month whose label is ``label_of(i)``."""
    n = 0
    for m in range(months):
        y, mo = start.year + (start.month - 1 + m) // 12, (start.month - 1 + m) % 12 + 1
        for i in range(per_month):
            add_paper_with_code(conn, f"{y % 100:02d}{mo:02d}.{i:05d}",
                                f"{y}-{mo:02d}-{1 + i % 28:02d}", label_of(n))
            n += 1


def test_tensorflow_world_contradicts_c1_and_c4(conn) -> None:
    # Three years where TensorFlow keeps 70% and PyTorch 20%: no move, no majority.
    _flat(conn, lambda i: "tensorflow" if i % 10 < 7 else ("pytorch" if i % 10 < 9 else "none"),
          date(2023, 11, 1), 36, 30)
    claims, fit = _claims(conn)
    assert claims["C1"].verdict == NOT_SUPPORTED
    assert claims["C4"].verdict == NOT_SUPPORTED
    assert fit is not None and fit.crossover.status == "never"


def test_pytorch_ahead_from_the_start_cannot_show_a_move(conn) -> None:
    _flat(conn, lambda i: "pytorch" if i % 10 < 8 else "tensorflow", date(2023, 11, 1), 36, 20)
    claims, fit = _claims(conn)
    assert fit.crossover.status == "before-span"
    assert claims["C4"].verdict == NOT_ENOUGH and "harvest earlier" in claims["C4"].reason
    assert claims["C1"].verdict == SUPPORTED


def test_alive_old_framework_contradicts_c3(conn) -> None:
    # MXNet keeps a steady 10% of papers: not dead, not dying.
    def label(i: int) -> str:
        return "other" if i % 10 == 0 else "pytorch"
    _flat(conn, label, date(2024, 11, 1), 24, 20)
    conn.execute("DELETE FROM classification_scores WHERE repo IN"
                 " (SELECT repo FROM classifications WHERE framework = 'other')")
    conn.execute("INSERT INTO classification_scores (repo, framework, score)"
                 " SELECT repo, 'mxnet', 1.0 FROM classifications WHERE framework = 'other'")
    claims, _ = _claims(conn)
    assert claims["C3"].verdict == NOT_SUPPORTED and "MXNet" in claims["C3"].reason
    mxnet = next(d for d in claims["C3"].details if d["measure"] == "MXNet")
    assert mxnet["state"] == "alive"


def test_tiny_database_gives_not_enough_data_everywhere(conn) -> None:
    for i in range(5):
        add_paper_with_code(conn, f"2609.0000{i}", "2026-09-01", "pytorch")
    claims, fit = _claims(conn)
    assert fit is None
    assert {c.verdict for c in claims.values()} == {NOT_ENOUGH}
    assert "only 5 papers" in claims["C1"].reason


def test_empty_database_claims(conn) -> None:
    claims, fit = _claims(conn)
    assert fit is None and {c.verdict for c in claims.values()} == {NOT_ENOUGH}
    assert claims["C1"].value == "n/a"


@pytest.mark.parametrize(("bad", "message"), [
    ({"claim_majority": 1.5}, "--majority (env SURVEY_CLAIM_MAJORITY) must be between 0 and 1"),
    ({"claim_two_frameworks": 0.0}, "--two-frameworks (env SURVEY_CLAIM_TWO_FRAMEWORKS)"),
    ({"claim_dying_share": -0.1}, "--dying-share (env SURVEY_CLAIM_DYING_SHARE)"),
    ({"claim_min_papers": 0}, "--min-papers (env SURVEY_CLAIM_MIN_PAPERS) must be at least 1"),
    ({"report_months": 0}, "--months (env SURVEY_REPORT_MONTHS) must be at least 1, got 0"),
    ({"report_bootstrap": -1}, "--bootstrap (env SURVEY_REPORT_BOOTSTRAP) must be at least 0"),
])
def test_bad_thresholds_name_the_option_not_the_field(conn, bad, message) -> None:
    with pytest.raises(ConfigError) as err:
        _claims(conn, Settings(**bad))
    assert str(err.value).startswith(message)
    assert next(iter(bad)) not in str(err.value)  # never the internal field name


def test_tensorflow_ahead_but_not_significantly_is_inconclusive(conn) -> None:
    # TensorFlow 45%, PyTorch 40% every month: the model never crosses, but over the last
    # window (240 papers) the two 95% intervals overlap, so the claim is not contradicted.
    _flat(conn, lambda i: "tensorflow" if i % 20 < 9 else ("pytorch" if i % 20 < 17 else "none"),
          date(2023, 11, 1), 36, 20)
    claims, fit = _claims(conn)
    assert fit is not None and fit.crossover.status == "never"
    assert claims["C4"].verdict == INCONCLUSIVE
    assert claims["C4"].value == "n/a"


def test_no_bootstrap_replicates_says_so(synthetic_conn) -> None:
    claims, fit = _claims(synthetic_conn, Settings(report_bootstrap=0), replicates=0)
    assert fit is not None and fit.replicates == 0
    c4 = claims["C4"]
    assert c4.verdict == INCONCLUSIVE and "nan" not in c4.reason
    assert "--bootstrap 0" in c4.reason


def test_crossover_interval_only_beside_a_modelled_crossover(synthetic_conn) -> None:
    from analysis.charts import trend_chart
    from analysis.claims import claim_c4
    from analysis.trends import Crossover, TrendFit

    fit = fit_trend(dataset.load_links(synthetic_conn), replicates=20)
    # Some replicates cross, the fitted curves do not: no date, no interval, no band.
    never = TrendFit(curves=fit.curves, replicates=20, months=fit.months, n_papers=fit.n_papers,
                     crossover=Crossover(status="never", low=pd.Timestamp("2020-01-01"),
                                         high=pd.Timestamp("2021-01-01"), share_crossing=0.3))
    last = pd.Series({"pytorch": 50.0, "tensorflow": 50.0, "jax": 0.0, "other": 0.0,
                      "none": 0.0})
    claim = claim_c4(never, last, Settings())
    assert claim.value == "n/a" and claim.interval == "n/a"
    fig = trend_chart(never, dataset.shares_by_period(dataset.load_links(synthetic_conn)))
    assert len(fig.layout.shapes) == 0
    assert len(trend_chart(fit, pd.DataFrame(columns=["period", "label", "share"]))
               .layout.shapes) == 2  # the crossed fit: band and line


def test_crossover_date_is_interpolated_between_month_middles() -> None:
    from analysis.trends import _crossing

    months = pd.DatetimeIndex(["2020-01-01", "2020-02-01"])
    # Shares are the model's at mid-January and mid-February: level half way, i.e. Feb 1st.
    status, when = _crossing(months, pd.Series([0.4, 0.6]).to_numpy(),
                             pd.Series([0.6, 0.4]).to_numpy())
    assert status == "crossed"
    assert abs(when - pd.Timestamp("2020-02-01")) < pd.Timedelta(days=1)


def test_c2_counts_papers_with_deep_learning_code(conn) -> None:
    # 150 papers with classified code in the window, only 30 of them use a DL framework.
    for i in range(150):
        add_paper_with_code(conn, f"2605.{i:05d}", "2026-05-10", "pytorch" if i < 30 else "none")
    claims, _ = _claims(conn)
    assert claims["C2"].verdict == NOT_ENOUGH
    assert "only 30 papers with deep-learning code" in claims["C2"].reason
    assert claims["C1"].reason.startswith("the whole 95% interval")  # 150 is enough for C1


def test_trend_chart_without_replicates_claims_no_bands(synthetic_conn) -> None:
    from analysis.charts import trend_chart

    df = dataset.load_links(synthetic_conn)
    fig = trend_chart(fit_trend(df, replicates=0), dataset.shares_by_period(df))
    assert "95% bands" not in fig.layout.title.text and "no bands" in fig.layout.title.text
