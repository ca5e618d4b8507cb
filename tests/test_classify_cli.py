"""`survey classify`: JSON lines in PATH order, a readable table, outside strings as data."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from survey.cli import app

FIXTURES = Path(__file__).parent / "fixtures" / "classify"
runner = CliRunner()


def test_json_lines_in_path_order() -> None:
    paths = [FIXTURES / "tfds_in_jax", FIXTURES / "tb_in_pytorch", FIXTURES / "docs_only"]
    result = runner.invoke(app, ["classify", *map(str, paths), "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["path"] for r in rows] == [str(p) for p in paths]
    assert [r["framework"] for r in rows] == ["jax", "pytorch", "unknown"]
    for row in rows:
        assert set(row) == {"path", "framework", "frameworks", "confidence", "evidence"}
        for ev in row["evidence"]:
            assert set(ev) == {"file", "line", "seen", "framework", "weight"}


def test_table_output_escapes_outside_strings(tmp_path: Path) -> None:
    repo = tmp_path / "[red]repo"
    repo.mkdir()
    (repo / "train.py").write_text("import torch  # [bold]x\n")
    result = runner.invoke(app, ["classify", str(repo)], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert "[red]repo" in result.stdout   # printed as text, not swallowed as markup
    assert "pytorch" in result.stdout and "train.py:1 import torch" in result.stdout


def test_help_is_documented() -> None:
    result = runner.invoke(app, ["classify", "--help"])
    assert result.exit_code == 0
    assert "--json" in result.stdout and "symlinks" in result.stdout
