"""Measure link extraction and the ``official`` rule on the hand-written fixtures.

The written fixtures (tests/fixtures/links/official.jsonl) were committed before the
extractor; odd-numbered cases are held out (never used for tuning). real.jsonl holds sentences
from public abstracts, arXiv comments, papers and READMEs that we did not write, labelled before
the extractor ever ran on them (split "real"; the rules were then tuned on it), and real2.jsonl
a second such batch collected after that tuning (split "real2", untouched); real3.jsonl every
linked paper of one arXiv digest, abstract and comment as published (split "real3", untouched:
the base rate of real arXiv text). Prints, per split:
extraction precision/recall over (paper, repo, kind) and the official rule's accuracy plus
precision/recall of both classes over the links found with the right repo. Also the
extraction speed over the whole fixture text, repeated.

    .venv/bin/python benchmarks/links_official_eval.py [--errors]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from crawler.links import paper_links

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "links"


def load() -> list[dict]:
    """Written cases (split dev/held) and real sentences (split real)."""
    cases = []
    for name in ("official.jsonl", "real.jsonl", "real2.jsonl", "real3.jsonl"):
        for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines():
            if line:
                case = json.loads(line)
                case.setdefault("split", "real")
                case.setdefault("note", case.get("origin", ""))
                cases.append(case)
    return cases


def ratio(num: int, den: int) -> str:
    return f"{num / den:.3f} ({num}/{den})" if den else "n/a (0/0)"


def evaluate(cases: list[dict], show_errors: bool) -> None:
    tp = fp = fn = 0
    official = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    for case in cases:
        got = {(lk.repo, lk.kind): lk for lk in paper_links(case["abstract"], case["comment"])}
        want = {(w["repo"], w["kind"]): w for w in case["links"]}
        tp += len(got.keys() & want.keys())
        fp += len(got.keys() - want.keys())
        fn += len(want.keys() - got.keys())
        if show_errors and got.keys() != want.keys():
            print(f"  extract {case['id']} ({case['note']}): got {sorted(got)} want {sorted(want)}")
        for key in got.keys() & want.keys():
            pred, truth = got[key].official, want[key]["official"]
            cell = ("t" if pred == truth else "f") + ("p" if pred else "n")
            official[cell] += 1
            if show_errors and pred != truth:
                print(f"  official {case['id']} ({case['note']}): {key[0]} got {pred}")
    o = official
    print(f"  extraction  precision {ratio(tp, tp + fp)}  recall {ratio(tp, tp + fn)}")
    print(f"  official    accuracy  {ratio(o['tp'] + o['tn'], sum(o.values()))}")
    print(f"    own code: precision {ratio(o['tp'], o['tp'] + o['fp'])}  "
          f"recall {ratio(o['tp'], o['tp'] + o['fn'])}")
    print(f"    mention:  precision {ratio(o['tn'], o['tn'] + o['fn'])}  "
          f"recall {ratio(o['tn'], o['tn'] + o['fp'])}")


def speed(cases: list[dict], repeat: int = 200) -> None:
    texts = [(c["abstract"], c["comment"]) for c in cases]
    size = sum(len(a) + len(c or "") for a, c in texts) * repeat
    start = time.perf_counter()
    for _ in range(repeat):
        for abstract, comment in texts:
            paper_links(abstract, comment)
    elapsed = time.perf_counter() - start
    papers = len(texts) * repeat
    print(f"speed: {papers / elapsed:,.0f} papers/s, {size / elapsed / 1e6:.2f} MB/s "
          f"({papers} papers, {elapsed:.2f} s)")


def main() -> None:
    show_errors = "--errors" in sys.argv
    cases = load()
    for split in ("dev", "held", "real", "real2", "real3", None):
        subset = [c for c in cases if split is None or c["split"] == split]
        links = sum(len(c["links"]) for c in subset)
        print(f"{split or 'all'}: {len(subset)} cases, {links} expected links")
        evaluate(subset, show_errors)
    speed(cases)


if __name__ == "__main__":
    main()
