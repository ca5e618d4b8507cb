"""`survey import pwc FILE`: the Papers With Code archive in every format, odd rows by reason,
idempotence, a newer file, rows waiting for a harvest, and `crawl` fetching what was added."""

from __future__ import annotations

import gzip
import json
import sqlite3
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.arxiv_server import ArxivServer, Paper
from support.clock import NOW, clock
from support.github_server import GitHubServer
from support.pwc_archive import archive, row, write_json, write_jsonl, write_parquet
from synthetic import add_link, add_paper
from typer.testing import CliRunner

from crawler.pwc_archive import FRAMEWORK_LABELS, arxiv_id_from_abs, arxiv_id_of, sniff
from survey.cli import app
from survey.core.db import open_write, transaction
from survey.core.errors import InputError
from survey.core.lock import exclusive_run
from survey.core.settings import Settings
from survey.jobs.crawl import run_crawl
from survey.jobs.imports import import_pwc

HARVESTED = [f"2101.{i:05d}" for i in range(1, 13)]
PENDING = [f"2101.{i:05d}" for i in range(13, 21)]
WRITERS = {
    "json": ("links.json", write_json),
    "json.gz": ("links-between-papers-and-code.json.gz", write_json),
    "jsonl": ("links.jsonl", write_jsonl),
    "parquet": ("train-00000-of-00001.parquet", write_parquet),
}


@pytest.fixture
def database(db_path: Path) -> Path:
    conn = open_write(db_path)
    with transaction(conn):
        for i, aid in enumerate(HARVESTED):
            add_paper(conn, aid, f"2021-01-{i + 1:02d}")
        add_link(conn, HARVESTED[1], "github.com/lab1-group/repo-1")  # in the abstract too
    conn.close()
    return db_path


def _settings(db: Path) -> Settings:
    return Settings(db=db)


def _rows(db: Path, sql: str, *args: object) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return [tuple(r) for r in conn.execute(sql, args)]
    finally:
        conn.close()


def _state(db: Path) -> dict[str, list[tuple]]:
    """Everything an import writes, without the run that wrote it."""
    return {
        "pwc_links": _rows(db, "SELECT arxiv_id, repo, host, kind, url, official, in_paper,"
                               " in_github FROM pwc_links ORDER BY 1, 2"),
        "pwc_frameworks": _rows(db, "SELECT repo, token, label FROM pwc_frameworks ORDER BY 1"),
        "link_sources": _rows(db, "SELECT * FROM link_sources ORDER BY 1, 2, 3"),
        "links": _rows(db, "SELECT * FROM links ORDER BY 1, 2"),
    }


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_each_format_imports_every_valid_row(database: Path, tmp_path: Path, fmt: str) -> None:
    arch = archive(HARVESTED, pending=PENDING, typed=fmt == "parquet")
    name, writer = WRITERS[fmt]
    path = writer(arch.rows, tmp_path / name)
    summary = import_pwc(_settings(database), path, clock=clock())
    r = summary.result
    exp = arch.expected
    assert r["format"] == fmt and r["rows"] == exp.rows
    assert Counter(r["skipped"]) == exp.skipped
    assert set(_rows(database, "SELECT arxiv_id, repo FROM pwc_links")) == exp.links
    assert set(_rows(database, "SELECT arxiv_id, repo FROM pwc_links WHERE official = 1")) == (
        exp.official)
    # PwC's framework per repository: the token as written (lower case) and survey's label.
    stored = {repo: (token, label) for repo, token, label in _rows(
        database, "SELECT repo, token, label FROM pwc_frameworks")}
    assert stored == {k: (exp.tokens[k], exp.frameworks[k] or None) for k in exp.tokens}
    # Harvested papers' rows are links of source pwc; the others wait.
    attached = {p for p in exp.links if p[0] in HARVESTED}
    assert set(_rows(database, "SELECT arxiv_id, repo FROM link_sources WHERE source = 'pwc'"
                     )) == attached
    assert r["attached"] == len(attached) and r["pending"] == len(exp.links) - len(attached)
    assert r["new_links"] == len(attached) - 1  # one was in the abstract already
    assert r["added"] == len(exp.links) and r["updated"] == r["unchanged"] == 0
    assert _rows(database, "SELECT command, outcome FROM runs") == [("import pwc", "ok")]


