"""The article's four claims, each tested with a metric, its 95 % interval and a verdict.

A verdict is one of ``supported``, ``not supported`` or ``not enough data``; never a bare
claim. The rule is the same for every threshold test: supported when the whole 95 % interval
lies on the claim's side of the threshold, not supported when it lies wholly on the other side,
and not enough data when the interval straddles the threshold or the window holds fewer than
``claim_min_papers`` papers with classified code. Thresholds come from :class:`Settings`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from analysis.dataset import (
    DL_LABELS,
    DYING,
    in_window,
    label_counts,
    window_end,
    window_start,
)
from analysis.intervals import newcombe_difference, share_interval
from analysis.trends import TrendFit
from survey.core.errors import ConfigError
from survey.core.settings import Settings

SUPPORTED = "supported"
NOT_SUPPORTED = "not supported"
NOT_ENOUGH = "not enough data"


@dataclass(frozen=True)
class Claim:
    """One claim's test; ``details`` holds rows for a small table (JAX, each framework)."""

    key: str
    statement: str
    metric: str
    value: str
    interval: str
    verdict: str
    reason: str
    threshold: str
    details: list[dict[str, str]] = field(default_factory=list)
    # The same figures as numbers, for claims.csv (shares as fractions; NaN when undefined).
    estimate: float = float("nan")
    low: float = float("nan")
    high: float = float("nan")
    n: float = float("nan")


@dataclass(frozen=True)
class Windows:
    """The claims' windows: the last N months up to ``end`` and the N months before."""

    start: pd.Timestamp
    end: pd.Timestamp
    prev_start: pd.Timestamp

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}"

    @property
    def prev_label(self) -> str:
        return f"{self.prev_start:%Y-%m-%d} to {self.start - pd.Timedelta(days=1):%Y-%m-%d}"


def check_thresholds(settings: Settings) -> None:
    """Refuse thresholds that make no sense, with the setting's name in the message."""
    for name, option in (("claim_majority", "--majority"),
                         ("claim_two_frameworks", "--two-frameworks"),
                         ("claim_dying_share", "--dying-share")):
        value = getattr(settings, name)
        if not 0.0 < value < 1.0:
            raise ConfigError(f"{name} ({option}, SURVEY_{name.upper()}) must be between 0 and"
                              f" 1 (exclusive), got {value}")
    if settings.claim_min_papers < 1:
        raise ConfigError(f"claim_min_papers must be at least 1, got {settings.claim_min_papers}")
    if settings.report_months < 1:
        raise ConfigError(f"report_months must be at least 1, got {settings.report_months}")
    if settings.report_bootstrap < 0:
        raise ConfigError(f"report_bootstrap must be >= 0, got {settings.report_bootstrap}")


def make_windows(now: datetime | None, months: int) -> Windows:
    start = window_start(now, months)
    prev_start = (start - pd.DateOffset(months=months)).normalize()
    return Windows(start=start, end=window_end(now), prev_start=prev_start)


def pct(x: float) -> str:
    return "n/a" if pd.isna(x) else f"{100 * x:.1f}%"


def interval_text(lo: float, hi: float) -> str:
    return "n/a" if pd.isna(lo) or pd.isna(hi) else f"{pct(lo)} to {pct(hi)}"


def _threshold_verdict(lo: float, hi: float, threshold: float, n: float, minimum: int,
                       what: str, unit: str = "papers with classified code"
                       ) -> tuple[str, str]:
    if n < minimum:
        return NOT_ENOUGH, f"only {n:,.0f} {unit} in the window (minimum {minimum:,})"
    if lo > threshold:
        return SUPPORTED, f"the whole 95% interval of {what} lies above {pct(threshold)}"
    if hi < threshold:
        return NOT_SUPPORTED, f"the whole 95% interval of {what} lies below {pct(threshold)}"
    return NOT_ENOUGH, f"the 95% interval of {what} straddles {pct(threshold)}"


def change_text(d: float, lo: float, hi: float) -> str:
    """``-0.8 points (95% -4.0 to +2.4)``: the later window minus the earlier one."""
    if pd.isna(d):
        return "n/a"
    return f"{100 * d:+.1f} points (95% {100 * lo:+.1f} to {100 * hi:+.1f})"


def _trend_word(lo: float, hi: float) -> str:
    if pd.isna(lo):
        return "n/a"
    if hi < 0:
        return "falling"
    if lo > 0:
        return "rising"
    return "no significant change"


