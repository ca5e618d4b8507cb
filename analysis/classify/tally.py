"""What the extractors found in one repository, before any decision is made."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from analysis.evidence import Evidence
from survey.core.vocab import Place


def _buckets() -> dict[str, defaultdict[str, float]]:
    return {"main": defaultdict(float), "aux": defaultdict(float)}


@dataclass
class Tally:
    """Scores by specific framework (``pytorch``, ``flax``, ``keras``...) from code read in the
    main code and elsewhere (``aux``: examples, tests, docs, vendored), from file names alone, and
    from manifests (the prior); the evidence behind them; and the counts the decision and the
    confidence need. ``path_cap`` bounds what file names alone can add."""

    path_cap: float = 1.0
    code: dict[str, defaultdict[str, float]] = field(default_factory=_buckets)
    paths: dict[str, defaultdict[str, float]] = field(default_factory=_buckets)
    prior: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    found: list[Evidence] = field(default_factory=list)
    notes: list[Evidence] = field(default_factory=list)
    main_code_files: int = 0              # main-code Python files/notebooks with imports
    main_file_frameworks: list[set[str]] = field(default_factory=list)
    code_files: int = 0                   # Python files and notebooks read
    other_code_files: int = 0             # code in other languages (read or not)
    python_files: int = 0                 # Python files the source has (readable or not)
    unread_python: int = 0                # ... of which not read (errors, over the budget)
    not_downloaded: int = 0               # code files listed in a stored tree, never downloaded
    backends: list[tuple[str, int, str]] = field(default_factory=list)  # KERAS_BACKEND settings
    keras3: bool = False
    named: Counter[str] = field(default_factory=Counter)  # file-name evidence shown, by framework

    def add_code(self, where: Place, framework: str, weight: float, ev: Evidence) -> None:
        self.code["main" if where is Place.MAIN else "aux"][framework] += weight
        self.found.append(ev)

    def add_path(self, where: Place, framework: str, weight: float, path: str, seen: str) -> None:
        """Evidence from a file's name alone (capped: names are cheap to find)."""
        bucket = self.paths["main" if where is Place.MAIN else "aux"]
        before = bucket[framework]
        bucket[framework] = min(self.path_cap, before + weight)
        if before == 0 or self.named[framework] < 3:
            self.named[framework] += 1
            self.found.append(Evidence(path, None, seen, framework, bucket[framework] - before))

    def add_prior(self, framework: str, weight: float, ev: Evidence) -> None:
        if weight > self.prior[framework]:
            self.prior[framework] = weight
        self.found.append(ev)
