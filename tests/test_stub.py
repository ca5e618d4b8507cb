"""The stand-ins' base answers and misbehaves as its faults say (the other tests rely on it)."""

from __future__ import annotations

import gzip

import pytest
import requests
from support.stub import Fault, Reply, Request, StubServer


class Echo(StubServer):
    name = "echo"

    def channel(self, method: str, path: str) -> str:
        return "raw" if path.startswith("/raw/") else "api"

    def route(self, request: Request) -> Reply:
        if request.path == "/missing":
            raise Reply(404, {"message": "Not Found"})
        return Reply(200, {"method": request.method, "path": request.path,
                           "body": request.body.decode()}, {"X-Echo": "1"})

    def decorate(self, request: Request, reply: Reply) -> None:
        reply.headers.setdefault("X-Service", "echo")


def test_answers_logs_and_decorates() -> None:
    with Echo() as srv:
        got = requests.post(srv.base_url + "/api/x?a=1", data=b"hello", timeout=5)
        assert got.json() == {"method": "POST", "path": "/api/x", "body": "hello"}
        assert got.headers["X-Echo"] == "1" and got.headers["X-Service"] == "echo"
        assert requests.get(srv.base_url + "/missing", timeout=5).status_code == 404
        assert [(s.method, s.channel, s.status) for s in srv.seen] == [
            ("POST", "api", 200), ("GET", "api", 404)]
        assert srv.seen[0].body == b"hello" and srv.counts["api"] == 2


def test_faults_by_pattern_channel_and_times() -> None:
    with Echo() as srv:
        srv.add_fault(r"/raw/", 503, times=2, channel="raw", body="busy",
                      headers={"Retry-After": "1"})
        assert requests.get(srv.base_url + "/api/raw/x", timeout=5).status_code == 200
        answers = [requests.get(srv.base_url + "/raw/x", timeout=5) for _ in range(3)]
        assert [a.status_code for a in answers] == [503, 503, 200]
        assert answers[0].headers["Retry-After"] == "1" and answers[0].text == "busy"


def test_gzip_drop_hang_and_drip() -> None:
    with Echo() as srv:
        srv.add_fault("/gz", gzip=True)
        raw = requests.get(srv.base_url + "/gz", timeout=5, stream=True).raw
        assert raw.headers["Content-Encoding"] == "gzip"
        assert b'"path": "/gz"' in gzip.decompress(raw.read())
        srv.add_fault("/drop", action="drop")
        with pytest.raises(requests.ConnectionError):
            requests.get(srv.base_url + "/drop", timeout=5)
        srv.add_fault("/hang", action="hang", delay=2.0)
        with pytest.raises(requests.ReadTimeout):
            requests.get(srv.base_url + "/hang", timeout=0.5)
        srv.add_fault("/drip", action="drip", delay=0.3)
        with pytest.raises(requests.ConnectionError):  # a read timeout inside the body
            requests.get(srv.base_url + "/drip", timeout=(1, 0.1)).content  # noqa: B018


def test_fault_actions_are_checked() -> None:
    with pytest.raises(ValueError):
        Fault("x", action="explode")


def test_the_arxiv_stand_in_wraps_each_line_on_its_own() -> None:
    """Hard wrapping at 76 columns breaks long lines only: a line break the text has stays and a
    short line is never broken (counting across line breaks split '# DeiT: URL' entries)."""
    from datetime import UTC, datetime

    from support.arxiv_server import Paper, _wrap, render_entry

    entries = ["# " + "-" * 56, "# References:", "# DeiT: https://github.com/facebookresearch/deit",
               "# BEiT: https://github.com/microsoft/unilm/tree/master/beit"]
    text = "\n".join(entries) + "\n" + "word " * 30
    lines = _wrap(text).split("\n")
    assert lines[:4] == entries
    assert len(lines) > 5 and all(len(line) <= 76 for line in lines)
    paper = Paper(arxiv_id="2412.00001", title="t", abstract=text, comment=None,
                  published=datetime(2024, 12, 1, tzinfo=UTC), primary="cs.CV",
                  categories=["cs.CV"], wrap=False)
    assert text.strip() in render_entry(paper)
