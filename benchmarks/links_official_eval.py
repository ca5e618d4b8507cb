"""Measure link extraction and the ``official`` judgement on labelled real text.

Sets (all in ``tests/fixtures/links/``):

- ``labelled.jsonl``: the labelled real-text set of issue 12. ``set`` "arxiv" holds arXiv
  abstracts and comments as arXiv's API, its mirrors and digests show them (hard-wrapped, LaTeX,
  "this https URL" placeholders); ``set`` "mention" holds real sentences from READMEs and papers
  that link someone else's code. Each record's ``split`` was fixed before the extractor ever ran
  on it. The first round's records are "tune" or "held" (a hash of the text), the second round's
  "tune" or "held2" (a hash too); both held parts were later looked at while tuning, so "tune",
  "held" and "held2" are now the tuning parts. The third, fourth and fifth rounds' records
  are all "held3", "held4" and "held5", each collected and committed before any run on it and
  scored once when it was the freshest; held3 and held4 were tuned on afterwards. "held5" is
  the one held-out part now, scored last, and its figures are the honest ones. Only the tuning
  parts' errors are ever listed.
- ``official.jsonl`` (written, dev/held), ``real.jsonl``, ``real2.jsonl``, ``real3.jsonl``: the
  older sets, kept as regression sets.

Extraction is scored on repositories (kinds in ``REPOSITORY_KINDS``): precision = predicted
repository links that are labelled repositories with the same key (a page or organisation
exported as a repository is an error), recall = labelled repositories found, for GitHub alone
and for every repository kind. The official judgement is scored on the labelled repositories
that were found and whose label is not "cannot tell": official precision (of those called own,
how many are), mention recall (of the mentions, how many are called mentions) and accuracy.
Each figure is written with its numerator ``k`` and denominator ``n`` so the report can draw
Wilson intervals. The learned judge (``crawler/official.py``, ``OfficialModel``, weights in
``crawler/official_model.json``, fitted on the tuning parts by ``--train``) is measured beside
the rules with 5-fold cross-validation on the tuning parts; the judge with the better accuracy
there (rules on a tie) is the one the crawl uses (``crawler.links.JUDGE``), chosen before held5
is scored. In ``analysis/data/links_eval.json`` the key ``held`` holds held5's figures for that
judge; every part is also under its own key ("tune", "held_first" for the split named "held",
"held2" to "held5"), with the rules' and the model's figures beside.

    .venv/bin/python benchmarks/links_official_eval.py               # tuning parts, older sets
    .venv/bin/python benchmarks/links_official_eval.py --errors      # ... and their errors
    .venv/bin/python benchmarks/links_official_eval.py --train       # refit the model on them
    .venv/bin/python benchmarks/links_official_eval.py --write DATE  # held5 too; writes JSON
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawler.links import JUDGE, LINKS_VERSION, Link, paper_links
from crawler.official import MODEL_FILE, OfficialModel, context_features, train_model
from crawler.urls import REPOSITORY_KINDS

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "links"
OUT = ROOT / "analysis" / "data" / "links_eval.json"
LABELLED = "labelled.jsonl"
# The parts tuned on (rules) and trained on (model), and the fresh held-out part scored last.
TUNING = ("tune", "held", "held2", "held3", "held4")
HELD_OUT = "held5"
# Each part's key in links_eval.json ("held" there is the freshest held-out part, HELD_OUT).
KEYS = {"tune": "tune", "held": "held_first", "held2": "held2", "held3": "held3",
        "held4": "held4", "held5": "held5"}
OLD_SETS = ("official.jsonl", "real.jsonl", "real2.jsonl", "real3.jsonl")

Judge = Callable[[dict[str, Any], list[Link]], list[Link]]


def load(name: str) -> list[dict[str, Any]]:
    """One fixture file's records; older files get a ``split`` of their file name."""
    records = []
    for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines():
        if line:
            record = json.loads(line)
            record.setdefault("split", name.removesuffix(".jsonl"))
            record.setdefault("set", name.removesuffix(".jsonl"))
            records.append(record)
    return records


