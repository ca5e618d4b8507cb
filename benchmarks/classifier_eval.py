"""Accuracy of the classifier on the labelled dev corpus of real repositories.

Each repository of ``repo_corpus_dev.jsonl`` is rebuilt as files in a temporary folder - its
paths, its Python files holding its import statements, its notebooks as nbformat-4 JSON with the
imports in a code cell, its manifests written in each manifest's own syntax from the requirement
lines - and classified through the same function ``survey classify PATH`` calls. Prints the
accuracy, scikit-learn's confusion matrix and report, every miss with its evidence, and writes
``analysis/data/classifier_eval.json`` for the report's methodology section.

    .venv/bin/python benchmarks/classifier_eval.py [--corpus PATH] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sklearn.metrics import accuracy_score, classification_report, confusion_matrix

from analysis.classifier import CLASSIFIER_VERSION, classify_path

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


def _run(entries: list[dict], roots: list[Path]) -> dict:
    truth, predicted, misses, results = [], [], [], []
    for entry, root in zip(entries, roots, strict=True):
        res = classify_path(root)
        truth.append(entry["label"])
        predicted.append(res.framework)
        results.append((entry, res))
        if res.framework != entry["label"]:
            misses.append((entry, res))
    return {"entries": entries, "truth": truth, "predicted": predicted, "misses": misses,
            "results": results}


def _sensitivity(entries: list[dict], roots: list[Path]) -> list[tuple[str, float, float]]:
    """Accuracy with each tunable constant scaled by 0.75 and 1.25: rules that only fit the
    corpus by a hair would show it here."""
    import analysis.classifier as clf

    knobs: list[tuple[str, object, object]] = [
        (name, clf, name) for name in ("PRIOR_FACTOR", "MAIN_THRESHOLD", "AUX_THRESHOLD",
                                       "AUX_OVER_MAIN", "AUX_PER_MAIN_FILE", "MIN_MAIN_SHARE",
                                       "_NOTEBOOK_FACTOR", "PATH_CAP")]
    knobs += [(f"location[{k}]", clf._LOCATION_WEIGHT, k) for k in clf._LOCATION_WEIGHT
              if k != "main"]
    knobs += [(f"context[{k}]", clf._CONTEXT_WEIGHT, k) for k in ("lazy", "optional")]
    rows = []
    for label, holder, key in knobs:
        scores = []
        for factor in (0.75, 1.25):
            if isinstance(holder, dict):
                old = holder[key]
                holder[key] = old * factor
            else:
                old = getattr(holder, key)
                setattr(holder, key, old * factor)
            try:
                run = _run(entries, roots)
            finally:
                if isinstance(holder, dict):
                    holder[key] = old
                else:
                    setattr(holder, key, old)
            scores.append(accuracy_score(run["truth"], run["predicted"]))
        rows.append((label, scores[0], scores[1]))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--no-write", action="store_true", help="do not write the JSON summary")
    parser.add_argument("--sensitivity", action="store_true",
                        help="also rerun with each tunable constant scaled by 0.75 and 1.25")
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
        print("\nsensitivity: accuracy with one constant scaled by 0.75 / 1.25")
        for label, low, high in result["sensitivity"]:
            print(f"  {label:<24} {low:.3f} / {high:.3f}")
    if not args.no_write:
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps({
            "classifier_version": CLASSIFIER_VERSION,
            "accuracy": round(accuracy, 4),
            "n": len(truth),
            "measured_on": args.corpus.name,
            "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        }, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
