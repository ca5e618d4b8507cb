"""The report's link-source sections: coverage by source, the bias of abstract-only coverage,
agreement with Papers With Code (kappa checked against scikit-learn and a bootstrap)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lxml import html as lxml_html
from sklearn.metrics import cohen_kappa_score
from support.clock import NOW
from synthetic import add_classification, add_link, add_paper, add_repo

from analysis.report import write_report
from analysis.sources_compare import (
    abstract_only_bias,
    cohen_kappa,
    compare_sources,
    coverage_by_source,
    pwc_agreement,
)
from survey.core.db import open_write, transaction
from survey.core.settings import Settings

N = 400  # papers, 2019 to 2024; the first half link their code in the abstract too


def _second_source(conn: sqlite3.Connection, arxiv_id: str, repo: str, source: str,
                   official: bool = True) -> None:
    conn.execute("INSERT INTO link_sources VALUES (?, ?, ?, 'github.com', 'github', ?, ?)",
                 (arxiv_id, repo, source, f"https://{repo}", int(official)))


def _pwc(conn: sqlite3.Connection, arxiv_id: str, repo: str, token: str, label: str | None
         ) -> None:
    conn.execute("INSERT OR IGNORE INTO pwc_links VALUES (?, ?, 'github.com', 'github', ?, 1,"
                 " 1, 0, 1)", (arxiv_id, repo, f"https://{repo}"))
    conn.execute("INSERT OR IGNORE INTO pwc_frameworks VALUES (?, ?, ?, 1)", (repo, token, label))


@pytest.fixture
def filled(db_path: Path) -> Path:
    """Text-linked papers: 70% PyTorch; papers only PwC found: 40% PyTorch, 60% TensorFlow.
    PwC agrees on every repository but 40 PyTorch ones, which it calls 'none'; one paper
    after PwC's end is found by Hugging Face alone."""
    conn = open_write(db_path)
    with transaction(conn):
        for i in range(N):
            aid = f"{19 + i % 6}{1 + i % 12:02d}.{i:05d}"
            add_paper(conn, aid, f"20{19 + i % 6}-{1 + i % 12:02d}-10")
            repo = f"github.com/lab{i}/code-{i}"
            add_repo(conn, repo)
            text = i < N // 2
            label = ("pytorch" if (i % 10) < 7 else "tensorflow") if text else (
                "pytorch" if (i % 10) < 4 else "tensorflow")
            add_classification(conn, repo, label)
            if text:
                add_link(conn, aid, repo, source="abstract")
                _second_source(conn, aid, repo, "pwc")
            else:
                add_link(conn, aid, repo, source="pwc")
            disagree = label == "pytorch" and i % 10 == 0
            token = "none" if disagree else {"pytorch": "pytorch", "tensorflow": "tf"}[label]
            _pwc(conn, aid, repo, token, "none" if disagree else label)
        add_paper(conn, "2509.00001", "2025-09-10")
        add_link(conn, "2509.00001", "github.com/late/hf-only", source="hf")
    conn.close()
    return db_path


def test_coverage_by_source(filled: Path) -> None:
    conn = open_write(filled)
    cov = coverage_by_source(conn).set_index("year")
    conn.close()
    assert cov["papers"].sum() == N + 1
    assert cov["text"].sum() == N // 2 and cov["pwc"].sum() == N and cov["hf"].sum() == 1
    assert cov["all"].sum() == N + 1 and cov.loc["2025", "added"] == 1


def test_abstract_only_shares_are_biased_here(filled: Path) -> None:
    conn = open_write(filled)
    bias, counts = abstract_only_bias(conn)
    conn.close()
    assert bias is not None and counts == {"text": 200, "all": 400, "other": 200}
    row = bias.set_index("label")
    assert row.loc["pytorch", "text_share"] == pytest.approx(0.7)
    assert row.loc["pytorch", "other_share"] == pytest.approx(0.4)
    assert row.loc["pytorch", "all_share"] == pytest.approx(0.55)
    assert row.loc["pytorch", "diff"] == pytest.approx(-0.3)
    assert row.loc["pytorch", "diff_high"] < 0 and bool(row.loc["pytorch", "biased"])
    assert not bool(row.loc["jax", "biased"])  # no JAX anywhere: no difference
    # The Hugging Face paper is after PwC's end: outside the measured span.
    assert row["all_n"].iloc[0] == 400


def test_no_bias_when_both_groups_look_alike(db_path: Path) -> None:
    conn = open_write(db_path)
    with transaction(conn):
        for i in range(200):
            aid = f"2101.{i:05d}"
            add_paper(conn, aid, "2021-01-10")
            repo = f"github.com/x/r{i}"
            add_repo(conn, repo)
            add_classification(conn, repo, "pytorch" if i % 2 else "tensorflow")
            add_link(conn, aid, repo, source="abstract" if i < 100 else "pwc")
    bias, _ = abstract_only_bias(conn)
    verdict = compare_sources(conn).verdict  # type: ignore[union-attr]
    conn.close()
    assert bias is not None and not bias["biased"].any()
    assert verdict.startswith("No difference is significant: every interval includes zero")


