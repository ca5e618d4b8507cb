"""`survey show ARXIV_ID|REPO`: what it accepts, what it prints, why a link is official.

The database is filled two ways: through the real crawl (local arXiv and GitHub servers) for
what a user sees after `survey crawl`, and row by row for the cases a crawl rarely makes
(renames, other sources, hostile strings).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.arxiv_server import ArxivServer, Paper
from support.github_server import GitHubServer
from synthetic import add_classification, add_paper, add_repo
from typer.testing import CliRunner

from crawler.links import paper_links
from crawler.official import explain, is_official, mask
from crawler.urls import find_spans, has_hint, prepare
from survey.cli import app
from survey.core.clock import FixedClock
from survey.core.db import writing
from survey.core.errors import InputError, NotFoundError
from survey.core.settings import Settings
from survey.jobs.crawl import run_crawl
from survey.jobs.show import judge, parse_target, show

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "links"
ABSTRACT = ("We propose SparseNet. Our implementation builds on detectron2"
            " (https://github.com/facebookresearch/detectron2) and is available at"
            " https://github.com/Alice-W/SparseNet.")
COMMENT = "CVPR 2024. Project page: https://alice-w.github.io/sparsenet/"
NOW = datetime(2024, 4, 2, 9, 30, tzinfo=UTC)


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


# -- what it accepts ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, kind, key", [
    ("2401.01234", "paper", "2401.01234"),
    ("2401.01234v2", "paper", "2401.01234"),
    ("0704.0001", "paper", "0704.0001"),
    ("arXiv:2401.01234", "paper", "2401.01234"),
    ("https://arxiv.org/abs/2401.01234v3", "paper", "2401.01234"),
    ("arxiv.org/pdf/2401.01234v1.pdf", "paper", "2401.01234"),
    ("http://export.arxiv.org/abs/cs/0112017v1", "paper", "cs/0112017"),
    ("cs/0112017", "paper", "cs/0112017"),
    ("hep-th/9901001v2", "paper", "hep-th/9901001"),
    ("math.GT/0309136", "paper", "math/0309136"),
    ("github.com/Owner/Name", "repository", "github.com/owner/name"),
    ("owner/name", "repository", "github.com/owner/name"),
    ("Alice-W/SparseNet.git", "repository", "github.com/alice-w/sparsenet"),
    ("https://github.com/Owner/Name.git", "repository", "github.com/owner/name"),
    ("https://github.com/owner/name/tree/main/src", "repository", "github.com/owner/name"),
    ("git@github.com:owner/name.git", "repository", "github.com/owner/name"),
    ("gitlab.com/group/sub/name", "repository", "gitlab.com/group/sub/name"),
    ("https://huggingface.co/datasets/o/n", "repository", "huggingface.co/datasets/o/n"),
    ("https://alice-w.github.io/sparsenet/", "repository", "alice-w.github.io/sparsenet"),
])
def test_accepted_forms(text: str, kind: str, key: str) -> None:
    target = parse_target(text)
    assert (target.kind, target.key) == (kind, key)


@pytest.mark.parametrize("text", ["", "hello world", "foo", "arxiv:banana", "2403.1961",
                                  "1412.00001", "2413.00001", "arXiv:0704.00001",
                                  "https://arxiv.org/list/cs.LG/recent", "2401.1", "x" * 400,
                                  "github.com/features", "https://example.com/a/b",
                                  "\x1b[2Jowner/name"])
def test_bad_forms_are_input_errors(text: str) -> None:
    with pytest.raises(InputError) as err:
        parse_target(text)
    message = str(err.value)
    assert "\n" not in message and "\x1b" not in message and len(message) < 200


def test_bad_form_is_exit_2_and_not_found_is_exit_5(tmp_path: Path, filled: Path) -> None:
    code, out, err = invoke("show", "not-an-id", "--db", str(tmp_path / "none.db"))
    assert code == 2 and out == "" and err.startswith("error: 'not-an-id' is not an arXiv id")
    assert not (tmp_path / "none.db").exists(), "bad input fails before the database"
    for missing in ("2412.99999", "github.com/nobody/nothing"):
        code, out, err = invoke("show", missing, "--db", str(filled))
        assert code == 5 and out == "" and err.count("\n") == 1, err
        assert err.startswith("error: no ") and missing in err
    code, _, err = invoke("show", "2401.00001", "--db", str(tmp_path / "none.db"))
    assert code == 3 and err.startswith("error: no database at")


# -- a database filled row by row -------------------------------------------------------------

def _store_links(conn: sqlite3.Connection, arxiv_id: str, abstract: str,
                 comment: str | None) -> None:
    """The links the harvest would store for this text (crawler.links)."""
    for link in paper_links(abstract, comment):
        conn.execute("INSERT INTO links (arxiv_id, repo, host, kind, url, official, source)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?)", (arxiv_id, link.repo, link.host,
                                                       link.kind, link.url, int(link.official),
                                                       link.source))


def _store_files(conn: sqlite3.Connection, repo: str, files: dict[str, tuple[str, bytes]]
                 ) -> None:
    for path, (role, data) in files.items():
        sha = hashlib.sha1(data).hexdigest()
        conn.execute("INSERT OR IGNORE INTO blobs (sha, size, content) VALUES (?, ?, ?)",
                     (sha, len(data), zlib.compress(data)))
        conn.execute("INSERT INTO tree_entries (repo, path, type, sha, size)"
                     " VALUES (?, ?, 'blob', ?, ?)", (repo, path, sha, len(data)))
        conn.execute("INSERT INTO repo_files (repo, path, sha, role) VALUES (?, ?, ?, ?)",
                     (repo, path, sha, role))
    conn.execute("INSERT INTO tree_entries (repo, path, type) VALUES (?, 'src', 'tree')",
                 (repo,))


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    path = tmp_path / "survey.db"
    with writing(path) as conn:
        add_paper(conn, "2401.00001", "2024-01-05", title="SparseNet\n  for detection",
                  abstract=ABSTRACT, comment=COMMENT, categories="cs.CV cs.LG",
                  primary_category="cs.CV")
        _store_links(conn, "2401.00001", ABSTRACT, COMMENT)
        # A link from Papers With Code: its verdict is the source's own.
        conn.execute("INSERT INTO links (arxiv_id, repo, host, kind, url, official, source)"
                     " VALUES ('2401.00001', 'github.com/lab/sparse-mirror', 'github.com',"
                     " 'github', 'https://github.com/lab/sparse-mirror', 1, 'pwc')")
        # The repository was renamed: the link says alice-w/sparsenet, the row is the new name.
        add_repo(conn, "github.com/alice-w/sparsenet-v2")
        conn.execute("UPDATE repos SET full_name = 'Alice-W/SparseNet-v2', head_sha = 'abc123',"
                     " default_branch = 'main', stars = 42, checked_at = '2024-04-02T09:30:00Z',"
                     " pushed_at = '2024-03-01T00:00:00Z', created_at = '2023-12-01T00:00:00Z'"
                     " WHERE repo = 'github.com/alice-w/sparsenet-v2'")
        conn.execute("INSERT INTO repo_aliases (alias, repo) VALUES"
                     " ('github.com/alice-w/sparsenet', 'github.com/alice-w/sparsenet-v2')")
        _store_files(conn, "github.com/alice-w/sparsenet-v2", {
            "requirements.txt": ("manifest", b"torch>=2\n"),
            "train.py": ("python", b"import torch\n"),
            "evil\x1b]0;owned\x07.py": ("python", b"import os\n"),
        })
        add_classification(conn, "github.com/alice-w/sparsenet-v2", "pytorch",
                           {"pytorch": 2.5, "tensorflow": 0.5}, confidence=0.83)
        evidence = [{"file": "train.py", "line": 1, "seen": "import torch",
                     "framework": "pytorch", "weight": 1.0},
                    {"file": "requirements.txt", "line": 1, "seen": "torch>=2",
                     "framework": "pytorch", "weight": 0.5},
                    {"file": "evil\x1b]0;owned\x07.py", "line": 1, "seen": "\x1b[2J import os",
                     "framework": None, "weight": 0.0}]
        conn.execute("UPDATE classifications SET evidence = ?, head_sha = 'abc123',"
                     " repo_status = 'ok' WHERE repo = 'github.com/alice-w/sparsenet-v2'",
                     (json.dumps(evidence),))
        add_repo(conn, "github.com/facebookresearch/detectron2", status="missing")
        conn.execute("UPDATE repos SET status_detail = 'HTTP 404' WHERE repo ="
                     " 'github.com/facebookresearch/detectron2'")
        add_paper(conn, "2402.00002", "2024-02-01", title="Evil \x1b[2J\x1b[31mtitle",
                  abstract="We use https://github.com/alice-w/sparsenet-v2 as is.")
        _store_links(conn, "2402.00002", "We use https://github.com/alice-w/sparsenet-v2 as is.",
                     None)
    return path


def test_a_paper_shows_its_links_sources_and_why(filled: Path) -> None:
    with sqlite3.connect(filled) as conn:
        conn.row_factory = sqlite3.Row
        view = show(conn, "https://arxiv.org/abs/2401.00001v1")
        with pytest.raises(NotFoundError):
            show(conn, "2401.00002")
    assert view["type"] == "paper" and view["categories"] == ["cs.CV", "cs.LG"]
    links = {lk["repo"]: lk for lk in view["links"]}
    assert set(links) == {"github.com/facebookresearch/detectron2",
                          "github.com/alice-w/sparsenet", "alice-w.github.io/sparsenet",
                          "github.com/lab/sparse-mirror"}
    detectron = links["github.com/facebookresearch/detectron2"]
    assert detectron["official"] is False and detectron["status"] == "missing"
    (src,) = detectron["sources"]
    assert src["source"] == "abstract" and src["judged"] is False
    assert src["cue"] == "builds on" and src["why"] == "mention: 'builds on' before the link"
    own = links["github.com/alice-w/sparsenet"]
    assert own["canonical"] == "github.com/alice-w/sparsenet-v2"
    assert own["official"] is True and own["framework"] == "pytorch"
    assert own["sources"][0]["why"] == "own: 'available at' since the previous link"
    assert own["sources"][0]["context"].endswith("and is available at <link>")
    page = links["alice-w.github.io/sparsenet"]
    assert page["repository"] is False and page["status"] is None
    assert page["sources"][0]["why"] == "own: 'Project page' before the link"
    pwc = links["github.com/lab/sparse-mirror"]["sources"][0]
    assert pwc["why"] == "as entered by the source" and pwc["judged"] is None


def test_a_paper_on_screen(filled: Path) -> None:
    code, out, err = invoke("show", "2401.00001", "--db", str(filled))
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "2401.00001  v1  SparseNet for detection"
    assert "categories  cs.CV (primary), cs.LG" in lines
    assert ("            github.com/alice-w/sparsenet (now github.com/alice-w/sparsenet-v2)"
            "  official  (github, ok, pytorch)") in lines
    assert ("              from the abstract: mention; mention: 'builds on' before the link"
            in lines)
    assert "              from the pwc: official; as entered by the source" in lines
    assert "            alice-w.github.io/sparsenet  official  (project-page)" in lines


def test_a_repository_shows_status_files_label_and_papers(filled: Path) -> None:
    with sqlite3.connect(filled) as conn:
        conn.row_factory = sqlite3.Row
        view = show(conn, "Alice-W/SparseNet")  # the old name, as linked
    assert view["type"] == "repository" and view["repo"] == "github.com/alice-w/sparsenet-v2"
    assert view["asked_as"] == "github.com/alice-w/sparsenet"
    assert view["aliases"] == ["github.com/alice-w/sparsenet"]
    assert view["status"] == "ok" and view["head_sha"] == "abc123" and view["stars"] == 42
    assert "etag" not in view
    assert view["tree"] == {"entries": 4, "files": 3, "folders": 1, "submodules": 0}
    assert [(f["path"], f["role"], f["size"]) for f in view["files"]][:2] == [
        ("evil\x1b]0;owned\x07.py", "python", 10), ("requirements.txt", "manifest", 9)]
    c = view["classification"]
    assert c["framework"] == "pytorch" and c["scores"] == {"pytorch": 2.5, "tensorflow": 0.5}
    assert c["evidence"][0]["seen"] == "import torch" and c["classifier_version"] == "test-1"
    assert [(p["arxiv_id"], p["linked_as"], p["official"]) for p in view["papers"]] == [
        ("2401.00001", "github.com/alice-w/sparsenet", True),
        ("2402.00002", "github.com/alice-w/sparsenet-v2", False)]


def test_outside_strings_never_reach_the_terminal_raw(filled: Path) -> None:
    for target in ("2402.00002", "github.com/alice-w/sparsenet-v2"):
        code, out, _ = invoke("show", target, "--db", str(filled))
        assert code == 0
        assert "\x1b" not in out and "\x07" not in out
        assert "\\x1b" in out
    code, out, _ = invoke("show", "github.com/alice-w/sparsenet-v2", "--db", str(filled))
    assert "  evil\\x1b]0;owned\\x07.py  python  10 B" in out
    assert "label       pytorch (confidence 0.83)" in out
    assert "scores      pytorch 2.50, tensorflow 0.50" in out
    assert "              2402.00002 (2024-02-01) mention: Evil \\x1b[2J\\x1b[31mtitle" in out
    assert "              2401.00001 (2024-01-05) official [as github.com/alice-w/sparsenet]:" \
           " SparseNet for detection" in out


def test_json_is_all_that_goes_to_stdout(filled: Path) -> None:
    for target, kind in (("2401.00001", "paper"), ("github.com/alice-w/sparsenet", "repository"),
                         ("alice-w.github.io/sparsenet", "page")):
        code, out, err = invoke("show", target, "--json", "--db", str(filled))
        assert code == 0 and err == ""
        view = json.loads(out)
        assert view["type"] == kind
    page = json.loads(invoke("show", "alice-w.github.io/sparsenet", "--json", "--db",
                             str(filled))[1])
    assert page["kind"] == "project-page" and page["papers"][0]["arxiv_id"] == "2401.00001"
    raw = json.loads(invoke("show", "2402.00002", "--json", "--db", str(filled))[1])
    assert raw["title"] == "Evil \x1b[2J\x1b[31mtitle", "JSON keeps the data as stored"


def test_show_never_writes(filled: Path) -> None:
    before = {p.name: p.read_bytes() for p in filled.parent.iterdir()}
    for target in ("2401.00001", "alice-w/sparsenet", "2499.00001", "--bogus"):
        invoke("show", target, "--db", str(filled))
    assert {p.name: p.read_bytes() for p in filled.parent.iterdir()} == before


# -- the official verdict's why ---------------------------------------------------------------

@pytest.mark.parametrize("text, official, why", [
    ("Our code is available at https://github.com/a/b.", True, "own: 'Our code' before the link"),
    ("We build on https://github.com/a/b and extend it.", False,
     "mention: 'build on' before the link"),
    ("https://github.com/a/b", True,
     "no cue word around it: a bare link counts as the paper's own"),
    ("## Acknowledgements\n\n- [MMCV](https://github.com/a/b): a library.", False,
     "under a heading that lists others' work (acknowledgements, ...)"),
    ("https://github.com/a/b, which we use as a baseline.", False,
     "mention: 'we use as a baseline' after the link"),
])
def test_judge_names_the_cue(text: str, official: bool, why: str) -> None:
    judged = judge(text, "github.com/a/b")
    assert judged is not None and judged.official is official and judged.why == why


def test_judge_of_a_link_not_in_the_text() -> None:
    assert judge("Code: https://github.com/x/y", "github.com/a/b") is None
    assert judge("", "github.com/a/b") is None


def _texts() -> list[str]:
    texts = []
    for path in sorted(FIXTURES.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            texts += [t for t in (record.get("abstract"), record.get("comment")) if t]
    return texts


def test_the_explanation_follows_the_rule_on_every_labelled_link() -> None:
    """The why is the judgement's own steps: on every link of the link fixtures (real and
    hand-made text) the explained verdict is ``is_official``'s."""
    checked = 0
    for text in _texts():
        if not has_hint(text):
            continue
        prepared = prepare(text)
        spans = find_spans(prepared)
        masked = mask(prepared, spans)
        for span in spans:
            if span.repo:
                reason = explain(masked, span.start, span.end, span.repo)
                official = is_official(masked, span.start, span.end, span.repo)
                assert (reason.verdict is not False) == official, text
                assert reason.why and (reason.cue is None or reason.cue in reason.why)
                checked += 1
    assert checked > 300


