"""The article's four claims, each tested with a metric, its 95 % interval and a verdict.

A verdict is one of ``supported``, ``not supported``, ``inconclusive`` or ``not enough data``;
never a bare claim. The rule is the same for every threshold test: supported when the whole
95 % interval lies on the claim's side of the threshold, not supported when it lies wholly on
the other side, inconclusive when the interval straddles the threshold, and not enough data
when the window holds fewer than ``claim_min_papers`` papers (the two are different answers: a
straddling interval over 340 papers is a measurement, five papers are not). The windows end on
the report's ``as_of`` day, never on the day the report happens to run. Thresholds come from
:class:`Settings`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from analysis.dataset import (
    DL_LABELS,
    DL_NAMES,
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
INCONCLUSIVE = "inconclusive"
NOT_ENOUGH = "not enough data"
VERDICTS = (SUPPORTED, NOT_SUPPORTED, INCONCLUSIVE, NOT_ENOUGH)
# C4's threshold: the share of bootstrap replicates whose crossover lies inside the data.
C4_REPLICATES = 0.95


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
    threshold_value: float = float("nan")
    # C4 only: the crossover's interval as dates (its estimate is the share of replicates).
    date_low: pd.Timestamp | None = None
    date_high: pd.Timestamp | None = None


@dataclass(frozen=True)
class Windows:
    """The claims' windows: the last N months up to ``end`` (the as-of day, inclusive) and the
    N months before. All NaT for a database without papers (nothing falls inside)."""

    start: pd.Timestamp
    end: pd.Timestamp
    prev_start: pd.Timestamp

    @property
    def empty(self) -> bool:
        return bool(pd.isna(self.end))

    @property
    def label(self) -> str:
        return "no papers yet" if self.empty else f"{self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}"

    @property
    def prev_label(self) -> str:
        if self.empty:
            return "no papers yet"
        return f"{self.prev_start:%Y-%m-%d} to {self.start - pd.Timedelta(days=1):%Y-%m-%d}"


# (settings field, the option a user types, its environment variable) of every report setting.
_OPTIONS = {
    "claim_majority": ("--majority", "SURVEY_CLAIM_MAJORITY"),
    "claim_two_frameworks": ("--two-frameworks", "SURVEY_CLAIM_TWO_FRAMEWORKS"),
    "claim_dying_share": ("--dying-share", "SURVEY_CLAIM_DYING_SHARE"),
    "claim_min_papers": ("--min-papers", "SURVEY_CLAIM_MIN_PAPERS"),
    "report_months": ("--months", "SURVEY_REPORT_MONTHS"),
    "report_bootstrap": ("--bootstrap", "SURVEY_REPORT_BOOTSTRAP"),
}


def _named(name: str) -> str:
    option, env = _OPTIONS[name]
    return f"{option} (env {env})"


def check_thresholds(settings: Settings) -> None:
    """Refuse settings that make no sense, naming the option and variable a user would fix."""
    for name in ("claim_majority", "claim_two_frameworks", "claim_dying_share"):
        value = getattr(settings, name)
        if not 0.0 < value < 1.0:
            raise ConfigError(f"{_named(name)} must be between 0 and 1 (exclusive), got {value}")
    for name, minimum in (("claim_min_papers", 1), ("report_months", 1),
                          ("report_bootstrap", 0)):
        value = getattr(settings, name)
        if value < minimum:
            raise ConfigError(f"{_named(name)} must be at least {minimum}, got {value}")


def make_windows(as_of: date | None, months: int) -> Windows:
    """The window of ``months`` months ending on ``as_of`` and the one before it."""
    if as_of is None:
        return Windows(start=pd.NaT, end=pd.NaT, prev_start=pd.NaT)
    start = window_start(as_of, months)
    prev_start = (start - pd.DateOffset(months=months)).normalize()
    return Windows(start=start, end=window_end(as_of), prev_start=prev_start)


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
    return INCONCLUSIVE, (f"the 95% interval of {what} ({interval_text(lo, hi)}) straddles"
                          f" {pct(threshold)}")


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
        threshold=f"great majority = more than {pct(s.claim_majority)} (--majority)",
        estimate=share, low=lo, high=hi, n=n, threshold_value=s.claim_majority,
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
    # Every framework over the same denominator (deep-learning code), so the page's tiles and
    # this table agree: JAX here is JAX's share of the code the claim is about.
    for label in DL_LABELS:
        sh, slo, shi = share_interval(float(last[label]), n)
        d, dlo, dhi = newcombe_difference(float(last[label]), n, float(prev[label]), n_prev)
        details.append({
            "label": label, "measure": DL_NAMES[label], "value": pct(sh),
            "interval": interval_text(slo, shi), "change": change_text(d, dlo, dhi),
            "state": _trend_word(dlo, dhi),
        })
    return Claim(
        key="C2", statement="Only TensorFlow and PyTorch matter.",
        metric=f"PyTorch + TensorFlow share of papers whose code uses a deep-learning framework,"
               f" {w.label}",
        value=pct(share), interval=interval_text(lo, hi), verdict=verdict, reason=reason,
        threshold=f"matter = together more than {pct(s.claim_two_frameworks)}"
                  " (--two-frameworks)",
        details=details, estimate=share, low=lo, high=hi, n=n,
        threshold_value=s.claim_two_frameworks,
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
            state = NOT_ENOUGH
        elif hi < s.claim_dying_share or (not pd.isna(dhi) and dhi < 0):
            state = "dead or dying"
        elif lo >= s.claim_dying_share:
            state = "alive"
        else:
            state = INCONCLUSIVE
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
        undecided = [name for name, st in zip(DYING, states, strict=True) if st == INCONCLUSIVE]
        verdict = INCONCLUSIVE
        reason = (f"{', '.join(undecided)}: the 95% interval straddles"
                  f" {pct(s.claim_dying_share)} and no significant fall")
    return Claim(
        key="C3", statement="Theano, Caffe, Keras and the other older frameworks are dead or"
                            " dying.",
        metric=f"largest share of papers with classified code using one listed framework,"
               f" {w.label}",
        value=pct(worst[0]), interval=interval_text(worst[1], worst[2]), verdict=verdict,
        reason=reason,
        threshold=f"dead or dying = 95% interval below {pct(s.claim_dying_share)}"
                  f" (--dying-share), or a significant fall against {w.prev_label}",
        details=details, estimate=worst[0], low=worst[1], high=worst[2], n=n,
        threshold_value=s.claim_dying_share,
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
    if crossed and c.share_crossing >= C4_REPLICATES and ahead_now:
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
        verdict, reason = INCONCLUSIVE, (
            "PyTorch's modelled share never passes TensorFlow's, but the last window does not"
            " show TensorFlow significantly ahead")
    elif fit.replicates == 0:
        verdict, reason = INCONCLUSIVE, (
            "no bootstrap replicates (--bootstrap 0): the crossover's uncertainty is"
            " not measured")
    else:
        verdict, reason = INCONCLUSIVE, (
            f"the crossover is uncertain ({100 * c.share_crossing:.0f}% of replicates cross)"
            " or PyTorch's lead over the last window is not significant")
    return _c4(value, interval, verdict, reason, n=fit.n_papers,
               low=c.low if crossed else None, high=c.high if crossed else None,
               share_crossing=c.share_crossing)


def _c4(value: str, interval: str, verdict: str, reason: str, *, n: float = float("nan"),
        low: pd.Timestamp | None = None, high: pd.Timestamp | None = None,
        share_crossing: float = float("nan")) -> Claim:
    return Claim(key="C4", statement="Research moved from TensorFlow to PyTorch.",
                 metric="date PyTorch's modelled share first exceeds TensorFlow's",
                 threshold="a crossover inside the data's span in at least"
                           f" {C4_REPLICATES:.0%} of bootstrap replicates, and PyTorch ahead"
                           " over the last window (95% intervals apart); not supported when"
                           " TensorFlow is ahead that way",
                 value=value, interval=interval, verdict=verdict, reason=reason, n=n,
                 estimate=share_crossing, threshold_value=C4_REPLICATES, date_low=low,
                 date_high=high)


def evaluate_claims(df: pd.DataFrame, uses: pd.DataFrame, fit: TrendFit | None,
                    settings: Settings, as_of: date | None) -> tuple[list[Claim], Windows]:
    """All four claims over the last ``report_months`` months up to ``as_of`` (inclusive)."""
    check_thresholds(settings)
    w = make_windows(as_of, settings.report_months)
    df_last = in_window(df, w.start, w.end)
    df_prev = df[(df["published"] >= w.prev_start) & (df["published"] < w.start)]
    last = label_counts(df_last)
    prev = label_counts(df_prev)
    claims = [claim_c1(last, settings, w), claim_c2(last, prev, settings, w),
              claim_c3(df_last, df_prev, uses, settings, w), claim_c4(fit, last, settings)]
    return claims, w
