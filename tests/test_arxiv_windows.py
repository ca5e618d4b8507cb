"""Dates, windows and categories: the crawl's input, validated before any request."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.categories import KNOWN_CATEGORIES, category_key, validate_categories
from crawler.windows import Window, month_windows, parse_date, parts_for, resolve_range
from survey.core.errors import InputError

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def d(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("text, start, end", [
    ("2018", d(2018, 1, 1), d(2019, 1, 1)),
    ("2018-03", d(2018, 3, 1), d(2018, 4, 1)),
    ("2018-12", d(2018, 12, 1), d(2019, 1, 1)),
    ("2020-02-29", d(2020, 2, 29), d(2020, 3, 1)),
    (" 2018-3-7 ", d(2018, 3, 7), d(2018, 3, 8)),
])
def test_parse_date(text, start, end):
    assert parse_date(text) == start
    assert parse_date(text, end=True) == end


@pytest.mark.parametrize("text, message", [
    ("banana", "--since 'banana': expected YEAR, YYYY-MM or YYYY-MM-DD"),
    ("", "expected YEAR"),
    ("2018-13", "not a valid date"),
    ("2019-02-29", "not a valid date"),
    ("18", "expected YEAR"),
    ("2018/01/01", "expected YEAR"),
])
def test_parse_date_errors_are_one_line(text, message):
    with pytest.raises(InputError, match=message) as info:
        parse_date(text)
    assert "\n" not in str(info.value)


def test_resolve_range_rules():
    assert resolve_range("2018", "2018", now=NOW) == (d(2018, 1, 1), d(2019, 1, 1))
    # until defaults to the end of the current month: stable window keys between runs
    assert resolve_range("2026-10", None, now=NOW) == (d(2026, 10, 1), d(2026, 12, 1))
    with pytest.raises(InputError, match="--until 2017-12-31 is before --since 2018-01-01"):
        resolve_range("2018", "2017", now=NOW)
    with pytest.raises(InputError, match="in the future"):
        resolve_range("2030", None, now=NOW)
    with pytest.raises(InputError, match="arXiv starts in August 1991"):
        resolve_range("1985", None, now=NOW)
    with pytest.raises(InputError, match="arXiv starts in August 1991"):
        resolve_range("1991-07", None, now=NOW)
    # a period arXiv covers in part starts where arXiv does
    assert resolve_range("1991", "1991", now=NOW) == (d(1991, 8, 1), d(1992, 1, 1))
    with pytest.raises(InputError, match="--until 'soon'"):
        resolve_range("2018", "soon", now=NOW)


def test_month_windows_cover_the_range_without_gaps():
    ws = month_windows(d(2018, 1, 15), d(2018, 4, 10))
    assert [str(w) for w in ws] == [
        "2018-01-15T00:00..2018-02-01T00:00", "2018-02-01T00:00..2018-03-01T00:00",
        "2018-03-01T00:00..2018-04-01T00:00", "2018-04-01T00:00..2018-04-10T00:00"]
    assert len(month_windows(d(2018, 1, 1), d(2026, 12, 1))) == 107


def test_query_is_twelve_digit_and_inclusive_to_the_end_minute():
    w = Window(d(2024, 1, 1), d(2024, 2, 1))
    assert w.query(("cs.LG",)) == "cat:cs.LG AND submittedDate:[202401010000 TO 202402010000]"
    assert w.query(("cs.LG", "stat.ML")) == (
        "(cat:cs.LG OR cat:stat.ML) AND submittedDate:[202401010000 TO 202402010000]")


@given(st.integers(min_value=1, max_value=60 * 24 * 31), st.integers(min_value=1, max_value=50))
def test_split_partitions_the_window(minutes, parts):
    from datetime import timedelta
    w = Window(d(2024, 1, 1), d(2024, 1, 1) + timedelta(minutes=minutes))
    pieces = w.split(parts)
    assert pieces[0].start == w.start and pieces[-1].end == w.end
    assert all(a.end == b.start for a, b in zip(pieces, pieces[1:], strict=False))
    assert all(p.minutes >= 1 for p in pieces)
    assert len(pieces) == min(parts, minutes)
    assert Window.from_key(*pieces[0].key) == pieces[0]


def test_parts_for_fills_whole_pages_below_the_cap():
    assert parts_for(3999, 4000) == 1
    assert parts_for(4001, 4000) == 3  # pieces of at most 1800: one page of 2000 each
    assert parts_for(12000, 4000) == 7
    assert parts_for(12000, 4000, page_size=1000) == 5  # three pages of 1000, 90% full: 2700
    assert parts_for(12000, 10000, page_size=2000) == 2  # pieces of up to four pages
    assert parts_for(180, 150, page_size=50) == 2


def test_categories_are_validated_and_canonical():
    assert validate_categories(["cs.lg", "STAT.ML", "cs.LG", "q-bio.NC", "physics.data-an",
                                "hep-th", "eess.IV", "math.OC"]) == (
        "cs.LG", "stat.ML", "q-bio.NC", "physics.data-an", "hep-th", "eess.IV", "math.OC")
    assert category_key(["stat.ML", "cs.LG", "cs.LG"]) == "cs.LG stat.ML"
    assert len(KNOWN_CATEGORIES) > 150


@pytest.mark.parametrize("bad, message", [
    ("cs.XX", "unknown arXiv category 'cs.XX'"),
    ("cs.LGG", r"did you mean cs.LG\?"),
    ("machine learning", "invalid category"),
    ("cs.LG;DROP TABLE papers", "invalid category"),
    ("x" * 100, r"unknown arXiv category 'x{40}\.\.\.'"),
])
def test_unknown_categories_are_refused(bad, message):
    with pytest.raises(InputError, match=message):
        validate_categories(["cs.LG", bad])


def test_no_categories():
    with pytest.raises(InputError, match="no categories"):
        validate_categories([" "])


@given(st.text(max_size=30), st.one_of(st.none(), st.text(max_size=30)))
def test_any_date_input_is_a_range_or_an_input_error(since, until):
    try:
        start, stop = resolve_range(since, until, now=NOW)
    except InputError as exc:
        assert "\n" not in str(exc)
    else:
        assert start < stop and start.tzinfo is UTC


@given(st.dates(min_value=d(1991, 8, 1).date(), max_value=d(2026, 11, 26).date()),
       st.sampled_from(["%Y", "%Y-%m", "%Y-%m-%d"]))
def test_formatted_dates_round_trip(day, fmt):
    text = day.strftime(fmt)
    start = parse_date(text)
    assert start.strftime(fmt) == text and parse_date(text, end=True) > start
