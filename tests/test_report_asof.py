"""A citable report: computed as of a day, the same bytes on any day, stamped; verdicts that
tell "inconclusive" from "not enough data"; tiles on the claims' denominators; monthly pages
named for the month they cover."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from synthetic import add_paper_with_code, fill_synthetic
from typer.testing import CliRunner

from analysis.asof import default_as_of, harvested_through, parse_as_of
from analysis.claims import INCONCLUSIVE, NOT_ENOUGH
from analysis.report import generate_report, write_report
from crawler.http import RequestStats
from survey.cli import app
from survey.core.clock import FixedClock
from survey.core.db import open_write
from survey.core.errors import InputError
from survey.core.events import SILENT
from survey.core.settings import Settings
from survey.jobs.crawl import StageContext
from survey.jobs.refresh import report_stage_for

FAST = Settings(report_bootstrap=20)
CLAIM_KEYS = {"id", "claim", "metric", "value", "low", "high", "threshold", "n", "verdict"}


def window(conn, end: str, finished: str, start: str = "2018-01-01T00:00") -> None:
    conn.execute("INSERT INTO harvest_windows (start, end, categories, status, total, fetched,"
                 " requests, finished_at) VALUES (?, ?, 'cs.LG', 'complete', 1, 1, 1, ?)",
                 (start, end, finished))


@pytest.fixture(scope="module")
def synthetic_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("asof") / "s.db"
    conn = open_write(path)
    fill_synthetic(conn, 4000, seed=3)
    window(conn, "2026-11-01T00:00", "2026-11-03T00:00")  # harvested through October
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize(("text", "day"), [
    ("2019", date(2019, 12, 31)), ("2019-02", date(2019, 2, 28)), ("2024-02", date(2024, 2, 29)),
    ("2019-06-15", date(2019, 6, 15)), (" 2026-11 ", date(2026, 11, 30)),
])
def test_as_of_reads_like_until(text: str, day: date) -> None:
    assert parse_as_of(text) == day


@pytest.mark.parametrize(("text", "message"), [
    ("banana", "--as-of 'banana': expected YYYY-MM-DD, YYYY-MM or YEAR"),
    ("2019-13", "--as-of '2019-13': not a valid date"), ("2019-02-30", "not a valid date"),
])
def test_bad_as_of_is_a_one_line_input_error(text: str, message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        parse_as_of(text)


def test_default_as_of_is_the_last_complete_month_in_the_data(conn) -> None:
    assert default_as_of(conn) is None
    add_paper_with_code(conn, "2610.00001", "2026-10-30", "pytorch")
    # No harvest record: the latest first version; October is not known to be complete.
    assert default_as_of(conn) == date(2026, 9, 30)
    add_paper_with_code(conn, "2610.00002", "2026-10-31", "pytorch")
    assert default_as_of(conn) == date(2026, 10, 31)
    # A harvest finished mid-day on 27 November covers 26 November: November is incomplete.
    window(conn, "2026-12-01T00:00", "2026-11-27T10:00")
    assert harvested_through(conn) == date(2026, 11, 26)
    assert default_as_of(conn) == date(2026, 10, 31)
    # Harvested just after midnight on 1 December: November is complete.
    window(conn, "2026-12-01T00:00", "2026-12-01T00:30", start="2026-11-01T00:00")
    assert default_as_of(conn) == date(2026, 11, 30)
    # The run's clock caps it: on 30 November November is not over, whatever the windows say.
    assert default_as_of(conn, now=datetime(2026, 11, 30, 23, 0, tzinfo=UTC)) == date(2026, 10, 31)


def test_a_2018_2019_database_is_judged_on_2019(conn, tmp_path: Path) -> None:
    for m in range(24):
        y, mo = 2018 + m // 12, m % 12 + 1
        for i in range(20):
            add_paper_with_code(conn, f"{y % 100:02d}{mo:02d}.{i:05d}", f"{y}-{mo:02d}-{1 + i}",
                                "pytorch" if i < 15 else "tensorflow")
    window(conn, "2020-01-01T00:00", "2020-01-04T09:00")  # the harvest ended in January 2020
    _, data = generate_report(conn, FAST, tmp_path)
    assert data.as_of == date(2019, 12, 31)
    assert data.windows.label == "2019-01-01 to 2019-12-31"
    verdicts = {c.key: c.verdict for c in data.claims}
    assert verdicts["C1"] != NOT_ENOUGH and verdicts["C2"] != NOT_ENOUGH
    assert data.claims[0].n == 240


def test_straddling_interval_is_inconclusive_not_missing_data(conn, tmp_path: Path) -> None:
    # The case: C2 at 90.0% of 340 papers, interval 86.4% to 92.8%.
    for i in range(340):
        label = "pytorch" if i < 250 else "tensorflow" if i < 306 else "jax"
        add_paper_with_code(conn, f"2605.{i:05d}", "2026-05-10", label)
    _, data = generate_report(conn, FAST, tmp_path, as_of=date(2026, 10, 31))
    c2 = next(c for c in data.claims if c.key == "C2")
    assert (c2.value, c2.interval, c2.n) == ("90.0%", "86.4% to 92.8%", 340)
    assert c2.verdict == INCONCLUSIVE and "straddles 90.0%" in c2.reason
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert 'class="verdict v-inconclusive">inconclusive<' in page


def test_tiles_use_the_claims_denominators(synthetic_db: Path, tmp_path: Path) -> None:
    conn = open_write(synthetic_db)
    page, data = generate_report(conn, FAST, tmp_path, as_of=date(2026, 10, 31))
    conn.close()
    html = page.read_text(encoding="utf-8")
    claims = {c.key: c for c in data.claims}
    jax = next(d for d in claims["C2"].details if d["label"] == "jax")
    tiles = dict(re.findall(r'id="tile-([a-z-]+)"><b>([^<]+)</b>', html))
    assert tiles["pytorch"] == claims["C1"].value
    assert tiles["pytorch-tensorflow"] == claims["C2"].value
    assert tiles["jax"] == jax["value"]
    assert re.search(rf'id="tile-jax"><b>{re.escape(jax["value"])}</b>\s*<span class="ci">95%'
                     rf' {re.escape(jax["interval"])}</span>', html)
    assert f"of {claims['C2'].n:,.0f} papers whose code uses a deep-learning framework" in html
    # One sentence at the top answers the article's claim with its numbers.
    sentence = re.search(r'id="headline">(.*?)</p>', html, re.S).group(1)
    assert claims["C1"].value in sentence and claims["C1"].interval in sentence
    assert sentence.count(".") >= 3 and data.headline in html


def test_json_is_the_same_bytes_on_any_day(synthetic_db: Path, tmp_path: Path) -> None:
    conn = open_write(synthetic_db)
    one = generate_report(conn, FAST, tmp_path / "a", as_of=date(2026, 6, 30),
                          clock=FixedClock(datetime(2026, 7, 1, tzinfo=UTC)))[1]
    two = generate_report(conn, FAST, tmp_path / "b", as_of=date(2026, 6, 30),
                          clock=FixedClock(datetime(2027, 3, 9, 17, 5, tzinfo=UTC)))[1]
    conn.close()
    assert one.json_text == two.json_text
    assert (tmp_path / "a" / "index-data" / "report.json").read_bytes() == \
        (tmp_path / "b" / "index-data" / "report.json").read_bytes()
    # The pages differ only by their "generated" line, from the caller's clock.
    a = (tmp_path / "a" / "index.html").read_text(encoding="utf-8")
    b = (tmp_path / "b" / "index.html").read_text(encoding="utf-8")
    assert "generated 2026-07-01 00:00 UTC" in a and "generated 2027-03-09 17:05 UTC" in b
    assert a.replace("2026-07-01 00:00", "X") == b.replace("2027-03-09 17:05", "X")
    doc = json.loads(one.json_text)
    assert doc["as_of"] == "2026-06-30"
    assert doc["window"] == {"start": "2025-07-01", "end": "2026-06-30",
                             "previous_start": "2024-07-01", "months": 12}
    assert [c["id"] for c in doc["claims"]] == ["C1", "C2", "C3", "C4"]
    assert all(CLAIM_KEYS <= set(c) for c in doc["claims"])
    c1 = doc["claims"][0]
    assert c1["low"] < c1["value"] < c1["high"] and c1["threshold"] == 0.67
    assert doc["shares"]["classified"]["labels"]["pytorch"]["share"] == c1["value"]
    stamp = doc["stamp"]
    assert stamp["as_of"] == "2026-06-30" and stamp["survey_version"]
    assert stamp["classifier_versions"] and stamp["data_digest"].startswith("sha256:")
    assert stamp["data_digest"] in a


def test_as_of_leaves_later_papers_out(synthetic_db: Path, tmp_path: Path) -> None:
    conn = open_write(synthetic_db)
    later = conn.execute("SELECT COUNT(*) FROM papers WHERE published >= '2020-01-01'"
                         ).fetchone()[0]
    total = conn.execute("SELECT COUNT(*) FROM papers").fetchone()[0]
    _, data = generate_report(conn, FAST, tmp_path, as_of=date(2019, 12, 31))
    conn.close()
    assert data.overview.papers == total - later
    assert data.overview.last_published <= "2019-12-31"
    assert data.windows.label == "2019-01-01 to 2019-12-31"


def test_cli_as_of_and_json(synthetic_db: Path, tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SURVEY_REPORT_BOOTSTRAP", "10")
    runner = CliRunner()
    args = ["report", "--db", str(synthetic_db), "--out", str(tmp_path / "r"),
            "--as-of", "2025-12", "--json"]
    first = runner.invoke(app, args)
    second = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout
    doc = json.loads(first.stdout)
    assert doc["as_of"] == "2025-12-31"
    assert "wrote" in first.stderr and "wrote" not in first.stdout
    plain = runner.invoke(app, ["report", "--db", str(synthetic_db), "--out",
                                str(tmp_path / "p")])
    assert plain.exit_code == 0 and "as of 2026-10-31" in plain.stdout
    bad = runner.invoke(app, ["report", "--db", str(synthetic_db), "--as-of", "soon"])
    assert bad.exit_code == 2 and bad.output.count("\n") == 1
    assert bad.output.startswith("error: --as-of 'soon': expected YYYY-MM-DD")
    months = runner.invoke(app, ["report", "--db", str(synthetic_db), "--months", "0"])
    assert months.exit_code == 2 and "--months must be at least 1" \
        in months.output and "report_months" not in months.output


def test_refresh_page_is_named_for_the_last_complete_month(synthetic_db: Path,
                                                           tmp_path: Path) -> None:
    conn = open_write(tmp_path / "r.db")
    for i in range(30):
        add_paper_with_code(conn, f"2611.{i:05d}", f"2026-11-{1 + i % 30:02d}", "pytorch")
    window(conn, "2026-12-01T00:00", "2026-12-01T00:30", start="2026-11-01T00:00")
    now = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
    settings = FAST.replace(reports_dir=tmp_path / "reports")
    ctx = StageContext(conn=conn, settings=settings, stats=RequestStats(), events=SILENT,
                       clock=FixedClock(now), since=now, until=now, categories=("cs.LG",),
                       run_id=1)
    before = {"papers": 0, "repos": 0, "last": None, "shares": {}}
    result = report_stage_for(before, now)(ctx)
    conn.close()
    # A refresh on 1 December writes November's page, not December's (no data yet).
    assert sorted(Path(p).name for p in result["pages"]) == ["2026-11.html", "index.html"]
    page = (tmp_path / "reports" / "2026-11.html").read_text(encoding="utf-8")
    assert "As of <b>2026-11-30</b>" in page and "generated 2026-12-01 00:30 UTC" in page


def test_partial_quarter_is_marked(synthetic_db: Path, tmp_path: Path) -> None:
    import pandas as pd

    conn = open_write(synthetic_db)
    write_report(conn, FAST, tmp_path, as_of=date(2026, 8, 31))
    conn.close()
    shares = pd.read_csv(tmp_path / "index-data" / "shares.csv")
    partial = shares.loc[shares["partial"], "period"].unique().tolist()
    assert partial == ["2026-07-01"]  # July and August of the third quarter
    coverage = pd.read_csv(tmp_path / "index-data" / "coverage.csv")
    assert coverage.loc[coverage["partial"], "year"].tolist() == [2026]
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "shaded: quarter partial, to 2026-08-31" in html and "2026 (partial)" in html
