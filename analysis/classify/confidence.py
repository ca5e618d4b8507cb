"""How sure a verdict is.

For a framework: the winner's share against the runner-up, times ``floor + rise x (1 -
e^(-score/scale))`` (more evidence, more confidence); lower when examples decided, at most
``file_names_cap`` when file names decided, at most ``manifests_cap`` when manifests alone did;
and lowered by up to ``unread`` in proportion to the Python files the source had but that were
not read. For ``none``: grows with the amount of code read, drops when examples or manifests
mention a framework. ``unknown`` is 0.
"""

from __future__ import annotations

import math

from analysis.classify.scores import Scores
from analysis.classify.tally import Tally
from analysis.classify.weights import Confidence


def _unread_share(tally: Tally) -> float:
    return tally.unread_python / tally.python_files if tally.python_files else 0.0


def _none_confidence(tally: Tally, s: Scores, c: Confidence) -> float:
    code = tally.code_files + tally.other_code_files
    base = c.none_base + c.none_rise * (1 - math.exp(-code / c.none_scale))
    signal = max([*s.a.values(), *[s.prior_factor * v for v in s.p.values()], 0.0])
    base -= c.none_signal * min(1.0, signal)
    return round(max(0.05, min(0.95, base * (1 - c.none_unread * _unread_share(tally)))), 3)


def confidence(tally: Tally, s: Scores, basis: str, winner: str, c: Confidence) -> float:
    """The confidence of ``winner`` decided on ``basis``."""
    if winner == "unknown":
        return 0.0
    if winner == "none":
        return _none_confidence(tally, s, c)
    ranked = sorted((s.total(lab) for lab in s.labels), reverse=True) + [0.0]
    top, second = ranked[0], ranked[1]
    share = top / (top + second) if top > 0 else 0.0
    conf = share * (c.floor + c.rise * (1 - math.exp(-top / c.scale)))
    if basis == "examples":
        conf *= c.examples
    elif basis == "file names":
        conf = min(conf * c.file_names, c.file_names_cap)
    elif basis == "manifests":
        conf = min(conf * c.manifests, c.manifests_cap)
    # The most telling files are read first: unread ones matter less than read ones.
    conf *= 1 - c.unread * _unread_share(tally)
    return round(max(0.01, min(0.99, conf)), 3)
