"""A SIGTERM stops the run even when Python swallows the interrupt its handler raises.

Python drops an exception raised inside a ``__del__`` (it prints "Exception ignored in ..."),
so a SIGTERM handled there used to let the crawl run to its end and exit 0. The handler also
sets ``survey.core.stop``'s flag, and every HTTP request and every advance of a progress task
raises the interrupt again while it is set.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
from datetime import UTC, datetime

import pytest
from support.arxiv_server import ArxivServer, make_corpus
from support.local_github import github_settings

from crawler.arxiv_client import ArxivClient
from crawler.http import RequestStats
from crawler.windows import Window
from survey.core import stop
from survey.core.clock import FixedClock
from survey.core.events import Events
from survey.core.settings import Settings
from survey.jobs.crawl import StageContext, run_crawl
from survey.jobs.record import sigterm_as_interrupt

NOW = datetime(2024, 3, 15, tzinfo=UTC)
JAN = Window(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC))


class _TermInDel:
    """Sends SIGTERM to this process from its ``__del__``: the handler runs there, at the next
    instruction, and the KeyboardInterrupt it raises is swallowed by Python."""

    def __del__(self) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(10_000_000):  # the handler runs (and raises) within the first steps
            if stop.requested():
                break


def _swallowed_sigterm() -> None:
    _TermInDel()  # dropped at once: __del__ runs here, and nothing is raised here
    assert stop.requested(), "the SIGTERM handler did not run"


# Python reports the swallowed interrupt as an "unraisable exception": that is the point.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def test_a_swallowed_sigterm_stops_at_the_next_unit_of_work() -> None:
    assert threading.current_thread() is threading.main_thread()
    advanced = []
    with pytest.raises(KeyboardInterrupt), sigterm_as_interrupt():
        _swallowed_sigterm()  # the interrupt is lost here, the flag is not
        with Events().task("work", total=2) as task:
            task.advance()
            advanced.append(1)  # never reached: the advance raised
    assert not advanced
    assert not stop.requested()  # cleared when the run's block ends


def test_no_request_is_sent_once_a_stop_is_asked_for() -> None:
    corpus = make_corpus(20, datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC))
    with ArxivServer(corpus) as server:
        client = ArxivClient(Settings(arxiv_api_url=server.url, arxiv_delay=0.0,
                                      arxiv_timeout=2.0, arxiv_retries=1), RequestStats())
        with pytest.raises(KeyboardInterrupt), sigterm_as_interrupt():
            stop.request()
            client.fetch_window(JAN.query(("cs.LG",)))
        assert server.request_count == 0
        # with no stop asked for, the same client works
        assert client.fetch_window(JAN.query(("cs.LG",))).results


def test_a_crawl_whose_sigterm_was_swallowed_is_recorded_as_interrupted(tmp_path) -> None:
    db = tmp_path / "survey.db"
    ran = []

    def stage(ctx: StageContext) -> dict:
        _swallowed_sigterm()
        with ctx.events.task("repositories", total=3) as task:
            for i in range(3):
                task.advance()
                ran.append(i)
        return {"done": len(ran)}

    corpus = make_corpus(5, datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC))
    with ArxivServer(corpus) as server:
        settings = Settings(db=db, arxiv_api_url=server.url, arxiv_delay=0.0,
                            arxiv_timeout=2.0, arxiv_retries=1, **github_settings())
        with pytest.raises(KeyboardInterrupt):
            run_crawl(settings, since="2024-01", until="2024-01", clock=FixedClock(NOW),
                      stages=[("work", stage)])
    assert ran == []
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT outcome FROM runs").fetchall() == [("interrupted",)]
    finally:
        conn.close()
    assert not stop.requested()
