"""The dev corpus of real repositories, rebuilt as files, through `survey classify`'s code path.

A regression guard for the figure benchmarks/classifier_eval.py reports (target >= 97%).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "data" / "repo_corpus_dev.jsonl"


@pytest.mark.skipif(not CORPUS.is_file(), reason="dev corpus not available")
def test_dev_corpus_accuracy() -> None:
    spec = importlib.util.spec_from_file_location("classifier_eval",
                                                  ROOT / "benchmarks" / "classifier_eval.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.evaluate(CORPUS)
    pairs = list(zip(result["truth"], result["predicted"], strict=True))
    accuracy = sum(t == p for t, p in pairs) / len(pairs)
    misses = [(e["repo"], r.framework) for e, r in result["misses"]]
    assert accuracy >= 0.97, misses
    stored = json.loads((ROOT / "analysis" / "data" / "classifier_eval.json").read_text())
    assert stored["n"] == len(pairs) and stored["measured_on"] == CORPUS.name
