"""Harvest throughput: papers parsed and stored per second against the local arXiv server.

Runs the real stage (``crawler.harvest.harvest``: HTTP, strict Atom parsing, link extraction,
SQLite upserts in one transaction per window) with delay 0 and pages of 2000, so the figure is
what the machine can do, not what arXiv allows. Also times the two halves on their own: parsing
a 2000-entry page, and storing 2000 papers with their links.

    .venv/bin/python benchmarks/harvest_throughput.py [--papers 6000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from support.arxiv_server import (  # noqa: E402,I001
    IN_SCOPE, ArxivServer, in_scope, make_corpus, render_entry, render_feed,
)

from crawler.atom import parse_feed, parse_root  # noqa: E402
from crawler.harvest import harvest, store_papers  # noqa: E402
from crawler.http import RequestStats  # noqa: E402
from survey.core.clock import FixedClock  # noqa: E402
from survey.core.db import open_write, transaction  # noqa: E402
from survey.core.settings import Settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=6000, help="corpus size (in scope ~90%%)")
    args = parser.parse_args()
    since, until = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC)
    corpus = make_corpus(args.papers, since, until, seed=42)
    wanted = len(list(in_scope(corpus)))
    with tempfile.TemporaryDirectory() as tmp, ArxivServer(corpus) as server:
        settings = Settings(db=Path(tmp) / "bench.db", arxiv_api_url=server.url,
                            arxiv_delay=0.0, arxiv_page_size=2000, arxiv_timeout=60)
        conn = open_write(settings.db)
        stats = RequestStats()
        began = time.perf_counter()
        summary = harvest(conn, settings, since=since, until=until, categories=IN_SCOPE,
                          stats=stats, clock=FixedClock(datetime(2024, 9, 1, tzinfo=UTC)))
        elapsed = time.perf_counter() - began
        stored = conn.execute("SELECT COUNT(*) FROM papers").fetchone()[0]
        assert stored == wanted == summary.papers_new, (stored, wanted, summary)

        # the halves: parse one 2000-entry page; store 2000 papers into a fresh database
        page = render_feed({}, 2000, 0, (render_entry(p) for p in corpus[:2000]), 2000)
        t0 = time.perf_counter()
        feed = parse_feed(parse_root(page))
        parse_s = time.perf_counter() - t0
        conn2 = open_write(Path(tmp) / "store.db")
        t0 = time.perf_counter()
        with transaction(conn2):
            _, _, links = store_papers(conn2, feed.entries, "2026-01-01T00:00:00Z")
        store_s = time.perf_counter() - t0

    print(f"corpus                 {args.papers:,} papers, {wanted:,} in the default categories")
    print(f"harvest (end to end)   {stored:,} papers in {elapsed:.2f} s ="
          f" {stored / elapsed:,.0f} papers/s; {summary.requests} requests,"
          f" {summary.windows_done} windows, {summary.links:,} links")
    print(f"  parse a 2000 page    {parse_s * 1000:.0f} ms = {2000 / parse_s:,.0f} papers/s")
    print(f"  store 2000 + links   {store_s * 1000:.0f} ms = {2000 / store_s:,.0f} papers/s"
          f" ({links} links)")
    print("  (server rendering and HTTP make up the rest; against arXiv the 3 s delay"
          " between requests dominates: 2000 papers / 3 s = 667 papers/s at best)")


if __name__ == "__main__":
    main()
