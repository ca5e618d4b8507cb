"""Venue extraction from arXiv comments, the per-venue PyTorch ratio, and the published pairing."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from analysis.venue_shares import (
    PublishedFigure,
    pair_with_published,
    published_figures,
    venue_ratios,
)
from analysis.venues import MAX_CHARS, VENUES, Venue, venue_of

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "venues" / "comments.jsonl"
EVAL = ROOT / "analysis" / "data" / "venues_eval.json"

# (comment, journal_ref, published_year, expected (name, year, workshop) or None)
CASES = [
    # The issue's examples and the plain forms.
    ("Accepted at CVPR 2019", None, None, ("CVPR", 2019, False)),
    ("NeurIPS 2020 camera-ready", None, None, ("NeurIPS", 2020, False)),
    ("ICLR 2021 (oral)", None, None, ("ICLR", 2021, False)),
    ("INTERSPEECH 2021", None, None, ("Interspeech", 2021, False)),
    ("Accepted by KDD 2021 (Research Track)", None, None, ("KDD", 2021, False)),
    ("SIGKDD 2020", None, None, ("KDD", 2020, False)),
    ("Accepted to CoRL 2019", None, None, ("CoRL", 2019, False)),
    ("WACV 2021; 8 pages", None, None, ("WACV", 2021, False)),
    ("BMVC 2020 (oral)", None, None, ("BMVC", 2020, False)),
    ("MICCAI 2020", None, None, ("MICCAI", 2020, False)),
    # NIPS is NeurIPS.
    ("NIPS 2017", None, None, ("NeurIPS", 2017, False)),
    ("Accepted at NIPS 2016 as a spotlight", None, None, ("NeurIPS", 2016, False)),
    # ACL is not inside NAACL, EACL, AACL or TACL; joint conferences keep the listed one.
    ("Accepted at NAACL 2019", None, None, ("NAACL", 2019, False)),
    ("NAACL-HLT 2019", None, None, ("NAACL", 2019, False)),
    ("Accepted at EACL 2021", None, None, None),
    ("AACL-IJCNLP 2020", None, None, None),
    ("To appear in TACL", None, 2021, None),
    ("ACL-IJCNLP 2021 (long paper)", None, None, ("ACL", 2021, False)),
    ("Accepted to ACL 2020", None, None, ("ACL", 2020, False)),
    ("IJCAI-ECAI 2022", None, None, ("IJCAI", 2022, False)),
    ("IJCAI-PRICAI-20", None, None, ("IJCAI", 2020, False)),
    # Findings are not the main conference.
    ("Findings of ACL 2021", None, None, None),
    ("Findings of EMNLP 2020", None, None, None),
    ("Accepted to EMNLP 2021 (Findings)", None, None, None),
    ("Findings of the Association for Computational Linguistics: EMNLP 2025", None, None,
     None),
    ("Findings of The 2025 Conference on Empirical Methods in Natural Language Processing "
     "(EMNLP 2025)", None, None, None),
    # Full names, ordinals and prefix years.
    (None, "Proceedings of the 37th International Conference on Machine Learning", None,
     ("ICML", 2020, False)),
    (None, "Proceedings of the 37th International Conference on Machine Learning, Online, "
     "PMLR 119, 2020", None, ("ICML", 2020, False)),
    ("The Thirty-Fourth AAAI Conference on Artificial Intelligence (AAAI-20)", None, None,
     ("AAAI", 2020, False)),
    ("Proceedings of the 26th ACM SIGKDD Conference on Knowledge Discovery & Data Mining",
     None, None, ("KDD", 2020, False)),
    ("Accepted to the IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR) "
     "2022", None, None, ("CVPR", 2022, False)),
    ("2021 IEEE International Conference on Robotics and Automation (ICRA)", None, None,
     ("ICRA", 2021, False)),
    ("Accepted at the 16th European Conference on Computer Vision", None, None,
     ("ECCV", 2020, False)),
    ("Advances in Neural Information Processing Systems 33 (NeurIPS 2020)", None, None,
     ("NeurIPS", 2020, False)),
    # Two-digit years.
    ("CVPR'19", None, None, ("CVPR", 2019, False)),
    ("Accepted to ICCV'21", None, None, ("ICCV", 2021, False)),
    ("NeurIPS’20 spotlight", None, None, ("NeurIPS", 2020, False)),
    ("AAAI-20", None, None, ("AAAI", 2020, False)),
    ("Accepted to WACV26. 12 pages", None, None, ("WACV", 2026, False)),
    ("IJCAI '25, Montreal", None, None, ("IJCAI", 2025, False)),
    # No year written: one stated elsewhere, else the first version's year if accepted.
    ("Accepted to CVPR", None, 2019, ("CVPR", 2019, False)),
    ("To appear at NeurIPS", None, 2021, ("NeurIPS", 2021, False)),
    ("NAACL short paper", None, 2022, ("NAACL", 2022, False)),
    ("CVPR", None, 2019, None),
    ("Accepted to CVPR", None, None, None),
    ("Accepted at ICML. Camera-ready version of June 2020.", None, None, ("ICML", 2020, False)),
    # Not a venue: submitted, under review, rejected, other papers' venues.
    ("Submitted to CVPR 2020", None, None, None),
    ("Under review at ICLR 2021", None, None, None),
    ("Rejected from NeurIPS 2019", None, None, None),
    ("ICLR 2021 Conference Submission", None, None, None),
    ("NeurIPS 2020 (under review)", None, None, None),
    ("Under review at ICLR 2021 and NeurIPS 2020", None, None, None),
    ("Submitted to CVPR 2020, accepted to ECCV 2020", None, None, ("ECCV", 2020, False)),
    ("Rejected from NeurIPS 2019; accepted at ICLR 2020", None, None, ("ICLR", 2020, False)),
    ("Extended version of our CVPR 2019 paper", None, None, None),
    ("Journal extension of our ICCV 2019 paper", None, None, None),
    ("An earlier version was presented at ICML 2019", None, None, None),
    # Workshops and other side events are workshops.
    ("CVPR 2021 Workshop on Autonomous Driving", None, None, ("CVPR", 2021, True)),
    ("NeurIPS 2020 workshop", None, None, ("NeurIPS", 2020, True)),
    ("ICLR 2021 SSL workshop", None, None, ("ICLR", 2021, True)),
    ("Accepted at CVPRW 2020", None, None, ("CVPR", 2020, True)),
    ("Accepted at CVPR Workshops 2025", None, None, ("CVPR", 2025, True)),
    ("Accepted at the ML4H workshop at NeurIPS 2019", None, None, ("NeurIPS", 2019, True)),
    ("MICCAI 2020 BrainLes challenge", None, None, ("MICCAI", 2020, True)),
    ("Accepted to the ICLR 2025 blog post track", None, None, ("ICLR", 2025, True)),
    ("AAAI 2019 Spring Symposium", None, None, ("AAAI", 2019, True)),
    ("Accepted to NeurIPS 2022; an earlier version was presented at the ICML 2022 workshop "
     "on Robustness", None, None, ("NeurIPS", 2022, False)),
    ("Accepted to NeurIPS 2022, previously presented at ICML 2022 workshop", None, None,
     ("NeurIPS", 2022, False)),
    # Look-alike venues.
    ("8th AAAI/ACM Conference on AI, Ethics, and Society (AIES 2025)", None, None, None),
    ("International AAAI Conference on Web and Social Media (ICWSM) 2025", None, None, None),
    ("ECML PKDD 2020", None, None, None),
    ("Accepted at PAKDD 2021", None, None, None),
    ("ICMLA 2020", None, None, None),
    ("Asian Conference on Computer Vision (ACCV 2020)", None, None, None),
    ("International Conference on Computer Vision Systems 2019", None, None, None),
    ("International Conference on Machine Learning and Applications 2019", None, None, None),
    ("Accepted at the workshop on X @ EurIPS 2025", None, None, None),
    ("Accepted at IEEE Robotics and Automation Letters (RA-L)", None, 2024, None),
    # Plain comments.
    ("10 pages, 5 figures", None, None, None),
    ("Code: https://github.com/someone/cvpr2019-release", None, None, None),
    ("arXiv admin note: text overlap with arXiv:2002.04359", None, None, None),
    (None, None, 2020, None),
    ("", "", None, None),
    # journal_ref is read first.
    ("Submitted to NeurIPS 2020", "ICML 2021", None, ("ICML", 2021, False)),
    ("Accepted at ICLR 2020", "Phys.Lett. B483 (2000) 271-276", None, ("ICLR", 2020, False)),
]


@pytest.mark.parametrize(("comment", "journal_ref", "published", "expected"), CASES)
def test_venue_cases(comment, journal_ref, published, expected) -> None:
    got = venue_of(comment, journal_ref, published)
    assert (None if got is None else (got.name, got.year, got.workshop)) == expected
    if got is not None:
        assert got.name in VENUES
        assert venue_of(got.seen, None, published) == got


def test_seen_is_the_phrase_read() -> None:
    got = venue_of("12 pages. Accepted at the 37th International Conference on Machine Learning "
                   "(ICML 2020), Vienna. Code at https://github.com/x/y", None)
    assert got == Venue("ICML", 2020, False, "37th International Conference on Machine Learning")
    assert venue_of("Accepted to CVPR", None, 2019) == Venue("CVPR", 2019, False,
                                                               "Accepted to CVPR")


def test_input_is_cut() -> None:
    """A venue beyond the first MAX_CHARS characters is not read (bounded work)."""
    assert venue_of("x" * MAX_CHARS + " CVPR 2019", None) is None
    assert venue_of("CVPR 2019 " + "x" * 1_000_000, None) == Venue("CVPR", 2019, False,
                                                                    "CVPR 2019")


def test_venues_are_the_issue_list() -> None:
    assert VENUES == ("CVPR", "ICCV", "ECCV", "NeurIPS", "ICML", "ICLR", "ACL", "EMNLP",
                      "NAACL", "AAAI", "IJCAI", "KDD", "WACV", "BMVC", "CoRL", "ICRA", "IROS",
                      "Interspeech", "ICASSP", "MICCAI")


def _score(rows: list[dict]) -> tuple[int, int, int]:
    """(correct, predicted, labelled) over (venue, year, workshop)."""
    correct = predicted = labelled = 0
    for row in rows:
        got = venue_of(row["comment"], row["journal_ref"], row["published_year"])
        want = (row["venue"], row["year"], row["workshop"]) if row["venue"] else None
        predicted += got is not None
        labelled += want is not None
        correct += got is not None and (got.name, got.year, got.workshop) == want
    return correct, predicted, labelled


def test_tune_split_reaches_the_reported_figures() -> None:
    """The figures in analysis/data/venues_eval.json are what the extractor does on the tune
    split (benchmarks/venues_eval.py writes them); held-out is measured there, never tuned."""
    rows = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 200
    held = [r for r in rows if r["split"] == "held"]
    assert len(held) * 3 >= len(rows)
    reported = json.loads(EVAL.read_text(encoding="utf-8"))["splits"]["tune"]
    correct, predicted, labelled = _score([r for r in rows if r["split"] == "tune"])
    assert predicted == reported["precision"]["n"] and labelled == reported["recall"]["n"]
    assert correct >= reported["precision"]["k"] and correct >= reported["recall"]["k"]


# ------------------------------------------------------------------ per-venue PyTorch ratio

def _frame() -> pd.DataFrame:
    rows = [
        # CVPR 2019: 3 PyTorch papers, one paper split between PyTorch and TensorFlow,
        # 1 TensorFlow, 1 JAX (left out of the ratio), 1 unclassified (weight 0).
        ("CVPR", 2019, False, "pytorch", 1.0), ("CVPR", 2019, False, "pytorch", 1.0),
        ("CVPR", 2019, False, "pytorch", 1.0), ("CVPR", 2019, False, "pytorch", 0.5),
        ("CVPR", 2019, False, "tensorflow", 0.5), ("CVPR", 2019, False, "tensorflow", 1.0),
        ("CVPR", 2019, False, "jax", 1.0), ("CVPR", 2019, False, "unknown", 0.0),
        # A CVPR 2019 workshop paper: not counted.
        ("CVPR", 2019, True, "tensorflow", 1.0),
        # ACL 2019 and NAACL 2019, pooled by the published figure.
        ("ACL", 2019, False, "pytorch", 1.0), ("ACL", 2019, False, "tensorflow", 1.0),
        ("NAACL", 2019, False, "pytorch", 1.0), ("NAACL", 2019, False, "pytorch", 1.0),
        # No venue: ignored.
        (None, None, False, "pytorch", 1.0),
    ]
    return pd.DataFrame(rows, columns=["venue", "year", "workshop", "framework", "w_off"])


def test_venue_ratios_counts_and_wilson() -> None:
    table = venue_ratios(_frame())
    assert list(zip(table["venue"], table["year"], strict=True)) == [
        ("CVPR", 2019), ("ACL", 2019), ("NAACL", 2019)]
    cvpr = table.iloc[0]
    assert cvpr["pytorch"] == pytest.approx(3.5) and cvpr["tensorflow"] == pytest.approx(1.5)
    assert cvpr["n"] == pytest.approx(5.0) and cvpr["papers"] == pytest.approx(6.0)
    assert cvpr["ratio"] == pytest.approx(0.7)
    # Wilson 95 % for 3.5 / 5, by the formula.
    z = 1.959963984540054
    p, n = 0.7, 5.0
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert cvpr["low"] == pytest.approx(centre - half)
    assert cvpr["high"] == pytest.approx(centre + half)
    naacl = table.iloc[2]
    assert naacl["ratio"] == 1.0 and naacl["high"] == 1.0 and naacl["tensorflow"] == 0.0


def test_venue_ratios_without_workshop_column_and_empty() -> None:
    frame = _frame().drop(columns="workshop")
    assert venue_ratios(frame).iloc[0]["tensorflow"] == pytest.approx(2.5)
    empty = venue_ratios(_frame().iloc[0:0])
    assert empty.empty and "ratio" in empty.columns


def test_venue_ratios_rejects_a_frame_without_its_columns() -> None:
    with pytest.raises(ValueError, match="w_off"):
        venue_ratios(_frame().drop(columns="w_off"))


def test_published_figures_read_from_the_packaged_table() -> None:
    figures = published_figures()
    by_venues = {f.venues: f for f in figures}
    assert by_venues[("CVPR",)] == PublishedFigure(
        venues=("CVPR",), year=2019, value=0.69, relation="=",
        study="Horace He, The Gradient", counted="CVPR 2019 papers that mention a framework",
        url="https://thegradient.pub/state-of-ml-frameworks-2019-pytorch-dominates-research-"
            "tensorflow-dominates-industry/")
    assert by_venues[("ACL", "NAACL")].relation == ">"
    assert by_venues[("ICML", "ICLR")].value == 0.50
    assert all(f.year == 2019 for f in figures) and len(figures) == 3


def test_pairing_with_published_figures() -> None:
    paired = pair_with_published(venue_ratios(_frame()))
    key = {(v, y): row for v, y, row in zip(paired["venue"], paired["year"],
                                            paired.to_dict("records"), strict=True)}
    cvpr = key[("CVPR", 2019)]
    assert cvpr["published"] == 0.69 and cvpr["ratio"] == pytest.approx(0.7)
    assert cvpr["published_venues"] == "CVPR" and cvpr["pooled_n"] == pytest.approx(5.0)
    acl, naacl = key[("ACL", 2019)], key[("NAACL", 2019)]
    assert acl["published"] == naacl["published"] == 0.75 and acl["relation"] == ">"
    # ACL + NAACL pooled as the study pooled them: 3 PyTorch of 4.
    assert acl["pooled_ratio"] == pytest.approx(0.75) and acl["pooled_n"] == pytest.approx(4)
    assert acl["pooled_low"] == naacl["pooled_low"] < 0.75 < acl["pooled_high"]
    # ICML and ICLR 2019 have a published figure but no papers of ours: shown, with n = 0.
    icml = key[("ICML", 2019)]
    assert icml["n"] == 0 and math.isnan(icml["ratio"]) and icml["published"] == 0.5
    assert math.isnan(icml["pooled_ratio"])


def test_pairing_leaves_unpublished_rows_blank() -> None:
    frame = pd.DataFrame([("ICRA", 2022, False, "pytorch", 1.0)],
                         columns=["venue", "year", "workshop", "framework", "w_off"])
    paired = pair_with_published(venue_ratios(frame), measurements=[])
    assert len(paired) == 1 and math.isnan(paired.iloc[0]["published"])
