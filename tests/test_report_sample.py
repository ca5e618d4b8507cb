"""A report over a sampled crawl says so, with the sample's size (issue 11)."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

from synthetic import add_paper_with_code

from analysis.report import generate_report
from survey.core.db import transaction
from survey.core.settings import Settings
from survey.store import sample

FAST = Settings(report_bootstrap=0)


def test_a_sampled_database_is_reported_as_a_sample(conn: sqlite3.Connection,
                                                     tmp_path: Path) -> None:
    for i in range(12):
        add_paper_with_code(conn, f"2401.{i:05d}", "2024-01-15T12:00:00Z", "pytorch")
    page, data = generate_report(conn, FAST, tmp_path / "census", as_of=date(2024, 12, 31))
    assert data.stamp["sample"] is None and "sample-notice" not in page.read_text()
    with transaction(conn):
        sample.record(conn, 0.05)
    page, data = generate_report(conn, FAST, tmp_path / "sampled", as_of=date(2024, 12, 31))
    assert data.stamp["sample"] == {"fraction": 0.05, "repositories": 12}
    html = page.read_text(encoding="utf-8")
    assert 'id="sample-notice"' in html and "0.05 of the linked repositories" in html
    assert json.loads(data.json_text)["stamp"]["sample"]["fraction"] == 0.05
