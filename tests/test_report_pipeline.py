"""The report over what the real harvest stage stored (local arXiv server, real client).

Fetching and classifying are simulated by writing `repos` and `classifications` rows, the
tables those stages fill; everything the report reads from the harvest (dates, categories,
links, official flags, titles with markup) is the real stage's output.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pandas as pd
import pytest
from support.arxiv_server import IN_SCOPE, ArxivServer, in_scope, make_corpus
from synthetic import add_classification, add_repo

from analysis.export import export_rows
from analysis.report import write_report
from survey.core.clock import FixedClock
from survey.core.db import open_write
from survey.core.settings import Settings
from survey.jobs.crawl import harvest_stage, run_crawl

NOW = datetime(2024, 4, 1, tzinfo=UTC)
LABELS = ["pytorch", "pytorch", "tensorflow", "jax", "none", "unknown"]


@pytest.fixture
def harvested(db_path):
    corpus = make_corpus(240, datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC))
    with ArxivServer(corpus) as srv:
        settings = Settings(db=db_path, arxiv_api_url=srv.url, arxiv_delay=0.0,
                            arxiv_page_size=100, arxiv_timeout=2.0, arxiv_retries=1)
        run_crawl(settings, since="2024-01", until="2024-02", categories=IN_SCOPE,
                  clock=FixedClock(NOW), stages=[("harvest", harvest_stage)])
    return db_path, list(in_scope(corpus))


def test_report_and_export_over_harvested_papers(harvested, tmp_path) -> None:
    db, expected = harvested
    conn = open_write(db)
    repos = [r[0] for r in conn.execute("SELECT DISTINCT repo FROM links ORDER BY repo")]
    assert repos, "the harvest stored no links"
    for i, repo in enumerate(repos):  # what the fetch and classify stages would write
        add_repo(conn, repo)
        if LABELS[i % len(LABELS)] != "unknown":
            add_classification(conn, repo, LABELS[i % len(LABELS)])
    papers = conn.execute("SELECT COUNT(*) FROM papers").fetchone()[0]
    assert papers == len(expected)
    with_code = conn.execute(
        "SELECT COUNT(DISTINCT arxiv_id) FROM links WHERE official = 1").fetchone()[0]
    page = write_report(conn, Settings(report_bootstrap=10), tmp_path / "out", now=NOW)
    rows = export_rows(conn)
    n_links = conn.execute("SELECT COUNT(*) FROM links").fetchone()[0]
    conn.close()

    html = page.read_text(encoding="utf-8")
    figures = {label: number for number, label in
               re.findall(r"<b>([\d,]+)</b><span>([^<]+)</span>", html)}
    assert int(figures["papers harvested"].replace(",", "")) == papers
    assert int(figures["with an official code link"].replace(",", "")) == with_code
    coverage = pd.read_csv(tmp_path / "out" / "index-data" / "coverage.csv")
    assert coverage["harvested"].sum() == papers
    assert coverage["with_code_link"].sum() == with_code
    # Titles from arXiv carry markup-like text: escaped on the page.
    assert "a &lt;study&gt; of &#34;things&#34; &amp; more" in html
    assert "<study>" not in html
    assert len(rows) == n_links
    assert set(rows["framework"]) <= {"pytorch", "tensorflow", "jax", "none", "unknown"}
    assert rows["published"].str.match(r"^2024-0[12]-\d\d$").all()
