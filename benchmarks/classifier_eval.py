"""Accuracy of the classifier on the labelled dev corpus of real repositories.

Each repository of ``repo_corpus_dev.jsonl`` is rebuilt as files in a temporary folder - its
paths, its Python files holding its import statements, its notebooks as nbformat-4 JSON with the
imports in a code cell, its manifests written in each manifest's own syntax from the requirement
lines - and classified through the same function ``survey classify PATH`` calls. Prints the
accuracy, scikit-learn's confusion matrix and report, every miss with its evidence, and writes
``analysis/data/classifier_eval.json`` for the report's methodology section.

    .venv/bin/python benchmarks/classifier_eval.py [--corpus PATH] [--no-write] [--sensitivity]
        [--date YYYY-MM-DD]

``--date`` is the date written into the JSON summary (default: today, UTC); nothing else reads
the clock.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

from sklearn.metrics import accuracy_score, classification_report, confusion_matrix

from analysis.classifier import CLASSIFIER_VERSION, classify_path
from analysis.classify.weights import Weights, load_weights

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "repo_corpus_dev.jsonl"
OUT = ROOT / "analysis" / "data" / "classifier_eval.json"
LABELS = ["pytorch", "tensorflow", "jax", "other", "none", "unknown"]


def python_source(statements: list[list[str]]) -> str:
    lines = []
    for st in statements:
        if st[0] == "import":
            lines.append(f"import {st[1]}" + (f" as {st[2]}" if len(st) > 2 else ""))
        else:
            lines.append(f"from {st[1]} import {st[2]}" + (f" as {st[3]}" if len(st) > 3 else ""))
    return "\n".join(lines) + "\n"


def notebook_source(statements: list[list[str]]) -> str:
    code = python_source(statements)
    return json.dumps({
        "nbformat": 4, "nbformat_minor": 5, "metadata": {},
        "cells": [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                   "source": code.splitlines(keepends=True)}],
    })


def _poetry_split(spec: str) -> tuple[str, str]:
    match = re.match(r"^([A-Za-z0-9._-]+)(.*)$", spec.strip())
    return (match.group(1), match.group(2).strip() or "*") if match else (spec, "*")


def manifest_files(requirements: dict[str, list[str]]) -> dict[str, str]:
    """Manifests written in their own syntax from the corpus's requirement lines."""
    grouped: dict[str, dict[str, list[str]]] = {}
    for key, lines in requirements.items():
        path, _, section = key.partition("#")
        grouped.setdefault(path, {})[section] = lines
    files: dict[str, str] = {}
    for path, sections in grouped.items():
        name = Path(path).name.lower()
        main = sections.get("", [])
        if name == "setup.py":
            extras = {s.split(".", 1)[1]: v for s, v in sections.items() if s}
            files[path] = ("from setuptools import setup\n\nsetup(\n    name='x',\n"
                           f"    install_requires={main!r},\n    extras_require={extras!r},\n)\n")
        elif name == "pyproject.toml":
            poetry = any(re.search(r"[\^~](?!=)", s) for v in sections.values() for s in v)
            if poetry:
                out = ["[tool.poetry.dependencies]", 'python = "^3.9"']
                out += [f'"{n}" = "{v}"' for n, v in map(_poetry_split, main)]
                for section, lines in sections.items():
                    if section.startswith("tool.poetry.group."):
                        group = section.split(".")[3]
                        out.append(f"\n[tool.poetry.group.{group}.dependencies]")
                        out += [f'"{n}" = "{v}"' for n, v in map(_poetry_split, lines)]
            else:
                out = ["[project]", 'name = "x"', f"dependencies = {json.dumps(main)}"]
                extras = {s.split(".")[-1]: v for s, v in sections.items() if s}
                if extras:
                    out.append("\n[project.optional-dependencies]")
                    out += [f"{k} = {json.dumps(v)}" for k, v in extras.items()]
            files[path] = "\n".join(out) + "\n"
        elif name.endswith((".yml", ".yaml")):
            pip = [s for s in main if "==" in s or s.startswith(("-e", "git+"))]
            conda = [s for s in main if s not in pip]
            out = ["name: env", "channels:", "  - defaults", "dependencies:"]
            out += [f"  - {json.dumps(s)}" for s in conda]
            if pip:
                out.append("  - pip:")
                out += [f"    - {json.dumps(s)}" for s in pip]
            files[path] = "\n".join(out) + "\n"
        elif name.startswith("dockerfile") or name.endswith(".dockerfile"):
            out = [s for s in main if s.startswith("FROM ")]
            out += [f"RUN pip install {s}" for s in main if not s.startswith("FROM ")]
            files[path] = "\n".join(out) + "\n"
        else:
            files[path] = "\n".join(main) + "\n"
    return files


def rebuild(entry: dict, root: Path) -> None:
    """Write one corpus entry as a folder of files under ``root``."""
    imports = {item["path"]: item["imports"] for item in entry["imports"]}
    manifests = manifest_files(entry["requirements"])
    for rel in sorted({*entry["paths"], *imports, *manifests}):
        target = root / rel
        if target.exists() and target.is_dir():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if rel in manifests:
            target.write_text(manifests[rel], encoding="utf-8")
        elif rel in imports and rel.endswith(".ipynb"):
            target.write_text(notebook_source(imports[rel]), encoding="utf-8")
        elif rel in imports:
            target.write_text(python_source(imports[rel]), encoding="utf-8")
        else:
            target.write_bytes(b"")


