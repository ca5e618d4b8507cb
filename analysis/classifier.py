"""Which deep-learning framework a repository's code is written in, with evidence.

The classifier in three steps, each in its own module of :mod:`analysis.classify`:

1. **reading** (``reading.py``): the repository's files as the one path policy
   (:mod:`survey.core.file_policy`) sees them, manifests first, then code most telling first
   within a budget of files and bytes, counting only the files the source has;
2. **extractors registered by file kind** (``extractors.py``): Python and notebooks
   (``python_code.py``), manifests and the prior (``manifest_prior.py``), other languages
   (``languages.py``), each filling one tally;
3. **decision with confidence** (``decide.py``, ``confidence.py``, ``explain.py``), with every
   number from ``weights.yaml`` (``weights.py``).

This module is the entry point: :func:`classify` (any :class:`~analysis.sources.RepoSource`)
and :func:`classify_path` (a local folder: what ``survey classify PATH`` runs).
"""

from __future__ import annotations

from pathlib import Path

# Each extractor module registers its kinds on import.
from analysis.classify import languages, manifest_prior, python_code  # noqa: F401
from analysis.classify.decide import decide
from analysis.classify.extractors import Context, extract
from analysis.classify.reading import (
    DEFAULT_BUDGET,
    MAX_CODE_BYTES,
    MAX_NOTEBOOK_BYTES,
    Budget,
    Plan,
    Reader,
    decode,
    plan,
)
from analysis.classify.result import CLASSIFIER_VERSION, Classification
from analysis.classify.tally import Tally
from analysis.classify.weights import Weights, load_weights
from analysis.evidence import note
from analysis.sources import LocalSource, RepoSource
from survey.core.file_policy import place, telling_key
from survey.core.vocab import FileKind

__all__ = ["CLASSIFIER_VERSION", "MAX_CODE_BYTES", "MAX_NOTEBOOK_BYTES", "Budget",
           "Classification", "classify", "classify_path", "decode", "place"]

_LANGUAGES = (FileKind.LUA, FileKind.JULIA, FileKind.MATLAB, FileKind.CPP, FileKind.JAVA,
              FileKind.PROTOTXT, FileKind.OTHER_CODE)


def classify(source: RepoSource, *, weights: Weights | None = None,
             budget: Budget = DEFAULT_BUDGET) -> Classification:
    """Classify one repository from its files. Never raises for bad file contents."""
    weights = weights or load_weights()
    tally = Tally(path_cap=weights.decision.path_cap)
    ctx = Context(Reader(source, tally), tally, weights, other_reads_left=budget.other_files)
    files = plan(source.entries())
    for path in files.symlinks:
        tally.notes.append(note(path, "symbolic link: not code, not read"))
    for file in sorted(files.files(FileKind.MANIFEST), key=lambda f: telling_key(f.path)):
        extract(ctx, file)
    _read_code(ctx, files, budget)
    packages = frozenset(ctx.packages)
    for file in sorted(files.files(*_LANGUAGES), key=lambda f: telling_key(f.path, packages)):
        extract(ctx, file)
    tally.notes[:0] = source.notes()
    return decide(tally, weights)


def _read_code(ctx: Context, files: Plan, budget: Budget) -> None:
    """Python files and notebooks, most telling first, within the budget; files the source
    does not have (never downloaded) are counted apart, never as unread."""
    tally = ctx.tally
    packages = frozenset(ctx.packages)
    code = sorted(files.files(FileKind.PYTHON, FileKind.NOTEBOOK),
                  key=lambda f: telling_key(f.path, packages))
    left_files, left_bytes, left_notebooks = budget.code_files, budget.code_bytes, \
        budget.notebooks
    skipped = {FileKind.PYTHON: 0, FileKind.NOTEBOOK: 0}
    for file in code:
        if not file.available:
            tally.not_downloaded += 1
            continue
        notebook = file.kind is FileKind.NOTEBOOK
        if left_files <= 0 or (file.size or 0) > left_bytes or (notebook and left_notebooks <= 0):
            skipped[file.kind] += 1
            continue
        left_files -= 1
        left_notebooks -= notebook
        before = ctx.reader.bytes_read
        extract(ctx, file)
        left_bytes -= max(file.size or 0, ctx.reader.bytes_read - before)
    _over_budget(tally, skipped[FileKind.PYTHON], skipped[FileKind.NOTEBOOK], budget)


def _over_budget(tally: Tally, python: int, notebooks: int, budget: Budget) -> None:
    if python:
        tally.python_files += python
        tally.unread_python += python
        tally.notes.append(note(None, f"{_count(python, 'Python file')} not read: over the"
                                      f" budget of {budget.code_files:,} files and"
                                      f" {budget.code_bytes:,} bytes (the most telling were read"
                                      " first)"))
    if notebooks:
        tally.notes.append(note(None, f"{_count(notebooks, 'notebook')} not read: over the"
                                      f" budget of {budget.notebooks} notebooks"))


def _count(n: int, what: str) -> str:
    return f"{n:,} {what}{'s' if n != 1 else ''}"


def classify_path(path: str | Path, *, weights: Weights | None = None,
                  budget: Budget = DEFAULT_BUDGET) -> Classification:
    """Classify a local folder: what ``survey classify PATH`` runs. Raises ``InputError`` for a
    missing or unreadable PATH."""
    return classify(LocalSource(Path(path)), weights=weights, budget=budget)
