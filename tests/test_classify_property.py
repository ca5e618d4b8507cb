"""Whatever a folder holds, classify returns a valid verdict and never raises."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.classifier import classify_path
from analysis.frameworks import LABELS

NAMES = st.sampled_from([
    "train.py", "model.py", "requirements.txt", "setup.py", "setup.cfg", "pyproject.toml",
    "environment.yml", "Pipfile", "meta.yaml", "Dockerfile", "nb.ipynb", "keras.json", "x.lua",
    "net.prototxt", "a.jl", "b.m", "c.cpp", "D.java", "pom.xml", "README.md", "data.bin"])
DIRS = st.sampled_from(["", "src/", "third_party/x/", "tests/", "docs/", "examples/", "a/b/c/"])
SNIPPETS = st.sampled_from([
    "import torch\n", "import tensorflow as tf\ntf.summary.x\n", "from flax import linen\n",
    "import keras\n", 'os.environ["KERAS_BACKEND"] = "jax"\n', "print 'py2'\n", "torch>=1\n",
    "-r requirements.txt\n", "FROM pytorch/pytorch\n", '{"backend": "theano"}\n',
    '{"cells": [{"cell_type": "code", "source": "import jax"}]}', "require 'nn'\n",
    "#include <torch/extension.h>\n", "using Flux\n", "[project]\ndependencies=['jax']\n",
    "\x00\x01\xff", "((((((((", "setup(install_requires=['mxnet'])\n", "{% if x %}\n",
    '{"cells": [{"cell_type": "code", "source": "!pip install torch \\ud800"}]}'])
CONTENT = st.lists(st.one_of(SNIPPETS, st.text(max_size=40)), max_size=4).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(DIRS, NAMES, CONTENT), max_size=8))
def test_any_tree_gives_a_valid_verdict(files: list[tuple[str, str, str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for folder, name, content in files:
            path = root / folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content.encode("utf-8", "surrogatepass"))
        result = classify_path(root)
    assert result.framework in LABELS
    assert 0.0 <= result.confidence <= 1.0
    assert all(0 < v <= 1 for v in result.frameworks.values())
    assert (result.framework == "unknown") == (result.confidence == 0.0)
    json.dumps(result.to_json("x"), ensure_ascii=False).encode("utf-8")  # as stored/printed
