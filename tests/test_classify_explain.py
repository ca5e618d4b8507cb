"""`note`: one sentence when a verdict's scores seem to contradict its label (issue 14)."""

from __future__ import annotations

from pathlib import Path

from analysis.classifier import classify_path

FIXTURES = Path(__file__).parent / "fixtures" / "classify"


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_a_label_split_across_frameworks(tmp_path: Path) -> None:
    result = classify_path(write(tmp_path, {
        "model.py": "import flax.linen as nn\n", "train.py": "import jax\n",
        "data.py": "import tensorflow as tf\nx = tf.keras.layers.Dense(3)\n",
        "layers_tf.py": "import tensorflow as tf\nx = tf.nn.relu\n"}))
    assert result.framework == "jax" and next(iter(result.frameworks)) == "tensorflow"
    assert result.note == "jax: flax 0.35 + jax 0.23 = 0.58 against tensorflow 0.41"


def test_keras_counted_for_its_backend(tmp_path: Path) -> None:
    result = classify_path(write(tmp_path, {"model.py": 'import os\nos.environ["KERAS_BACKEND"]'
                                            ' = "jax"\nimport keras\nfrom keras import layers\n'}))
    assert (result.framework, result.frameworks) == ("jax", {"keras": 1.0})
    assert result.note == "keras counted as jax: KERAS_BACKEND jax set in model.py:2"


def test_a_lone_adapter_module(tmp_path: Path) -> None:
    files = {f"pkg/m{i}.py": "import numpy\n" for i in range(35)}
    result = classify_path(write(tmp_path, {**files, "pkg/adapter.py": "import torch\n"}))
    assert (result.framework, result.frameworks) == ("none", {"pytorch": 1.0})
    assert result.note == ("none although the scores show pytorch: pytorch in only 1 of 36 main"
                           " files, too few to make the repository's framework")


def test_examples_only_are_said_with_their_count(tmp_path: Path) -> None:
    result = classify_path(write(tmp_path, {
        "src/a.py": "import numpy\n", "src/b.py": "import scipy\n",
        "examples/e1.py": "import torch\n", "docs/conf_demo.py": "import tensorflow\n",
        "requirements.txt": "torch\n"}))
    assert result.framework == "none"
    assert result.note is not None and result.note.startswith(
        "none: the main code (2 files with imports) uses no framework; pytorch only in ")
    assert "examples (1 file: examples/e1.py:1)" in result.note
    assert "manifests (1 file: requirements.txt:1)" in result.note


def test_no_note_when_label_and_scores_agree() -> None:
    for name in ("tb_in_pytorch", "tfds_in_jax", "docs_only", "none_sklearn", "lua_torch7"):
        assert classify_path(FIXTURES / name).note is None, name
