"""The verdict on one repository, and the version of the rules that reached it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from analysis.evidence import Evidence, printable

# Bump when any rule, weight or table entry changes: stored classifications with another version
# are recomputed (offline) by the next `survey crawl`.
CLASSIFIER_VERSION = "1.6.0"


@dataclass
class Classification:
    """The verdict on one repository. ``note`` explains a verdict whose scores seem to say
    otherwise (a ``none`` with torch in its scores from a single test import); None when the
    scores and the label agree."""

    framework: str
    frameworks: dict[str, float]
    confidence: float
    evidence: list[Evidence] = field(default_factory=list)
    note: str | None = None

    def to_json(self, path: str | None = None) -> dict[str, Any]:
        """DESIGN.md's shape: ``{"path", "framework", "frameworks", "confidence", "evidence"}``,
        plus ``"note"`` when there is one."""
        out: dict[str, Any] = {
            "path": path,
            "framework": self.framework,
            "frameworks": self.frameworks,
            "confidence": self.confidence,
            "evidence": [e.to_json() for e in self.evidence],
        }
        if self.note:
            out["note"] = printable(self.note)
        return out
