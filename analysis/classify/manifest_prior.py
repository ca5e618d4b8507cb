"""Manifests: the prior. Dependencies declared in requirements, setup files, pyproject, Pipfile,
conda environments and recipes, Dockerfiles, JVM build files, and Keras's ``keras.json``.

Each framework gets the strongest of its declarations in one manifest: main dependencies 1.0,
extras 0.5, dev/test/docs 0.2, times the manifest's location weight; the decision counts the
prior at ``prior_factor`` (half) of code. Manifests are read before code, and the package names
they declare (``setup(name=...)``, ``[project] name``) put those packages' files first in the
reading order.
"""

from __future__ import annotations

import json
import re

from analysis.classify.extractors import Context, extractor
from analysis.classify.reading import MAX_CODE_BYTES, File
from analysis.evidence import Evidence, note
from analysis.frameworks import distribution_hit
from analysis.manifests import (
    MAIN,
    MAX_ITEMS,
    Item,
    ManifestRefused,
    declared_packages,
    parse_manifest,
)
from survey.core.vocab import FileKind, ManifestKind, Place

_KERAS3 = re.compile(r"(>=|==|~=|\^|~|>)\s*3(\.|$|,)")
_BUILD_DEPENDENCY = re.compile(r"(deeplearning4j|org\.tensorflow|org\.pytorch)")
_BUILD_FRAMEWORK = {"deeplearning4j": "dl4j", "org.tensorflow": "tensorflow",
                    "org.pytorch": "pytorch"}
# Keras backends the classifier knows (keras.json, KERAS_BACKEND).
KERAS_BACKENDS = frozenset({"tensorflow", "jax", "torch", "pytorch", "theano", "cntk", "mxnet",
                            "numpy"})


@extractor(FileKind.MANIFEST)
def manifest_file(ctx: Context, file: File) -> None:
    if file.manifest is ManifestKind.JVM_BUILD:
        _build_file(ctx, file)
    elif file.manifest is ManifestKind.KERAS_CONFIG:
        _keras_json(ctx, file)
    else:
        _manifest(ctx, file)


def _manifest(ctx: Context, file: File) -> None:
    text = ctx.reader.text(file.path, MAX_CODE_BYTES, keep=True)
    if text is None:
        return
    try:
        items = parse_manifest(file.path, text, ctx.reader.include)
    except ManifestRefused as exc:
        ctx.tally.notes.append(note(file.path, f"manifest refused: {exc}"))
        return
    except (ValueError, TypeError, RecursionError, MemoryError) as exc:
        ctx.tally.notes.append(note(file.path, f"manifest not readable: {type(exc).__name__}"))
        return
    if len(items) >= MAX_ITEMS:
        ctx.tally.notes.append(note(file.path, f"only the first {MAX_ITEMS:,} declarations read"))
    if file.where is Place.MAIN:
        ctx.packages.update(declared_packages(file.path, text))
    factor = ctx.weights.where(file.where)
    best: dict[str, tuple[float, Item]] = {}
    for item in items:
        framework, weight = item_framework(item)
        if framework is None:
            continue
        if framework == "keras" and _KERAS3.search(item.specifier or ""):
            ctx.tally.keras3 = True
        weight *= ctx.weights.section.get(item.section, ctx.weights.section["dev"]) * factor
        if weight > best.get(framework, (0.0, item))[0]:
            best[framework] = (weight, item)
    prior = ctx.weights.decision.prior_factor
    for framework, (weight, item) in best.items():
        shown = item.seen + ("" if item.section == MAIN else f" [{item.section}]")
        ctx.tally.add_prior(framework, weight, Evidence(item.file or file.path, item.line, shown,
                                                        framework, weight * prior))


def item_framework(item: Item) -> tuple[str | None, float]:
    """The framework a declared dependency points to, with the table's weight."""
    if item.framework:
        return item.framework, 1.0
    if item.name:
        hit = distribution_hit(item.name)
        if hit is not None and hit.weight > 0:
            return hit.framework, hit.weight
    return None, 0.0


def prior_item(ctx: Context, path: str, item: Item, factor: float) -> None:
    """One declaration outside a manifest (a notebook's ``!pip install``) into the prior."""
    framework, weight = item_framework(item)
    if framework is None:
        return
    weight *= factor
    ctx.tally.add_prior(framework, weight, Evidence(path, item.line, item.seen, framework,
                                                    weight * ctx.weights.decision.prior_factor))


def _build_file(ctx: Context, file: File) -> None:
    """Maven/Gradle/sbt dependencies on DL4J, TensorFlow Java or PyTorch Android."""
    text = ctx.reader.text(file.path, MAX_CODE_BYTES, quiet=True)
    match = _BUILD_DEPENDENCY.search(text) if text else None
    if not match or text is None:
        return
    framework = _BUILD_FRAMEWORK[match.group(1)]
    weight = ctx.weights.languages.jvm_build * ctx.weights.where(file.where)
    line = text.count("\n", 0, match.start()) + 1
    ctx.tally.add_prior(framework, weight, Evidence(
        file.path, line, match.group(0), framework, weight * ctx.weights.decision.prior_factor))


def _keras_json(ctx: Context, file: File) -> None:
    if file.where is Place.TESTS:
        return
    text = ctx.reader.text(file.path, 100_000, quiet=True)
    if not text:
        return
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # ValueError: also a number over 4300 digits
        return
    backend = data.get("backend") if isinstance(data, dict) else None
    if isinstance(backend, str) and backend in KERAS_BACKENDS:
        ctx.tally.backends.append((file.path, 1, backend))
