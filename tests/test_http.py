"""The shared HTTP plumbing against a real local server: retries counted, Retry-After capped."""

from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer
from urllib3 import HTTPResponse

from crawler.http import CountingRetry, RequestStats, RetryPolicy, make_session, redact


def test_retry_after_is_capped() -> None:
    retry = CountingRetry(total=3)
    retry.after_cap = 0.3
    answer = HTTPResponse(status=503, headers={"Retry-After": "3600"})
    assert retry.get_retry_after(answer) == 0.3


def test_backoff_never_below_the_floor() -> None:
    retry = CountingRetry(total=3, backoff_factor=0.0)
    retry.backoff_min = 2.0
    assert retry.new(total=2).get_backoff_time() == 2.0


def test_only_retries_that_happen_are_counted(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/flaky").respond_with_data("busy", status=503)
    stats = RequestStats()
    session = make_session(RetryPolicy(total=2, backoff_factor=0.0), stats=stats,
                           service="test")
    answer = session.get(httpserver.url_for("/flaky"), timeout=5)
    assert answer.status_code == 503  # given back after the budget, not raised
    assert len(httpserver.log) == 3  # one try, two retries
    assert stats.retries == {"test HTTP 503": 2}


def test_retry_then_success(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/x").respond_with_data("", status=502)
    httpserver.expect_ordered_request("/x").respond_with_data("ok")
    stats = RequestStats()
    session = make_session(RetryPolicy(total=3, backoff_factor=0.0), stats=stats, service="s")
    assert session.get(httpserver.url_for("/x"), timeout=5).text == "ok"
    assert stats.retries == {"s HTTP 502": 1}


@pytest.mark.parametrize("text", [
    "GET failed: Authorization: token ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "token=github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz in url",
])
def test_redact_removes_token_shaped_strings(text: str) -> None:
    out = redact(text)
    assert "ghp_" not in out and "github_pat_" not in out and "***" in out


def test_redact_removes_a_given_secret() -> None:
    assert redact("the secret is s3cr3t-value!", "s3cr3t-value") == "the secret is ***!"


def test_a_status_outside_the_policy_is_not_retried_even_with_retry_after(
        httpserver: HTTPServer) -> None:
    httpserver.expect_request("/limited").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "3600"})
    stats = RequestStats()
    session = make_session(RetryPolicy(total=3, statuses=frozenset({503})), stats=stats)
    assert session.get(httpserver.url_for("/limited"), timeout=5).status_code == 429
    assert len(httpserver.log) == 1 and not stats.retries


def test_retry_after_on_a_policy_status_is_honoured(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/busy").respond_with_data(
        "", status=503, headers={"Retry-After": "0"})
    httpserver.expect_ordered_request("/busy").respond_with_data("ok")
    session = make_session(RetryPolicy(total=3, statuses=frozenset({503})))
    assert session.get(httpserver.url_for("/busy"), timeout=5).text == "ok"
