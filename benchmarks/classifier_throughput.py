"""Classifier throughput on synthetic repositories on disk (target: >= 300 repositories/s).

Writes N repositories (default 2,000) shaped like research code - a package of Python modules
with real code around their imports, a training script, tests, sometimes a notebook, a vendored
folder, a Python 2 file, requirements/setup.py/environment.yml/Dockerfile, data and images - then
classifies every one through ``classify_path`` (what ``survey classify`` runs) on one core and
prints repositories/s, files/s, and peak memory: the process's maximum resident set size, and
the Python heap peak measured by tracemalloc over a second, smaller pass.

    .venv/bin/python benchmarks/classifier_throughput.py [--repos 2000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
import zlib
from collections import Counter
from pathlib import Path

from analysis.classifier import CLASSIFIER_VERSION, classify_path
from analysis.stored import classify_stored
from survey.core.clock import SYSTEM_CLOCK, stamp
from survey.core.db import open_write, transaction

STACKS = {
    "pytorch": (["import torch", "import torch.nn as nn", "import torch.nn.functional as F",
                 "from torch.utils.data import DataLoader", "import torchvision"],
                ["torch>=1.10", "torchvision"]),
    "tensorflow": (["import tensorflow as tf", "from tensorflow.keras import layers",
                    "import tensorflow_datasets as tfds"], ["tensorflow>=2.4"]),
    "jax": (["import jax", "import jax.numpy as jnp", "import flax.linen as nn", "import optax"],
            ["jax[cuda12]", "flax", "optax"]),
    "other": (["import mxnet as mx", "from mxnet import gluon"], ["mxnet-cu112"]),
    "none": (["import numpy as np", "from sklearn.linear_model import LogisticRegression"],
             ["numpy", "scikit-learn"]),
}
BODY = '''

class Block{n}:
    """A block of the model."""

    def __init__(self, width: int = {w}) -> None:
        self.width = width
        self.layers = [width * i for i in range({w})]

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            if i % 2 == 0:
                x = x * layer + {n}
            else:
                x = x - layer / (i + 1)
        return x


def train_step_{n}(batch, lr=1e-3):
    loss = sum(b * lr for b in batch)
    return {{"loss": loss, "step": {n}}}
'''


def write_repo(root: Path, rng: random.Random, label: str) -> int:
    imports, reqs = STACKS[label]
    files: dict[str, str] = {}
    pkg = rng.choice(["src", "model", "lib", "core"])
    for i in range(rng.randint(4, 10)):
        head = "\n".join(["import os", "import math", *rng.sample(imports, k=min(2, len(imports))),
                          f"from {pkg} import utils"])
        files[f"{pkg}/mod_{i}.py"] = head + "".join(BODY.format(n=j, w=rng.randint(2, 9))
                                                    for j in range(rng.randint(1, 4)))
    files["train.py"] = "\n".join(["import argparse", *imports]) + BODY.format(n=0, w=3)
    files["tests/test_model.py"] = "import pytest\n" + imports[0] + "\n\ndef test_x():\n    pass\n"
    files["requirements.txt"] = "\n".join([*reqs, "tqdm", "numpy>=1.20"]) + "\n"
    files["README.md"] = "# Paper code\n" * 20
    files["data/labels.csv"] = "a,b\n" * 200
    if rng.random() < 0.3:
        files["setup.py"] = (f"from setuptools import setup\nsetup(name='x', install_requires="
                             f"{reqs!r})\n")
    if rng.random() < 0.2:
        files["environment.yml"] = "dependencies:\n  - python=3.9\n  - pip:\n" + "".join(
            f"    - {r}\n" for r in reqs)
    if rng.random() < 0.2:
        files["Dockerfile"] = "FROM nvcr.io/nvidia/pytorch:22.10-py3\nRUN pip install tqdm\n"
    if rng.random() < 0.3:
        files["demo.ipynb"] = json.dumps({"nbformat": 4, "cells": [
            {"cell_type": "markdown", "source": "# Demo"},
            {"cell_type": "code", "source": ["!pip install tqdm\n", *(i + "\n" for i in imports)],
             "outputs": [{"data": {"image/png": "iVBORw0KGgo" * 500}}]}]})
    if rng.random() < 0.15:
        files["third_party/ext/op.py"] = "import tensorflow as tf\n" + BODY.format(n=9, w=2)
    if rng.random() < 0.1:
        files["tools/legacy.py"] = 'import os\nprint "python 2"\n' + imports[0] + "\n"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "assets").mkdir(exist_ok=True)
    (root / "assets" / "fig.png").write_bytes(bytes(rng.getrandbits(8) for _ in range(2048)))
    return len(files) + 1


def store_repos(base: Path, count: int, db: Path) -> None:
    """The same repositories as the fetcher would store them: tree, blobs, selected files."""
    conn = open_write(db)
    with transaction(conn):
        for i in range(count):
            repo = f"github.com/bench/repo{i:05d}"
            conn.execute("INSERT INTO repos (repo, host, status, head_sha, first_seen)"
                         " VALUES (?, 'github.com', 'ok', 'c1', ?)",
                         (repo, stamp(SYSTEM_CLOCK.now())))
            root = base / f"repo{i:05d}"
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                rel = path.relative_to(root).as_posix()
                data = path.read_bytes()
                sha = hashlib.sha1(data).hexdigest()
                conn.execute("INSERT INTO tree_entries (repo, path, type, sha, size)"
                             " VALUES (?, ?, 'blob', ?, ?)", (repo, rel, sha, len(data)))
                if rel.endswith((".py", ".ipynb", ".txt", ".yml", "Dockerfile")):
                    conn.execute("INSERT OR IGNORE INTO blobs (sha, size, content)"
                                 " VALUES (?, ?, ?)", (sha, len(data), zlib.compress(data)))
                    conn.execute("INSERT INTO repo_files (repo, path, sha, role)"
                                 " VALUES (?, ?, ?, 'python')", (repo, rel, sha))
    conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=2000)
    parser.add_argument("--keep", type=Path, help="write the repositories here and keep them")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="classify-bench-"))
    rng = random.Random(42)
    labels = list(STACKS)
    truth: list[str] = []
    files = 0
    try:
        started = time.perf_counter()
        for i in range(args.repos):
            label = labels[i % len(labels)]
            root = base / f"repo{i:05d}"
            root.mkdir(parents=True, exist_ok=True)
            files += write_repo(root, rng, label)
            truth.append(label)
        print(f"wrote {args.repos:,} repositories, {files:,} files in "
              f"{time.perf_counter() - started:.1f}s under {base}")

        started = time.perf_counter()
        predicted = [classify_path(base / f"repo{i:05d}").framework for i in range(args.repos)]
        elapsed = time.perf_counter() - started
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        agree = sum(t == p for t, p in zip(truth, predicted, strict=True))

        sample = min(300, args.repos)
        tracemalloc.start()
        for i in range(sample):
            classify_path(base / f"repo{i:05d}")
        _, heap_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

        print(f"classifier {CLASSIFIER_VERSION}, one core (single process, warm page cache)")
        print(f"  repositories: {args.repos:,} in {elapsed:.2f}s = "
              f"{args.repos / elapsed:,.0f} repositories/s (target >= 300)")
        print(f"  files:        {files:,} = {files / elapsed:,.0f} files/s")
        print(f"  peak memory:  max RSS {rss_mb:,.0f} MB; Python heap peak "
              f"{heap_peak / 2**20:,.1f} MB over {sample} repositories (tracemalloc)")
        print(f"  labels:       {dict(Counter(predicted))}; agree with the generator "
              f"{agree}/{args.repos}")

        db = base / "store.db"
        store_repos(base, args.repos, db)
        conn = open_write(db)
        started = time.perf_counter()
        summary = classify_stored(conn)
        elapsed = time.perf_counter() - started
        conn.close()
        print(f"  stored (survey crawl's last stage, SQLite, one transaction per 100): "
              f"{summary.classified:,} in {elapsed:.2f}s = "
              f"{summary.classified / elapsed:,.0f} repositories/s")
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
