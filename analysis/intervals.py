"""Confidence intervals for shares: Wilson, Newcombe's difference, bootstrap percentiles.

Wilson's score interval instead of the textbook normal one because many of our shares are near
0 or 1 (dead frameworks, PyTorch today) and many quarters hold few papers: the normal interval
then leaves [0, 1] or collapses to zero width. Counts may be fractional (a paper with two
repositories counts one half for each), which the formulas accept unchanged.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

Z95 = 1.959963984540054


def wilson(k: ArrayLike, n: ArrayLike, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for ``k`` successes out of ``n`` (elementwise; NaN where n = 0)."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n > 0, k / n, np.nan)
        z2 = z * z
        denom = 1 + z2 / n
        centre = (p + z2 / (2 * n)) / denom
        half = z * np.sqrt(np.maximum(p * (1 - p) / n + z2 / (4 * n * n), 0.0)) / denom
        # Exact at the edges: no successes means a lower bound of 0, all successes an upper 1.
        lo = np.where(k <= 0, 0.0, np.clip(centre - half, 0.0, 1.0))
        hi = np.where(k >= n, 1.0, np.clip(centre + half, 0.0, 1.0))
    bad = ~(n > 0)
    lo = np.where(bad, np.nan, lo)
    hi = np.where(bad, np.nan, hi)
    return lo, hi


def share_interval(k: float, n: float) -> tuple[float, float, float]:
    """(share, low, high) for one count; NaNs when ``n`` is 0."""
    lo, hi = wilson(k, n)
    share = k / n if n > 0 else float("nan")
    return float(share), float(lo), float(hi)


def newcombe_difference(
    k1: float, n1: float, k2: float, n2: float
) -> tuple[float, float, float]:
    """p1 - p2 with Newcombe's hybrid score interval (method 10), built from two Wilson ones.

    Used for "is this framework's share falling": the later window against the earlier one.
    """
    if n1 <= 0 or n2 <= 0:
        return float("nan"), float("nan"), float("nan")
    p1, l1, u1 = share_interval(k1, n1)
    p2, l2, u2 = share_interval(k2, n2)
    d = p1 - p2
    lower = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    upper = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return float(d), float(lower), float(upper)


def percentile_interval(samples: ArrayLike, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval over the finite samples (NaNs when there are none)."""
    arr = np.asarray(samples, dtype=float)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        return float("nan"), float("nan")
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(arr, [tail, 100 - tail])
    return float(lo), float(hi)


def resample_counts(counts: ArrayLike, rng: np.random.Generator) -> np.ndarray:
    """One bootstrap replicate of aggregated cells: resample the papers behind ``counts``.

    Drawing N papers with replacement from the cells is a multinomial draw with the cells'
    proportions, so the bootstrap never needs the row-level data (1M papers stay cheap).
    Fractional weights are rounded to whole papers for the total only.
    """
    c = np.asarray(counts, dtype=float)
    total = c.sum()
    if total <= 0:
        return np.zeros_like(c)
    n = max(int(round(total)), 1)
    flat = rng.multinomial(n, (c / total).ravel())
    return flat.reshape(c.shape).astype(float) * (total / n)
