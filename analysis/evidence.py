"""One piece of evidence: what was seen where, which framework it points to, how much it counts.

Evidence is the classifier's explanation. It is printed by ``survey classify --json`` and stored
with every classification, so a surprising label can be traced back to the lines that caused it.
Notes that point to no framework (a file skipped for its size, a notebook that is not JSON) are
evidence too: they say why the verdict may be thinner than the repository.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Evidence:
    """``file`` is relative to the repository root; ``line`` is 1-based (a notebook's cell number
    for notebooks); ``framework`` is a specific name (``pytorch``, ``keras``, ``flax``...) or None
    for a note; ``weight`` is what this item adds to that framework's score (0 for notes)."""

    file: str | None
    line: int | None
    seen: str
    framework: str | None
    weight: float

    def to_json(self) -> dict[str, Any]:
        return {
            "file": printable(self.file),
            "line": self.line,
            "seen": printable(self.seen),
            "framework": self.framework,
            "weight": round(self.weight, 3),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Evidence:
        return cls(data.get("file"), data.get("line"), str(data.get("seen", "")),
                   data.get("framework"), float(data.get("weight", 0.0)))


def note(file: str | None, seen: str, line: int | None = None) -> Evidence:
    """A remark that counts for no framework (skipped file, parse fallback, status...)."""
    return Evidence(file, line, seen, None, 0.0)


def printable(text: str | None) -> str | None:
    """``text`` without lone surrogates (file names that are not UTF-8 arrive as surrogate
    escapes; a notebook's JSON can hold any ``\\udXXX`` escape): they cannot be encoded for a
    terminal, JSON consumers or SQLite."""
    if text is None or text.isascii():
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate outside surrogateescape's range
        return text.encode("utf-8", "replace").decode("utf-8")