def evaluate(corpus: Path, sensitivity: bool = False) -> dict:
    entries = [json.loads(line) for line in corpus.read_text("utf-8").splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        roots = []
        for index, entry in enumerate(entries):
            root = Path(tmp) / str(index)
            root.mkdir()
            rebuild(entry, root)
            roots.append(root)
        result = _run(entries, roots)
        if sensitivity:
            result["sensitivity"] = _sensitivity(entries, roots)
    return result


def _run(entries: list[dict], roots: list[Path], weights: Weights | None = None) -> dict:
    truth, predicted, misses, results = [], [], [], []
    for entry, root in zip(entries, roots, strict=True):
        res = classify_path(root, weights=weights)
        truth.append(entry["label"])
        predicted.append(res.framework)
        results.append((entry, res))
        if res.framework != entry["label"]:
            misses.append((entry, res))
    return {"entries": entries, "truth": truth, "predicted": predicted, "misses": misses,
            "results": results}


# Every tunable number of weights.yaml the decision leans on; each is scaled by 0.75 and 1.25.
KNOBS = ["decision.prior_factor", "decision.main_threshold", "decision.aux_threshold",
         "decision.aux_over_main", "decision.aux_per_main_file", "decision.min_main_share",
         "decision.path_cap", "decision.manifest_threshold", "notebook_factor",
         "model_file_factor", "location.examples", "location.tests", "location.docs",
         "location.vendored", "context.lazy", "context.optional", "util_only", "data_only",
         "section.optional", "section.dev"]


def _sensitivity(entries: list[dict], roots: list[Path]) -> list[tuple[str, float, float]]:
    """Accuracy with each tunable number of weights.yaml scaled by 0.75 and 1.25: rules that
    only fit the corpus by a hair would show it here."""
    base = load_weights()
    rows = []
    for name in KNOBS:
        low, high = (accuracy_score(*_truth_predicted(_run(entries, roots, base.scaled(name, f))))
                     for f in (0.75, 1.25))
        rows.append((name, low, high))
    return rows


def _truth_predicted(run: dict) -> tuple[list[str], list[str]]:
    return run["truth"], run["predicted"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--no-write", action="store_true", help="do not write the JSON summary")
    parser.add_argument("--sensitivity", action="store_true",
                        help="also rerun with each tunable number scaled by 0.75 and 1.25")
    parser.add_argument("--date", type=date.fromisoformat, default=None,
                        help="the measurement date written to the summary (default: today, UTC)")
    args = parser.parse_args()
    if not args.corpus.is_file():
        print(f"error: corpus not found: {args.corpus}", file=sys.stderr)
        return 2
    result = evaluate(args.corpus, sensitivity=args.sensitivity)
    truth, predicted = result["truth"], result["predicted"]
    labels = [lab for lab in LABELS if lab in truth or lab in predicted]
    accuracy = accuracy_score(truth, predicted)
    print(f"classifier {CLASSIFIER_VERSION} on {args.corpus.name}: "
          f"accuracy {accuracy:.3f} ({sum(t == p for t, p in zip(truth, predicted, strict=True))}"
          f"/{len(truth)})")
    print("\nconfusion matrix (rows: true label, columns: predicted)")
    matrix = confusion_matrix(truth, predicted, labels=labels)
    print(" " * 12 + "".join(f"{lab:>12}" for lab in labels))
    for lab, row in zip(labels, matrix, strict=True):
        print(f"{lab:>12}" + "".join(f"{n:>12}" for n in row))
    print()
    print(classification_report(truth, predicted, labels=labels, zero_division=0))
    for entry, res in result["misses"]:
        print(f"MISS {entry['repo']}: true {entry['label']}, predicted {res.framework} "
              f"{res.frameworks} conf {res.confidence}")
        for ev in res.evidence[:8]:
            print(f"    {ev.file}:{ev.line} {ev.seen} -> {ev.framework} {ev.weight:.2f}")
    close = sorted(result["results"], key=lambda er: er[1].confidence)[:5]
    print("closest calls (lowest confidence):")
    for entry, res in close:
        mark = "ok  " if res.framework == entry["label"] else "MISS"
        print(f"  {mark} {entry['repo']}: {res.framework} {res.confidence:.2f} {res.frameworks}")
    if "sensitivity" in result:
        print("\nsensitivity: accuracy with one number of weights.yaml scaled by 0.75 / 1.25")
        for label, low, high in result["sensitivity"]:
            print(f"  {label:<28} {low:.3f} / {high:.3f}")
    if not args.no_write:
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps({
            "classifier_version": CLASSIFIER_VERSION,
            "accuracy": round(accuracy, 4),
            "n": len(truth),
            "measured_on": args.corpus.name,
            "date": (args.date or datetime.now(UTC).date()).isoformat(),
        }, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
