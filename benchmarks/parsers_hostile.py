"""Time the manifest and code readers on hostile inputs: every one must stay linear.

Each case is built in memory (nothing is written), parsed the way ``survey classify`` parses it,
and timed at half and full size (best of three runs each, the machine being shared), so a
quadratic reader shows as a ratio near 4 where a linear one is near 2 (or less, once a cap on
items stops it). Prints one line per case: size, seconds, ratio, and what the reader returned.

    .venv/bin/python benchmarks/parsers_hostile.py [--scale 1.0]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.classify.bounded import ManifestRefused  # noqa: E402
from analysis.imports import extract_imports, keras_backends  # noqa: E402
from analysis.manifests import parse_manifest  # noqa: E402
from analysis.notebooks import parse_notebook  # noqa: E402


def alias_bomb(levels: int) -> str:
    """The classic: each level a list of nine aliases of the level below (9**levels nodes)."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    names = "abcdefghijklmnopqrstuvwxyz"
    for i in range(1, levels):
        lines.append(f"{names[i]}: &{names[i]} [" + ",".join([f"*{names[i - 1]}"] * 9) + "]")
    last = names[levels - 1]
    return "\n".join(lines + [f"channels: [*{last}]", f"dependencies: [*{last}]"]) + "\n"


def dockerfile_continuation(n: int) -> str:
    return ("FROM ubuntu:22.04\nRUN apt-get update && apt-get install -y \\\n"
            + "".join(f"    libpackage{i}-dev \\\n" for i in range(n))
            + "    git\nRUN pip install torch\n")


def dockerfile_one_line(n: int) -> str:
    return "FROM ubuntu:22.04\nRUN pip install " + " ".join(f"pkg{i}" for i in range(n)) + "\n"


def requirements(n: int) -> str:
    return "".join(f"package-{i}>=1.{i % 10}\n" for i in range(n))


def environment(n: int) -> str:
    return "dependencies:\n" + "".join(f"  - package{i}=1.0\n" for i in range(n))


def pyproject(n: int) -> str:
    return "[project]\ndependencies = [\n" + "".join(f'  "pkg{i}>=1",\n' for i in range(n)) + "]\n"


def setup_py(n: int) -> str:
    return ("REQS = ['torch', 'numpy']\n"
            + "".join(f"setup(name='x{i}', install_requires=REQS)\n" for i in range(n)))


def python_imports(n: int) -> str:
    return "".join("import tensorflow as tf\n" for _ in range(n)) + "tf.summary.scalar('x', 1)\n"


def notebook(n: int) -> str:
    cells = [{"cell_type": "code", "source": f"import torch\nx = {i}\n"} for i in range(n)]
    return json.dumps({"nbformat": 4, "cells": cells})


def _manifest(path: str) -> Callable[[str], str]:
    def run(text: str) -> str:
        try:
            return f"{len(parse_manifest(path, text))} items"
        except ManifestRefused as exc:
            return f"refused: {exc}"
    return run


CASES: list[tuple[str, Callable[[int], str], int, Callable[[str], str]]] = [
    ("environment.yml alias bomb", alias_bomb, 9, _manifest("environment.yml")),
    ("Dockerfile, continuation lines", dockerfile_continuation, 63_000, _manifest("Dockerfile")),
    ("Dockerfile, one pip line", dockerfile_one_line, 170_000, _manifest("Dockerfile")),
    ("requirements.txt", requirements, 60_000, _manifest("requirements.txt")),
    ("environment.yml, many packages", environment, 10_000, _manifest("environment.yml")),
    ("pyproject.toml, many packages", pyproject, 10_000, _manifest("pyproject.toml")),
    ("setup.py, many setup() calls", setup_py, 20_000, _manifest("setup.py")),
    ("Python, one import repeated", python_imports, 40_000,
     lambda t: f"{len(extract_imports(t).imports)} imports, {len(keras_backends(t))} backends"),
    ("notebook, many cells", notebook, 20_000, lambda t: f"{len(parse_notebook(t).cells)} cells"),
]


def timed(make: Callable[[int], str], n: int, run: Callable[[str], str]) -> tuple[int, float, str]:
    text = make(n)
    best, said = float("inf"), ""
    for _ in range(3):
        start = time.perf_counter()
        said = run(text)
        best = min(best, time.perf_counter() - start)
    return len(text.encode()), best, said


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every size")
    args = parser.parse_args()
    print(f"{'case':<34}{'bytes':>12}{'seconds':>9}{'x2 ratio':>10}  result")
    for name, make, n, run in CASES:
        if make is alias_bomb:  # the bomb grows by levels, not by length
            size, seconds, said = timed(make, n, run)
            print(f"{name:<34}{size:>12,}{seconds:>9.3f}{'-':>10}  {said}")
            continue
        size1, t1, _ = timed(make, max(1, int(n * args.scale) // 2), run)
        size, seconds, said = timed(make, max(1, int(n * args.scale)), run)
        ratio = seconds / t1 if t1 > 0 else float("nan")
        print(f"{name:<34}{size:>12,}{seconds:>9.3f}{ratio:>10.2f}  {said}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
