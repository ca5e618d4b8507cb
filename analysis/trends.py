"""The trend model: multinomial logistic regression of label on time, with bootstrap bands.

The model is scikit-learn's multinomial ``LogisticRegression`` on a cubic B-spline basis of the
date (``SplineTransformer``), so each label's log-odds can bend (TensorFlow rose, then fell)
while the shares stay smooth, positive and summing to one. Because the only predictor is the
month, the fit runs on monthly (month, label) cells weighted by their paper counts, which gives
the same likelihood as one row per paper and keeps a million papers cheap. Bands are the 2.5th
and 97.5th percentiles over bootstrap refits; each replicate redraws the papers with replacement
(a multinomial draw over the cells, see :func:`analysis.intervals.resample_counts`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import SplineTransformer
from threadpoolctl import threadpool_limits

from analysis.dataset import LABELS
from analysis.intervals import percentile_interval, resample_counts

# Fewer months than this (with classified papers) and no model is fitted.
MIN_MONTHS = 12


@dataclass(frozen=True)
class Crossover:
    """When PyTorch's modelled share first exceeds TensorFlow's.

    ``status``: ``crossed`` (inside the data's span), ``before-span`` (PyTorch already ahead at
    the first month), ``never`` (TensorFlow still ahead at the last month) or ``no-model``.
    ``low``/``high`` bound the date over bootstrap replicates that cross; ``share_crossing`` is
    the fraction of replicates that cross inside the span.
    """

    status: str
    date: pd.Timestamp | None = None
    low: pd.Timestamp | None = None
    high: pd.Timestamp | None = None
    share_crossing: float = float("nan")


@dataclass(frozen=True)
class TrendFit:
    """Modelled shares on a monthly grid: ``curves`` has month, label, share, low, high."""

    curves: pd.DataFrame
    crossover: Crossover
    replicates: int
    months: int
    n_papers: float


def monthly_cells(df: pd.DataFrame, weight: str = "w_off") -> pd.DataFrame:
    """Weighted papers per (month, label): months as rows, LABELS as columns."""
    d = df[df[weight] > 0]
    if d.empty:
        return pd.DataFrame(columns=list(LABELS), dtype=float)
    month = d["published"].dt.to_period("M").dt.start_time
    table = d.groupby([month, "framework"], observed=False)[weight].sum().unstack("framework")
    table = table.reindex(columns=list(LABELS), fill_value=0.0).fillna(0.0)
    full = pd.date_range(table.index.min(), table.index.max(), freq="MS")
    return table.reindex(full, fill_value=0.0)


def _years(index: pd.DatetimeIndex) -> np.ndarray:
    """Mid-month as fractional years (the model's single predictor)."""
    return (index.year + (index.month - 0.5) / 12.0).to_numpy(dtype=float)


class _Model:
    """The spline basis (fixed by the months) and a refit that starts from the last solution.

    Bootstrap replicates differ little from the full sample, so starting L-BFGS from the point
    estimate's coefficients cuts most of its iterations.
    """

    def __init__(self, x: np.ndarray, n_knots: int) -> None:
        # No bias column: B-splines sum to one, which would duplicate the intercept and leave
        # L-BFGS crawling along a flat valley.
        self.spline = SplineTransformer(n_knots=n_knots, degree=3, extrapolation="linear",
                                        include_bias=False)
        self.basis = self.spline.fit_transform(x.reshape(-1, 1))
        self.start: LogisticRegression | None = None

    def fit_predict(self, cells: np.ndarray, warm: bool = False) -> np.ndarray:
        """Fit on cell counts (rows: months, columns: LABELS); shares per month (LABELS order).

        Cell weights are rescaled to mean 1, so the ridge penalty (``C=10``) is a fixed, mild
        smoothness prior whatever the data size: without it a label absent in early months
        (JAX before 2018) drives its coefficients towards minus infinity and the fit crawls.
        A label absent from ``cells`` gets share 0 (scikit-learn only models classes it saw).
        """
        rows, cols = np.nonzero(cells > 0)
        out = np.zeros((cells.shape[0], len(LABELS)))
        present = np.unique(cols)
        if present.size == 1:
            out[:, present[0]] = 1.0
            return out
        model = LogisticRegression(C=10.0, tol=1e-6, max_iter=2000, warm_start=warm)
        if warm and self.start is not None and np.array_equal(self.start.classes_, present):
            model.coef_ = self.start.coef_.copy()
            model.intercept_ = self.start.intercept_.copy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            w = cells[rows, cols]
            model.fit(self.basis[rows], cols, sample_weight=w / w.mean())
        if self.start is None:
            self.start = model
        out[:, model.classes_] = model.predict_proba(self.basis)
        return out


def _date_of(x: float) -> pd.Timestamp:
    """A fractional year (as :func:`_years` gives them) back to a date."""
    year = int(np.floor(x))
    start, stop = pd.Timestamp(year=year, month=1, day=1), pd.Timestamp(year=year + 1, month=1,
                                                                       day=1)
    return start + (stop - start) * float(x - year)


def _crossing(grid_dates: pd.DatetimeIndex, pt: np.ndarray, tf: np.ndarray):
    """(status, date): first month where PyTorch's share exceeds TensorFlow's (interpolated).

    The shares are the model's at each month's middle (its predictor, :func:`_years`), so the
    interpolation runs between those middles, not between the months' first days.
    """
    diff = pt - tf
    if diff[0] > 0:
        return "before-span", None
    above = np.nonzero(diff > 0)[0]
    if above.size == 0:
        return "never", None
    i = int(above[0])
    # Linear interpolation between month i-1 (<= 0) and month i (> 0).
    frac = -diff[i - 1] / (diff[i] - diff[i - 1]) if diff[i] != diff[i - 1] else 1.0
    x = _years(pd.DatetimeIndex(grid_dates[i - 1:i + 1]))
    return "crossed", _date_of(x[0] + (x[1] - x[0]) * float(frac))


def fit_trend(
    df: pd.DataFrame, *, replicates: int = 200, seed: int = 0, weight: str = "w_off",
    progress: Callable[[int], None] | None = None,
) -> TrendFit | None:
    """Fit the model and its bootstrap; ``None`` when fewer than MIN_MONTHS months hold data."""
    cells_df = monthly_cells(df, weight)
    months_with_data = int((cells_df.sum(axis=1) > 0).sum()) if not cells_df.empty else 0
    if months_with_data < MIN_MONTHS:
        return None
    index = pd.DatetimeIndex(cells_df.index)
    x = _years(index)
    cells = cells_df.to_numpy(dtype=float)
    span_years = x[-1] - x[0]
    # About one knot every two years, between 3 and 8: enough to bend, too few to chase noise.
    n_knots = int(np.clip(round(span_years / 2) + 2, 3, 8))
    model = _Model(x, n_knots)
    point = model.fit_predict(cells)
    rng = np.random.default_rng(seed)
    boot = np.empty((replicates, len(x), len(LABELS)))
    crossings: list[float] = []
    # Tiny problems: one BLAS thread is faster than several fighting over the cores.
    with threadpool_limits(limits=1):
        for b in range(replicates):
            boot[b] = model.fit_predict(resample_counts(cells, rng), warm=True)
            if progress is not None:
                progress(b + 1)
            status, when = _crossing(index, boot[b][:, 0], boot[b][:, 1])
            crossings.append(when.value if status == "crossed" else np.nan)
    frames = []
    for j, label in enumerate(LABELS):
        lo = np.percentile(boot[:, :, j], 2.5, axis=0) if replicates else point[:, j]
        hi = np.percentile(boot[:, :, j], 97.5, axis=0) if replicates else point[:, j]
        frames.append(pd.DataFrame({"month": index, "label": label, "share": point[:, j],
                                    "low": lo, "high": hi}))
    status, when = _crossing(index, point[:, 0], point[:, 1])
    finite = np.isfinite(crossings)
    lo_ns, hi_ns = percentile_interval(crossings)
    crossover = Crossover(
        status=status,
        date=when,
        low=pd.Timestamp(int(lo_ns)) if np.isfinite(lo_ns) else None,
        high=pd.Timestamp(int(hi_ns)) if np.isfinite(hi_ns) else None,
        share_crossing=float(finite.mean()) if replicates else float("nan"),
    )
    return TrendFit(curves=pd.concat(frames, ignore_index=True), crossover=crossover,
                    replicates=replicates, months=months_with_data, n_papers=float(cells.sum()))