@dataclass
class Counts:
    """Numerators and denominators of every figure, summed over records."""

    predicted: int = 0       # repository links extracted
    correct: int = 0         # ... that are labelled repositories with that key
    gold: int = 0            # labelled repository links
    found: int = 0           # ... extracted
    gold_github: int = 0
    found_github: int = 0
    called_own: int = 0      # judged links (labelled, found, not "cannot tell") called own
    own_right: int = 0       # ... that are own
    mentions: int = 0        # judged links labelled mention
    mentions_right: int = 0  # ... called mention
    judged: int = 0
    judged_right: int = 0
    errors: list[str] = field(default_factory=list)

    def add_extraction(self, record: dict[str, Any], got: dict[str, Link]) -> None:
        gold = {w["repo"]: w for w in record["links"] if w["kind"] in REPOSITORY_KINDS}
        self.predicted += len(got)
        self.correct += len(got.keys() & gold.keys())
        self.gold += len(gold)
        self.found += len(got.keys() & gold.keys())
        github = {k for k, w in gold.items() if w["kind"] == "github"}
        self.gold_github += len(github)
        self.found_github += len(github & got.keys())
        for key in sorted(got.keys() - gold.keys()):
            self.errors.append(f"extra    {record['id']}: {key} ({got[key].kind})")
        for key in sorted(gold.keys() - got.keys()):
            self.errors.append(f"missed   {record['id']}: {key}")

    def add_official(self, record: dict[str, Any], got: dict[str, Link]) -> None:
        for w in record["links"]:
            link = got.get(w["repo"])
            if link is None or w["official"] is None or w["kind"] not in REPOSITORY_KINDS:
                continue
            self.judged += 1
            self.judged_right += link.official == w["official"]
            if link.official:
                self.called_own += 1
                self.own_right += w["official"]
            if not w["official"]:
                self.mentions += 1
                self.mentions_right += not link.official
            if link.official != w["official"]:
                self.errors.append(f"official {record['id']}: {w['repo']} called "
                                   f"{'own' if link.official else 'mention'}")

    def figures(self) -> dict[str, dict[str, float | int | None]]:
        def f(k: int, n: int) -> dict[str, float | int | None]:
            low, high = wilson(k, n)
            return {"k": k, "n": n, "value": round(k / n, 4) if n else None,
                    "low": low, "high": high}

        return {
            "extraction_precision": f(self.correct, self.predicted),
            "github_recall": f(self.found_github, self.gold_github),
            "repository_recall": f(self.found, self.gold),
            "official_precision": f(self.own_right, self.called_own),
            "mention_recall": f(self.mentions_right, self.mentions),
            "official_accuracy": f(self.judged_right, self.judged),
        }


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float | None, float | None]:
    """95% Wilson score interval of k/n."""
    if not n:
        return None, None
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)


def rules(record: dict[str, Any], links: list[Link]) -> list[Link]:
    """The cue rules' verdicts, as ``paper_links(..., judge="rules")`` returns them."""
    return links


def score(records: Iterable[dict[str, Any]], judge: Judge = rules) -> Counts:
    counts = Counts()
    for record in records:
        links = paper_links(record["abstract"], record["comment"], judge="rules")
        links = judge(record, links)
        got = {lk.repo: lk for lk in links if lk.kind in REPOSITORY_KINDS}
        counts.add_extraction(record, got)
        counts.add_official(record, got)
    return counts


def model_judge(model: OfficialModel) -> Judge:
    """Replace each link's verdict by the learned model's."""
    def judge(record: dict[str, Any], links: list[Link]) -> list[Link]:
        return model.relabel(record["abstract"], record["comment"], links)
    return judge


def training_rows(records: Iterable[dict[str, Any]]) -> tuple[list[str], list[bool]]:
    """(context text, own?) for every labelled, extracted repository link with a verdict."""
    texts, labels = [], []
    for record in records:
        gold = {w["repo"]: w for w in record["links"] if w["official"] is not None}
        for feats, repo in context_features(record["abstract"], record["comment"]):
            if repo in gold:
                texts.append(feats)
                labels.append(bool(gold[repo]["official"]))
    return texts, labels


def _add(total: Counts, part: Counts) -> None:
    for name in vars(total):
        if name == "errors":
            total.errors += part.errors
        else:
            setattr(total, name, getattr(total, name) + getattr(part, name))


def cross_validated(records: list[dict[str, Any]], folds: int = 5) -> dict[str, Counts]:
    """The learned judge's figures on ``records`` by split (and "all"), each fold scored by a
    model trained on the others (records are assigned to folds by position, so one paper's
    links stay together)."""
    out: dict[str, Counts] = {"all": Counts()}
    for i in range(folds):
        train = [r for j, r in enumerate(records) if j % folds != i]
        test = [r for j, r in enumerate(records) if j % folds == i]
        model = train_model(*training_rows(train))
        judge = model_judge(model)
        for record in test:
            part = score([record], judge)
            _add(out["all"], part)
            _add(out.setdefault(record["split"], Counts()), part)
    return out


def show(name: str, counts: Counts) -> None:
    figs = counts.figures()
    parts = [f"{key} {v['k']}/{v['n']} = {v['value']:.3f} [{v['low']:.2f}, {v['high']:.2f}]"
             if v["value"] is not None else f"{key} n/a" for key, v in figs.items()]
    print(f"{name}:\n  " + "\n  ".join(parts))


