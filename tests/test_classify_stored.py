"""classify_stored: from stored files only, incremental, versioned, one transaction per batch."""

from __future__ import annotations

import json
import sqlite3

import pytest
from support.stored_repo import add_repo

import analysis.stored as stored
from analysis.stored import classify_stored
from survey.core.db import transaction
from survey.core.events import RecordedEvents
from survey.store.classifications import scores


def row(conn: sqlite3.Connection, repo: str) -> sqlite3.Row:
    return conn.execute("SELECT * FROM classifications WHERE repo = ?", (repo,)).fetchone()


def test_classifies_from_stored_files_and_statuses(conn: sqlite3.Connection) -> None:
    add_repo(conn, "github.com/a/torch", files={
        "models/net.py": b"import torch\nimport torch.nn as nn\n",
        "util/vis.py": b"import tensorflow as tf\nw = tf.summary.FileWriter('x')\n",
        "requirements.txt": b"torch\n-r extra.txt\n", "extra.txt": b"tensorflow\n"})
    add_repo(conn, "github.com/a/gone", status="missing", detail="404 Not Found")
    add_repo(conn, "github.com/a/wait", status="pending", head=None)
    add_repo(conn, "github.com/a/lua", tree_only=("train.lua", "model.lua", "util.lua"))
    add_repo(conn, "github.com/a/trunc", status="truncated",
             files={"train.py": b"import jax\nimport flax.linen as nn\n"},
             tree_only=("other.py",))
    summary = classify_stored(conn)
    assert summary.classified == 5 and summary.skipped == 0 and summary.errors == 0
    assert summary.counts == {"pytorch": 1, "unknown": 2, "other": 1, "jax": 1}

    torch = row(conn, "github.com/a/torch")
    assert torch["framework"] == "pytorch"
    assert scores(conn, "github.com/a/torch")["pytorch"] > 0.8
    assert torch["head_sha"] == "c1" and torch["repo_status"] == "ok"
    assert torch["classifier_version"] == stored.CLASSIFIER_VERSION
    evidence = json.loads(torch["evidence"])
    assert {"file": "models/net.py", "line": 2, "seen": "import torch.nn as nn",
            "framework": "pytorch"}.items() <= evidence[0].items()

    gone = row(conn, "github.com/a/gone")
    assert gone["framework"] == "unknown" and gone["confidence"] == 0.0
    assert json.loads(gone["evidence"])[0]["seen"] == "repository status missing: 404 Not Found"
    assert json.loads(row(conn, "github.com/a/wait")["evidence"])[0]["seen"] == "not fetched yet"

    lua = row(conn, "github.com/a/lua")      # paths only: Lua in ML research is Torch7
    assert lua["framework"] == "other" and lua["confidence"] < 0.5

    trunc = json.loads(row(conn, "github.com/a/trunc")["evidence"])
    said = [e["seen"] for e in trunc if e["framework"] is None]
    # A file the tree lists but the fetcher never downloaded is noted, not counted as unread.
    assert "1 Python file or notebook in the tree not downloaded: not counted" in said
    assert not any("not read" in s for s in said)
    assert "the repository's tree was truncated by the host" in said


