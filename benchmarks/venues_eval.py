"""Measure the venue extractor on real, hand-labelled arXiv comments.

tests/fixtures/venues/comments.jsonl holds 402 real comments, each labelled before the
extractor ran on it; ``tune`` (210) may be tuned on, ``held`` (192) never is. Batch 1 of the
held-out part (121) was measured clean once and then showed bugs that were fixed, so it is now
reported as seen (``held1``); batch 2 (71, ``held2``) was collected after those fixes: the clean
figure. A prediction is right when (venue, year, workshop) all match the label.
Precision = right / predicted, recall = right / labelled, each with its Wilson 95 % interval.
When the project's neighbour ../shared/data/recorded/arxiv is present, the real arXiv API
answers recorded there (software-testing and physics papers, none at a listed venue) are read
too, as a count of false positives on papers outside machine learning. Also prints the speed.

Writes analysis/data/venues_eval.json for the report's methodology section. The date is the
one given, else the last commit date of the extractor or the labels (git), never the clock.

    .venv/bin/python benchmarks/venues_eval.py [--errors] [--date YYYY-MM-DD] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from analysis.intervals import share_interval
from analysis.venues import MAX_CHARS, venue_of

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "venues" / "comments.jsonl"
MODULE = ROOT / "analysis" / "venues.py"
OUT = ROOT / "analysis" / "data" / "venues_eval.json"
RECORDED = ROOT.parent / "shared" / "data" / "recorded" / "arxiv"
ATOM = {"a": "http://www.w3.org/2005/Atom", "x": "http://arxiv.org/schemas/atom"}


def load(path: Path = FIXTURE) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def recorded_cases(folder: Path = RECORDED) -> list[dict]:
    """Comments and journal refs of the recorded arXiv answers, each paper once (label: none)."""
    cases: dict[str, dict] = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            root = ET.fromstring(json.loads(path.read_text(encoding="utf-8"))["body"])
        except (ET.ParseError, KeyError, ValueError, TypeError):
            continue
        for entry in root.findall("a:entry", ATOM):
            arxiv_id = entry.findtext("a:id", "", ATOM)
            comment = entry.findtext("x:comment", None, ATOM)
            journal_ref = entry.findtext("x:journal_ref", None, ATOM)
            published = entry.findtext("a:published", "", ATOM)[:4]
            if comment or journal_ref:
                cases[arxiv_id] = {
                    "id": arxiv_id, "comment": comment, "journal_ref": journal_ref,
                    "published_year": int(published) if published.isdigit() else None,
                    "venue": None, "year": None, "workshop": False, "split": "recorded"}
    return list(cases.values())


def _want(case: dict) -> tuple | None:
    return (case["venue"], case["year"], case["workshop"]) if case["venue"] else None


def score(cases: list[dict], show_errors: bool = False) -> dict:
    """k/n and Wilson intervals of precision and recall over (venue, year, workshop)."""
    right = predicted = labelled = 0
    for case in cases:
        got = venue_of(case["comment"], case["journal_ref"], case["published_year"])
        triple = (got.name, got.year, got.workshop) if got else None
        want = _want(case)
        predicted += triple is not None
        labelled += want is not None
        right += triple is not None and triple == want
        if show_errors and triple != want:
            text = " | ".join(t for t in (case["comment"], case["journal_ref"]) if t)
            print(f"    {case['id']}: got {triple} want {want}  <- {' '.join(text.split())[:120]}")
    return {"cases": len(cases), "precision": _ratio(right, predicted),
            "recall": _ratio(right, labelled)}


def _ratio(k: int, n: int) -> dict:
    value, low, high = share_interval(k, n)
    if n == 0:
        return {"k": k, "n": n, "value": None, "low": None, "high": None}
    return {"k": k, "n": n, "value": round(value, 4), "low": round(low, 4),
            "high": round(high, 4)}


def _show(name: str, result: dict) -> None:
    parts = []
    for key in ("precision", "recall"):
        r = result[key]
        if r["n"] == 0:
            parts.append(f"{key} n/a (0/0)")
            continue
        parts.append(f"{key} {r['value']:.3f} ({r['k']}/{r['n']}, "
                     f"95% {r['low']:.3f}-{r['high']:.3f})")
    print(f"{name:9s} {result['cases']:4d} comments  " + "  ".join(parts))


def speed(cases: list[dict], repeat: int = 20) -> dict:
    """Comments per second over the fixture, and the time of a worst case (MAX_CHARS of
    venue mentions, every one with cues and years)."""
    start = time.perf_counter()
    for _ in range(repeat):
        for case in cases:
            venue_of(case["comment"], case["journal_ref"], case["published_year"])
    rate = repeat * len(cases) / (time.perf_counter() - start)
    worst = ("Submitted to CVPR 2019, accepted at the ICML 2020 workshop; " * 80)[:MAX_CHARS]
    start = time.perf_counter()
    for _ in range(20):
        venue_of(worst, worst, 2020)
    worst_ms = (time.perf_counter() - start) / 20 * 1000
    return {"comments_per_s": round(rate), "worst_case_ms": round(worst_ms, 2)}


def git_date(paths: list[Path]) -> str | None:
    """The last commit date (YYYY-MM-DD) of the files, if git knows them unchanged."""
    try:
        dirty = subprocess.run(["git", "status", "--porcelain", "--", *map(str, paths)],
                               cwd=ROOT, capture_output=True, text=True, check=True).stdout
        date = subprocess.run(["git", "log", "-1", "--format=%cs", "--", *map(str, paths)],
                              cwd=ROOT, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    if dirty.strip():
        return None
    return date.strip() or None


def evaluate(cases: list[dict], recorded: list[dict], date: str,
             show_errors: bool = False) -> dict:
    """The measurement written to venues_eval.json (printing as it goes)."""
    splits = {}
    groups = [("tune", [c for c in cases if c["split"] == "tune"]),
              ("held", [c for c in cases if c["split"] == "held"]),
              ("held1", [c for c in cases if c["split"] == "held" and c["batch"] == 1]),
              ("held2", [c for c in cases if c["split"] == "held" and c["batch"] == 2])]
    if recorded:
        groups.append(("recorded", recorded))
    for name, group in groups:
        listed = show_errors and name != "held"  # held = held1 + held2, listed there
        if listed:
            print(f"{name} misses:")
        splits[name] = score(group, listed)
    if recorded:
        wrong = splits["recorded"]["precision"]["n"]  # every label is "no venue"
        splits["recorded"]["false_positives"] = _ratio(wrong, len(recorded))
    for name, result in splits.items():
        _show(name, result)
    if recorded:
        fp = splits["recorded"]["false_positives"]
        print(f"recorded: {fp['k']} false positives in {fp['n']} papers outside ML "
              f"(95% up to {fp['high']:.3f})")
    return {"measured_on": FIXTURE.relative_to(ROOT).as_posix(), "date": date,
            "scored": "(venue, year, workshop) all equal to the label", "splits": splits}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="list every miss")
    parser.add_argument("--date", help="date of the measurement (YYYY-MM-DD)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--recorded", type=Path, default=RECORDED,
                        help="folder of recorded arXiv answers (default ../shared/...)")
    args = parser.parse_args(argv)
    if args.date and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", args.date):
        print(f"error: --date must be YYYY-MM-DD, not {args.date!r}", file=sys.stderr)
        return 2
    date = args.date or git_date([MODULE, FIXTURE])
    if date is None and not args.no_write:
        print("error: the extractor or its labels have uncommitted changes; "
              "pass --date YYYY-MM-DD", file=sys.stderr)
        return 2
    cases = load()
    result = evaluate(cases, recorded_cases(args.recorded), date or "", args.errors)
    result["speed"] = speed(cases)
    print(f"speed: {result['speed']['comments_per_s']:,} comments/s; worst case "
          f"({MAX_CHARS} characters of mentions) {result['speed']['worst_case_ms']} ms")
    if not args.no_write:
        OUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
