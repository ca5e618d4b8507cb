"""One sentence for a verdict whose scores seem to contradict its label.

``frameworks`` lists every framework seen anywhere, so a ``none`` can show ``pytorch 1.0`` (one
test imports torch) and a ``jax`` can show TensorFlow on top (JAX's score is split between
``jax`` and ``flax``). The sentence says where the scores came from, so a reader of
``survey classify`` need not dig through the evidence.
"""

from __future__ import annotations

from collections import defaultdict

from analysis.classify.scores import Scores
from analysis.classify.tally import Tally
from analysis.evidence import Evidence
from survey.core import file_policy
from survey.core.vocab import FileKind

_ORIGIN = {"main": "the main code", "examples": "examples", "tests": "tests", "docs": "docs",
           "vendored": "vendored code", "generated": "generated code"}


def _origin(ev: Evidence) -> str:
    path = ev.file or ""
    if ev.line is None:
        return "file names"
    if file_policy.kind_of(path) is FileKind.MANIFEST or ": !" in ev.seen or ": %" in ev.seen:
        return "manifests"
    return _ORIGIN[file_policy.place(path)]


def _where_seen(tally: Tally, framework: str) -> str:
    """``tests (1 file: tests/test_x.py:3)`` or ``examples (4 files), manifests (1 file)``."""
    files: dict[str, dict[str, Evidence]] = defaultdict(dict)
    for ev in sorted(tally.found, key=lambda e: (-e.weight, e.file or "", e.line or 0)):
        if ev.framework == framework and ev.file:
            files[_origin(ev)].setdefault(ev.file, ev)
    parts = []
    for origin, by_file in sorted(files.items(), key=lambda kv: -len(kv[1])):
        if len(by_file) == 1:
            ev = next(iter(by_file.values()))
            at = f"{ev.file}:{ev.line}" if ev.line is not None else ev.file
            parts.append(f"{origin} (1 file: {at})")
        else:
            parts.append(f"{origin} ({len(by_file)} files)")
    return ", ".join(parts) or "nowhere"


def _none(tally: Tally, frameworks: dict[str, float], confined: str) -> str:
    shown = list(frameworks)[:2]
    seen = "; ".join(f"{f} only in {_where_seen(tally, f)}" for f in shown)
    if confined:
        return f"none although the scores show {', '.join(shown)}: {confined}, too few to " \
               f"make the repository's framework"
    if tally.code_files:
        main = f"the main code ({tally.main_code_files} files with imports) uses no framework" \
            if tally.main_code_files else "the main code imports no framework"
    else:
        main = "no Python code was read"
    return f"none: {main}; {seen}"


def _split(s: Scores, winner: str, frameworks: dict[str, float]) -> str:
    """The label's share is split across its frameworks (jax + flax), or Keras counts for it."""
    mine = [(f, v) for f, v in frameworks.items() if s.label(f) == winner]
    top, top_share = next(iter(frameworks.items()))
    parts = " + ".join(f"{f} {v:.2f}" for f, v in mine)
    total = sum(v for _, v in mine)
    keras = f" (keras counted as {s.keras_label}: {s.keras_why})" \
        if any(f == "keras" for f, _ in mine) and s.keras_why else ""
    return f"{winner}: {parts} = {total:.2f} against {top} {top_share:.2f}{keras}"


def explain(tally: Tally, s: Scores, winner: str, frameworks: dict[str, float],
            confined: str) -> str | None:
    """The sentence, or None when the label is what the scores plainly say."""
    if not frameworks or winner == "unknown":
        return None
    if winner == "none":
        return _none(tally, frameworks, confined)
    top = next(iter(frameworks))
    if s.label(top) != winner:
        return _split(s, winner, frameworks)
    if top == "keras" and s.keras_label != "tensorflow" and s.keras_why:
        return f"keras counted as {s.keras_label}: {s.keras_why}"
    return None
