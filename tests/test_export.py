"""`survey export`: DESIGN.md's columns exactly, three formats, one-line errors."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from synthetic import add_classification, add_link, add_paper, add_paper_with_code, add_repo
from typer.testing import CliRunner

from analysis.export import EXPORT_COLUMNS, export_rows, write_export
from survey.cli import app
from survey.core.db import migrations, open_write
from survey.store.classifications import scores

DESIGN_COLUMNS = ["arxiv_id", "title", "published", "primary_category", "categories", "repo",
                  "official", "framework", "frameworks", "confidence", "sources", "pwc_framework"]


@pytest.fixture
def filled(db_path: Path) -> Path:
    conn = open_write(db_path)
    add_paper_with_code(conn, "2101.00001", "2021-01-05T10:00:00Z", "pytorch",
                        title="Title, with \"quotes\"\nand a newline",
                        frameworks={"keras": 0.5, "pytorch": 2.0, "tensorflow": 0.5})
    add_paper(conn, "2102.00002", "2021-02-05", primary_category="cs.CV",
              categories="cs.CV cs.LG")
    add_repo(conn, "github.com/new/name")
    conn.execute("INSERT INTO repo_aliases VALUES ('github.com/old/name', 'github.com/new/name')")
    add_link(conn, "2102.00002", "github.com/old/name")
    # Papers With Code and Hugging Face found it too, under the old name; PwC says TensorFlow.
    for source in ("hf", "pwc"):
        conn.execute("INSERT INTO link_sources VALUES ('2102.00002', 'github.com/old/name', ?,"
                     " 'github.com', 'github', 'https://github.com/old/name', 1)", (source,))
    conn.execute("INSERT INTO pwc_frameworks VALUES ('github.com/old/name', 'tf', 'tensorflow',"
                 " 1)")
    add_classification(conn, "github.com/new/name", "jax", {"jax": 1.0}, confidence=0.75)
    add_repo(conn, "huggingface.co/org/model")
    add_link(conn, "2102.00002", "huggingface.co/org/model", official=False, kind="hf-model")
    conn.close()
    return db_path


def test_columns_and_values(filled: Path) -> None:
    conn = open_write(filled)
    df = export_rows(conn)
    conn.close()
    assert list(df.columns) == EXPORT_COLUMNS == DESIGN_COLUMNS
    rows = df.to_dict("records")
    assert [r["repo"] for r in rows] == ["github.com/u210100001/r0", "github.com/new/name",
                                         "huggingface.co/org/model"]
    first, second, third = rows
    assert first["published"] == "2021-01-05" and first["official"] is True
    assert first["frameworks"] == "pytorch;keras;tensorflow"
    assert second["framework"] == "jax" and second["confidence"] == 0.75
    assert second["categories"] == "cs.CV cs.LG" and second["primary_category"] == "cs.CV"
    assert third["framework"] == "unknown" and pd.isna(third["confidence"])
    assert third["official"] is False and third["frameworks"] == ""
    # Every source, in the order abstract, comment, pwc, hf; PwC's label through the alias.
    assert [r["sources"] for r in rows] == ["abstract", "abstract;pwc;hf", "abstract"]
    assert [r["pwc_framework"] for r in rows] == ["", "tensorflow", ""]


def test_legacy_framework_json_migrates_to_scores(db_path: Path) -> None:
    """Scores stored as JSON by schema 30 become rows; odd JSON never stops the upgrade."""
    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path)
    for mig in migrations():
        if mig.number <= 30:
            conn.executescript(mig.sql)
            conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (number INTEGER PRIMARY"
                         " KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
            conn.execute("INSERT INTO schema_migrations VALUES (?, ?, 'x')",
                         (mig.number, mig.name))
    for repo, raw in (("github.com/a/none", "nope"), ("github.com/a/list", '["a", "b"]'),
                      ("github.com/a/dict", '{"x": "high", "y": 1}')):
        conn.execute("INSERT INTO repos (repo, host, first_seen) VALUES (?, 'github.com', 'x')",
                     (repo,))
        conn.execute("INSERT INTO classifications (repo, framework, frameworks, confidence,"
                     " evidence, classifier_version, classified_at)"
                     " VALUES (?, 'other', ?, 0.5, '[]', 'v', 'x')", (repo, raw))
    conn.commit()
    conn.close()
    conn = open_write(db_path)
    names = {repo: ";".join(scores(conn, repo)) for repo in
             ("github.com/a/none", "github.com/a/list", "github.com/a/dict")}
    assert names == {"github.com/a/none": "", "github.com/a/list": "a;b", "github.com/a/dict": "y"}
    conn.close()


def test_cli_csv_to_stdout_round_trips(filled: Path) -> None:
    result = CliRunner().invoke(app, ["export", "--db", str(filled)])
    assert result.exit_code == 0, result.output
    df = pd.read_csv(io.StringIO(result.stdout), keep_default_na=False, dtype=str)
    assert list(df.columns) == DESIGN_COLUMNS and len(df) == 3
    assert df.loc[0, "title"] == "Title, with \"quotes\"\nand a newline"
    assert df["official"].tolist() == ["true", "true", "false"]
    assert df["confidence"].tolist() == ["0.9", "0.75", ""]
    assert df["sources"].tolist() == ["abstract", "abstract;pwc;hf", "abstract"]
    assert df["pwc_framework"].tolist() == ["", "tensorflow", ""]


def test_cli_json_and_parquet(filled: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["export", "--db", str(filled), "--format", "json"])
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [list(r) for r in rows] == [DESIGN_COLUMNS] * 3
    assert '"repo":"github.com/new/name"' in result.stdout
    assert rows[2]["confidence"] is None and rows[2]["official"] is False
    assert rows[1]["sources"] == "abstract;pwc;hf" and rows[1]["pwc_framework"] == "tensorflow"
    out = tmp_path / "links.parquet"
    result = runner.invoke(app, ["export", "--db", str(filled), "--format", "parquet",
                                 "--out", str(out)])
    assert result.exit_code == 0 and "wrote 3 rows" in result.output
    back = pd.read_parquet(out)
    assert list(back.columns) == DESIGN_COLUMNS and back["official"].dtype == bool
    csv_out = tmp_path / "links.csv"
    assert runner.invoke(app, ["export", "--db", str(filled), "--out", str(csv_out)]).exit_code == 0
    assert pd.read_csv(csv_out)["arxiv_id"].astype(str).tolist()[0] == "2101.00001"
    assert oct(csv_out.stat().st_mode & 0o777) == "0o644"


@pytest.mark.parametrize(("args", "message"), [
    (["--format", "parquet"], "parquet is a binary format: give --out FILE"),
    (["--format", "xml"], "unknown format 'xml'"),
    (["--out", "/nonexistent-dir/x.csv"], "folder /nonexistent-dir does not exist"),
])
def test_cli_bad_input_is_one_line(filled: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["export", "--db", str(filled), *args])
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {message}")
    assert result.output.count("\n") == 1 and "Traceback" not in result.output


def test_cli_out_is_a_directory(filled: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["export", "--db", str(filled), "--out", str(tmp_path)])
    assert result.exit_code == 2 and "is a directory" in result.output


def test_failed_write_keeps_the_previous_file(filled: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "links.json"
    out.write_text("previous export")
    conn = open_write(filled)

    def boom(*_a, **_k):
        raise KeyboardInterrupt

    # Interrupted half way through writing (Ctrl-C): the old file must survive untouched.
    monkeypatch.setattr(json, "dump", boom)
    with pytest.raises(KeyboardInterrupt):
        write_export(conn, "json", out)
    conn.close()
    assert out.read_text() == "previous export"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".links")] == []


def test_empty_database_exports_header_only(db_path: Path) -> None:
    open_write(db_path).close()
    result = CliRunner().invoke(app, ["export", "--db", str(db_path)])
    assert result.exit_code == 0 and result.stdout.strip() == ",".join(DESIGN_COLUMNS)
    result = CliRunner().invoke(app, ["export", "--db", str(db_path), "--format", "json"])
    assert json.loads(result.stdout) == []


def test_out_under_a_file_is_one_line(filled: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = CliRunner().invoke(app, ["export", "--db", str(filled), "--out",
                                      str(blocker / "links.csv")])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: cannot write {blocker / 'links.csv'}")
    assert result.output.count("\n") == 1


def test_pages_are_kept_but_only_repositories_are_exported(db_path: Path) -> None:
    """Project and organisation pages never reach the ``repo`` column; ``--all-links`` shows
    them with their kind, and the fetch stage never registers them as repositories."""
    from crawler.fetch import register_linked

    conn = open_write(db_path)
    add_paper(conn, "2401.00001", "2024-01-05T10:00:00Z")
    for repo, kind in (("github.com/acme/net", "github"), ("huggingface.co/acme", "org-page"),
                       ("acme.github.io/net", "project-page"), ("bit.ly/xyz", "other-page")):
        add_link(conn, "2401.00001", repo, kind=kind)
    assert register_linked(conn, "2024-01-06T00:00:00Z") == 1
    assert [r[0] for r in conn.execute("SELECT repo FROM repos")] == ["github.com/acme/net"]
    conn.close()
    default = CliRunner().invoke(app, ["export", "--db", str(db_path), "--format", "json"])
    assert default.exit_code == 0, default.output
    assert [r["repo"] for r in json.loads(default.stdout)] == ["github.com/acme/net"]
    every = CliRunner().invoke(app, ["export", "--db", str(db_path), "--format", "json",
                                     "--all-links"])
    assert every.exit_code == 0, every.output
    rows = json.loads(every.stdout)
    assert {(r["repo"], r["kind"]) for r in rows} == {
        ("github.com/acme/net", "github"), ("huggingface.co/acme", "org-page"),
        ("acme.github.io/net", "project-page"), ("bit.ly/xyz", "other-page")}
    assert list(rows[0]) == [*DESIGN_COLUMNS, "kind"]
