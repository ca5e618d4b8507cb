"""The decision: which label the scores make, on what basis, with which notes.

1. If the main code shows a framework (score >= ``main_threshold``), the label with the highest
   code + prior score wins (exact ties in the fixed label order), unless it sits in fewer than
   ``min_main_share`` of a main code base of ``min_share_files`` or more files: ``none``.
2. Main code that shows no framework gives ``none``, unless examples/notebooks clearly carry the
   deep learning (``aux_over_main``, and ``aux_per_main_file`` per main file with imports).
3. With no main code, examples decide, then file names (``.lua``, ``.prototxt``), then manifests
   alone. Code in other languages only is ``none``; nothing readable is ``unknown``.
"""

from __future__ import annotations

from collections.abc import Callable

from analysis.classify.confidence import confidence
from analysis.classify.explain import explain
from analysis.classify.result import Classification
from analysis.classify.scores import Scores, order, scores_of
from analysis.classify.tally import Tally
from analysis.classify.weights import Decision, Weights
from analysis.evidence import Evidence, note

MAX_EVIDENCE = 60
MAX_NOTES = 20


def _best(labels: list[str], key: Callable[[str], float]) -> str:
    return max(labels, key=lambda lab: (round(key(lab), 9), -order(lab)))


def _by_code(tally: Tally, s: Scores, d: Decision) -> tuple[str, str, str]:
    """Rule 1: (basis, winner, why confined) when the main code shows a framework."""
    winner = max(s.labels, key=lambda lab: (round(s.total(lab), 9), s.m.get(lab, 0.0),
                                            -order(lab)))
    files = sum(1 for fws in tally.main_file_frameworks if any(s.label(f) == winner for f in fws))
    if tally.main_code_files >= d.min_share_files and files < d.min_main_share * \
            tally.main_code_files:
        return "none", "none", f"{winner} in only {files} of {tally.main_code_files} main files"
    return "code", winner, ""


def choose(tally: Tally, s: Scores, d: Decision) -> tuple[str, str, str]:
    """(basis, winner, why confined): the rules in order."""
    best_aux = max(s.a.values(), default=0.0)
    if max(s.m.values(), default=0.0) >= d.main_threshold:
        return _by_code(tally, s, d)
    if tally.main_code_files and best_aux < max(
            d.aux_over_main, d.aux_per_main_file * tally.main_code_files):
        return "none", "none", ""
    if best_aux >= d.aux_threshold:
        return "examples", _best(s.labels, lambda lab: s.a.get(lab, 0.0)
                                 + d.prior_factor * s.p.get(lab, 0.0)), ""
    if tally.code_files:
        return "none", "none", ""
    if max(s.p.values(), default=0.0) >= d.manifest_threshold:
        return "manifests", _best(s.labels, lambda lab: s.p.get(lab, 0.0)), ""
    if tally.other_code_files or tally.unread_python:
        return "none", "unknown" if tally.unread_python else "none", ""
    return "nothing", "unknown", ""


def framework_scores(everything: dict[str, float], winner: str) -> dict[str, float]:
    """Each specific framework's share of all evidence, highest first (above 0.005)."""
    if winner == "unknown":
        return {}
    positive = {f: v for f, v in everything.items() if v > 0}
    total = sum(positive.values())
    if total <= 0:
        return {}
    shares = {f: round(v / total, 3) for f, v in positive.items()}
    return {f: v for f, v in sorted(shares.items(), key=lambda kv: (-kv[1], kv[0]))
            if v >= 0.005}


def _none_reason(tally: Tally, s: Scores) -> str:
    seen = sorted({*(k for k, v in s.a.items() if v > 0), *(k for k, v in s.p.items() if v > 0),
                   *(k for k, v in s.m.items() if v > 0)})
    what = f"{tally.code_files} Python files/notebooks" if tally.code_files else \
        f"{tally.other_code_files} code files in other languages"
    if seen:
        return f"{what}: no framework in the main code (only in examples, tests, docs or " \
               f"manifests: {', '.join(seen)})"
    return f"{what}: no deep-learning framework"


def _unknown_reason(tally: Tally) -> str:
    if tally.unread_python:
        return f"{tally.unread_python} Python files listed but none readable"
    if tally.not_downloaded:
        return f"nothing to judge: {tally.not_downloaded} code files listed, none downloaded"
    return "nothing to judge: no readable code or manifest"


def _verdict_notes(tally: Tally, s: Scores, basis: str, winner: str,
                   confined: str) -> list[Evidence]:
    notes = list(tally.notes)
    if s.keras_why:
        notes.insert(0, note(None, f"keras counted as {s.keras_label}: {s.keras_why}"))
    if winner == "none":
        reason = _none_reason(tally, s)
        notes.insert(0, note(None, f"{reason}; {confined}" if confined else reason))
    elif winner == "unknown":
        notes.insert(0, note(None, _unknown_reason(tally)))
    elif basis in ("examples", "manifests", "file names"):
        where = "the main code" if basis == "examples" else "any code read"
        notes.insert(0, note(None, f"decided by {basis} only: no framework in {where}"))
    if tally.unread_python and winner != "unknown":
        notes.append(note(None, f"{tally.unread_python} of {tally.python_files} Python files"
                                " not read"))
    if tally.not_downloaded:
        n = tally.not_downloaded
        notes.append(note(None, f"{n} Python file{'s' if n > 1 else ''} or notebook"
                                f"{'s' if n > 1 else ''} in the tree not downloaded: not counted"))
    return notes


def evidence_list(found: list[Evidence], notes: list[Evidence]) -> list[Evidence]:
    """The strongest evidence first (at most ``MAX_EVIDENCE``), then the notes."""
    ranked = sorted(found, key=lambda e: (-e.weight, e.file or "", e.line or 0))
    kept = ranked[:MAX_EVIDENCE]
    out = kept + notes[:MAX_NOTES]
    dropped = len(ranked) - len(kept) + max(0, len(notes) - MAX_NOTES)
    if dropped:
        out.append(note(None, f"{dropped} more evidence items not shown"))
    return out


def decide(tally: Tally, weights: Weights) -> Classification:
    """The verdict on what the extractors found."""
    s = scores_of(tally, weights.decision.prior_factor)
    basis, winner, confined = choose(tally, s, weights.decision)
    if basis in ("code", "examples") and s.content(tally).get(winner, 0.0) <= 0:
        basis = "file names"
    frameworks = framework_scores(s.everything, winner)
    conf = confidence(tally, s, basis, winner, weights.confidence)
    notes = _verdict_notes(tally, s, basis, winner, confined)
    return Classification(winner, frameworks, conf, evidence_list(tally.found, notes),
                          explain(tally, s, winner, frameworks, confined))