def test_one_link_several_sources(database: Path, tmp_path: Path) -> None:
    """The abstract's link and PwC's row for the same repository are one link, both sources,
    official when either says so; PwC's label is exported with it."""
    rows = [row(HARVESTED[1], "https://github.com/Lab1-Group/Repo-1", official=False,
                framework="tf"),
            row(HARVESTED[2], "https://github.com/Lab2-Group/Repo-2", official=False,
                framework="mindspore")]
    import_pwc(_settings(database), write_json(rows, tmp_path / "l.json"), clock=clock())
    assert _rows(database, "SELECT repo, official, source FROM links ORDER BY arxiv_id") == [
        ("github.com/lab1-group/repo-1", 1, "abstract"),
        ("github.com/lab2-group/repo-2", 0, "pwc")]
    out = CliRunner().invoke(app, ["export", "--db", str(database), "--format", "json"])
    got = {r["repo"]: r for r in json.loads(out.stdout)}
    assert got["github.com/lab1-group/repo-1"]["sources"] == "abstract;pwc"
    assert got["github.com/lab1-group/repo-1"]["pwc_framework"] == "tensorflow"
    assert got["github.com/lab2-group/repo-2"]["sources"] == "pwc"
    assert got["github.com/lab2-group/repo-2"]["pwc_framework"] == "other"
    assert got["github.com/lab2-group/repo-2"]["official"] is False


def test_the_format_comes_from_the_content(database: Path, tmp_path: Path) -> None:
    arch = archive(HARVESTED[:3], odd=False, typed=True)
    lying = {
        "parquet": write_parquet(arch.rows, tmp_path / "links.json.gz"),
        "json.gz": write_json(arch.rows, tmp_path / "links.parquet", gz=True),
        "json": write_json(arch.rows, tmp_path / "links.txt"),
        "jsonl": write_jsonl(arch.rows, tmp_path / "links.json"),
    }
    for fmt, path in lying.items():
        assert sniff(path) == fmt
    state = None
    for path in lying.values():
        import_pwc(_settings(database), path, clock=clock())
        assert state is None or _state(database) == state  # every file is the same rows
        state = _state(database)


@pytest.mark.parametrize(("content", "message"), [
    (b"paper_url,repo_url\nx,y\n", "is not a Papers With Code links file"),
    (b"", "is not a Papers With Code links file"),
    (gzip.compress(b"not json"), "is not a Papers With Code links file"),
    (b"PAR1garbage", "cannot read parquet file"),
])
def test_not_a_links_file_is_one_line_and_touches_nothing(tmp_path: Path, content: bytes,
                                                          message: str) -> None:
    path = tmp_path / "links.json.gz"
    path.write_bytes(content)
    db = tmp_path / "data" / "survey.db"
    result = CliRunner().invoke(app, ["import", "pwc", str(path), "--db", str(db)])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") and message in result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert not db.exists()


def test_missing_file_and_folder(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["import", "pwc", str(tmp_path / "nope.json"), "--db",
                                  str(tmp_path / "s.db")])
    assert missing.exit_code == 2 and "no such file" in missing.output
    folder = runner.invoke(app, ["import", "pwc", str(tmp_path), "--db", str(tmp_path / "s.db")])
    assert folder.exit_code == 2 and "is not a file" in folder.output