def claim_c1(last: pd.Series, s: Settings, w: Windows) -> Claim:
    n = float(last.sum())
    share, lo, hi = share_interval(last["pytorch"], n)
    verdict, reason = _threshold_verdict(lo, hi, s.claim_majority, n, s.claim_min_papers,
                                         "PyTorch's share")
    dl = float(last[list(DL_LABELS)].sum())
    dl_share, dl_lo, dl_hi = share_interval(last["pytorch"], dl)
    return Claim(
        key="C1", statement="The great majority of code accompanying arXiv papers is PyTorch.",
        metric=f"PyTorch's share of papers with classified official code, {w.label}",
        value=pct(share), interval=interval_text(lo, hi), verdict=verdict, reason=reason,
        threshold=f"great majority = more than {pct(s.claim_majority)} (claim_majority)",
        estimate=share, low=lo, high=hi, n=n,
        details=[{"measure": "papers with classified code in the window",
                  "value": f"{n:,.0f}", "interval": "", "change": "", "state": ""},
                 {"measure": "PyTorch among deep-learning code only (none excluded)",
                  "value": pct(dl_share), "interval": interval_text(dl_lo, dl_hi),
                  "change": "", "state": ""}],
    )


def claim_c2(last: pd.Series, prev: pd.Series, s: Settings, w: Windows) -> Claim:
    n = float(last[list(DL_LABELS)].sum())
    k = float(last["pytorch"] + last["tensorflow"])
    share, lo, hi = share_interval(k, n)
    verdict, reason = _threshold_verdict(lo, hi, s.claim_two_frameworks, n,
                                         s.claim_min_papers, "PyTorch + TensorFlow",
                                         "papers with deep-learning code")
    n_prev = float(prev[list(DL_LABELS)].sum())
    details = []
    for label in ("jax", "other"):
        sh, slo, shi = share_interval(float(last[label]), n)
        d, dlo, dhi = newcombe_difference(float(last[label]), n, float(prev[label]), n_prev)
        details.append({
            "measure": "JAX" if label == "jax" else "other frameworks", "value": pct(sh),
            "interval": interval_text(slo, shi), "change": change_text(d, dlo, dhi),
            "state": _trend_word(dlo, dhi),
        })
    return Claim(
        key="C2", statement="Only TensorFlow and PyTorch matter.",
        metric=f"PyTorch + TensorFlow share of papers whose code uses a deep-learning framework,"
               f" {w.label}",
        value=pct(share), interval=interval_text(lo, hi), verdict=verdict, reason=reason,
        threshold=f"matter = together more than {pct(s.claim_two_frameworks)}"
                  " (claim_two_frameworks)",
        details=details, estimate=share, low=lo, high=hi, n=n,
    )


def dying_window_counts(df: pd.DataFrame, uses: pd.DataFrame) -> tuple[pd.Series, float]:
    """Weighted papers using each DYING framework, and all papers with classified code."""
    d = df[df["w_off"] > 0]
    n = float(d["w_off"].sum())
    counts = {}
    for name in DYING:
        repos = set(uses.loc[uses["framework"] == name, "repo"])
        counts[name] = float(d.loc[d["repo"].isin(repos), "w_off"].sum())
    return pd.Series(counts, dtype=float), n


def claim_c3(df_last: pd.DataFrame, df_prev: pd.DataFrame, uses: pd.DataFrame, s: Settings,
             w: Windows) -> Claim:
    last, n = dying_window_counts(df_last, uses)
    prev, n_prev = dying_window_counts(df_prev, uses)
    details, states = [], []
    for name in DYING:
        sh, lo, hi = share_interval(last[name], n)
        d, dlo, dhi = newcombe_difference(last[name], n, prev[name], n_prev)
        if n < s.claim_min_papers or pd.isna(hi):
            state = "not enough data"
        elif hi < s.claim_dying_share or (not pd.isna(dhi) and dhi < 0):
            state = "dead or dying"
        elif lo >= s.claim_dying_share:
            state = "alive"
        else:
            state = "not enough data"
        states.append(state)
        details.append({"measure": name, "value": pct(sh), "interval": interval_text(lo, hi),
                        "change": change_text(d, dlo, dhi), "state": state})
    worst = max((share_interval(last[k], n) for k in DYING), key=lambda t: t[0] if not
                pd.isna(t[0]) else -1.0)
    if n < s.claim_min_papers:
        verdict = NOT_ENOUGH
        reason = f"only {n:,.0f} papers with classified code in the window " \
                 f"(minimum {s.claim_min_papers:,})"
    elif all(st == "dead or dying" for st in states):
        verdict, reason = SUPPORTED, "every listed framework is below the threshold or falling"
    elif any(st == "alive" for st in states):
        alive = [name for name, st in zip(DYING, states, strict=True) if st == "alive"]
        verdict = NOT_SUPPORTED
        reason = f"{', '.join(alive)}: above the threshold and not falling"
    else:
        verdict, reason = NOT_ENOUGH, "some frameworks are neither clearly dying nor alive"
    return Claim(
        key="C3", statement="Theano, Caffe, Keras and the other older frameworks are dead or"
                            " dying.",
        metric=f"largest share of papers with classified code using one listed framework,"
               f" {w.label}",
        value=pct(worst[0]), interval=interval_text(worst[1], worst[2]), verdict=verdict,
        reason=reason,
        threshold=f"dead or dying = 95% interval below {pct(s.claim_dying_share)}"
                  f" (claim_dying_share), or a significant fall against {w.prev_label}",
        details=details, estimate=worst[0], low=worst[1], high=worst[2], n=n,
    )


