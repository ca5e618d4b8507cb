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
        # "note" only when the scores seem to contradict the label.
        assert set(row) - {"note"} == {"path", "framework", "frameworks", "confidence", "evidence"}
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


def test_db_option_is_gone() -> None:
    result = runner.invoke(app, ["classify", "--db", "x.db", str(FIXTURES / "tb_in_pytorch")])
    assert result.exit_code == 2
    assert "No such option" in result.output and "--db" in result.output


def test_control_characters_never_reach_the_terminal(tmp_path: Path) -> None:
    repo = tmp_path / "evil\x1b[2Jrepo"
    repo.mkdir()
    name = "\x1b]0;pwned\x07\u009b31m\u202etrain.py"
    (repo / name).write_text("import torch.nn as nn\n")
    for args in (["classify", str(repo)], ["classify", "--json", str(repo)]):
        result = runner.invoke(app, args, env={"COLUMNS": "300"})
        assert result.exit_code == 0, result.output
        for raw in ("\x1b", "\x07", "\u009b", "\u202e"):
            assert raw not in result.stdout, (args, raw)
        assert "\\x1b" in result.stdout and "pytorch" in result.stdout
    row = json.loads(runner.invoke(app, ["classify", "--json", str(repo)]).stdout)
    assert row["path"].endswith("evil\\x1b[2Jrepo")
    assert row["evidence"][0]["file"] == "\\x1b]0;pwned\\x07\\x9b31m\\u202etrain.py"


def test_a_label_the_scores_seem_to_contradict_is_explained(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "core.py").write_text("import numpy as np\n")
    (tmp_path / "pkg" / "io.py").write_text("import json\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_compat.py").write_text("import torch\n")
    result = runner.invoke(app, ["classify", "--json", str(tmp_path)])
    row = json.loads(result.stdout)
    assert (row["framework"], row["frameworks"]) == ("none", {"pytorch": 1.0})
    assert row["note"] == ("none: the main code (2 files with imports) uses no framework; "
                           "pytorch only in tests (1 file: tests/test_compat.py:1)")
    table = runner.invoke(app, ["classify", str(tmp_path)], env={"COLUMNS": "400"})
    assert "note: none: the main code (2 files with imports) uses no framework; pytorch only " \
           "in tests" in table.stdout
    plain = runner.invoke(app, ["classify", "--json", str(FIXTURES / "tb_in_pytorch")])
    assert "note" not in json.loads(plain.stdout)
