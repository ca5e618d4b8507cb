"""The papers behind the charts: the embedded data, its cap per cell, its escaping, and every
outside string isolated from the text around it."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from synthetic import (
    add_classification,
    add_link,
    add_paper,
    add_paper_with_code,
    add_repo,
    fill_synthetic,
)

from analysis import dataset, explorer
from analysis.report import write_report
from survey.core.settings import Settings

FAST = Settings(report_bootstrap=10)
AS_OF = date(2026, 10, 31)
RLO = "\u202e"
EVIDENCE = [
    {"file": "train.py", "line": 3, "seen": "import torch.nn as nn", "framework": "pytorch",
     "weight": 1.95},
    {"file": "requirements.txt", "line": 1, "seen": "torch>=1.0", "framework": "pytorch",
     "weight": 0.5},
    {"file": "util.py", "line": 9, "seen": "import tensorflow as tf", "framework": "tensorflow",
     "weight": 0.06},
]


def payload_of(html: str) -> dict:
    text = re.search(r'<script type="application/json" id="explorer-data">(.*?)</script>',
                     html, re.S).group(1)
    return json.loads(text)


def test_cap_keeps_the_sample_within_the_budget() -> None:
    counts = np.array([1, 5, 100, 1000])
    assert explorer.cap_for(counts, 2000) is None  # everything fits
    cap = explorer.cap_for(counts, 100)
    assert np.minimum(counts, cap).sum() <= 100 < np.minimum(counts, cap + 1).sum()


def test_evidence_is_the_strongest_items_with_confidence() -> None:
    text = explorer.evidence_text(json.dumps(EVIDENCE), 0.856)
    assert text == ("train.py:3 import torch.nn as nn; requirements.txt:1 torch>=1.0"
                    " (confidence 0.86)")
    note = [{"file": None, "line": None, "seen": "1 Python files: no deep-learning framework",
             "framework": None, "weight": 0.0}]
    assert explorer.evidence_text(json.dumps(note), 0.6).startswith("1 Python files")
    assert explorer.evidence_text("not json", None) == "no evidence stored"
    long = [{"file": "a.py", "line": 1, "seen": "x" * 500, "weight": 1.0}]
    assert len(explorer.evidence_text(json.dumps(long), None)) < 100


def test_neutral_drops_overrides_and_controls() -> None:
    assert explorer.neutral(f"a{RLO}b\u2066c\u2069\x1b[2J\nd", 50) == "abc [2J d"
    assert explorer.neutral("x" * 20, 10) == "x" * 9 + "…"


def test_every_pair_is_listed_when_it_fits(conn, tmp_path: Path) -> None:
    repos = add_paper_with_code(conn, "2605.00001", "2026-05-02", "pytorch",
                                title=f"</script><b>bold</b> {RLO}olleh & more",
                                primary_category="cs.CV")
    conn.execute("UPDATE classifications SET evidence = ? WHERE repo = ?",
                 (json.dumps(EVIDENCE), repos[0]))
    add_paper_with_code(conn, "2605.00002", "2026-05-03", "unknown")
    add_paper_with_code(conn, "2605.00003", "2026-05-04", "other", frameworks={"mxnet": 1.0})
    add_paper_with_code(conn, "2605.00004", "2026-05-05", "jax", official=False)
    html = write_report(conn, FAST, tmp_path, as_of=AS_OF).read_text(encoding="utf-8")
    raw = re.search(r'id="explorer-data">(.*?)</script>', html, re.S).group(1)
    # Nothing in the embedded JSON can close its script element or reorder the page's text.
    assert "<" not in raw and ">" not in raw and "&" not in raw and RLO not in raw
    data = payload_of(html)
    rows = {r[0]: r for r in data["rows"]}
    assert set(rows) == {"2605.00001", "2605.00002", "2605.00003"}  # official pairs only
    first = rows["2605.00001"]
    assert first[1] == "</script><b>bold</b> olleh & more"
    assert first[2] == repos[0] and data["labels"][first[3]] == "pytorch"
    assert data["quarters"][first[5]] == "2026 Q2" and data["categories"][first[6]] == "cs.CV"
    assert first[8].startswith("train.py:3 import torch.nn as nn")
    assert data["other"][rows["2605.00003"][4]] == "MXNet"
    assert rows["2605.00002"][8].startswith("not classified")
    assert "All 3 paper–repository pairs are listed." in html


def test_a_million_papers_give_a_capped_sample_per_cell(conn) -> None:
    fill_synthetic(conn, 6000, seed=2)
    links = dataset.load_links(conn)
    found = explorer.build(conn, links, dataset.other_names(conn), budget=1000)
    assert found.cap is not None and found.shown <= 1000 < found.total
    cells = found.rows.groupby(["label", "name", "quarter", "category"]).size()
    assert cells.max() <= found.cap
    # The true counts travel with the sample, and the pick does not depend on the run.
    assert sum(c[4] for c in found.payload["cells"]) == found.total
    again = explorer.build(conn, links, dataset.other_names(conn), budget=1000)
    assert again.payload == found.payload


@pytest.fixture
def evil_page(conn, tmp_path: Path) -> str:
    add_paper(conn, "2609.00001", "2026-09-01", title=f"{RLO}evil title")
    repo = f"github.com/evil/{RLO}oper"
    add_repo(conn, repo)
    add_link(conn, "2609.00001", repo)
    add_classification(conn, repo, "pytorch")
    return write_report(conn, FAST, tmp_path, as_of=AS_OF).read_text(encoding="utf-8")


def test_outside_strings_are_isolated_in_the_html(evil_page: str) -> None:
    body = re.sub(r'<script type="application/json".*?</script>', "", evil_page, flags=re.S)
    # The text as rendered: <bdi> and </bdi> as marks, every other tag (and attribute) dropped.
    text = re.sub(r"<[^>]*>", "", re.sub(r"</bdi>", "\x02", re.sub(r"<bdi[^>]*>", "\x01", body)))
    assert text.count(RLO) >= 3  # title, repository (recent table and most linked)
    # Every override sits inside a <bdi> element, which ends its effect.
    for match in re.finditer(RLO, text):
        before = text[:match.start()]
        assert before.rfind("\x01") > before.rfind("\x02"), text[match.start() - 80:][:160]
    assert "unicode-bidi: isolate" in evil_page


def test_long_strings_lower_the_cap_to_fit_the_bytes(conn) -> None:
    fill_synthetic(conn, 3000, seed=4)
    conn.execute("UPDATE papers SET title = 'A title of a realistic length, ' || rowid ||"
                 " ' and then some more words to reach the cap of one hundred and sixty "
                 " characters that the explorer keeps for every paper title it embeds'")
    links = dataset.load_links(conn)
    names = dataset.other_names(conn)
    roomy = explorer.build(conn, links, names, budget=10_000, byte_budget=10_000_000)
    tight = explorer.build(conn, links, names, budget=10_000, byte_budget=200_000)
    assert roomy.cap is None and tight.cap is not None and tight.shown < roomy.shown
    size = sum(len(json.dumps(r, ensure_ascii=False).encode()) for r in tight.payload["rows"])
    assert size <= 200_000 < sum(len(json.dumps(r, ensure_ascii=False).encode())
                                for r in roomy.payload["rows"])
    assert len(tight.payload["rows"]) == tight.shown and tight.rows["rank"].max() < tight.cap
