"""Bad input never crashes the classifier nor prints a traceback, and is said in the evidence."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analysis.classifier import MAX_CODE_BYTES, classify_path
from analysis.sources import LocalSource, Unreadable
from survey.cli import app

runner = CliRunner()


def notes(result) -> list[str]:
    return [f"{e.file}: {e.seen}" for e in result.evidence if e.framework is None]


def test_file_over_the_size_cap_is_skipped_and_said(tmp_path: Path) -> None:
    (tmp_path / "big.py").write_text("import tensorflow\n" + "#" * (MAX_CODE_BYTES + 10))
    (tmp_path / "model.py").write_text("import torch.nn\n")
    result = classify_path(tmp_path)
    assert result.framework == "pytorch"
    assert "tensorflow" not in result.frameworks
    assert any(n.startswith("big.py: skipped:") and "cap" in n for n in notes(result))


def test_binary_and_undecodable_bytes(tmp_path: Path) -> None:
    (tmp_path / "blob.py").write_bytes(b"\x00\x01\x02import torch\x00" * 10)
    (tmp_path / "weird.py").write_bytes(b"import jax\nx = '\xff\xfe\xfa'\n")
    (tmp_path / "cookie.py").write_bytes(b"# -*- coding: no-such-codec -*-\nimport flax\n\xff\n")
    result = classify_path(tmp_path)
    assert result.framework == "jax"
    assert any("blob.py: binary content skipped" == n for n in notes(result))
    assert any(n.startswith("weird.py: undecodable bytes") for n in notes(result))


def test_invalid_notebook_json_still_read_line_by_line(tmp_path: Path) -> None:
    (tmp_path / "broken.ipynb").write_text('{"cells": [{"cell_type": "code", "source": [\n'
                                           '    "import torch\\n",\n    "import torch.nn as nn')
    result = classify_path(tmp_path)
    assert any("invalid notebook JSON" in n for n in notes(result))
    assert result.framework == "pytorch"


def test_deeply_nested_code(tmp_path: Path) -> None:
    (tmp_path / "deep.py").write_text("x = " + "(" * 5000 + ")" * 5000 + "\n"
                                      "y = " + "-" * 200_000 + "1\nimport torch\n")
    (tmp_path / "deeper.py").write_text("x = " + "+".join(["a"] * 100_000) + "\nimport torch\n")
    result = classify_path(tmp_path)
    assert result.framework == "pytorch"
    assert any("deep.py: read with" in n for n in notes(result))
    assert any("deeper.py: read with tokenize (RecursionError" in n for n in notes(result))


def test_symlink_outside_path_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text("import tensorflow as tf\nimport tensorflow.keras\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "main.py").write_text("import numpy\n")
    (repo / "link.py").symlink_to(outside / "secret.py")
    (repo / "linkdir").symlink_to(outside, target_is_directory=True)
    (repo / "inner.py").symlink_to(repo / "main.py")
    (repo / "loop").symlink_to(repo, target_is_directory=True)
    result = classify_path(repo)
    assert result.framework == "none"
    assert "tensorflow" not in result.frameworks
    said = notes(result)
    assert "link.py: symlink pointing outside PATH not followed" in said
    assert "linkdir: symlink pointing outside PATH not followed" in said
    assert "loop: symlinked folder not followed" in said


def test_reading_a_swapped_in_symlink_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("import torch\n")
    source = LocalSource(tmp_path)
    assert [e.path for e in source.entries()] == ["a.py"]
    (tmp_path / "a.py").unlink()
    (tmp_path / "a.py").symlink_to("/etc/hostname")
    with pytest.raises(Unreadable):
        source.read("a.py", 1000)


def test_fifo_is_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.py")
    (tmp_path / "m.py").write_text("import torch\n")
    assert classify_path(tmp_path).framework == "pytorch"


def test_cli_missing_path_one_line_and_others_still_print(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "train.py").write_text("import torch.nn as nn\n")
    missing = tmp_path / "nope"
    result = runner.invoke(app, ["classify", "--json", str(repo), str(missing), str(repo)])
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    assert [json.loads(line)["path"] for line in lines] == [str(repo), str(repo)]
    assert result.stderr.strip() == f"error: {missing}: no such file or directory"
    assert "Traceback" not in result.output


def test_cli_file_instead_of_folder(tmp_path: Path) -> None:
    (tmp_path / "f.py").write_text("import torch\n")
    result = runner.invoke(app, ["classify", str(tmp_path / "f.py")])
    assert result.exit_code == 2
    assert result.stderr.strip().endswith("not a directory")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder")
def test_cli_unreadable_path(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        result = runner.invoke(app, ["classify", str(locked)])
    finally:
        locked.chmod(0o755)
    assert result.exit_code == 2
    assert "cannot" in result.stderr and "Traceback" not in result.output


def test_unreadable_subfolder_is_a_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "m.py").write_text("import torch\n")
    real_scandir = os.scandir

    def scandir(path):  # an unreadable folder, even for root
        if str(path).endswith("sub"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr("analysis.sources.os.scandir", scandir)
    result = classify_path(tmp_path)
    assert result.framework == "pytorch"
    assert "sub: folder not readable: Permission denied" in notes(result)


def test_file_names_that_are_not_utf8(tmp_path: Path) -> None:
    root = os.fsencode(tmp_path)
    with open(os.path.join(root, b"caf\xe9_model.py"), "wb") as fh:
        fh.write(b"import torch.nn\n")
    result = classify_path(tmp_path)
    assert result.framework == "pytorch"
    encoded = json.dumps(result.to_json(str(tmp_path)), ensure_ascii=False).encode("utf-8")
    assert "caf\ufffd_model.py" in encoded.decode("utf-8")
    cli = runner.invoke(app, ["classify", "--json", str(tmp_path)])
    assert cli.exit_code == 0 and "caf\ufffd_model.py" in cli.stdout


def test_include_through_a_symlinked_folder_is_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "req.txt").write_text("tensorflow\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "linkdir").symlink_to(outside, target_is_directory=True)
    (repo / "requirements.txt").write_text("-r linkdir/req.txt\n-r ../outside/req.txt\ntorch\n")
    (repo / "train.py").write_text("import torch\n")
    result = classify_path(repo)
    assert "tensorflow" not in result.frameworks
    source = LocalSource(repo)
    source.entries()
    with pytest.raises(Unreadable, match="outside PATH"):
        source.read("linkdir/req.txt", 1000)


def test_cli_unreadable_path_even_as_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "m.py").write_text("import jax\n")
    real_scandir = os.scandir

    def scandir(path):
        if str(path) == str(locked):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr("analysis.sources.os.scandir", scandir)
    result = runner.invoke(app, ["classify", "--json", str(locked), str(tmp_path / "ok")])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {locked}: cannot read directory: Permission denied"
    assert json.loads(result.stdout)["framework"] == "jax"


def test_lone_surrogates_from_notebook_json_are_printable(tmp_path: Path) -> None:
    # JSON may escape any surrogate (\ud800), not only those of undecodable file names.
    (tmp_path / "nb.ipynb").write_text(
        '{"nbformat": 4, "cells": [{"cell_type": "code", "source": '
        '"!pip install torch \\ud800\\nimport torch.nn as nn\\n"}]}')
    result = classify_path(tmp_path)
    assert result.framework == "pytorch"
    encoded = json.dumps(result.to_json(str(tmp_path)), ensure_ascii=False).encode("utf-8")
    assert b"pip install torch" in encoded
    cli = runner.invoke(app, ["classify", "--json", str(tmp_path)])
    assert cli.exit_code == 0 and json.loads(cli.stdout)["framework"] == "pytorch"
    table = runner.invoke(app, ["classify", str(tmp_path)])
    assert table.exit_code == 0 and "pytorch" in table.stdout


@pytest.mark.parametrize("notebook", ['{"nbformat": 3, "worksheets": 5}',
                                      '{"nbformat": 3, "worksheets": [{"cells": 7}]}',
                                      '{"nbformat": 4, "cells": [], "n": ' + "1" * 5000 + "}"])
def test_malformed_notebooks_are_notes_not_crashes(tmp_path: Path, notebook: str) -> None:
    (tmp_path / "odd.ipynb").write_text(notebook)
    (tmp_path / "train.py").write_text("import torch.nn as nn\n")
    assert classify_path(tmp_path).framework == "pytorch"


def test_keras_json_with_a_huge_number_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "keras.json").write_text('{"backend": "jax", "n": ' + "1" * 5000 + "}")
    (tmp_path / "model.py").write_text("from keras import layers\n")
    assert classify_path(tmp_path).framework == "tensorflow"