def test_second_run_skips_and_changes_trigger_reclassification(
        conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    add_repo(conn, "github.com/a/x", files={"m.py": b"import torch\n"})
    add_repo(conn, "github.com/a/y", status="pending", head=None)
    assert classify_stored(conn).classified == 2
    again = classify_stored(conn)
    assert (again.classified, again.skipped) == (0, 2)

    # a new commit
    with transaction(conn):
        conn.execute("UPDATE repos SET head_sha = 'c2' WHERE repo = 'github.com/a/x'")
    assert classify_stored(conn).classified == 1
    assert row(conn, "github.com/a/x")["head_sha"] == "c2"

    # a status change without a new head (pending -> error)
    with transaction(conn):
        conn.execute("UPDATE repos SET status = 'error' WHERE repo = 'github.com/a/y'")
    assert classify_stored(conn).classified == 1
    assert row(conn, "github.com/a/y")["repo_status"] == "error"

    # a new classifier version reclassifies everything, offline
    monkeypatch.setattr(stored, "CLASSIFIER_VERSION", "9.9.9")
    assert classify_stored(conn).classified == 2
    assert {r[0] for r in conn.execute("SELECT classifier_version FROM classifications")} == {
        "9.9.9"}
    assert classify_stored(conn, force=True).classified == 2


def test_a_failing_batch_leaves_earlier_batches_and_stored_rows_intact(
        conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(5):
        add_repo(conn, f"github.com/a/r{i}", files={"m.py": b"import torch\n"})
    monkeypatch.setattr(stored, "BATCH_SIZE", 2)
    real_store = stored.store.write
    calls = {"n": 0}

    def store(conn_, verdict):
        calls["n"] += 1
        if calls["n"] == 4:                     # inside the second batch's transaction
            raise KeyboardInterrupt
        real_store(conn_, verdict)

    monkeypatch.setattr(stored.store, "write", store)
    with pytest.raises(KeyboardInterrupt):
        classify_stored(conn)
    assert conn.execute("SELECT COUNT(*) FROM classifications").fetchone()[0] == 2
    monkeypatch.setattr(stored.store, "write", real_store)
    summary = classify_stored(conn)
    assert (summary.classified, summary.skipped) == (3, 2)


def test_classifier_error_is_stored_as_unknown(conn: sqlite3.Connection,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    add_repo(conn, "github.com/a/x", files={"m.py": b"import torch\n"})

    def boom(source):
        raise ValueError("bug")

    monkeypatch.setattr(stored, "classify", boom)
    summary = classify_stored(conn)
    assert summary.errors == 1
    assert row(conn, "github.com/a/x")["framework"] == "unknown"


def test_corrupt_and_oversized_blobs(conn: sqlite3.Connection) -> None:
    add_repo(conn, "github.com/a/x", files={"a.py": b"import torch.nn\n", "b.py": b"x"})
    with transaction(conn):
        sha = conn.execute("SELECT sha FROM repo_files WHERE path = 'b.py'").fetchone()[0]
        conn.execute("UPDATE blobs SET content = ? WHERE sha = ?", (b"not zlib", sha))
    classify_stored(conn)
    evidence = json.loads(row(conn, "github.com/a/x")["evidence"])
    assert any(e["file"] == "b.py" and "corrupt" in e["seen"] for e in evidence)
    assert row(conn, "github.com/a/x")["framework"] == "pytorch"


def test_progress_bar_runs(conn: sqlite3.Connection) -> None:
    add_repo(conn, "github.com/a/x", files={"m.py": b"import torch\n"})
    events = RecordedEvents()
    assert classify_stored(conn, events=events).classified == 1
    assert [(t.description, t.completed, t.finished) for t in events.tasks.values()] == [
        ("classify", 1, True)]


def test_store_errors_propagate_and_merged_repos_are_not_recreated(
        conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    add_repo(conn, "github.com/a/x", files={"m.py": b"import torch\n"})
    add_repo(conn, "github.com/a/old", files={"m.py": b"import torch\n"})

    def locked(*args, **kwargs):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(stored.StoredSource, "entries", locked)
    with pytest.raises(sqlite3.OperationalError):
        classify_stored(conn)
    monkeypatch.undo()

    real = stored._classify_row

    def merge_then_classify(conn_, row_, summary_):
        result = real(conn_, row_, summary_)
        if row_.repo == "github.com/a/old":   # the fetcher merges it away meanwhile
            with transaction(conn_):
                conn_.execute("DELETE FROM repos WHERE repo = 'github.com/a/old'")
        return result

    monkeypatch.setattr(stored, "_classify_row", merge_then_classify)
    summary = classify_stored(conn)
    assert summary.classified == 1
    assert row(conn, "github.com/a/old") is None and row(conn, "github.com/a/x") is not None


def test_lone_surrogate_in_a_stored_notebook_does_not_stop_the_run(
        conn: sqlite3.Connection) -> None:
    add_repo(conn, "github.com/a/nb", files={"nb.ipynb": json.dumps(
        {"nbformat": 4, "cells": [{"cell_type": "code",
                                   "source": "!pip install torch \ud800\nimport torch\n"}]}
    ).encode()})
    summary = classify_stored(conn)
    assert summary.classified == 1 and summary.errors == 0
    assert row(conn, "github.com/a/nb")["framework"] == "pytorch"
