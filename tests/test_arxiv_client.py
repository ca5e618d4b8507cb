"""The safe arXiv client against a local server that answers (and fails) like arXiv."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest
from support.arxiv_server import ArxivServer, make_corpus

from crawler.arxiv_client import EMPTY_PAGE_RETRIES, ArxivClient
from crawler.http import RequestStats
from crawler.windows import Window
from survey.core.errors import ServiceError, ServiceUnavailable
from survey.core.settings import Settings

CATS = ("cs.LG", "cs.CV", "cs.CL", "cs.AI", "cs.NE", "stat.ML")
JAN = Window(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC))
QUERY = JAN.query(CATS)


@pytest.fixture(scope="module")
def corpus():
    return make_corpus(300, datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC))


@pytest.fixture
def server(corpus):
    with ArxivServer(corpus) as srv:
        yield srv


def client_for(url: str, **kw) -> tuple[ArxivClient, RequestStats]:
    options = {"arxiv_api_url": url, "arxiv_delay": 0.01, "arxiv_page_size": 50,
               "arxiv_timeout": 1.0, "arxiv_retries": 3, **kw}
    stats = RequestStats()
    return ArxivClient(Settings(**options), stats), stats


def expected_ids(server: ArxivServer, query: str = QUERY) -> set[str]:
    return {p.arxiv_id for p in server.matching(query)}


def test_pages_a_window_completely(server):
    client, stats = client_for(server.url)
    result = client.fetch_window(QUERY)
    want = expected_ids(server)
    assert 100 < len(want) < 200
    assert set(result.results) == want
    assert result.total == len(want) and not result.short
    pages = -(-len(want) // 50)
    assert server.request_count == pages == stats.requests["arxiv"]
    assert [r.start for r in server.requests] == [50 * i for i in range(pages)]
    assert {r.params["max_results"] for r in server.requests} == {"50"}
    assert {(r.params["sortBy"], r.params["sortOrder"]) for r in server.requests} == {
        ("submittedDate", "ascending")}
    assert not stats.retries


def test_query_uses_twelve_digit_dates_and_ors_categories(server):
    client, _ = client_for(server.url)
    client.fetch_window(QUERY)
    sent = server.requests[0].params["search_query"]
    assert sent == ("(cat:cs.LG OR cat:cs.CV OR cat:cs.CL OR cat:cs.AI OR cat:cs.NE OR"
                    " cat:stat.ML) AND submittedDate:[202401010000 TO 202402010000]")


def test_delay_between_requests_on_monotonic_clock(server):
    client, _ = client_for(server.url, arxiv_delay=0.2)
    client.fetch_window(QUERY)
    assert server.request_count >= 3
    assert min(server.gaps()) >= 0.19
    assert server.max_concurrent == 1


def test_503_with_retry_after_is_waited_out(server):
    server.add_fault("status", status=503, retry_after="1", start=50)
    client, stats = client_for(server.url)
    result = client.fetch_window(QUERY)
    assert set(result.results) == expected_ids(server)
    faulted = [i for i, r in enumerate(server.requests) if r.fault == "status"]
    assert len(faulted) == 1
    gap = server.requests[faulted[0] + 1].at - server.requests[faulted[0]].at
    assert gap >= 0.95, "Retry-After: 1 must be honoured"
    assert stats.retries["arxiv HTTP 503"] == 1


def test_retry_after_is_capped(server):
    server.add_fault("status", status=503, retry_after="3600")
    client, stats = client_for(server.url, max_backoff=0.3)
    result = client.fetch_window(QUERY)  # waits the capped 0.3 s (test_http.py), not an hour
    assert stats.retries == {"arxiv HTTP 503": 1}
    assert set(result.results) == expected_ids(server)


def test_4xx_is_not_retried(server):
    server.add_fault("status", status=403)
    client, stats = client_for(server.url)
    with pytest.raises(ServiceError, match="HTTP 403") as info:
        client.fetch_window(QUERY)
    assert info.value.status == 403
    assert server.request_count == 1
    assert not stats.retries


def test_5xx_gives_up_after_the_budget(server):
    server.add_fault("status", status=503, times=None)
    client, stats = client_for(server.url, arxiv_retries=2)
    with pytest.raises(ServiceError, match="HTTP 503"):
        client.fetch_window(QUERY)
    assert server.request_count == 3  # one try and two retries
    assert stats.retries["arxiv HTTP 503"] == 2


def test_empty_page_mid_pagination_is_retried(server):
    server.add_fault("empty", start=100, times=2)
    client, stats = client_for(server.url)
    result = client.fetch_window(QUERY)
    assert set(result.results) == expected_ids(server) and not result.short
    assert [r.start for r in server.requests if r.fault] == [100, 100]
    assert stats.retries["arxiv empty page"] == 2


def test_spurious_empty_first_page_is_asked_again(server):
    server.add_fault("empty", start=0, times=1)
    client, stats = client_for(server.url)
    result = client.fetch_window(QUERY)
    assert set(result.results) == expected_ids(server)
    assert stats.retries["arxiv empty page"] == 1


def test_really_empty_window_is_asked_twice_then_believed(server):
    empty = Window(datetime(2023, 1, 1, tzinfo=UTC), datetime(2023, 2, 1, tzinfo=UTC))
    client, stats = client_for(server.url)
    result = client.fetch_window(empty.query(CATS))
    assert result.total == 0 and result.fetched == 0 and not result.short
    assert server.request_count == 2
    assert stats.retries["arxiv empty first page"] == 1


def test_malformed_xml_is_retried_not_half_parsed(server):
    server.add_fault("malformed", start=50)
    client, stats = client_for(server.url)
    result = client.fetch_window(QUERY)
    assert set(result.results) == expected_ids(server)
    assert stats.retries["arxiv malformed XML"] == 1


def test_malformed_xml_every_time_is_an_error(server):
    server.add_fault("malformed", times=None)
    client, _ = client_for(server.url, arxiv_retries=2)
    with pytest.raises(ServiceError, match="malformed XML"):
        client.fetch_window(QUERY)
    assert server.request_count == 3


def test_dropped_connection_is_retried(server):
    server.add_fault("drop", start=0)
    server.add_fault("drop", start=100)
    client, stats = client_for(server.url)
    result = client.fetch_window(QUERY)
    assert set(result.results) == expected_ids(server)
    assert sum(n for k, n in stats.retries.items() if "ProtocolError" in k) == 2


def test_answer_slower_than_timeout_is_retried(server):
    server.add_fault("slow", delay=1.5, start=50)
    client, stats = client_for(server.url, arxiv_timeout=0.3)
    result = client.fetch_window(QUERY)
    assert set(result.results) == expected_ids(server)
    # the client must not wait for the slow answer: its retry reached the server while the
    # slow handler was still asleep (seen server-side, not measured on a clock)
    assert server.max_concurrent == 2
    assert stats.retries["arxiv ReadTimeoutError"] == 1


def test_body_stalling_past_timeout_is_retried(server):
    server.add_fault("slow_body", delay=1.5, start=50)
    client, stats = client_for(server.url, arxiv_timeout=0.3)
    result = client.fetch_window(QUERY)
    assert set(result.results) == expected_ids(server)
    assert sum(stats.retries.values()) == 1


def test_body_cut_short_is_retried(server):
    server.add_fault("truncate", start=100)
    client, stats = client_for(server.url)
    result = client.fetch_window(QUERY)
    assert set(result.results) == expected_ids(server)
    assert stats.retries["arxiv answer cut short"] == 1


def test_unparseable_entry_date_is_retried(server):
    server.add_fault("bad_date", start=50)
    client, stats = client_for(server.url)
    result = client.fetch_window(QUERY)
    assert set(result.results) == expected_ids(server) and not result.short
    assert stats.retries["arxiv malformed XML"] == 1


def test_unparseable_entry_date_every_time_is_a_service_error(server):
    server.add_fault("bad_date", times=None)
    client, _ = client_for(server.url, arxiv_retries=2)
    with pytest.raises(ServiceError, match="malformed entry"):
        client.fetch_window(QUERY)
    assert server.request_count == 3


def test_error_feed_is_an_error_not_zero_results(server):
    server.add_fault("error_feed")
    client, _ = client_for(server.url)
    with pytest.raises(ServiceError, match="simulated error"):
        client.fetch_window(QUERY)
    assert server.request_count == 1


def test_error_feed_with_status_200_is_an_error_too(server):
    from support.arxiv_server import render_error_feed

    client, _ = client_for(server.url)
    with pytest.raises(ServiceError, match="rejected the query: bad things"):
        client._parse_answer("http://x", 200, render_error_feed("bad things"))


def test_old_date_form_is_refused_by_the_server(server):
    client, _ = client_for(server.url)
    with pytest.raises(ServiceError, match="12-digit"):
        client.fetch_window("cat:cs.LG AND submittedDate:[20240101 TO 20240201]")


def test_overstated_total_makes_a_short_window(server):
    server.overstate = 3
    client, stats = client_for(server.url)
    result = client.fetch_window(QUERY)
    want = expected_ids(server)
    assert set(result.results) == want
    assert result.short and result.total == len(want) + 3 and result.fetched == len(want)
    assert result.attempts == 2
    assert stats.retries["arxiv short window"] == 2
    # each attempt: the pages, the empty tail page asked 1 + EMPTY_PAGE_RETRIES times, then
    # once with half the page size
    pages = -(-len(want) // 50)
    assert server.request_count == 2 * (pages + 1 + EMPTY_PAGE_RETRIES + 1)
    assert stats.retries["arxiv smaller page"] == 2


def test_a_page_size_failing_at_an_offset_is_worked_around(server):
    server.add_fault("empty", start=100, max_results=50, times=None)
    client, stats = client_for(server.url)
    result = client.fetch_window(QUERY)
    assert set(result.results) == expected_ids(server) and not result.short
    assert stats.retries["arxiv smaller page"] == 1 and result.attempts == 1
    assert [r.params["max_results"] for r in server.requests if r.start >= 100][-1] == "25"


def test_duplicates_from_unstable_order_are_caught_by_the_total(server):
    server.add_fault("duplicate", start=100)
    client, stats = client_for(server.url)
    result = client.fetch_window(QUERY)
    assert set(result.results) == expected_ids(server) and not result.short
    assert stats.retries["arxiv short window"] == 1


def test_unreachable_arxiv_is_an_outage_naming_the_setting():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/api/query"
    client, stats = client_for(url, arxiv_retries=5)
    with pytest.raises(ServiceUnavailable) as info:
        client.fetch_window(QUERY)
    message = str(info.value)
    assert message.startswith("arxiv is not answering (connection refused; 3 requests in a row")
    assert f"check SURVEY_ARXIV_API_URL={url}, the next run resumes" in message
    assert "\n" not in message
    # Three requests (the outage threshold), each with urllib3's two connect retries.
    assert stats.retries == {"arxiv NewConnectionError": 6, "arxiv connection refused": 2}
    assert stats.requests == {"arxiv": 3}


def test_retries_keep_the_delay_too(server):
    server.add_fault("status", status=503)  # no Retry-After: urllib3 backoff
    server.add_fault("drop", start=50)
    server.add_fault("empty", start=100)
    client, stats = client_for(server.url, arxiv_delay=0.15)
    client.fetch_window(QUERY)
    assert sum(stats.retries.values()) == 3
    assert min(server.gaps()) >= 0.14, "a retry is never ruder than a normal request"
    assert server.max_concurrent == 1


def test_messages_say_what_failed_in_one_line(server):
    server.add_fault("slow", delay=1.0, times=None)
    client, _ = client_for(server.url, arxiv_timeout=0.2, arxiv_retries=1)
    with pytest.raises(ServiceError) as info:
        client.fetch_window(QUERY)
    assert str(info.value).startswith("arxiv is not answering (no answer within 0.2 s;"
                                      " 2 requests in a row")
    assert str(info.value).endswith(f"check SURVEY_ARXIV_API_URL={server.url}, the next run"
                                    " resumes")
    assert isinstance(info.value, ServiceUnavailable)
    # two requests (arxiv_retries=1), each retried once by urllib3 after its read timeout
    assert server.request_count == 4
