"""Extractors registered by file kind: each reads one kind of file into the tally.

An extractor is a function ``(context, file) -> None`` registered with :func:`extractor` for the
:class:`~survey.core.vocab.FileKind` values it reads; :func:`extract` dispatches. Adding a
language is one module with one decorated function, nothing else to change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from analysis.classify.reading import File, Reader
from analysis.classify.tally import Tally
from analysis.classify.weights import Weights
from survey.core.vocab import FileKind


@dataclass
class Context:
    """What an extractor works with: the reader, the tally it fills, the weights, and the
    package names the manifests declared (read first, they order the code that follows), and
    how many C/C++/Java files may still be read."""

    reader: Reader
    tally: Tally
    weights: Weights
    packages: set[str] = field(default_factory=set)
    other_reads_left: int = 0


Extractor = Callable[[Context, File], None]
_REGISTRY: dict[FileKind, Extractor] = {}


def extractor(*kinds: FileKind) -> Callable[[Extractor], Extractor]:
    """Register the decorated function as the extractor of ``kinds``."""

    def register(func: Extractor) -> Extractor:
        for kind in kinds:
            if kind in _REGISTRY:
                raise ValueError(f"two extractors for {kind}")
            _REGISTRY[kind] = func
        return func

    return register


def extract(ctx: Context, file: File) -> None:
    """Run the extractor registered for the file's kind."""
    _REGISTRY[file.kind](ctx, file)


def registered() -> frozenset[FileKind]:
    """The kinds that have an extractor (a test checks that every kind has one)."""
    return frozenset(_REGISTRY)