def claim_c4(fit: TrendFit | None, last: pd.Series, s: Settings) -> Claim:
    if fit is None or fit.n_papers < s.claim_min_papers:
        return _c4("n/a", "n/a", NOT_ENOUGH, "too few months or papers to fit the trend model")
    c = fit.crossover
    n = float(last.sum())
    _, pt_lo, pt_hi = share_interval(last["pytorch"], n)
    _, tf_lo, tf_hi = share_interval(last["tensorflow"], n)
    # Ahead or behind only when the two 95% intervals do not overlap (the page's rule: a point
    # estimate alone never decides a verdict).
    ahead_now = n >= s.claim_min_papers and pt_lo > tf_hi
    behind_now = n >= s.claim_min_papers and tf_lo > pt_hi
    crossed = c.status == "crossed"
    value = f"{c.date:%Y-%m}" if crossed else "n/a"
    # The replicates' interval is only shown beside a crossover the fitted model itself has.
    interval = f"{c.low:%Y-%m} to {c.high:%Y-%m}" if crossed and c.low is not None else "n/a"
    if crossed and c.share_crossing >= 0.95 and ahead_now:
        verdict, reason = SUPPORTED, (
            f"the crossover lies inside the data in {100 * c.share_crossing:.0f}% of"
            " replicates and PyTorch leads over the last window")
    elif behind_now:
        verdict, reason = NOT_SUPPORTED, (
            "TensorFlow's share over the last window is above PyTorch's (95% intervals apart)")
    elif c.status == "before-span":
        verdict, reason = NOT_ENOUGH, (
            "PyTorch already leads when the data start: harvest earlier years to see a move")
    elif c.status == "never":
        verdict, reason = NOT_ENOUGH, (
            "PyTorch's modelled share never passes TensorFlow's, but the last window does not"
            " show TensorFlow significantly ahead")
    elif fit.replicates == 0:
        verdict, reason = NOT_ENOUGH, (
            "no bootstrap replicates (report_bootstrap = 0): the crossover's uncertainty is"
            " not measured")
    else:
        verdict, reason = NOT_ENOUGH, (
            f"the crossover is uncertain ({100 * c.share_crossing:.0f}% of replicates cross)"
            " or PyTorch's lead over the last window is not significant")
    return _c4(value, interval, verdict, reason)


def _c4(value: str, interval: str, verdict: str, reason: str) -> Claim:
    return Claim(key="C4", statement="Research moved from TensorFlow to PyTorch.",
                 metric="date PyTorch's modelled share first exceeds TensorFlow's",
                 threshold="a crossover inside the data's span in at least 95% of bootstrap"
                           " replicates, and PyTorch ahead over the last window (95% intervals"
                           " apart); not supported when TensorFlow is ahead that way",
                 value=value, interval=interval, verdict=verdict, reason=reason)


def evaluate_claims(df: pd.DataFrame, uses: pd.DataFrame, fit: TrendFit | None,
                    settings: Settings, now: datetime | None) -> tuple[list[Claim], Windows]:
    """All four claims over the last ``report_months`` months before ``now``."""
    check_thresholds(settings)
    w = make_windows(now, settings.report_months)
    df_last = in_window(df, w.start, w.end)
    df_prev = df[(df["published"] >= w.prev_start) & (df["published"] < w.start)]
    last = label_counts(df_last)
    prev = label_counts(df_prev)
    claims = [claim_c1(last, settings, w), claim_c2(last, prev, settings, w),
              claim_c3(df_last, df_prev, uses, settings, w), claim_c4(fit, last, settings)]
    return claims, w
