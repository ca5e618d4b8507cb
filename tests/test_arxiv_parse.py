"""Atom parsing of hand-written fixtures in both of arXiv's feed styles (pre/post Nov 2025)."""

from __future__ import annotations

import json
from dataclasses import astuple
from pathlib import Path

import pytest

from crawler.arxiv_client import ArxivClient
from crawler.atom import short_id
from crawler.harvest import paper_record
from crawler.http import Again
from survey.core.errors import ServiceError
from survey.core.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures" / "arxiv"


@pytest.fixture
def client() -> ArxivClient:
    return ArxivClient(Settings(arxiv_api_url="http://127.0.0.1:9/api/query", arxiv_delay=0))


def parse(client: ArxivClient, name: str, status: int = 200):
    return client._parse_answer("http://test", status, (FIXTURES / name).read_bytes())


def test_classic_page_fields(client):
    feed = parse(client, "page_three_entries.xml")
    assert feed.total == 7 and feed.per_page == 3
    first, cross, old = feed.entries
    row = astuple(paper_record(first))
    assert row[:2] == ("2401.00001", 3)
    assert row[2] == "Sparse Mixtures of Experts for <Tiny> Devices & Friends: A Study"
    assert "https://github.com/Example-Lab/tiny-moe" in row[3]
    assert row[4].startswith("12 pages") and row[5] == "Proc. ICML 2024, 1-12"
    assert row[6] == "10.1000/xyz.2024.1"
    assert row[7] == "cs.LG" and row[8] == "cs.LG stat.ML I.2.6"
    assert json.loads(row[9]) == ["Ada Lovelace", "Alan Turing"]
    assert row[10] == "2024-01-01T00:02:11Z" and row[11] == "2024-03-15T09:12:44Z"
    # a cross-list keeps its own primary category
    assert astuple(paper_record(cross))[7] == "math.OC"
    assert json.loads(astuple(paper_record(cross))[9]) == ["Émilie du Châtelet"]
    assert astuple(paper_record(cross))[4] is None and astuple(paper_record(cross))[6] is None
    assert astuple(paper_record(old))[:2] == ("cs/0112017", 2)


def test_2025_backend_page(client):
    feed = parse(client, "page_2025_backend.xml")
    assert feed.total == 2002 and feed.start == 2000
    ids = [astuple(paper_record(r))[:2] for r in feed.entries]
    assert ids == [("2511.09999", 2), ("2511.10000", 1)]
    assert astuple(paper_record(feed.entries[1]))[7] == "eess.AS"


def test_error_feed_is_raised(client):
    with pytest.raises(ServiceError, match="invalid date range in submittedDate"):
        parse(client, "error_feed.xml")
    with pytest.raises(ServiceError, match=r"HTTP 400: invalid date range"):
        parse(client, "error_feed.xml", status=400)


def test_empty_page_keeps_its_total(client):
    feed = parse(client, "empty_page.xml")
    assert feed.entries == [] and feed.total == 5311


def test_truncated_xml_is_malformed_not_recovered(client):
    with pytest.raises(Again, match="malformed"):
        parse(client, "truncated.xml")


def test_html_error_page_is_an_http_error(client):
    with pytest.raises(ServiceError, match="HTTP 503") as info:
        client._parse_answer("http://test", 503, b"<html><body>busy</body></html>")
    assert info.value.status == 503


def test_entities_are_not_expanded(client):
    evil = (b'<?xml version="1.0"?><!DOCTYPE f [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/1v1</id>'
            b"<published>2024-01-01T00:00:00Z</published><updated>2024-01-01T00:00:00Z</updated>"
            b"<title>&x;</title><summary>s</summary></entry></feed>")
    try:
        feed = client._parse_answer("http://test", 200, evil)
    except Again:
        return
    assert "root:" not in feed.entries[0].title


@pytest.mark.parametrize("entry_id, expected", [
    ("http://arxiv.org/abs/2401.00001v3", ("2401.00001", 3)),
    ("https://arxiv.org/abs/2401.00001v12", ("2401.00001", 12)),
    ("http://arxiv.org/abs/hep-th/9901001v1", ("hep-th/9901001", 1)),
    ("http://arxiv.org/abs/2401.00001", ("2401.00001", 1)),
])
def test_short_id(entry_id, expected):
    assert short_id(entry_id) == expected


def test_xml_that_is_not_a_feed_is_not_an_empty_window(client):
    with pytest.raises(Again) as info:
        client._parse_answer("http://test", 200, b"<html><body>maintenance</body></html>")
    assert "not an Atom feed" in str(info.value.final)
