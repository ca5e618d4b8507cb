"""One path policy: a crawled repository and `survey classify` on the same files agree.

Every repository of the dev corpus is rebuilt as files (as ``benchmarks/classifier_eval.py``
does: the corpus gives paths, imports and requirements, not texts), served by the local GitHub
stand-in, crawled by the real fetch stage over HTTP and classified from the database by the
crawl's last stage; the same files are classified from a local folder with ``classify_path``.
With caps that hold every repository whole, label, scores and confidence must be identical: any
file the classifier reads but the fetch skips, or a folder one of them skips and the other not,
shows here. With the fetch's default caps the labels must still agree.
"""

from __future__ import annotations

import importlib.util
import json
import sqlite3
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from support.clock import NOW
from support.github_server import GitHubServer, add_link

from analysis.classifier import classify_path
from analysis.stored import classify_stored
from crawler.fetch import fetch_repositories
from crawler.http import RequestStats
from survey.core.clock import FixedClock
from survey.core.db import open_write
from survey.core.events import RecordedEvents
from survey.core.settings import Settings
from survey.store.classifications import scores

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "data" / "repo_corpus_dev.jsonl"

pytestmark = pytest.mark.skipif(not CORPUS.is_file(),
                                reason=f"dev corpus not available ({CORPUS} is absent)")


def _eval_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("classifier_eval",
                                                  ROOT / "benchmarks" / "classifier_eval.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[dict[str, Any], Path]]:
    """(entry, folder) for every corpus repository, rebuilt once for the module."""
    rebuild = _eval_module().rebuild
    base = tmp_path_factory.mktemp("corpus")
    out = []
    for index, line in enumerate(CORPUS.read_text("utf-8").splitlines()):
        if line.strip():
            entry = json.loads(line)
            folder = base / str(index)
            folder.mkdir()
            rebuild(entry, folder)
            out.append((entry, folder))
    return out


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _crawl(corpus: list[tuple[dict[str, Any], Path]], db: Path,
           **caps: int) -> sqlite3.Connection:
    conn = open_write(db)
    with GitHubServer() as gh:
        for index, (entry, folder) in enumerate(corpus):
            gh.model.add_repo(entry["repo"], _files(folder))
            add_link(conn, f"2001.{index:05d}", f"github.com/{entry['repo'].lower()}")
        settings = Settings(github_api_url=gh.api_url, github_raw_url=gh.raw_url,
                            github_token="ghp_test_token", http_timeout=10.0, http_backoff=0.01,
                            http_retries=2, github_secondary_wait=0.2, raw_workers=4, **caps)
        summary = fetch_repositories(conn, settings, RequestStats(), clock=FixedClock(NOW),
                                     events=RecordedEvents())
    assert summary.outcomes == {"ok": len(corpus)}
    classify_stored(conn, clock=FixedClock(NOW))
    return conn


def _stored(conn: sqlite3.Connection, repo: str) -> tuple[str, dict[str, float], float]:
    key = f"github.com/{repo.lower()}"
    row = conn.execute("SELECT framework, confidence FROM classifications WHERE repo = ?",
                       (key,)).fetchone()
    assert row is not None, key
    return row["framework"], scores(conn, key), row["confidence"]


def test_crawled_and_local_classification_are_identical(
        corpus: list[tuple[dict[str, Any], Path]], tmp_path: Path) -> None:
    conn = _crawl(corpus, tmp_path / "whole.db", max_python_files=100_000,
                  max_notebooks=100_000, max_repo_bytes=1_000_000_000)
    differ = []
    for entry, folder in corpus:
        local = classify_path(folder)
        mine = (str(local.framework), dict(sorted(local.frameworks.items())), local.confidence)
        label, stored_scores, confidence = _stored(conn, entry["repo"])
        theirs = (label, dict(sorted(stored_scores.items())), confidence)
        if mine != theirs:
            differ.append((entry["repo"], mine, theirs))
    conn.close()
    assert not differ


def test_with_the_default_caps_the_labels_still_agree(
        corpus: list[tuple[dict[str, Any], Path]], tmp_path: Path) -> None:
    conn = _crawl(corpus, tmp_path / "capped.db")
    differ = [(entry["repo"], str(classify_path(folder).framework),
               _stored(conn, entry["repo"])[0])
              for entry, folder in corpus]
    conn.close()
    assert [d for d in differ if d[1] != d[2]] == []