def accuracy(counts: Counts) -> float:
    return counts.judged_right / counts.judged if counts.judged else 0.0


def choose(rules_counts: Counts, model_cv: Counts) -> str:
    """The judge with the better official accuracy on the tuning parts (the model under 5-fold
    cross-validation, the rules as tuned), the rules on a tie: decided before the held-out part
    is scored."""
    return "model" if accuracy(model_cv) > accuracy(rules_counts) else "rules"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true",
                        help="list the tuning parts' errors (never the held-out part's)")
    parser.add_argument("--train", action="store_true",
                        help="fit the model on the tuning parts and write its weights")
    parser.add_argument("--held", action="store_true",
                        help="also score the held-out part (after tuning)")
    parser.add_argument("--write", metavar="DATE",
                        help="write analysis/data/links_eval.json (implies --held)")
    args = parser.parse_args(argv)
    labelled = load(LABELLED)
    tuning = [r for r in labelled if r["split"] in TUNING]
    if args.train:
        model = train_model(*training_rows(tuning))
        MODEL_FILE.write_text(json.dumps(model.to_json(), indent=1, sort_keys=True) + "\n",
                              encoding="utf-8")
        print(f"wrote {MODEL_FILE.relative_to(ROOT)} ({len(model.weights)} weights)")
    results: dict[str, Counts] = {"tuning parts (rules)": score(tuning)}
    for part in TUNING:
        results[f"{part} (rules)"] = score([r for r in labelled if r["split"] == part])
    cv = cross_validated(tuning)
    results["tuning parts (learned, 5-fold CV)"] = cv["all"]
    for part in TUNING:
        results[f"{part} (learned, 5-fold CV)"] = cv.get(part, Counts())
    chosen = choose(results["tuning parts (rules)"], cv["all"])
    if args.held or args.write:
        records = [r for r in labelled if r["split"] == HELD_OUT]
        results[f"{HELD_OUT} (rules)"] = score(records)
        results[f"{HELD_OUT} (learned, trained on the tuning parts)"] = score(
            records, model_judge(OfficialModel.load()))
    for name in OLD_SETS:
        results[name.removesuffix(".jsonl")] = score(load(name))
    for name, counts in results.items():
        show(name, counts)
    print(f"judge chosen by accuracy on {'+'.join(TUNING)}: {chosen} "
          f"(crawler.links.JUDGE = {JUDGE!r})")
    if args.errors:
        print("tuning-part errors (rules):")
        for line in results["tuning parts (rules)"].errors:
            print("  " + line)
    if args.write:
        payload = report_payload(labelled, results, args.write, chosen)
        OUT.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


def report_payload(labelled: list[dict[str, Any]], results: dict[str, Counts],
                   date: str, chosen: str) -> dict[str, Any]:
    """What the report reads: ``held`` is the freshest held-out part's figures (held5) for the
    judge in use; every part is also under its own key (``held_first`` is the split named
    "held" in the labelled file), and the rules' and the model's figures are beside."""
    def size(split: str) -> dict[str, int]:
        part = [r for r in labelled if r["split"] == split]
        return {"records": len(part), "links": sum(len(r["links"]) for r in part),
                "repository_links": sum(w["kind"] in REPOSITORY_KINDS
                                        for r in part for w in r["links"])}

    def judged(part: str) -> dict[str, Any]:
        if chosen == "rules":
            return results[f"{part} (rules)"].figures()
        if part == HELD_OUT:
            return results[f"{part} (learned, trained on the tuning parts)"].figures()
        return results[f"{part} (learned, 5-fold CV)"].figures()

    parts = {KEYS[p]: p for p in (*TUNING, HELD_OUT)}
    return {
        "links_version": LINKS_VERSION,
        "date": date,
        "measured_on": LABELLED,
        "judge": chosen,
        "held_is": HELD_OUT,
        "sets": {"held": size(HELD_OUT), **{key: size(p) for key, p in parts.items()}},
        "held": judged(HELD_OUT),
        **{key: judged(p) for key, p in parts.items()},
        "rules": {key: results[f"{p} (rules)"].figures() for key, p in parts.items()},
        "learned": {
            "cv": results["tuning parts (learned, 5-fold CV)"].figures(),
            **{KEYS[p]: results[f"{p} (learned, 5-fold CV)"].figures() for p in TUNING},
            KEYS[HELD_OUT]: results[f"{HELD_OUT} (learned, trained on the tuning parts)"]
            .figures(),
        },
    }


if __name__ == "__main__":
    sys.exit(main())