def test_agreement_matrix_and_kappa(filled: Path) -> None:
    conn = open_write(filled)
    ag = pwc_agreement(conn)
    conn.close()
    assert ag is not None and ag.n == N and ag.agree == N - 40
    assert ag.rate == pytest.approx(0.9) and ag.rate_low < 0.9 < ag.rate_high
    assert ag.matrix.loc["pytorch", "none"] == 40
    assert ag.matrix.loc["tensorflow", "tensorflow"] == 60 + 120
    assert ag.matrix.loc["pytorch", "pytorch"] == 140 + 80 - 40
    survey = np.repeat(ag.matrix.index.to_numpy(), ag.matrix.sum(axis=1).to_numpy())
    pwc = np.concatenate([np.repeat(ag.matrix.columns.to_numpy(), r) for r in
                          ag.matrix.to_numpy()])
    assert ag.kappa == pytest.approx(cohen_kappa_score(survey, pwc))
    assert ag.kappa_low < ag.kappa < ag.kappa_high
    first = ag.disagreements[0]
    assert (first["survey"], first["pwc"], first["count"]) == ("pytorch", "none", 40)
    assert len(first["examples"]) == 3 and first["examples"][0]["token"] == "none"
    assert len(ag.repos) == 40


def test_kappa_interval_matches_a_bootstrap() -> None:
    rng = np.random.default_rng(3)
    matrix = np.array([[120, 8, 2, 3, 10], [6, 80, 1, 2, 5], [1, 2, 20, 0, 1],
                       [4, 3, 0, 15, 2], [9, 6, 1, 1, 40]])
    kappa, se = cohen_kappa(matrix)
    p = matrix.ravel() / matrix.sum()
    boots = [cohen_kappa(rng.multinomial(matrix.sum(), p).reshape(matrix.shape))[0]
             for _ in range(2000)]
    assert np.std(boots) == pytest.approx(se, rel=0.1)
    assert cohen_kappa(np.diag([5, 5, 5, 5, 5]))[0] == pytest.approx(1.0)
    assert np.isnan(cohen_kappa(np.zeros((5, 5)))[0])


def test_the_page_shows_the_three_sections(filled: Path, tmp_path: Path) -> None:
    conn = open_write(filled)
    settings = Settings(db=filled, report_bootstrap=10, claim_min_papers=10)
    page = write_report(conn, settings, tmp_path / "reports", as_of=NOW.date())
    conn.close()
    tree = lxml_html.fromstring(page.read_text())
    for section in ("coverage-by-source", "abstract-bias", "pwc-agreement"):
        assert tree.get_element_by_id(section) is not None
    verdict = tree.get_element_by_id("abstract-bias-verdict").text_content()
    assert "Abstract-only shares are biased for PyTorch (-30.0 points" in " ".join(verdict.split())
    text = " ".join(tree.get_element_by_id("pwc-agreement").text_content().split())
    assert "they agree on 360, 90.0%" in text
    links = [a.get("href") for a in tree.get_element_by_id("pwc-disagreements").iter("a")]
    assert links[:3] == [f"https://github.com/lab{i}/code-{i}" for i in (0, 10, 100)]
    assert tree.get_element_by_id("chart-sources-coverage") is not None
    data = tmp_path / "reports" / "index-data"
    for name in ("sources-coverage", "sources-bias", "sources-agreement",
                 "sources-disagreements"):
        assert (data / f"{name}.csv").is_file()
    bias = pd.read_csv(data / "sources-bias.csv")
    assert list(bias["label"]) == ["pytorch", "tensorflow", "jax", "other", "none"]


def test_outside_strings_are_escaped(filled: Path, tmp_path: Path) -> None:
    conn = open_write(filled)
    with transaction(conn):
        conn.execute("UPDATE pwc_frameworks SET token = '<script>alert(1)</script>'"
                     " WHERE token = 'none'")
    page = write_report(conn, Settings(db=filled, report_bootstrap=10), tmp_path / "r",
                        as_of=NOW.date())
    conn.close()
    text = page.read_text()
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;alert(1)" in text


def test_sections_are_absent_without_other_sources(db_path: Path, tmp_path: Path) -> None:
    conn = open_write(db_path)
    with transaction(conn):
        add_paper(conn, "2101.00001", "2021-01-10")
        add_link(conn, "2101.00001", "github.com/a/b")
        add_repo(conn, "github.com/a/b")
        add_classification(conn, "github.com/a/b", "pytorch")
    assert compare_sources(conn) is None
    page = write_report(conn, Settings(db=db_path, report_bootstrap=10), tmp_path / "r",
                        as_of=NOW.date()).read_text()
    conn.close()
    assert 'id="coverage-by-source"' not in page and 'id="pwc-agreement"' not in page
    assert not (tmp_path / "r" / "index-data" / "sources-coverage.csv").exists()
