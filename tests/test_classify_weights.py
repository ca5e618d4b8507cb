"""weights.yaml: every number of the classifier, read strictly, and really used."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from analysis.classifier import classify_path
from analysis.classify.weights import load_weights, parse_weights

FIXTURES = Path(__file__).parent / "fixtures" / "classify"
TEXT = resources.files("analysis.classify").joinpath("weights.yaml").read_text("utf-8")


def test_the_shipped_file_is_complete() -> None:
    weights = load_weights()
    assert weights.decision.prior_factor == 0.5
    assert dict(weights.location) == {"main": 1.0, "examples": 0.4, "tests": 0.3, "docs": 0.15,
                                      "vendored": 0.05, "generated": 0.05}


@pytest.mark.parametrize("change, message", [
    (("  prior_factor: 0.5 ", "  prior_factr: 0.5 "), "decision: missing"),
    (("  vendored: 0.05\n", ""), "location must give exactly"),
    (("util_only: 0.1\n", "util_only: 0.1\nextra: 1\n"), "unknown ['extra']"),
])
def test_a_missing_or_unknown_key_is_refused(change: tuple[str, str], message: str) -> None:
    assert change[0] in TEXT
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_weights(TEXT.replace(*change, 1))


def test_the_numbers_are_the_ones_used() -> None:
    base = classify_path(FIXTURES / "tb_in_pytorch")
    assert classify_path(FIXTURES / "tb_in_pytorch", weights=load_weights()) == base
    no_prior = classify_path(FIXTURES / "tb_in_pytorch",
                             weights=load_weights().scaled("decision.prior_factor", 0.0))
    assert no_prior.frameworks != base.frameworks
    assert "tensorflow" in base.frameworks
    louder = classify_path(FIXTURES / "tb_in_pytorch",
                           weights=load_weights().scaled("util_only", 40.0))
    assert louder.frameworks["tensorflow"] > base.frameworks["tensorflow"]
    with pytest.raises(KeyError):
        load_weights().scaled("location.nowhere", 2.0)
