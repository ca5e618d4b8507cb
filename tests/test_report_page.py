"""The page and its files: self-contained, escaped, reproducible, honest on thin data."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from synthetic import add_paper, add_paper_with_code, fill_synthetic
from typer.testing import CliRunner

from analysis.report import ReportChanges, write_report
from survey.cli import app
from survey.core.db import open_write
from survey.core.errors import InputError
from survey.core.settings import Settings

AS_OF = date(2026, 10, 31)
EVIL = "<script>alert(1)</script> & \"quoted\""
CHART_IDS = ["chart-shares", "chart-ratio", "chart-counts", "chart-categories", "chart-dying",
             "chart-official", "chart-trend", "chart-repo-created", "chart-coverage"]
FAST = Settings(report_bootstrap=40)


def make_db(path: Path, n: int = 20_000) -> Path:
    conn = open_write(path)
    fill_synthetic(conn, n, seed=5)
    add_paper_with_code(conn, "2610.99999", "2026-10-30", "pytorch", title=EVIL)
    conn.close()
    return path


@pytest.fixture(scope="module")
def page_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("page")
    conn = open_write(make_db(root / "s.db"))
    write_report(conn, FAST, root / "out", as_of=AS_OF)
    conn.close()
    return root / "out"


@pytest.fixture(scope="module")
def html(page_dir: Path) -> str:
    return (page_dir / "index.html").read_text(encoding="utf-8")


def test_every_chart_has_its_fixed_div_and_csv(page_dir: Path, html: str) -> None:
    for chart_id in CHART_IDS:
        assert f'id="{chart_id}"' in html
        assert f'Plotly.newPlot(                        "{chart_id}"' in html or \
            re.search(rf'Plotly\.newPlot\(\s*"{chart_id}"', html)
    links = set(re.findall(r'href="(index-data/[a-z-]+\.csv)"', html))
    # Each chart's, the opened "other" share's, the claims', the published table's, the papers'.
    assert len(links) == len(CHART_IDS) + 4
    assert {"index-data/shares-other.csv", "index-data/papers.csv"} <= links
    for link in links:
        frame = pd.read_csv(page_dir / link)
        assert len(frame) > 0


def test_plotly_js_inlined_exactly_once_and_nothing_remote(html: str) -> None:
    from plotly.offline import get_plotlyjs

    js = get_plotlyjs()
    assert html.count(js[:200]) == 1 and js in html
    assert html.count("Plotly.newPlot(") == len(CHART_IDS)
    rest = html.replace(js, "")
    # Nothing outside plotly.js itself loads anything: no script src, no CDN, no stylesheet.
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", rest)
    assert "cdn.plot.ly" not in rest and "@import" not in rest
    assert len(html.encode()) < 8_000_000


def test_outside_strings_are_escaped(html: str) -> None:
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;quoted&#34;" in html


def test_claims_methodology_and_published_table(html: str) -> None:
    for key in ("c1", "c2", "c3", "c4"):
        assert f'id="claim-{key}"' in html
    assert html.count('class="verdict v-') == 4
    assert "Measured accuracy:" in html and "Known biases" in html
    assert "synthetic-1" in html  # the classifier version, from the classifications table
    assert "The State of Machine Learning Frameworks in 2019" in html
    assert "State of AI Report 2020" in html and "paperswithcode.com/trends" in html
    assert "SURVEY_CLAIM_MAJORITY" in html
    # Beside the model's crossover, the observed one (synthetic truth: 2018-09).
    assert "2018 Q3 is the first quarter in which PyTorch leads" in html


def test_claims_csv_has_numbers(page_dir: Path) -> None:
    claims = pd.read_csv(page_dir / "index-data" / "claims.csv")
    assert claims["key"].tolist() == ["C1", "C2", "C3", "C4"]
    c1 = claims.iloc[0]
    assert c1["low"] < c1["estimate"] < c1["high"] and c1["n"] > 100
    assert c1["value"] == f"{100 * c1['estimate']:.1f}%"


def test_same_data_same_page(tmp_path: Path, page_dir: Path, html: str) -> None:
    conn = open_write(make_db(tmp_path / "again.db"))
    page = write_report(conn, FAST, tmp_path / "out", as_of=AS_OF)
    conn.close()
    assert page.read_text(encoding="utf-8") == html


def test_monthly_pages_share_a_folder_without_clobbering(tmp_path: Path) -> None:
    conn = open_write(make_db(tmp_path / "s.db", n=3000))
    out = tmp_path / "reports"
    changes = ReportChanges(since="2026-10-01", new_papers=321, new_repos=45,
                            shares_before={"pytorch": 0.8, "tensorflow": 0.1},
                            shares_after={"pytorch": 0.82, "tensorflow": 0.08})
    monthly = write_report(conn, FAST, out, page_name="2026-11.html", changes=changes, as_of=AS_OF)
    index = write_report(conn, FAST, out, changes=changes,
                         archive=[("2026-10", "2026-10.html"), ("2026-11", "2026-11.html")],
                         as_of=AS_OF)
    conn.close()
    assert monthly == out / "2026-11.html" and index == out / "index.html"
    assert (out / "2026-11-data" / "shares.csv").exists()
    assert (out / "index-data" / "shares.csv").exists()
    text = index.read_text(encoding="utf-8")
    assert "What changed since the last refresh" in text and "+2.0 points" in text
    assert 'href="2026-10.html"' in text and 'href="2026-11-data/' not in text
    assert 'href="2026-11-data/shares.csv"' in monthly.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["../x.html", "a/b.html", "index.htm", ".hidden.html", ""])
def test_bad_page_names_are_refused(conn, tmp_path: Path, name: str) -> None:
    with pytest.raises(InputError):
        write_report(conn, FAST, tmp_path, page_name=name, as_of=AS_OF)


def test_bad_archive_link_refused(conn, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="archive"):
        write_report(conn, FAST, tmp_path, archive=[("x", "javascript:alert(1)")], as_of=AS_OF)


def test_empty_database_page_says_so(conn, tmp_path: Path) -> None:
    page = write_report(conn, FAST, tmp_path, as_of=AS_OF)
    text = page.read_text(encoding="utf-8")
    assert 'id="empty-notice"' in text and "no papers yet" in text
    assert "Plotly.newPlot(" not in text and len(text) < 100_000
    assert text.count("not enough data") >= 4


def test_papers_without_classified_code(conn, tmp_path: Path) -> None:
    add_paper(conn, "2601.00001", "2026-01-01")
    add_paper_with_code(conn, "2601.00002", "2026-01-02", "unknown")
    text = write_report(conn, FAST, tmp_path, as_of=AS_OF).read_text(encoding="utf-8")
    assert 'id="empty-notice"' in text and "none with classified official code" in text
    assert text.count("Plotly.newPlot(") == 1  # the coverage funnel only


def test_tiny_database_page(conn, tmp_path: Path) -> None:
    for i, label in enumerate(["pytorch", "tensorflow", "jax"]):
        add_paper_with_code(conn, f"2609.0000{i}", "2026-09-01", label)
    text = write_report(conn, FAST, tmp_path, as_of=AS_OF).read_text(encoding="utf-8")
    assert 'id="tiny-notice"' in text and "Only 3 papers" in text
    assert text.count("Plotly.newPlot(") == 8  # every chart but the trend model
    assert "needs at least 12 months" in text


def test_cli_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = make_db(tmp_path / "s.db", n=3000)
    monkeypatch.setenv("SURVEY_REPORT_BOOTSTRAP", "20")
    result = CliRunner().invoke(app, ["report", "--db", str(db), "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and (tmp_path / "r" / "index.html").exists()
    assert re.search(r"^C1 (supported|not supported|inconclusive|not enough data):",
                     result.output, re.M)


def test_cli_report_errors_are_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["report", "--db", str(tmp_path / "none.db")])
    assert missing.exit_code == 3 and missing.output.count("\n") == 1
    assert "no database" in missing.output
    db = make_db(tmp_path / "s.db", n=200)
    bad = runner.invoke(app, ["report", "--db", str(db), "--majority", "7"])
    # The CLI names the option the user typed (the library's message names both).
    assert bad.exit_code == 2 and "error: --majority must be between 0 and 1" in bad.output
    assert "claim_majority" not in bad.output
    monkeypatch.setenv("SURVEY_CLAIM_MIN_PAPERS", "many")
    env = runner.invoke(app, ["report", "--db", str(db)])
    assert env.exit_code == 2 and "SURVEY_CLAIM_MIN_PAPERS" in env.output
    assert "Traceback" not in bad.output + env.output + missing.output
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.delenv("SURVEY_CLAIM_MIN_PAPERS")
    clash = runner.invoke(app, ["report", "--db", str(db), "--out", str(blocker)])
    assert clash.exit_code == 2 and clash.output.startswith("error: cannot create report folder")


def test_failed_run_keeps_the_previous_files(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    conn = open_write(make_db(tmp_path / "s.db", n=2000))
    page = write_report(conn, FAST, tmp_path / "out", as_of=AS_OF)
    before = {p: p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    add_paper_with_code(conn, "2610.88888", "2026-10-20", "jax")  # the next run differs

    def boom(*_a, **_k):
        raise KeyboardInterrupt  # Ctrl-C while the page is being rendered

    import analysis.report as report_mod

    monkeypatch.setattr(report_mod, "render_page", boom)
    with pytest.raises(KeyboardInterrupt):
        write_report(conn, FAST, tmp_path / "out", as_of=AS_OF)
    conn.close()
    after = {p: p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    assert after == before and page in after


def test_help_is_documented() -> None:
    for cmd in ("report", "export"):
        result = CliRunner().invoke(app, [cmd, "--help"])
        assert result.exit_code == 0 and "--db" in result.output and "--out" in result.output


def test_methodology_says_how_links_are_judged(html: str) -> None:
    assert "owned by the authors" not in html  # nothing checks who owns a repository
    assert "Who owns the repository is not checked" in html
    assert "a bare link with neither counts as official" in html


def test_classifier_accuracy_carries_its_interval() -> None:
    from analysis.report import classifier_accuracy

    text = classifier_accuracy({"accuracy": 1.0, "n": 38, "classifier_version": "1.5.0"})
    assert text.startswith("100.0% (95% interval 90.8% to 100.0%) on 38 labelled repositories")
    assert classifier_accuracy({}) == "not measured"


def test_weights_are_described_as_computed(html: str) -> None:
    # The split is over classified official repositories only (see dataset._prepare).
    assert "with k classified official\n  repositories it counts 1/k for each" in html
    assert "split evenly over its classified official repositories" in html


def test_methodology_states_the_links_figures_read_from_the_file(
        conn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, html: str) -> None:
    import json

    import analysis.report as report_mod
    from analysis.evals import links_eval

    held = links_eval()["held"]
    for key in ("extraction_precision", "repository_recall", "official_accuracy"):
        k, n = held[key]["k"], held[key]["n"]
        assert f"{100 * k / n:.1f}% (95% interval " in html and f", {k} of {n}<" in html
    assert "Links judged\n  mentions never enter the shares" in html
    # Read when the page is made: a new measurement shows up without a code change.
    fresh = json.loads(json.dumps(links_eval()))
    fresh["held"]["official_precision"] = {"k": 19, "n": 20, "value": 0.95}
    monkeypatch.setattr(report_mod, "links_eval", lambda: fresh)
    add_paper_with_code(conn, "2609.00001", "2026-09-01", "pytorch")
    text = write_report(conn, FAST, tmp_path, as_of=AS_OF).read_text(encoding="utf-8")
    assert "95.0% (95% interval 76.4% to 99.1%), 19 of 20" in text


def test_claims_csv_carries_the_stamp(page_dir: Path, html: str) -> None:
    claims = pd.read_csv(page_dir / "index-data" / "claims.csv")
    assert set(claims["as_of"]) == {"2026-10-31"}
    assert set(claims["window"]) == {"2025-11-01 to 2026-10-31"}
    digest = claims["data_digest"].iloc[0]
    assert digest.startswith("sha256:") and digest in html
    assert claims.loc[claims["key"] == "C1", "threshold_value"].item() == 0.67
