"""Other people's databases are refused untouched; read-only commands never write (issue 9 §3).

Every check compares the folder byte for byte before and after: the file itself, and no lock,
``-wal``, ``-shm`` or report file appearing beside it.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from support.schema import database_at_schema
from synthetic import add_paper_with_code
from typer.testing import CliRunner

from survey.cli import app
from survey.core.db import APPLICATION_ID, migrations, open_read, open_write, reading, writing
from survey.core.errors import StoreError

READ_COMMANDS = [["status"], ["status", "--json"], ["export"], ["export", "--format", "json"],
                 ["report", "--out", "{out}"]]
WRITE_COMMANDS = [["crawl", "--since", "2024-01", "--until", "2024-01",
                   "--arxiv-api-url", "http://127.0.0.1:9/api/query"],
                  ["refresh", "--out", "{out}"]]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with the hash of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def invoke(args: list[str], db: Path, out: Path) -> tuple[int, str]:
    argv = [a.replace("{out}", str(out)) for a in args] + ["--db", str(db)]
    result = CliRunner().invoke(app, argv)
    return result.exit_code, result.output


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    """Somebody's own SQLite file: a notes table, in WAL mode like many apps use."""
    folder = tmp_path / "theirs"
    folder.mkdir()
    path = folder / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    conn.execute("INSERT INTO notes (text) VALUES ('buy milk')")
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize("args", READ_COMMANDS + WRITE_COMMANDS,
                         ids=lambda a: " ".join(a[:2]))
def test_someone_elses_database_is_refused_by_every_command(notes: Path, tmp_path: Path,
                                                            args: list[str]) -> None:
    before = snapshot(notes.parent)
    code, output = invoke(args, notes, tmp_path / "reports")
    assert code == 3, output
    lines = output.strip().splitlines()
    assert len(lines) == 1 and "is not a survey database" in lines[0] and str(notes) in lines[0]
    assert snapshot(notes.parent) == before
    assert not (tmp_path / "reports").exists()


@pytest.mark.parametrize("args", READ_COMMANDS + WRITE_COMMANDS,
                         ids=lambda a: " ".join(a[:2]))
def test_a_file_that_is_not_sqlite_is_refused_untouched(tmp_path: Path, args: list[str]) -> None:
    folder = tmp_path / "f"
    folder.mkdir()
    path = folder / "paper.pdf"
    path.write_bytes(b"%PDF-1.7 not a database" * 50)
    before = snapshot(folder)
    code, output = invoke(args, path, tmp_path / "reports")
    assert code == 3 and "file is not a database" in output, output
    assert snapshot(folder) == before


@pytest.fixture
def survey_db(tmp_path: Path) -> Path:
    folder = tmp_path / "ours"
    path = folder / "survey.db"
    with writing(path) as conn:
        add_paper_with_code(conn, "2401.00001", "2024-01-05T10:00:00Z", "pytorch")
    return path


@pytest.mark.parametrize("args", READ_COMMANDS, ids=lambda a: " ".join(a))
def test_read_only_commands_never_write_to_the_database(survey_db: Path, tmp_path: Path,
                                                        args: list[str]) -> None:
    before = snapshot(survey_db.parent)
    code, output = invoke(args, survey_db, tmp_path / "reports")
    assert code == 0, output
    assert snapshot(survey_db.parent) == before  # no migration, no journal switch, no lock


def test_read_only_commands_work_on_a_read_only_file(survey_db: Path, tmp_path: Path) -> None:
    survey_db.chmod(0o444)
    survey_db.parent.chmod(0o555)
    try:
        for args in READ_COMMANDS:
            code, output = invoke(args, survey_db, tmp_path / "reports")
            assert code == 0, (args, output)
    finally:
        survey_db.parent.chmod(0o755)
        survey_db.chmod(0o644)


def test_a_database_left_in_wal_mode_is_read_without_creating_files(survey_db: Path) -> None:
    conn = sqlite3.connect(survey_db)
    assert conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal"
    conn.close()  # the last connection removes -wal and -shm, the header still says WAL
    before = snapshot(survey_db.parent)
    with reading(survey_db) as conn2:
        assert conn2.execute("SELECT COUNT(*) FROM papers").fetchone()[0] == 1
    assert snapshot(survey_db.parent) == before


def test_writers_leave_the_database_as_one_file(survey_db: Path) -> None:
    assert sorted(p.name for p in survey_db.parent.iterdir()) == ["survey.db"]
    header = survey_db.read_bytes()[:100]
    assert header[18] == 1 and header[19] == 1  # rollback journal at rest, not WAL
    conn = sqlite3.connect(survey_db)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    conn.close()


def _older_database(path: Path) -> None:
    """A survey database as version 0.1 left it: migrations 1 and 30, no application_id."""
    conn = database_at_schema(path, 30)
    conn.commit()
    conn.close()


def test_an_older_survey_database_is_named_not_upgraded_by_read_commands(
        tmp_path: Path) -> None:
    db = tmp_path / "old" / "survey.db"
    _older_database(db)
    before = snapshot(db.parent)
    for args in (["status"], ["export"]):
        code, output = invoke(args, db, tmp_path / "reports")
        assert code == 3 and "survey refresh" in output and "older" in output, output
    assert snapshot(db.parent) == before


def test_an_older_survey_database_is_upgraded_by_a_writer(tmp_path: Path) -> None:
    db = tmp_path / "old" / "survey.db"
    _older_database(db)
    conn = open_write(db)
    versions = [r[0] for r in conn.execute("SELECT number FROM schema_migrations")]
    conn.close()
    assert versions == [m.number for m in migrations()]
    with reading(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM papers").fetchone()[0] == 0


def test_open_read_refuses_a_missing_or_empty_file(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no database"):
        open_read(tmp_path / "absent.db")
    assert not (tmp_path / "absent.db").exists()
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    with pytest.raises(StoreError, match="empty"):
        open_read(empty)
    assert empty.read_bytes() == b""
