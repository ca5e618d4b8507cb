"""The hard cases of issue 4, as small repositories under tests/fixtures/classify."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.classifier import classify_path, place

FIXTURES = Path(__file__).parent / "fixtures" / "classify"


@pytest.mark.parametrize(
    ("case", "label", "top"),
    [
        ("tb_in_pytorch", "pytorch", "pytorch"),        # TensorFlow only for TensorBoard
        ("tfds_in_jax", "jax", "jax"),                  # tfds/tf.data feeding a Flax model
        ("notebooks_only", "pytorch", "pytorch"),       # nbformat 4 and 3, magics, pip lines
        ("notebooks_folder", "pytorch", "pytorch"),     # experiments in notebooks/, helpers in src/
        ("vendored", "pytorch", "pytorch"),             # a TF tree under third_party/
        ("python2", "other", "caffe"),                  # print statements, latin-1 cookie
        ("keras_backends/jax_backend", "jax", "keras"),  # KERAS_BACKEND=jax
        ("keras_backends/theano", "other", "keras"),    # Keras 1 on Theano
        ("keras_backends/keras3", "tensorflow", "keras"),  # Keras 3, no backend: TensorFlow
        ("both_reqs_one_code", "tensorflow", "tensorflow"),  # torch listed but never imported
        ("no_requirements", "other", "mxnet"),          # no manifest at all
        ("lua_torch7", "other", "torch7"),
        ("julia_flux", "other", "flux"),
        ("matlab_dl", "other", "matlab"),
        ("none_sklearn", "none", None),
        ("r_package", "none", None),
        ("docs_only", "unknown", None),
    ],
)
def test_fixture(case: str, label: str, top: str | None) -> None:
    result = classify_path(FIXTURES / case)
    assert result.framework == label, result.to_json()
    if top is None:
        assert not result.frameworks
    else:
        assert next(iter(result.frameworks)) == top
    assert 0.0 <= result.confidence <= 1.0
    if label == "unknown":
        assert result.confidence == 0.0


def test_tensorboard_use_is_evidence_of_logging_only() -> None:
    result = classify_path(FIXTURES / "tb_in_pytorch")
    tb = [e for e in result.evidence if e.file == "util/visualizer.py"]
    assert len(tb) == 1 and tb[0].framework == "tensorflow"
    assert "used only as tensorflow.summary" in tb[0].seen or "Summary" in tb[0].seen
    assert tb[0].weight < 0.2
    assert result.frameworks["pytorch"] > 0.8
    assert result.confidence > 0.7


def test_vendored_tree_barely_counts() -> None:
    result = classify_path(FIXTURES / "vendored")
    vendored = [e for e in result.evidence if e.file and e.file.startswith("third_party/")]
    assert vendored and all(e.weight <= 0.1 for e in vendored)


def test_notebook_evidence_points_at_cells() -> None:
    result = classify_path(FIXTURES / "notebooks_only")
    cells = [e for e in result.evidence if e.file == "vae.ipynb"]
    assert any(e.seen.startswith("cell 3:") and e.line == 3 for e in cells)
    assert any("pip install" in e.seen for e in cells)          # !pip install torch
    assert not any("tensorflow" == e.framework for e in result.evidence)  # markdown ignored


def test_python2_reads_fall_back_and_say_so() -> None:
    result = classify_path(FIXTURES / "python2")
    notes = [e.seen for e in result.evidence if e.framework is None]
    assert any("read with tokenize" in n for n in notes)
    assert {e.file for e in result.evidence if e.framework == "caffe"} >= {
        "lib/train.py", "lib/layer.py"}


def test_keras_resolution_is_explained() -> None:
    result = classify_path(FIXTURES / "keras_backends" / "jax_backend")
    assert any("KERAS_BACKEND jax" in e.seen for e in result.evidence)


def test_conflicting_evidence_lowers_confidence(tmp_path: Path) -> None:
    (tmp_path / "a_model.py").write_text("import torch.nn as nn\n")
    (tmp_path / "b_model.py").write_text("import tensorflow.keras.layers as L\n")
    mixed = classify_path(tmp_path)
    clear = classify_path(FIXTURES / "tb_in_pytorch")
    assert mixed.confidence < 0.6 < clear.confidence
    assert set(mixed.frameworks) == {"pytorch", "tensorflow"}


def test_manifest_only_repository_is_low_confidence(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("paddlepaddle-gpu==2.4\n")
    result = classify_path(tmp_path)
    assert result.framework == "other" and result.confidence <= 0.4


def test_docker_base_image_is_a_prior_not_a_verdict(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM tensorflow/tensorflow:latest-gpu-py3\n")
    (tmp_path / "runner.py").write_text("import numpy\nfrom sklearn.svm import SVC\n")
    (tmp_path / "benchmark").mkdir()
    (tmp_path / "benchmark" / "convnet.py").write_text("import tensorflow as tf\n")
    assert classify_path(tmp_path).framework == "none"


@pytest.mark.parametrize(
    ("path", "where"),
    [("src/model.py", "main"), ("third_party/x/y.py", "vendored"), ("tests/test_a.py", "tests"),
     ("pkg/model_test.py", "tests"), ("docs/conf.py", "docs"), ("examples/mnist.py", "examples"),
     ("notebooks/demo.ipynb", "examples"), ("binder/environment.yml", "docs")],
)
def test_place(path: str, where: str) -> None:
    assert place(path) == where


def test_optional_lazy_and_type_only_imports_count_less(tmp_path: Path) -> None:
    (tmp_path / "core.py").write_text(
        "import numpy as np\nfrom typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import torch\n"
        "try:\n    import tensorflow as tf\nexcept ImportError:\n    tf = None\n"
        "def to_jax(x):\n    import jax.numpy as jnp\n    return jnp.asarray(x)\n")
    result = classify_path(tmp_path)
    seen = {e.framework: (e.seen, e.weight) for e in result.evidence if e.framework}
    assert seen["pytorch"][0].endswith("(TYPE_CHECKING only)") and seen["pytorch"][1] < 0.2
    assert seen["tensorflow"][0].endswith("(inside try)")
    assert seen["jax"][0].endswith("(inside a function)")
    assert seen["jax"][1] < 1.2 * 1.0


def test_docstring_mentions_are_not_imports(tmp_path: Path) -> None:
    (tmp_path / "util.py").write_text(
        'import importlib\n"""Call importlib.import_module("torch") to load it."""\n'
        'mod = importlib.import_module("numpy")\n')
    assert classify_path(tmp_path).framework == "none"


def test_framework_confined_to_a_corner_of_a_large_code_base(tmp_path: Path) -> None:
    for i in range(60):
        (tmp_path / f"mod{i}.py").write_text("import numpy as np\nimport scipy\n")
    (tmp_path / "adapters").mkdir()
    (tmp_path / "adapters" / "torch_adapter.py").write_text("import torch\n")
    result = classify_path(tmp_path)
    assert result.framework == "none"
    assert any("pytorch in only 1 of 61 main files" in e.seen for e in result.evidence)


def test_other_languages_use_framework_apis(tmp_path: Path) -> None:
    cpp = tmp_path / "cpp"
    (cpp / "src").mkdir(parents=True)
    (cpp / "src" / "main.cpp").write_text('#include <iostream>\n#include <torch/torch.h>\n')
    (cpp / "src" / "util.h").write_text("int f();\n")
    result = classify_path(cpp)
    assert result.framework == "pytorch"
    assert result.evidence[0].seen == "#include <torch/torch.h>"
    java = tmp_path / "java"
    (java / "src").mkdir(parents=True)
    (java / "src" / "Net.java").write_text(
        "package x;\nimport org.deeplearning4j.nn.conf.NeuralNetConfiguration;\n")
    (java / "pom.xml").write_text("<artifactId>deeplearning4j-core</artifactId>\n")
    result = classify_path(java)
    assert (result.framework, next(iter(result.frameworks))) == ("other", "dl4j")


def test_sampling_folder_is_main_code_but_samples_are_examples() -> None:
    assert place("diffusion/sampling/ddim.py") == "main"
    assert place("samples/generate.py") == "examples"
    assert place("examples_pytorch/run.py") == "examples"


def test_exact_ties_are_broken_by_a_fixed_order(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("import tensorflow\n")
    (tmp_path / "b.py").write_text("import torch\n")
    assert {classify_path(tmp_path).framework for _ in range(3)} == {"pytorch"}


def test_bare_import_used_only_for_data_counts_as_data(tmp_path: Path) -> None:
    (tmp_path / "input_pipeline.py").write_text(
        "import tensorflow as tf\n"
        "tf.config.experimental.set_visible_devices([], 'GPU')\n"
        "def load(files):\n"
        "    ds = tf.data.TFRecordDataset(files)\n"
        "    return ds.map(lambda x: tf.cast(tf.image.resize(x, (32, 32)), tf.float32))\n")
    (tmp_path / "tf_model.py").write_text(
        "import tensorflow as tf\nlayer = tf.keras.layers.Dense(3)\nx = tf.cast(1, tf.float32)\n")
    result = classify_path(tmp_path)
    by_file = {e.file: e for e in result.evidence if e.framework == "tensorflow"}
    assert "used only for data" in by_file["input_pipeline.py"].seen
    assert by_file["input_pipeline.py"].weight == pytest.approx(0.3)
    assert by_file["tf_model.py"].weight == pytest.approx(1.3)   # model file, core import


def test_notebook_imports_keep_their_context(tmp_path: Path) -> None:
    cell = "try:\n    import torch\nexcept ImportError:\n    pass\nimport jax.numpy as jnp\n"
    (tmp_path / "nb.ipynb").write_text(
        '{"nbformat": 4, "cells": [{"cell_type": "code", "source": ' + json.dumps(cell) + "}]}")
    result = classify_path(tmp_path)
    torch = next(e for e in result.evidence if e.framework == "pytorch")
    assert torch.seen.endswith("(inside try)")
    assert result.framework == "jax"


@pytest.mark.parametrize("source", ["using Flux\nfunction f(x)\n  x\nend\n",
                                    "using Statistics\nusing Flux: Chain, Dense\n",
                                    "import Knet\n"])
def test_julia_forms(tmp_path: Path, source: str) -> None:
    (tmp_path / "m.jl").write_text(source)
    result = classify_path(tmp_path)
    assert result.framework == "other" and next(iter(result.frameworks)) in ("flux", "knet")


@pytest.mark.parametrize(
    ("source", "label"),
    [("from transformers import AutoTokenizer, AutoModelForSequenceClassification, Trainer\n",
      "pytorch"),
     ("from transformers import AutoTokenizer, TFAutoModelForSequenceClassification\n",
      "tensorflow"),
     ("from transformers import FlaxT5ForConditionalGeneration\nimport optax\n", "jax"),
     ("from transformers import pipeline, AutoTokenizer\nimport pandas\n", "none")],
)
def test_model_classes_of_multi_backend_libraries(tmp_path: Path, source: str,
                                                  label: str) -> None:
    (tmp_path / "finetune.py").write_text(source)
    assert classify_path(tmp_path).framework == label


def test_notebook_env_magic_selects_the_keras_backend(tmp_path: Path) -> None:
    cell = "%env KERAS_BACKEND=jax\nimport keras\nfrom keras import layers\n"
    (tmp_path / "nb.ipynb").write_text(
        '{"nbformat": 4, "cells": [{"cell_type": "code", "source": ' + json.dumps(cell) + "}]}")
    assert classify_path(tmp_path).framework == "jax"
