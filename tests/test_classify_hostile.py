"""Hostile manifests and code: alias bombs, oversized documents, megabyte Dockerfiles.

These assert what the readers return; how long they take is printed by
``benchmarks/parsers_hostile.py``, never asserted here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.classifier import classify_path
from analysis.classify.bounded import MAX_TOML_BYTES, MAX_YAML_BYTES, ManifestRefused, load_yaml
from analysis.manifests import MAX_ITEMS, parse_manifest

_LEVELS = "abcdefghi"
# Nine levels of nine aliases: 9**9 = 387,420,489 strings once expanded, in 352 bytes.
BOMB = "\n".join(
    ["name: bomb", "a: &a [x,x,x,x,x,x,x,x,x]"]
    + [f"{c}: &{c} [" + ",".join([f"*{_LEVELS[i]}"] * 9) + "]" for i, c in enumerate(_LEVELS[1:])]
    + ["channels: [*i]", "dependencies: [*i]"]) + "\n"


def notes(result) -> list[str]:
    return [f"{e.file}: {e.seen}" if e.file else e.seen
            for e in result.evidence if e.framework is None]


def test_the_alias_bomb_is_refused_not_expanded(tmp_path: Path) -> None:
    assert len(BOMB.encode()) <= 357
    with pytest.raises(ManifestRefused, match="aliases expand to over 100,000 nodes"):
        parse_manifest("environment.yml", BOMB)
    recipe = "{% set v = 1 %}\n" + BOMB.replace("dependencies: [*i]",
                                                  "requirements:\n  run: [*i]")
    with pytest.raises(ManifestRefused):
        parse_manifest("recipe/meta.yaml", recipe)
    (tmp_path / "environment.yml").write_text(BOMB)
    (tmp_path / "train.py").write_text("import torch.nn as nn\n")
    result = classify_path(tmp_path)
    assert result.framework == "pytorch"
    assert "environment.yml: manifest refused: YAML aliases expand to over 100,000 nodes, " \
           "not parsed" in notes(result)


def test_recursive_aliases_and_ordinary_anchors() -> None:
    with pytest.raises(ManifestRefused):
        load_yaml("a: &a [x, *a]\n")
    # Anchors that expand to little are ordinary YAML and stay readable.
    data, lines = load_yaml("base: &base [torch, numpy]\ndependencies: *base\n")
    assert data["dependencies"] == ["torch", "numpy"] and lines["torch"] == 1
    items = parse_manifest("environment.yml", "x: &d [pytorch=2.0]\ndependencies: *d\n")
    assert [i.name for i in items] == ["pytorch"]


def test_oversized_yaml_and_toml_are_not_parsed() -> None:
    big_yaml = "dependencies:\n" + "  - numpy\n" * (MAX_YAML_BYTES // 10)
    with pytest.raises(ManifestRefused, match="YAML over the 256,000-byte cap"):
        parse_manifest("environment.yml", big_yaml)
    big_toml = '[project]\ndependencies = ["torch"]\n' + "#" * MAX_TOML_BYTES
    with pytest.raises(ManifestRefused, match="TOML over the 256,000-byte cap"):
        parse_manifest("pyproject.toml", big_toml)


def test_a_megabyte_dockerfile_is_read_to_its_end() -> None:
    text = ("FROM ubuntu:22.04\nRUN apt-get update && apt-get install -y \\\n"
            + "".join(f"    libpackage{i}-dev \\\n" for i in range(63_000))
            + "    git\nRUN pip install 'torch==2.1' && pip install --no-cache-dir timm\n")
    assert len(text) > 1_600_000
    items = parse_manifest("Dockerfile", text)
    assert [(i.name, i.line) for i in items] == [("torch", 63_004), ("timm", 63_004)]


def test_a_dockerfile_of_one_endless_install_line_stops_at_the_item_cap() -> None:
    text = "FROM pytorch/pytorch:2.1.0-cuda12.1\nRUN pip install " + " ".join(
        f"pkg{i}" for i in range(200_000)) + "\n"
    assert len(text) > 1_600_000
    items = parse_manifest("Dockerfile", text)
    assert len(items) == MAX_ITEMS
    assert items[0].framework == "pytorch" and items[1].name == "pkg0"


def test_a_huge_requirements_file_is_capped_and_said(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("".join(f"pkg{i}\n" for i in range(60_000))
                                               + "tensorflow\n")
    (tmp_path / "train.py").write_text("import torch\n")
    result = classify_path(tmp_path)
    assert result.framework == "pytorch" and "tensorflow" not in result.frameworks
    assert f"requirements.txt: only the first {MAX_ITEMS:,} declarations read" in notes(result)


def test_line_numbers_come_from_one_pass() -> None:
    env = ('name: e\nchannels:\n  - pytorch\ndependencies:\n  - python=3.9\n  - "pytorch=2.0"\n'
           "  - pip:\n    - jax==0.4.1\n")
    assert [(i.name, i.framework, i.line) for i in parse_manifest("environment.yml", env)] == [
        (None, "pytorch", 3), ("python", None, 5), ("pytorch", None, 6), ("jax", None, 8)]
    toml = ('[project]\nname = "x"\ndependencies = [\n  "numpy",\n  "torch>=2",\n]\n'
            '[tool.poetry.dependencies]\njax = "^0.4"\n')
    assert [(i.name, i.line) for i in parse_manifest("pyproject.toml", toml)] == [
        ("numpy", 4), ("torch", 5), ("jax", 8)]


def test_one_import_repeated_thousands_of_times(tmp_path: Path) -> None:
    (tmp_path / "log.py").write_text("import tensorflow as tf\n" * 20_000
                                     + "tf.summary.scalar('loss', 1)\n")
    (tmp_path / "model.py").write_text("import torch.nn as nn\n")
    result = classify_path(tmp_path)
    assert result.framework == "pytorch"
    tf = [e for e in result.evidence if e.framework == "tensorflow"]
    assert len(tf) == 1 and "used only as tensorflow.summary.scalar" in tf[0].seen