def test_parquet_without_the_columns(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "other.parquet"
    pq.write_table(pa.table({"title": ["x"]}), path)
    with pytest.raises(InputError, match="without the links file's columns"):
        import_pwc(_settings(tmp_path / "s.db"), path, clock=clock())


def test_a_file_cut_short_keeps_the_rows_before_it(database: Path, tmp_path: Path) -> None:
    ids = [f"2102.{i:05d}" for i in range(1, 12001)]
    full = write_json(archive(ids, odd=False, community_every=0).rows, tmp_path / "full.json.gz")
    cut = tmp_path / "cut.json.gz"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size * 2 // 3])
    result = CliRunner().invoke(app, ["import", "pwc", str(cut), "--db", str(database)])
    assert result.exit_code == 2
    assert "is cut short or corrupt after" in result.output
    assert result.output.strip().splitlines()[-1].startswith("error: ")
    kept = _rows(database, "SELECT COUNT(*) FROM pwc_links")[0][0]
    assert 5000 <= kept < 12000  # the whole batches before the break
    outcome, summary = _rows(database, "SELECT outcome, summary FROM runs")[0]
    assert outcome == "failed" and json.loads(summary)["result"]["added"] == kept
    # The full file afterwards: complete, and as if the cut one had never been read.
    import_pwc(_settings(database), full, clock=clock())
    assert _rows(database, "SELECT COUNT(*) FROM pwc_links")[0][0] == 12000


def test_a_second_import_adds_nothing(database: Path, tmp_path: Path) -> None:
    arch = archive(HARVESTED, pending=PENDING)
    path = write_json(arch.rows, tmp_path / "links.json.gz")
    first = import_pwc(_settings(database), path, clock=clock()).result
    state = _state(database)
    second = import_pwc(_settings(database), path, clock=clock()).result
    assert _state(database) == state
    assert second["added"] == second["updated"] == second["new_links"] == 0
    assert second["unchanged"] == first["added"]
    assert second["skipped"] == first["skipped"]  # duplicates of the file, not of the database


def test_a_newer_file_updates(database: Path, tmp_path: Path) -> None:
    arch = archive(HARVESTED, odd=False, community_every=0,
                   tokens={"github.com/lab3-group/repo-3": "tf"})
    import_pwc(_settings(database), write_json(arch.rows, tmp_path / "old.json"), clock=clock())
    newer = [dict(r) for r in arch.rows]
    newer[2]["is_official"] = False                       # HARVESTED[2]: no longer official
    newer[3]["framework"] = "pytorch"                     # repo-3 was TensorFlow
    newer[4]["repo_url"] = newer[4]["repo_url"] + ".git"  # same repository, another URL
    del newer[5]                                          # gone from the newer file
    newer.append(row(HARVESTED[0], "https://github.com/late/addition"))
    r = import_pwc(_settings(database), write_json(newer, tmp_path / "new.json"),
                   clock=clock()).result
    assert (r["added"], r["updated"], r["unchanged"]) == (1, 2, len(newer) - 3)
    assert _rows(database, "SELECT official FROM links WHERE arxiv_id = ?", HARVESTED[2]) == [(0,)]
    assert _rows(database, "SELECT token, label FROM pwc_frameworks WHERE repo ="
                           " 'github.com/lab3-group/repo-3'") == [("pytorch", "pytorch")]
    assert _rows(database, "SELECT url FROM pwc_links WHERE arxiv_id = ?", HARVESTED[4]) == [
        (newer[4]["repo_url"],)]
    # A row the newer file no longer has stays: the archive only grew until PwC closed.
    assert _rows(database, "SELECT COUNT(*) FROM pwc_links WHERE arxiv_id = ?",
                 HARVESTED[5]) == [(1,)]


def test_conflicting_frameworks_keep_a_real_one_over_none(database: Path, tmp_path: Path) -> None:
    rows = [row(HARVESTED[0], "https://github.com/shared/tool", framework="none"),
            row(HARVESTED[1], "https://github.com/shared/tool", framework="jax"),
            row(HARVESTED[2], "https://github.com/shared/tool", framework="pytorch")]
    r = import_pwc(_settings(database), write_json(rows, tmp_path / "l.json"),
                   clock=clock()).result
    assert r["framework_conflicts"] == 2
    assert _rows(database, "SELECT token, label FROM pwc_frameworks") == [("jax", "jax")]


def test_framework_tokens_and_ids() -> None:
    assert {t: FRAMEWORK_LABELS[t] for t in ("pytorch", "tf", "jax", "mxnet", "paddle", "torch",
                                             "caffe2", "mindspore", "none")} == {
        "pytorch": "pytorch", "tf": "tensorflow", "jax": "jax", "mxnet": "other",
        "paddle": "other", "torch": "other", "caffe2": "other", "mindspore": "other",
        "none": "none"}
    assert arxiv_id_of("1805.07499") == "1805.07499"
    assert arxiv_id_of("2301.12345v2") == "2301.12345"
    assert arxiv_id_of("hep-th/9901001v1") == "hep-th/9901001"
    assert arxiv_id_of("math.GT/0309136") == "math/0309136"
    assert arxiv_id_of("1805.074") is None and arxiv_id_of("") is None
    assert arxiv_id_of("x" * 500) is None and arxiv_id_of(1805.07499) is None
    assert arxiv_id_from_abs("http://arxiv.org/abs/1805.07499v1") == "1805.07499"
    assert arxiv_id_from_abs("https://arxiv.org/abs/2401.00001") == "2401.00001"
    assert arxiv_id_from_abs("https://example.com/abs/2401.00001") is None


def test_cli_summary(database: Path, tmp_path: Path) -> None:
    arch = archive(HARVESTED, pending=PENDING)
    path = write_json(arch.rows, tmp_path / "links-between-papers-and-code.json.gz")
    result = CliRunner().invoke(app, ["import", "pwc", str(path), "--db", str(database)],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    out = result.output
    assert "survey import pwc: ok" in out
    assert f"{arch.expected.rows:,} read" in out
    assert f"{len(arch.expected.links):,} added, 0 updated, 0 unchanged" in out
    assert "pending until their paper is harvested" in out
    assert "duplicate 2" in out and "no_arxiv_id 2" in out


def test_an_import_waits_for_no_crawl(database: Path, tmp_path: Path) -> None:
    path = write_json(archive(HARVESTED[:2]).rows, tmp_path / "l.json")
    with exclusive_run(database, "crawl"):
        result = CliRunner().invoke(app, ["import", "pwc", str(path), "--db", str(database)])
    assert result.exit_code == 75 and "in use by" in result.output
    assert _rows(database, "SELECT COUNT(*) FROM pwc_links") == [(0,)]


# -- with the harvest and the fetch ----------------------------------------------------------

CODE = {"train.py": b"import torch\nimport torch.nn as nn\n", "requirements.txt": b"torch\n"}
TF_CODE = {"model.py": b"import tensorflow as tf\nfrom tensorflow.keras import layers\n"}


def _papers() -> list[Paper]:
    when = datetime(2024, 3, 5, 10, tzinfo=UTC)
    return [
        Paper(arxiv_id="2403.00001", title="Linked in the abstract", published=when,
              abstract="Our code is at https://github.com/alice/net.", primary="cs.LG",
              categories=["cs.LG"]),
        Paper(arxiv_id="2403.00002", title="Linked only in the PDF", published=when,
              abstract="We propose a method.", primary="cs.CV", categories=["cs.CV"]),
    ]


def test_rows_wait_for_their_paper_and_crawl_fetches_them(tmp_path: Path) -> None:
    db = tmp_path / "data" / "survey.db"
    rows = [row("2403.00001", "https://github.com/Alice/Net", framework="pytorch"),
            row("2403.00002", "https://github.com/Bob/Vision", framework="tf"),
            row("2403.00002", "https://github.com/fan/vision-port", official=False)]
    r = import_pwc(Settings(db=db), write_json(rows, tmp_path / "l.json"), clock=clock()).result
    assert (r["attached"], r["pending"]) == (0, 3)
    assert _rows(db, "SELECT COUNT(*) FROM links") == [(0,)]
    with ArxivServer(_papers()) as ax, GitHubServer() as gh:
        gh.model.add_repo("alice/net", dict(CODE))
        gh.model.add_repo("Bob/Vision", dict(TF_CODE))
        gh.model.add_repo("fan/vision-port", dict(CODE))
        settings = Settings(db=db, arxiv_api_url=ax.url, arxiv_delay=0.0, arxiv_retries=1,
                            github_api_url=gh.api_url, github_raw_url=gh.raw_url,
                            github_token="test-token-not-a-secret", http_timeout=5.0)
        summary = run_crawl(settings, since="2024-03", until="2024-03", clock=clock(NOW))
    assert summary.outcome == "ok"
    assert _rows(db, "SELECT arxiv_id, repo, source, official FROM links ORDER BY 1, 2") == [
        ("2403.00001", "github.com/alice/net", "abstract", 1),
        ("2403.00002", "github.com/bob/vision", "pwc", 1),
        ("2403.00002", "github.com/fan/vision-port", "pwc", 0)]
    assert set(_rows(db, "SELECT arxiv_id, source FROM link_sources")) == {
        ("2403.00001", "abstract"), ("2403.00001", "pwc"), ("2403.00002", "pwc")}
    # The repositories only PwC knew were fetched and classified like any other.
    assert dict(_rows(db, "SELECT repo, framework FROM classifications")) == {
        "github.com/alice/net": "pytorch", "github.com/bob/vision": "tensorflow",
        "github.com/fan/vision-port": "pytorch"}
    out = CliRunner().invoke(app, ["export", "--db", str(db), "--format", "json"])
    got = {r["repo"]: (r["sources"], r["pwc_framework"]) for r in json.loads(out.stdout)}
    assert got == {"github.com/alice/net": ("abstract;pwc", "pytorch"),
                   "github.com/bob/vision": ("pwc", "tensorflow"),
                   "github.com/fan/vision-port": ("pwc", "pytorch")}


def test_rewriting_a_paper_replaces_only_its_text_links(database: Path, tmp_path: Path) -> None:
    """A new version drops the abstract's link: PwC's stays, and the merged link with it."""
    from survey.store.papers import LinkRecord, replace_text_links

    rows = [row(HARVESTED[1], "https://github.com/Lab1-Group/Repo-1", official=False)]
    import_pwc(_settings(database), write_json(rows, tmp_path / "l.json"), clock=clock())
    conn = open_write(database)
    with transaction(conn):
        replace_text_links(conn, {HARVESTED[1]: [LinkRecord(
            "github.com/other/new", "github.com", "github", "https://github.com/other/new",
            True, "comment")]})
    got = [tuple(r) for r in conn.execute(
        "SELECT repo, source, official FROM links WHERE arxiv_id = ? ORDER BY 1", (HARVESTED[1],))]
    conn.close()
    assert got == [("github.com/lab1-group/repo-1", "pwc", 0),
                   ("github.com/other/new", "comment", 1)]


@pytest.mark.parametrize("name", ["pwc", "hf"])
def test_import_commands_have_help_and_a_readme_section(name: str) -> None:
    result = CliRunner().invoke(app, ["import", name, "--help"])
    assert result.exit_code == 0 and "--db" in result.output
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert f"### `survey import {name}" in readme
