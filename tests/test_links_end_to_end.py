"""Issue 12's "done when": `survey crawl` over the labelled real texts exports what the labels say.

Every record of ``tests/fixtures/links/labelled.jsonl`` (arXiv abstracts and comments, and the
README sentences that link others' code) is served as a paper by the local arXiv stand-in,
exactly as it was recorded (the records from arXiv's API are hard-wrapped as arXiv served them;
wrapping every record again at 76 columns would judge other text than the benchmark measured:
a README's list or table broken across lines reads differently); every labelled GitHub
repository exists on the local GitHub stand-in. The real crawl (harvest, links, fetch,
classify) runs on a fixed clock, the export is read back, and its (arxiv_id, repo, official)
rows are compared with the labels. The errors are counted the way
``benchmarks/links_official_eval.py`` counts them and may not exceed what it measured on the
same records (``analysis/data/links_eval.json``).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support.arxiv_server import ArxivServer, Paper
from support.github_server import GitHubServer

from analysis.export import export_rows
from crawler.urls import REPOSITORY_KINDS
from survey.core.clock import FixedClock
from survey.core.settings import Settings
from survey.jobs.crawl import run_crawl

ROOT = Path(__file__).resolve().parent.parent
LABELLED = ROOT / "tests" / "fixtures" / "links" / "labelled.jsonl"
EVAL = ROOT / "analysis" / "data" / "links_eval.json"
NOW = datetime(2025, 2, 1, tzinfo=UTC)
FIRST = datetime(2024, 12, 2, tzinfo=UTC)
# One paper outside the labels: credentials in a URL (issue 9) must reach no table.
SECRET = "ghp_e2eSECRETtoken0123456789"
CREDENTIALS_ID = "2412.99999"


def _records() -> list[dict[str, Any]]:
    return [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def _arxiv_id(index: int) -> str:
    return f"2412.{index + 1:05d}"


def _as_submitted(text: str | None) -> str | None:
    """The text without trailing spaces on its lines, as arXiv stores a submission (the
    stand-in's 76-column wrap would otherwise turn "based on \\n<link>" into a blank line)."""
    return None if text is None else "\n".join(line.rstrip() for line in text.split("\n"))


def _papers(records: list[dict[str, Any]]) -> list[Paper]:
    papers = [Paper(arxiv_id=_arxiv_id(i), title=f"Labelled record {r['id']}",
                    abstract=_as_submitted(r["abstract"]) or "(no abstract)",
                    comment=_as_submitted(r["comment"]),
                    published=FIRST + timedelta(minutes=i), primary="cs.CV",
                    categories=["cs.CV"], wrap=False)
              for i, r in enumerate(records)]
    papers.append(Paper(arxiv_id=CREDENTIALS_ID, title="Credentials in a link",
                        abstract=f"Code: https://alice:{SECRET}@github.com/Alice/Creds-Repo.",
                        published=FIRST + timedelta(days=10), primary="cs.CV",
                        categories=["cs.CV"]))
    return papers


def _github(records: list[dict[str, Any]]) -> GitHubServer:
    server = GitHubServer(limit=10**9, anonymous_limit=10**9)
    names = {w["repo"].removeprefix("github.com/") for r in records for w in r["links"]
             if w["kind"] == "github"} | {"alice/creds-repo"}
    for name in sorted(names):
        server.model.add_repo(name, {"train.py": b"import torch\n",
                                     "requirements.txt": b"torch>=2.0\n"})
    return server


def _count(records: list[dict[str, Any]], exported: dict[str, dict[str, bool]]
           ) -> dict[str, int]:
    """The benchmark's error counts (``Counts`` in links_official_eval.py) for exported rows."""
    extraction = official = judged = 0
    for i, record in enumerate(records):
        got = exported.get(_arxiv_id(i), {})
        gold = {w["repo"]: w for w in record["links"] if w["kind"] in REPOSITORY_KINDS}
        extraction += len(got.keys() - gold.keys()) + len(gold.keys() - got.keys())
        for repo, w in gold.items():
            if repo in got and w["official"] is not None:
                judged += 1
                official += got[repo] != w["official"]
    return {"extraction": extraction, "official": official, "judged": judged}


def _measured() -> dict[str, int]:
    """The same counts, as the benchmark measured them on every part of the labelled set
    (``held`` there repeats held5; the split named "held" is under ``held_first``)."""
    data = json.loads(EVAL.read_text(encoding="utf-8"))
    extraction = official = judged = 0
    for part in ("tune", "held_first", "held2", "held3", "held4", "held5"):
        figs = data[part]
        extraction += figs["extraction_precision"]["n"] - figs["extraction_precision"]["k"]
        extraction += figs["repository_recall"]["n"] - figs["repository_recall"]["k"]
        official += figs["official_accuracy"]["n"] - figs["official_accuracy"]["k"]
        judged += figs["official_accuracy"]["n"]
    return {"extraction": extraction, "official": official, "judged": judged}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real crawl of December 2024 over the labelled world."""
    records = _records()
    db = tmp_path_factory.mktemp("e2e") / "survey.db"
    with ArxivServer(_papers(records)) as arxiv, _github(records).start() as github:
        settings = Settings(db=db, arxiv_api_url=arxiv.url, arxiv_delay=0.0,
                            arxiv_page_size=100, arxiv_timeout=5.0, arxiv_retries=1,
                            github_api_url=github.api_url, github_raw_url=github.raw_url,
                            gitlab_api_url=github.api_url)
        run_crawl(settings, since="2024-12", until="2024-12", categories=["cs.CV"],
                  clock=FixedClock(NOW))
    return db


def _exported(db: Path) -> dict[str, dict[str, bool]]:
    conn = sqlite3.connect(db)
    try:
        df = export_rows(conn)
    finally:
        conn.close()
    out: dict[str, dict[str, bool]] = {}
    for row in df.itertuples():
        out.setdefault(str(row.arxiv_id), {})[str(row.repo)] = bool(row.official)
    return out


def test_the_crawl_exports_what_the_labels_say_up_to_the_measured_error(crawled: Path) -> None:
    records = _records()
    exported = _exported(crawled)
    got, measured = _count(records, exported), _measured()
    assert got["extraction"] <= measured["extraction"], (got, measured)
    assert got["official"] <= measured["official"], (got, measured)
    # the comparison is over the whole set: as many judged links as the benchmark judged
    assert got["judged"] >= measured["judged"] - measured["extraction"], (got, measured)


def test_the_export_holds_repositories_only(crawled: Path) -> None:
    exported = _exported(crawled)
    keys = {repo for links in exported.values() for repo in links}
    pages = {w["repo"] for r in _records() for w in r["links"] if w["kind"] not in REPOSITORY_KINDS}
    assert keys and not keys & pages


def test_credentials_in_an_abstract_reach_no_table(crawled: Path) -> None:
    exported = _exported(crawled)
    assert exported[CREDENTIALS_ID] == {"github.com/alice/creds-repo": True}
    conn = sqlite3.connect(crawled)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            if table.startswith("papers"):
                continue  # the abstract itself is stored as arXiv served it
            for row in conn.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 - names from sqlite
                assert SECRET not in repr(row), table
    finally:
        conn.close()
