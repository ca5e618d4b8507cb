"""Properties of venue_of on arbitrary text: never raises, names are listed, ``seen`` reads back.

Time is bounded by construction (inputs cut at MAX_CHARS); benchmarks/venues_eval.py prints
the speed, no test times anything.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.venues import MAX_CHARS, VENUES, venue_of

# Pieces real comments are made of, so that generated text hits the interesting paths.
WORDS = [
    *VENUES, "NIPS", "NeurIPS", "CVPRW", "SIGKDD", "NAACL-HLT", "ACL-IJCNLP", "IJCAI-ECAI",
    "EACL", "TACL", "AACL", "PAKDD", "ECML", "AAAI/ACM", "International AAAI",
    "International Conference on Machine Learning", "Neural Information Processing Systems",
    "Conference on Computer Vision and Pattern Recognition", "Annual Meeting of the",
    "Association for Computational Linguistics", "Findings of", "Findings", "workshop",
    "Workshop on", "symposium", "challenge", "accepted", "Accepted to", "to appear in",
    "submitted to", "under review at", "rejected from", "extended version of our", "paper",
    "camera-ready", "oral", "Proceedings of the", "37th", "Thirty-Fourth", "the", "at", "and",
    "2019", "2020", "'19", "-20", "2021", "1999", "20", "(", ")", ",", ";", ".", ". ", "\n", "|",
    "https://github.com/x/cvpr2019", "<a href='x'>", "’", "10 pages", "5 figures",
]
TEXT = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(WORDS), max_size=30).map(" ".join),
    st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=5)), max_size=30).map("".join),
)
FIELD = st.one_of(st.none(), TEXT)
YEAR = st.one_of(st.none(), st.integers(min_value=-10, max_value=3000))


@settings(max_examples=600, deadline=None)
@given(FIELD, FIELD, YEAR)
def test_never_raises_and_names_are_listed(comment, journal_ref, published) -> None:
    got = venue_of(comment, journal_ref, published)
    if got is not None:
        assert got.name in VENUES
        assert isinstance(got.year, int) and isinstance(got.workshop, bool)
        assert got.seen


@settings(max_examples=600, deadline=None)
@given(FIELD, FIELD, YEAR)
def test_idempotent_on_seen(comment, journal_ref, published) -> None:
    got = venue_of(comment, journal_ref, published)
    if got is not None:
        assert venue_of(got.seen, None, published) == got


@settings(max_examples=100, deadline=None)
@given(TEXT, st.integers(min_value=1, max_value=2000))
def test_long_text_never_raises(piece, times) -> None:
    """Text repeated past MAX_CHARS, so that the cut falls anywhere, mid-mention included."""
    text = (piece or "CVPR 2019 ") * times
    got = venue_of(text, text, 2020)
    if got is not None:
        assert got.name in VENUES and len(got.seen) <= MAX_CHARS


def test_non_strings_are_no_venue() -> None:
    assert venue_of(123, ["CVPR 2019"], "2019") is None  # type: ignore[arg-type]
