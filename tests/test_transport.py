"""The one way to ask a service, against real hostile sockets on 127.0.0.1 (issue 9 §2, §5)."""

from __future__ import annotations

import time

import pytest
import requests
from pytest_httpserver import HTTPServer
from support.hostile import bomb_bytes, closed_port, drip, gzip_bomb, silent

from crawler.http import RetryPolicy, make_session
from crawler.transport import Endpoint, Health, Limits, header_safe, send
from survey.core.errors import AnswerTooLarge, ConfigError, ServiceError, ServiceUnavailable

FAST = Limits(connect_timeout=1.0, read_timeout=1.0, deadline=3.0, max_wire_bytes=2_000_000,
              max_body_bytes=8_000_000)


def endpoint(url: str) -> Endpoint:
    return Endpoint("github", "GITHUB_API_URL", url)


def session(retries: int = 0) -> requests.Session:
    return make_session(RetryPolicy(total=retries, backoff_factor=0.0), service="github")


def test_refused_connections_become_an_outage_naming_the_setting() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    health = Health()
    errors = []
    for _ in range(3):
        try:
            send(session(), "GET", url + "/repos/a/b", endpoint=endpoint(url), limits=FAST,
                 health=health)
        except ServiceError as exc:
            errors.append(exc)
    assert [type(e) for e in errors] == [ServiceError, ServiceError, ServiceUnavailable]
    assert all(e.transport for e in errors)
    assert "connection refused" in str(errors[0])
    message = str(errors[-1])
    assert "github is not answering" in message and f"GITHUB_API_URL={url}" in message


def test_a_host_that_never_answers_is_cut_at_the_read_timeout() -> None:
    with silent() as server:
        started = time.monotonic()
        with pytest.raises(ServiceError, match="no answer") as info:
            send(session(), "GET", server.url + "/x", endpoint=endpoint(server.url),
                 limits=FAST)
        assert info.value.transport
        assert server.connections == 1
    assert time.monotonic() - started < 10  # (bound for a hang, not a timing assertion)


def test_headers_dripping_one_byte_a_second_stop_at_the_deadline() -> None:
    """Each byte resets the read timeout: only the total deadline ends it."""
    head = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100 + b"\r\n\r\n"
    with drip(head, every=0.2, in_headers=True) as server:
        with pytest.raises(ServiceError) as info:
            send(session(retries=2), "GET", server.url + "/x", endpoint=endpoint(server.url),
                 limits=FAST)
        assert info.value.transport
        # urllib3's retries of a missing answer find no time left: not three full drips.
        assert server.connections <= 3


def test_a_body_dripping_one_byte_a_second_stops_at_the_deadline() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
    with drip(head, b"x" * 100, every=0.2) as server:
        with pytest.raises(ServiceError, match="still arriving after 3 s") as info:
            send(session(), "GET", server.url + "/x", endpoint=endpoint(server.url),
                 limits=FAST)
        assert info.value.transport


def test_a_body_that_stalls_is_a_transport_failure_not_a_crash() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
    with drip(head, b"x" * 100, every=30.0) as server:
        with pytest.raises(ServiceError, match="no answer within 1 s") as info:
            send(session(), "GET", server.url + "/x", endpoint=endpoint(server.url),
                 limits=FAST)
        assert info.value.transport


def test_a_gzip_bomb_stops_at_the_decompressed_cap_not_in_memory_error() -> None:
    with gzip_bomb() as server:
        with pytest.raises(AnswerTooLarge, match="decompressed") as info:
            send(session(), "GET", server.url + "/x", endpoint=endpoint(server.url),
                 limits=FAST)
        assert not info.value.transport  # the answer is the problem, not the service
    assert len(bomb_bytes(256 << 20)) < FAST.max_wire_bytes  # small on the wire


def test_an_announced_body_over_the_wire_cap_is_not_read(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big").respond_with_data(b"x" * 3_000_000)
    with pytest.raises(AnswerTooLarge, match="announced"):
        send(session(), "GET", httpserver.url_for("/big"),
             endpoint=endpoint(httpserver.url_for("/")), limits=FAST)


def test_persistent_5xx_is_an_outage_and_any_answer_resets_it(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/down").respond_with_data("busy", status=503)
    httpserver.expect_request("/up").respond_with_data("{}", status=404)
    ep, health = endpoint(httpserver.url_for("/")), Health()
    for path in ("/down", "/down", "/up", "/down", "/down"):
        answer = send(session(), "GET", httpserver.url_for(path), endpoint=ep, limits=FAST,
                      health=health)
        assert answer.status in (503, 404)
    with pytest.raises(ServiceUnavailable, match="HTTP 503"):
        send(session(), "GET", httpserver.url_for("/down"), endpoint=ep, limits=FAST,
             health=health)


def test_a_complete_answer_keeps_status_headers_and_body(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/ok").respond_with_json({"id": 1}, headers={"ETag": 'W/"x"'})
    answer = send(session(), "GET", httpserver.url_for("/ok"),
                  endpoint=endpoint(httpserver.url_for("/")), limits=FAST)
    assert answer.status == 200 and answer.headers["etag"] == 'W/"x"'
    assert answer.json_body() == {"id": 1} and answer.wire_bytes == len(answer.body)


@pytest.mark.parametrize("token", ["ghp_abc\ndef", "tök€n", "abc\r\nX-Evil: 1"])
def test_a_token_that_cannot_go_in_a_header_is_a_configuration_error(token: str) -> None:
    with pytest.raises(ConfigError) as info:
        header_safe({"Authorization": f"Bearer {token}"}, endpoint("https://api.github.com"))
    assert token not in str(info.value) and "\n" not in str(info.value)


def test_sending_such_a_header_is_mapped_too(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/x").respond_with_data("ok")
    with pytest.raises(ConfigError):
        send(session(), "GET", httpserver.url_for("/x"),
             endpoint=endpoint(httpserver.url_for("/")), limits=FAST,
             headers={"Authorization": "Bearer tök€n"})
