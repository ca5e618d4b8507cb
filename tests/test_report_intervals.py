"""Intervals against published reference values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.intervals import (
    newcombe_difference,
    percentile_interval,
    resample_counts,
    share_interval,
    wilson,
)


@pytest.mark.parametrize(
    ("k", "n", "lo", "hi"),
    [
        # Newcombe (1998), Statistics in Medicine 17:857, table I.
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_newcombe_table(k: int, n: int, lo: float, hi: float) -> None:
    low, high = wilson(k, n)
    assert float(low) == pytest.approx(lo, abs=1e-4)
    assert float(high) == pytest.approx(hi, abs=1e-4)


def test_wilson_stays_inside_unit_interval_and_handles_zero_n() -> None:
    low, high = wilson(np.array([0, 10, 0]), np.array([10, 10, 0]))
    assert low[0] == 0.0 and high[1] == 1.0
    assert 0 < high[0] < 0.35 and 0.65 < low[1] < 1
    assert math.isnan(low[2]) and math.isnan(high[2])


def test_share_interval_accepts_fractional_counts() -> None:
    share, lo, hi = share_interval(2.5, 5.0)
    assert share == 0.5 and lo < 0.5 < hi


def test_newcombe_difference_matches_published_example() -> None:
    # Newcombe (1998) table II, example (a): 56/70 - 48/80 = 0.2000, 95% CI 0.0524 to 0.3339.
    d, lo, hi = newcombe_difference(56, 70, 48, 80)
    assert d == pytest.approx(0.2)
    assert lo == pytest.approx(0.0524, abs=1e-4)
    assert hi == pytest.approx(0.3339, abs=1e-4)
    assert all(math.isnan(v) for v in newcombe_difference(1, 0, 1, 5))


def test_percentile_interval_ignores_nan() -> None:
    lo, hi = percentile_interval([np.nan, *range(101)])
    assert lo == pytest.approx(2.5) and hi == pytest.approx(97.5)
    assert all(math.isnan(v) for v in percentile_interval([np.nan]))


def test_resample_counts_keeps_total_and_shape() -> None:
    rng = np.random.default_rng(1)
    cells = np.array([[10.0, 0.0], [5.5, 4.5]])
    draws = np.stack([resample_counts(cells, rng) for _ in range(2000)])
    assert draws.shape == (2000, 2, 2)
    assert np.allclose(draws.sum(axis=(1, 2)), cells.sum())
    assert (draws[:, 0, 1] == 0).all()  # an empty cell stays empty
    assert draws.mean(axis=0) == pytest.approx(cells, rel=0.05)
    assert (resample_counts(np.zeros((2, 2)), rng) == 0).all()
