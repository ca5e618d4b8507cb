"""Which deep-learning framework a repository's code is written in, with evidence.

How a verdict is reached (docs/readme/classify.md documents the same rules):

1. Every Python file and notebook is read for its imports (:mod:`analysis.imports`); each import
   found in the framework table (:mod:`analysis.frameworks`) weighs by what it shows - building
   models (``torch.nn``, ``tf.keras.layers``, ``flax.linen``) 1.3-1.5, the framework itself 1.0,
   data loading 0.1-0.4, logging and file IO 0.1 (``torch.utils.tensorboard``, ``tf.io.gfile``,
   ``tensorflow_datasets``). A file counts once per framework, with its strongest import; an
   import inside a function or ``try`` counts 0.6, under ``TYPE_CHECKING`` 0.1. A file whose
   only uses of a bare ``import tensorflow as tf`` are logging chains (``tf.summary``) counts
   0.1, logging or data chains (``tf.data``, ``tf.image``, dtypes) 0.3.
2. The file's count is multiplied by where it is: main code 1.0 (1.3 for model/training files),
   examples, notebooks/ and benchmarks 0.4, tests 0.3, docs 0.15, vendored trees
   (``third_party/``, ``external/``, ``vendor/``) 0.05; notebooks 0.8 of that. C++ includes of
   a framework's headers, Java DL4J imports, Lua ``require 'nn'``, Julia ``using Flux``, MATLAB
   Deep Learning Toolbox calls count like imports; ``.prototxt`` and unread ``.lua`` file names
   count a little, capped.
3. Manifests are a prior: each framework gets the strongest of its declarations (main
   dependencies 1.0, extras 0.5, dev/test/docs 0.2, times the manifest's location weight), and
   the prior counts half as much as code.
4. Keras counts for the backend the repository selects (``KERAS_BACKEND``, ``keras.json``),
   Theano when Keras comes with Theano and without TensorFlow, else TensorFlow.
5. Decision: if main code shows a framework (score >= 0.5), the label with the highest code +
   prior score wins (ties in a fixed label order), unless that framework sits in fewer than 3%
   of a large main code base. Main code that shows no framework gives ``none``, unless
   examples/notebooks clearly carry the deep learning (score >= 1.2 and >= 0.25 per main file).
   With no main code, examples decide, then file names, then manifests alone (with low
   confidence). Code in other languages only is ``none``; nothing readable is ``unknown``.

``confidence`` is the winner's share against the runner-up times how much evidence there is,
lowered when the decision rests on examples, file names or manifests only, or when files could
not be read.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from analysis.evidence import Evidence, note
from analysis.frameworks import (
    data_attributes,
    distribution_hit,
    label_of,
    module_hit,
    util_attributes,
)
from analysis.imports import Import, attribute_uses, extract_imports, keras_backends
from analysis.manifests import (
    DEV,
    MAIN,
    OPTIONAL,
    Item,
    manifest_kind,
    parse_manifest,
    requirement_item,
)
from analysis.notebooks import NotebookError, parse_notebook
from analysis.sources import LocalSource, RepoSource, Unreadable

# Bump when any rule, weight or table entry changes: stored classifications with another version
# are recomputed (offline) by the next `survey crawl`.
CLASSIFIER_VERSION = "1.5.1"

MAX_CODE_BYTES = 1_000_000         # .py, .lua, .jl, .m and manifests
MAX_NOTEBOOK_BYTES = 10_000_000    # notebooks carry their outputs (images)
MAX_PYTHON_FILES = 3000
MAX_NOTEBOOKS = 300
MAX_EVIDENCE = 60
MAX_NOTES = 20

MAIN_THRESHOLD = 0.5      # main-code score that makes a framework the repository's
MIN_MAIN_SHARE = 0.03     # ...unless it is in fewer than 3% of a large main code base
MIN_SHARE_FILES = 30      # ("large": at least this many main files with imports)
AUX_THRESHOLD = 0.3       # the same for example-only repositories
# Main code without a framework still yields to examples/notebooks that clearly carry the deep
# learning: at least this score, and at least this much per main file with imports.
AUX_OVER_MAIN = 1.2
AUX_PER_MAIN_FILE = 0.25
PRIOR_FACTOR = 0.5        # manifests count half as much as code
PATH_CAP = 1.0            # evidence from file names alone (.lua, .prototxt) tops out here

_VENDORED = frozenset({"third_party", "thirdparty", "third-party", "3rdparty", "3rd_party",
                       "3rd-party", "external", "externals", "extern", "vendor", "vendored",
                       "site-packages", "dist-packages", "_vendor", "deps", "submodules"})
_DOCS = frozenset({"doc", "docs", "documentation", "sphinx", "website", "binder", "site"})
_TESTS = frozenset({"test", "tests", "testing", "unittest", "unittests", "unit_tests"})
_EXAMPLES = re.compile(r"^(examples?|demos?|tutorials?|notebooks?|samples?|benchmarks?|bench|"
                       r"playground|sandbox|colabs?|misc|deprecated|legacy|archived?|old)"
                       r"([_\-].*)?$")
_MODEL_FILE = re.compile(r"(^|[_\-./])(models?|modeling|net|nets|networks?|layers?|modules?|"
                         r"train|trainer|training|losses?|arch|backbones?|agents?|nn)($|[_\-./])")
_LABEL_ORDER = ["pytorch", "tensorflow", "jax", "other", "none", "unknown"]
_LOCATION_WEIGHT = {"main": 1.0, "examples": 0.4, "tests": 0.3, "docs": 0.15, "vendored": 0.05}
_SECTION_WEIGHT = {MAIN: 1.0, OPTIONAL: 0.5, DEV: 0.2}
_NOTEBOOK_FACTOR = 0.8
# How an import is reached: at import time, lazily in a function, guarded by try (optional
# support), or only for type checkers.
_CONTEXT_WEIGHT = {"top": 1.0, "lazy": 0.6, "optional": 0.6, "typing": 0.1}
_CONTEXT_SAID = {"lazy": "inside a function", "optional": "inside try",
                 "typing": "TYPE_CHECKING only"}
_OTHER_CODE = frozenset({".c", ".cc", ".cpp", ".cxx", ".h", ".hpp", ".cu", ".cuh", ".r", ".java",
                         ".scala", ".go", ".rs", ".f90", ".f", ".cs", ".kt", ".swift", ".js",
                         ".ts", ".jl", ".m", ".lua", ".pyx", ".sh", ".rb", ".pl"})
_LUA_TORCH = re.compile(r"""require\s*\(?\s*['"](torch|nn|cunn|cutorch|nngraph|optim|cudnn|rnn|"""
                        r"""dpnn|image|paths)['"]""")
_JULIA = re.compile(r"^[ \t]*(?:using|import)[ \t]+([\w.,: \t]+)", re.M)
_MATLAB_DL = re.compile(r"\b(trainNetwork|dlnetwork|layerGraph|convolution2dLayer|"
                        r"fullyConnectedLayer|imageInputLayer|lstmLayer|dlarray|dlfeval|"
                        r"trainingOptions|vl_simplenn|vl_nnconv|dagnn\.DagNN)\b")
_CPP = frozenset({".c", ".cc", ".cpp", ".cxx", ".h", ".hpp", ".hh", ".cu", ".cuh"})
_CPP_INCLUDE = re.compile(r"^[ \t]*#[ \t]*include[ \t]*[<\"](torch|ATen|c10|tensorflow|caffe2|"
                          r"caffe|mxnet|paddle|mindspore|oneflow)/", re.M)
_CPP_FRAMEWORK = {"torch": "pytorch", "ATen": "pytorch", "c10": "pytorch"}
_JAVA_IMPORT = re.compile(r"^[ \t]*import[ \t]+(org\.deeplearning4j|org\.nd4j|org\.tensorflow|"
                          r"org\.pytorch)\.", re.M)
_JAVA_FRAMEWORK = {"org.deeplearning4j": "dl4j", "org.nd4j": "dl4j", "org.tensorflow": "tensorflow",
                   "org.pytorch": "pytorch"}
_BUILD_FILES = frozenset({"pom.xml", "build.gradle", "build.gradle.kts", "build.sbt"})
_BUILD_DEPENDENCY = re.compile(r"(deeplearning4j|org\.tensorflow|org\.pytorch)")
MAX_OTHER_CODE_READ = 200  # C++/Java files read for includes and imports
_KERAS3 = re.compile(r"(>=|==|~=|\^|~|>)\s*3(\.|$|,)")
_KERAS_BACKEND_LABEL = {"tensorflow": "tensorflow", "jax": "jax", "torch": "pytorch",
                        "pytorch": "pytorch", "theano": "other", "cntk": "other",
                        "mxnet": "other", "numpy": "tensorflow"}
_KERAS_BACKEND_NAME = {"torch": "pytorch", "numpy": "tensorflow"}


@dataclass
class Classification:
    """The verdict on one repository."""

    framework: str
    frameworks: dict[str, float]
    confidence: float
    evidence: list[Evidence] = field(default_factory=list)

    def to_json(self, path: str | None = None) -> dict[str, Any]:
        """DESIGN.md's shape: ``{"path", "framework", "frameworks", "confidence", "evidence"}``."""
        return {
            "path": path,
            "framework": self.framework,
            "frameworks": self.frameworks,
            "confidence": self.confidence,
            "evidence": [e.to_json() for e in self.evidence],
        }


def place(path: str) -> str:
    """Where a file is: main, examples, tests, docs or vendored (by its folders and name)."""
    parts = path.lower().split("/")
    dirs, name = parts[:-1], parts[-1]
    if any(d in _VENDORED for d in dirs):
        return "vendored"
    if any(d in _DOCS for d in dirs):
        return "docs"
    if (any(d in _TESTS or d.startswith("test_") for d in dirs) or name.startswith("test_")
            or name.endswith(("_test.py", "_tests.py")) or name in ("conftest.py", "tests.py")):
        return "tests"
    if any(_EXAMPLES.match(d) for d in dirs):
        return "examples"
    return "main"


@dataclass
class _Tally:
    code: dict[str, dict[str, float]] = field(
        default_factory=lambda: {"main": defaultdict(float), "aux": defaultdict(float)})
    paths: dict[str, dict[str, float]] = field(
        default_factory=lambda: {"main": defaultdict(float), "aux": defaultdict(float)})
    prior: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    found: list[Evidence] = field(default_factory=list)
    notes: list[Evidence] = field(default_factory=list)
    main_code_files: int = 0
    main_file_frameworks: list[set[str]] = field(default_factory=list)
    code_files: int = 0
    other_code_files: int = 0
    unread_python: int = 0
    backends: list[tuple[str, int, str]] = field(default_factory=list)
    keras3: bool = False

    def add_code(self, where: str, framework: str, weight: float, ev: Evidence) -> None:
        self.code["main" if where == "main" else "aux"][framework] += weight
        self.found.append(ev)

    def add_path(self, where: str, framework: str, weight: float, path: str, seen: str) -> None:
        """Evidence from a file's name alone (capped: names are cheap to find)."""
        bucket = self.paths["main" if where == "main" else "aux"]
        before = bucket[framework]
        bucket[framework] = min(PATH_CAP, before + weight)
        if before == 0 or sum(1 for e in self.found if e.framework == framework
                              and e.line is None) < 3:
            self.found.append(Evidence(path, None, seen, framework, bucket[framework] - before))

    def add_prior(self, framework: str, weight: float, ev: Evidence) -> None:
        if weight > self.prior[framework]:
            self.prior[framework] = weight
        self.found.append(ev)


def classify(source: RepoSource) -> Classification:
    """Classify one repository from its files. Never raises for bad file contents."""
    tally = _Tally()
    entries = source.entries()
    reader = _Reader(source, tally)
    python = notebooks = other_read = 0
    for entry in entries:
        if entry.kind != "file":
            continue
        path = entry.path
        suffix = PurePosixPath(path).suffix.lower()
        where = place(path)
        kind = manifest_kind(path)
        if kind is not None:
            _manifest(path, kind, where, reader, tally)
            if kind == "setup.py":
                continue
        if suffix in (".py", ".pyw"):
            if PurePosixPath(path).name == "conf.py" and where == "docs":
                continue
            python += 1
            if python > MAX_PYTHON_FILES:
                tally.unread_python += 1
                continue
            text = reader.text(path, MAX_CODE_BYTES)
            if text is None:
                tally.unread_python += 1
                continue
            _python(path, where, text, tally, notebook=False, cell_imports=None)
        elif suffix == ".ipynb":
            notebooks += 1
            if notebooks > MAX_NOTEBOOKS:
                continue
            text = reader.text(path, MAX_NOTEBOOK_BYTES)
            if text is not None:
                _notebook(path, where, text, tally)
        elif suffix == ".lua":
            _lua(path, where, reader, tally)
        elif suffix == ".prototxt":
            tally.add_path(where, "caffe", 0.5 * _LOCATION_WEIGHT[where], path,
                           "Caffe network definition (.prototxt)")
        elif suffix in (".jl", ".m"):
            _julia_matlab(path, suffix, where, reader, tally)
        elif PurePosixPath(path).name == "keras.json":
            _keras_json(path, where, reader, tally)
        elif suffix in _CPP or suffix == ".java":
            tally.other_code_files += 1
            other_read += 1
            if other_read <= MAX_OTHER_CODE_READ:
                _cpp_java(path, suffix, where, reader, tally)
        elif PurePosixPath(path).name in _BUILD_FILES:
            _build_file(path, where, reader, tally)
        elif suffix in _OTHER_CODE:
            tally.other_code_files += 1
    if python > MAX_PYTHON_FILES:
        tally.notes.append(note(None, f"{python - MAX_PYTHON_FILES} Python files beyond the first"
                                      f" {MAX_PYTHON_FILES} not read"))
    if notebooks > MAX_NOTEBOOKS:
        tally.notes.append(note(None, f"{notebooks - MAX_NOTEBOOKS} notebooks beyond the first"
                                      f" {MAX_NOTEBOOKS} not read"))
    tally.notes[:0] = source.notes()
    return _decide(tally, python)


class _Reader:
    """Decoded text of a file, or None with the reason noted."""

    def __init__(self, source: RepoSource, tally: _Tally) -> None:
        self.source = source
        self.tally = tally
        self.cache: dict[str, str | None] = {}

    def text(self, path: str, limit: int, *, quiet: bool = False,
             keep: bool = False) -> str | None:
        """``keep`` caches the text (manifests, which ``-r`` includes may read again); code
        files are read once and not kept, so memory stays flat on large repositories."""
        if path in self.cache:
            return self.cache[path]
        try:
            data = self.source.read(path, limit)
        except Unreadable as exc:
            if not quiet and str(exc) != "not downloaded":
                self.tally.notes.append(note(path, str(exc)))
            self.cache[path] = None
            return None
        text = decode(data)
        if text is None:
            self.tally.notes.append(note(path, "binary content skipped"))
        elif "\ufffd" in text and b"\xef\xbf\xbd" not in data:
            self.tally.notes.append(note(path, "undecodable bytes replaced"))
        if keep:
            self.cache[path] = text
        return text

    def include(self, path: str) -> str | None:
        return self.text(path, MAX_CODE_BYTES, quiet=True, keep=True)


def decode(data: bytes) -> str | None:
    """Text of a source file: UTF-8 (BOM allowed), else a PEP 263 coding cookie, else UTF-8
    with replacement. None for binary data (NUL bytes)."""
    if b"\x00" in data[:8192]:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    head = data[:400].split(b"\n", 2)
    for line in head[:2]:
        match = re.search(rb"coding[:=]\s*([-\w.]+)", line)
        if match:
            try:
                return data.decode(match.group(1).decode("ascii"), errors="replace")
            except (LookupError, UnicodeDecodeError):
                break
    return data.decode("utf-8", errors="replace")


# --- Python ----------------------------------------------------------------------------------

def _python(path: str, where: str, text: str, tally: _Tally, *, notebook: bool,
            cell_imports: list[Import] | None) -> None:
    if cell_imports is None:
        parsed = extract_imports(text)
        imports = parsed.imports
        if parsed.method != "ast":
            tally.notes.append(note(path, f"read with {parsed.method} ({parsed.error})"))
    else:
        imports = cell_imports
    tally.code_files += 1
    if where == "main" and imports:
        tally.main_code_files += 1
    if where != "tests":
        for line, backend in keras_backends(text):
            tally.backends.append((path, line, backend))
    by_framework: dict[str, list[tuple[Import, Any]]] = defaultdict(list)
    for imp in imports:
        hit = module_hit(imp.module)
        if hit is None or hit.weight <= 0:
            continue
        by_framework[hit.framework].append((imp, hit))
        if hit.framework == "keras" and (imp.module.startswith(("keras.ops", "keras_core"))):
            tally.keras3 = True
    if not by_framework:
        return
    factor = _LOCATION_WEIGHT[where]
    if where == "main" and _MODEL_FILE.search(path.lower()):
        factor *= 1.3
    if notebook:
        factor *= _NOTEBOOK_FACTOR
    if where == "main":
        tally.main_file_frameworks.append(set(by_framework))
    for framework, hits in by_framework.items():
        best_imp, best = max(hits, key=lambda ih: ih[1].weight * _CONTEXT_WEIGHT[ih[0].context])
        weight = best.weight
        why = _CONTEXT_SAID.get(best_imp.context, "")
        util_only = _util_only(framework, hits, text)
        if util_only is not None:
            weight, why = util_only
        contribution = weight * factor * _CONTEXT_WEIGHT[best_imp.context]
        seen = best_imp.seen + (f" ({why})" if why else "")
        tally.add_code(where, framework,
                       contribution, Evidence(path, best_imp.line, seen, framework, contribution))


def _util_only(
    framework: str, hits: list[tuple[Import, Any]], text: str
) -> tuple[float, str] | None:
    """(weight, reason) when the file uses ``framework`` only to log or read files."""
    bare = [(i, h) for i, h in hits if h.kind == "core" and "." not in i.module
            or i.module == "tensorflow.compat.v1"]
    others = [(i, h) for i, h in hits if (i, h) not in bare]
    if not bare or any(h.kind in ("build", "core") for _, h in others):
        return None
    prefixes = util_attributes(framework)
    data_prefixes = data_attributes(framework)
    chains: list[str] = []
    for imp, _ in bare:
        if imp.alias:
            found = attribute_uses(text, imp.alias)
            if imp.module == "tensorflow.compat.v1":
                found = [f"compat.v1.{c}" for c in found]
            chains.extend(found)
    if chains:
        def within(chain: str, allowed: tuple[str, ...]) -> bool:
            return any(chain == p or chain.startswith(p + ".") for p in allowed)

        shown = f"{framework}.{Counter(chains).most_common(1)[0][0]}"
        if all(within(c, prefixes) for c in chains):
            return 0.1, f"used only as {shown}"
        if all(within(c, prefixes) or within(c, data_prefixes) for c in chains):
            return 0.3, f"used only for data, e.g. {shown}"
        return None
    utils = [h.weight for _, h in others if h.kind == "util"]
    if utils:
        return max(utils), "only with a logging/IO module"
    return None


def _notebook(path: str, where: str, text: str, tally: _Tally) -> None:
    try:
        nb = parse_notebook(text)
    except NotebookError as exc:
        tally.notes.append(note(path, f"{exc}; imports read line by line"))
        lines = [re.sub(r'^\s*"|\\n",?\s*$|",?\s*$', "", ln) for ln in text.splitlines()]
        _python(path, where, "\n".join(lines), tally, notebook=True, cell_imports=None)
        return
    imports: list[Import] = []
    for cell in nb.cells:
        parsed = extract_imports(cell.code)
        imports.extend(Import(i.module, cell.index, f"cell {cell.index}: {i.seen}", i.alias,
                              i.context) for i in parsed.imports)
    for cell_no, version in nb.tf_versions:
        imports.append(Import("tensorflow", cell_no,
                              f"cell {cell_no}: %tensorflow_version {version}"))
    code = "\n".join(c.code for c in nb.cells)
    _python(path, where, code, tally, notebook=True, cell_imports=imports)
    factor = _LOCATION_WEIGHT[where] * _NOTEBOOK_FACTOR
    for inst in nb.installs:
        for spec in inst.packages:
            item = requirement_item(spec, inst.cell, MAIN, f"cell {inst.cell}: {inst.seen}")
            if item is not None:
                _prior_item(path, item, factor, tally)


# --- manifests -------------------------------------------------------------------------------

def _manifest(path: str, kind: str, where: str, reader: _Reader, tally: _Tally) -> None:
    text = reader.text(path, MAX_CODE_BYTES, keep=True)
    if text is None:
        return
    try:
        items = parse_manifest(path, text, reader.include)
    except (ValueError, TypeError, RecursionError, MemoryError) as exc:
        tally.notes.append(note(path, f"manifest not readable: {type(exc).__name__}"))
        return
    factor = _LOCATION_WEIGHT[where]
    best: dict[str, tuple[float, Item]] = {}
    for item in items:
        framework, weight = _item_framework(item)
        if framework is None:
            continue
        if framework == "keras" and _KERAS3.search(item.specifier or ""):
            tally.keras3 = True
        weight *= _SECTION_WEIGHT.get(item.section, 0.2) * factor
        if weight > best.get(framework, (0.0, item))[0]:
            best[framework] = (weight, item)
    for framework, (weight, item) in best.items():
        tally.add_prior(framework, weight,
                        Evidence(item.file or path, item.line, item.seen + _section(item),
                                 framework, weight * PRIOR_FACTOR))


def _section(item: Item) -> str:
    return "" if item.section == MAIN else f" [{item.section}]"


def _item_framework(item: Item) -> tuple[str | None, float]:
    if item.framework:
        return item.framework, 1.0
    if item.name:
        hit = distribution_hit(item.name)
        if hit is not None and hit.weight > 0:
            return hit.framework, hit.weight
    return None, 0.0


def _prior_item(path: str, item: Item, factor: float, tally: _Tally) -> None:
    framework, weight = _item_framework(item)
    if framework is None:
        return
    weight *= factor
    tally.add_prior(framework, weight,
                    Evidence(path, item.line, item.seen, framework, weight * PRIOR_FACTOR))


# --- other languages -------------------------------------------------------------------------

def _lua(path: str, where: str, reader: _Reader, tally: _Tally) -> None:
    tally.other_code_files += 1
    text = reader.text(path, MAX_CODE_BYTES)
    factor = _LOCATION_WEIGHT[where]
    if text is None:  # a stored tree whose Lua was not downloaded: Lua in ML research is Torch7
        tally.add_path(where, "torch7", 0.3 * factor, path, "Lua file (not read): Torch7")
        return
    match = _LUA_TORCH.search(text)
    if match:
        line = text.count("\n", 0, match.start()) + 1
        tally.add_code(where, "torch7", 1.3 * factor,
                       Evidence(path, line, match.group(0), "torch7", 1.3 * factor))


def _julia_matlab(path: str, suffix: str, where: str, reader: _Reader, tally: _Tally) -> None:
    tally.other_code_files += 1
    text = reader.text(path, MAX_CODE_BYTES, quiet=True)
    if not text:
        return
    factor = _LOCATION_WEIGHT[where]
    if suffix == ".jl":
        for match in _JULIA.finditer(text):
            modules = match.group(1).split(":", 1)[0]  # `using Flux: Chain, Dense`
            names = {n.strip().split(".")[0].lower() for n in modules.split(",")}
            for framework in ("flux", "knet"):
                if framework in names or (framework == "flux" and "lux" in names):
                    line = text.count("\n", 0, match.start()) + 1
                    tally.add_code(where, framework, 1.3 * factor, Evidence(
                        path, line, match.group(0).strip()[:200], framework, 1.3 * factor))
                    return
    else:
        found = _MATLAB_DL.search(text)
        if found:
            line = text.count("\n", 0, found.start()) + 1
            tally.add_code(where, "matlab", 1.3 * factor,
                           Evidence(path, line, found.group(0), "matlab", 1.3 * factor))


def _cpp_java(path: str, suffix: str, where: str, reader: _Reader, tally: _Tally) -> None:
    """``#include <torch/extension.h>`` (C++/CUDA extensions, libtorch, TF ops) and Java
    ``import org.deeplearning4j...``: a framework's API used from another language."""
    text = reader.text(path, MAX_CODE_BYTES, quiet=True)
    if not text:
        return
    if suffix == ".java":
        match = _JAVA_IMPORT.search(text) if "import" in text else None
        framework = _JAVA_FRAMEWORK.get(match.group(1)) if match else None
        weight = 1.3
    else:
        match = _CPP_INCLUDE.search(text) if "include" in text else None
        framework = _CPP_FRAMEWORK.get(match.group(1), match.group(1)) if match else None
        weight = 0.8  # extensions serve the Python code that uses them
    if match and framework:
        contribution = weight * _LOCATION_WEIGHT[where]
        line = text.count("\n", 0, match.start()) + 1
        end = text.find("\n", match.start())
        seen = text[match.start():end if end >= 0 else None].strip()[:200]
        tally.add_code(where, framework, contribution,
                       Evidence(path, line, seen, framework, contribution))


def _build_file(path: str, where: str, reader: _Reader, tally: _Tally) -> None:
    """Maven/Gradle/sbt dependencies on DL4J, TensorFlow Java or PyTorch Android."""
    text = reader.text(path, MAX_CODE_BYTES, quiet=True)
    match = _BUILD_DEPENDENCY.search(text) if text else None
    if not match or text is None:
        return
    framework = {"deeplearning4j": "dl4j", "org.tensorflow": "tensorflow",
                 "org.pytorch": "pytorch"}[match.group(1)]
    weight = _LOCATION_WEIGHT[where]
    line = text.count("\n", 0, match.start()) + 1
    tally.add_prior(framework, weight, Evidence(path, line, match.group(0), framework,
                                                weight * PRIOR_FACTOR))


def _keras_json(path: str, where: str, reader: _Reader, tally: _Tally) -> None:
    text = reader.text(path, 100_000, quiet=True)
    if not text or where == "tests":
        return
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # ValueError: also a number over 4300 digits
        return
    backend = data.get("backend") if isinstance(data, dict) else None
    if isinstance(backend, str) and backend in _KERAS_BACKEND_LABEL:
        tally.backends.append((path, 1, backend))


# --- decision --------------------------------------------------------------------------------

def _keras_backend(tally: _Tally, scores: dict[str, float]) -> tuple[str, str] | None:
    """(backend, why) for Keras code, None when there is no Keras."""
    if scores.get("keras", 0.0) <= 0:
        return None
    if tally.backends:
        backend, count = Counter(b for _, _, b in tally.backends).most_common(1)[0]
        path, line, _ = next(t for t in tally.backends if t[2] == backend)
        return backend, f"KERAS_BACKEND {backend} set in {path}:{line}"
    if scores.get("theano", 0.0) > 0 and scores.get("tensorflow", 0.0) <= 0:
        return "theano", "Keras with Theano and without TensorFlow"
    if tally.keras3:
        return "tensorflow", "Keras 3 with no backend configured: TensorFlow"
    return "tensorflow", "standalone Keras on its default TensorFlow backend"


def _labels(scores: dict[str, float], keras_label: str) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for framework, score in scores.items():
        label = keras_label if framework == "keras" else label_of(framework)
        out[label] += score
    return out


def _decide(tally: _Tally, python_files: int) -> Classification:
    main = dict(tally.code["main"])
    aux = dict(tally.code["aux"])
    for framework, score in tally.paths["main"].items():
        main[framework] = main.get(framework, 0.0) + score
    for framework, score in tally.paths["aux"].items():
        aux[framework] = aux.get(framework, 0.0) + score
    prior = dict(tally.prior)
    everything: dict[str, float] = defaultdict(float)
    for scores, factor in ((main, 1.0), (aux, 1.0), (prior, PRIOR_FACTOR)):
        for framework, score in scores.items():
            everything[framework] += score * factor
    keras = _keras_backend(tally, everything)
    keras_label = _KERAS_BACKEND_LABEL[keras[0]] if keras else "tensorflow"
    notes = list(tally.notes)
    if keras:
        notes.insert(0, note(None, f"keras counted as {keras_label}: {keras[1]}"))
    m, a, p = _labels(main, keras_label), _labels(aux, keras_label), _labels(prior, keras_label)

    def total(label: str) -> float:
        return m.get(label, 0.0) + a.get(label, 0.0) + PRIOR_FACTOR * p.get(label, 0.0)

    # Sorted, and ties broken by the fixed label order: never by set or hash order.
    labels = sorted(set(m) | set(a) | set(p), key=_LABEL_ORDER.index)
    best_main = max(m.values(), default=0.0)
    confined = ""
    if best_main >= MAIN_THRESHOLD:
        basis = "code"
        winner = max(labels, key=lambda lab: (round(total(lab), 9), m.get(lab, 0.0),
                                              -_LABEL_ORDER.index(lab)))
        files = sum(1 for fws in tally.main_file_frameworks
                    if any((keras_label if f == "keras" else label_of(f)) == winner for f in fws))
        if (tally.main_code_files >= MIN_SHARE_FILES
                and files < MIN_MAIN_SHARE * tally.main_code_files):
            confined = f"{winner} in only {files} of {tally.main_code_files} main files"
            basis, winner = "none", "none"
    elif tally.main_code_files and max(a.values(), default=0.0) < max(
            AUX_OVER_MAIN, AUX_PER_MAIN_FILE * tally.main_code_files):
        basis, winner = "none", "none"
    elif max(a.values(), default=0.0) >= AUX_THRESHOLD:
        basis = "examples"
        winner = max(labels, key=lambda lab: (round(a.get(lab, 0.0) + PRIOR_FACTOR
                                                    * p.get(lab, 0.0), 9),
                                              -_LABEL_ORDER.index(lab)))
    elif tally.code_files:
        basis, winner = "none", "none"
    elif max(p.values(), default=0.0) >= 0.5:
        basis = "manifests"
        winner = max(labels, key=lambda lab: (round(p.get(lab, 0.0), 9),
                                              -_LABEL_ORDER.index(lab)))
    elif tally.other_code_files or tally.unread_python:
        basis, winner = "none", "none" if not tally.unread_python else "unknown"
    else:
        basis, winner = "nothing", "unknown"

    read: dict[str, float] = defaultdict(float)
    for scores in (tally.code["main"], tally.code["aux"]):
        for framework, score in scores.items():
            read[framework] += score
    content = _labels(read, keras_label)
    if basis in ("code", "examples") and content.get(winner, 0.0) <= 0:
        basis = "file names"
    frameworks = _framework_scores(everything, winner)
    confidence = _confidence(tally, basis, winner, labels, total, a, p, python_files)
    if winner == "none":
        reason = _none_reason(tally, m, a, p)
        notes.insert(0, note(None, f"{reason}; {confined}" if confined else reason))
    elif winner == "unknown":
        notes.insert(0, note(None, "nothing to judge: no readable code or manifest"
                                   if not tally.unread_python else
                                   f"{tally.unread_python} Python files listed but none readable"))
    elif basis in ("examples", "manifests", "file names"):
        where = "the main code" if basis == "examples" else "any code read"
        notes.insert(0, note(None, f"decided by {basis} only: no framework in {where}"))
    if tally.unread_python and winner != "unknown":
        notes.append(note(None, f"{tally.unread_python} of {python_files} Python files not read"))
    return Classification(winner, frameworks, confidence, _evidence(tally.found, notes))


def _framework_scores(everything: dict[str, float], winner: str) -> dict[str, float]:
    if winner == "unknown":
        return {}
    positive = {f: s for f, s in everything.items() if s > 0}
    total = sum(positive.values())
    if total <= 0:
        return {}
    shares = {f: round(s / total, 3) for f, s in positive.items()}
    return {f: s for f, s in sorted(shares.items(), key=lambda kv: (-kv[1], kv[0]))
            if s >= 0.005}


def _confidence(tally: _Tally, basis: str, winner: str, labels: list[str], total: Any,
                aux: dict[str, float], prior: dict[str, float], python_files: int) -> float:
    unread = tally.unread_python / python_files if python_files else 0.0
    if winner == "unknown":
        return 0.0
    if winner == "none":
        code = tally.code_files + tally.other_code_files
        base = 0.55 + 0.4 * (1 - math.exp(-code / 4))
        signal = max([*aux.values(), *[PRIOR_FACTOR * v for v in prior.values()], 0.0])
        base -= 0.35 * min(1.0, signal)
        return round(max(0.05, min(0.95, base * (1 - 0.5 * unread))), 3)
    ranked = sorted((total(lab) for lab in labels), reverse=True) + [0.0]
    top, second = ranked[0], ranked[1]
    share = top / (top + second) if top > 0 else 0.0
    strength = 1 - math.exp(-top / 1.5)
    conf = share * (0.35 + 0.65 * strength)
    if basis == "examples":
        conf *= 0.7
    elif basis == "file names":
        conf = min(conf * 0.6, 0.5)
    elif basis == "manifests":
        conf = min(conf * 0.5, 0.4)
    # The fetcher downloads the most relevant files first: unread ones matter less than read.
    conf *= 1 - 0.25 * unread
    return round(max(0.01, min(0.99, conf)), 3)


def _none_reason(tally: _Tally, m: dict[str, float], a: dict[str, float],
                 p: dict[str, float]) -> str:
    seen = sorted({*(k for k, v in a.items() if v > 0), *(k for k, v in p.items() if v > 0),
                   *(k for k, v in m.items() if v > 0)})
    what = f"{tally.code_files} Python files/notebooks" if tally.code_files else \
        f"{tally.other_code_files} code files in other languages"
    if seen:
        return f"{what}: no framework in the main code (only in examples, tests, docs or " \
               f"manifests: {', '.join(seen)})"
    return f"{what}: no deep-learning framework"


def _evidence(found: list[Evidence], notes: list[Evidence]) -> list[Evidence]:
    ranked = sorted(found, key=lambda e: (-e.weight, e.file or "", e.line or 0))
    kept = ranked[:MAX_EVIDENCE]
    out = kept + notes[:MAX_NOTES]
    dropped = len(ranked) - len(kept) + max(0, len(notes) - MAX_NOTES)
    if dropped:
        out.append(note(None, f"{dropped} more evidence items not shown"))
    return out



def classify_path(path: str | Path) -> Classification:
    """Classify a local folder: what ``survey classify PATH`` runs. Raises ``InputError`` for a
    missing or unreadable PATH."""
    return classify(LocalSource(Path(path)))