# -- after a real crawl ------------------------------------------------------------------------

@pytest.fixture
def crawled(tmp_path: Path) -> Path:
    papers = [Paper("2403.20001", "Sparse R-CNN revisited", ABSTRACT,
                    datetime(2024, 3, 29, 10, 0, tzinfo=UTC), "cs.CV", ["cs.CV", "cs.LG"],
                    comment=COMMENT)]
    db = tmp_path / "crawled.db"
    with ArxivServer(papers) as arxiv, GitHubServer(limit=10**9,
                                                    anonymous_limit=10**9) as gh:
        gh.model.add_repo("Alice-W/SparseNet", {
            "requirements.txt": b"torch==2.1.0\n",
            "train.py": b"import torch\nimport torch.nn as nn\n",
            "README.md": b"# SparseNet\n",
        })
        settings = Settings(db=db, arxiv_api_url=arxiv.url, arxiv_delay=0.0,
                            github_api_url=gh.api_url, github_raw_url=gh.raw_url,
                            categories=("cs.CV",))
        summary = run_crawl(settings, since="2024-03", until="2024-03", clock=FixedClock(NOW))
    assert summary.outcome == "ok"
    return db


def test_show_after_a_crawl(crawled: Path) -> None:
    code, out, err = invoke("show", "2403.20001", "--db", str(crawled))
    assert code == 0, err
    assert "github.com/facebookresearch/detectron2  mention  (github, missing, unknown)" in out
    assert "github.com/alice-w/sparsenet  official  (github, ok, pytorch)" in out
    code, out, err = invoke("show", "https://github.com/Alice-W/SparseNet", "--db",
                            str(crawled))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "repository  github.com/alice-w/sparsenet  (Alice-W/SparseNet)"
    assert "status      ok" in lines
    assert "dates       created 2019-03-01, pushed 2019-03-02, first seen 2024-04-02," \
           " checked 2024-04-02 09:30" in lines
    assert "tree        3 entries: 3 files, 0 folders, 0 submodules" in lines
    assert "              train.py  python  35 B" in lines
    assert "              requirements.txt  manifest  13 B" in lines
    assert any(line.startswith("label       pytorch (confidence ") for line in lines)
    assert any(line.startswith("              train.py:2 import torch.nn as nn (pytorch +")
               for line in lines)
    assert "              2403.20001 (2024-03-29) official: Sparse R-CNN revisited" in lines
    view = json.loads(invoke("show", "alice-w/sparsenet", "--json", "--db", str(crawled))[1])
    assert {f["path"] for f in view["files"]} == {"requirements.txt", "train.py"}
    assert view["classification"]["framework"] == "pytorch"
