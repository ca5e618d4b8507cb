"""Python files and notebooks: their imports, weighed by what they show and where they are.

Each import found in the framework table (:mod:`analysis.frameworks`) weighs by what it shows
(building models 1.3-1.5, the framework itself 1.0, data loading 0.1-0.4, logging 0.1); a file
counts once per framework, with its strongest import, times how the import is reached (a
function or ``try`` 0.6, ``TYPE_CHECKING`` 0.1) and where the file is (``weights.yaml``). A file
whose only uses of a bare ``import tensorflow as tf`` are logging chains counts as a logging file,
logging or data chains as data loading. Notebook ``!pip install`` lines are a prior, like
manifests.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

from analysis.classify.extractors import Context, extractor
from analysis.classify.manifest_prior import prior_item
from analysis.classify.reading import MAX_CODE_BYTES, MAX_NOTEBOOK_BYTES, File
from analysis.classify.tally import Tally
from analysis.evidence import Evidence, note
from analysis.frameworks import data_attributes, module_hit, util_attributes
from analysis.imports import Import, attribute_uses, extract_imports, keras_backends
from analysis.manifests import MAIN, requirement_item
from analysis.notebooks import NotebookError, parse_notebook
from survey.core import file_policy
from survey.core.vocab import FileKind, Place

_CONTEXT_SAID = {"lazy": "inside a function", "optional": "inside try",
                 "typing": "TYPE_CHECKING only"}
_NOTEBOOK_LINE = re.compile(r'^\s*"|\\n",?\s*$|",?\s*$')

Hits = list[tuple[Import, Any]]


@extractor(FileKind.PYTHON)
def python_file(ctx: Context, file: File) -> None:
    ctx.tally.python_files += 1
    text = ctx.reader.text(file.path, MAX_CODE_BYTES)
    if text is None:
        if file.path not in ctx.reader.not_code:
            ctx.tally.unread_python += 1
        return
    _imports(ctx, file.path, file.where, text, _parsed(ctx, file.path, text), notebook=False)


def _parsed(ctx: Context, path: str, text: str) -> list[Import]:
    parsed = extract_imports(text)
    if parsed.method != "ast":
        ctx.tally.notes.append(note(path, f"read with {parsed.method} ({parsed.error})"))
    return parsed.imports


@extractor(FileKind.NOTEBOOK)
def notebook_file(ctx: Context, file: File) -> None:
    text = ctx.reader.text(file.path, MAX_NOTEBOOK_BYTES)
    if text is None:
        return
    try:
        nb = parse_notebook(text)
    except NotebookError as exc:
        ctx.tally.notes.append(note(file.path, f"{exc}; imports read line by line"))
        code = "\n".join(_NOTEBOOK_LINE.sub("", ln) for ln in text.splitlines())
        _imports(ctx, file.path, file.where, code, _parsed(ctx, file.path, code), notebook=True)
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
    _imports(ctx, file.path, file.where, code, imports, notebook=True)
    factor = ctx.weights.where(file.where) * ctx.weights.notebook_factor
    for inst in nb.installs:
        for spec in inst.packages:
            item = requirement_item(spec, inst.cell, MAIN, f"cell {inst.cell}: {inst.seen}")
            if item is not None:
                prior_item(ctx, file.path, item, factor)


def _count_file(tally: Tally, path: str, where: Place, text: str, imports: list[Import]) -> None:
    tally.code_files += 1
    if where is Place.MAIN and imports:
        tally.main_code_files += 1
    if where is not Place.TESTS:
        for line, backend in keras_backends(text):
            tally.backends.append((path, line, backend))


def _by_framework(tally: Tally, imports: list[Import]) -> dict[str, Hits]:
    found: dict[str, Hits] = defaultdict(list)
    for imp in imports:
        hit = module_hit(imp.module)
        if hit is None or hit.weight <= 0:
            continue
        found[hit.framework].append((imp, hit))
        if hit.framework == "keras" and imp.module.startswith(("keras.ops", "keras_core")):
            tally.keras3 = True
    return found


def _file_factor(ctx: Context, path: str, where: Place, notebook: bool) -> float:
    factor = ctx.weights.where(where)
    if where is Place.MAIN and file_policy.is_model_file(path):
        factor *= ctx.weights.model_file_factor
    if notebook:
        factor *= ctx.weights.notebook_factor
    return factor


def _imports(ctx: Context, path: str, where: Place, text: str, imports: list[Import], *,
             notebook: bool) -> None:
    """Count one file (a Python file, or a notebook's cells) with its imports."""
    tally = ctx.tally
    _count_file(tally, path, where, text, imports)
    by_framework = _by_framework(tally, imports)
    if not by_framework:
        return
    factor = _file_factor(ctx, path, where, notebook)
    if where is Place.MAIN:
        tally.main_file_frameworks.append(set(by_framework))
    context_weight = ctx.weights.context
    for framework, hits in by_framework.items():
        best_imp, best = max(hits, key=lambda ih: ih[1].weight * context_weight[ih[0].context])
        weight = best.weight
        why = _CONTEXT_SAID.get(best_imp.context, "")
        util_only = _util_only(ctx, framework, hits, text)
        if util_only is not None:
            weight, why = util_only
        contribution = weight * factor * context_weight[best_imp.context]
        seen = best_imp.seen + (f" ({why})" if why else "")
        tally.add_code(where, framework, contribution,
                       Evidence(path, best_imp.line, seen, framework, contribution))


def _is_bare(imp: Import, hit: Any) -> bool:
    return hit.kind == "core" and "." not in imp.module or imp.module == "tensorflow.compat.v1"


def _bare_imports(hits: Hits) -> tuple[Hits, Hits]:
    """(bare imports of the framework itself, the other imports) of one file."""
    bare: Hits = []
    others: Hits = []
    for imp, hit in hits:
        (bare if _is_bare(imp, hit) else others).append((imp, hit))
    return bare, others


def _chains(bare: Hits, text: str) -> list[str]:
    """Attribute chains used after each alias, each (alias, module) searched once: a file
    repeating one import thousands of times is still read once."""
    chains: list[str] = []
    for alias, module in dict.fromkeys((imp.alias, imp.module) for imp, _ in bare if imp.alias):
        assert alias is not None
        found = attribute_uses(text, alias)
        if module == "tensorflow.compat.v1":
            found = [f"compat.v1.{c}" for c in found]
        chains.extend(found)
    return chains


def _within(chain: str, allowed: tuple[str, ...]) -> bool:
    return any(chain == p or chain.startswith(p + ".") for p in allowed)


def _util_only(ctx: Context, framework: str, hits: Hits, text: str) -> tuple[float, str] | None:
    """(weight, reason) when the file uses ``framework`` only to log or read files."""
    bare, others = _bare_imports(hits)
    if not bare or any(h.kind in ("build", "core") for _, h in others):
        return None
    chains = _chains(bare, text)
    if chains:
        prefixes = util_attributes(framework)
        data_prefixes = data_attributes(framework)
        shown = f"{framework}.{Counter(chains).most_common(1)[0][0]}"
        if all(_within(c, prefixes) for c in chains):
            return ctx.weights.util_only, f"used only as {shown}"
        if all(_within(c, prefixes) or _within(c, data_prefixes) for c in chains):
            return ctx.weights.data_only, f"used only for data, e.g. {shown}"
        return None
    utils = [h.weight for _, h in others if h.kind == "util"]
    if utils:
        return max(utils), "only with a logging/IO module"
    return None
