"""`survey import pwc` killed with SIGKILL at random moments, then run again: nothing lost,
nothing doubled, the same database as one clean import."""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.pwc_archive import archive, write_json
from synthetic import add_paper

from crawler.pwc_import import BATCH
from survey.core.db import open_write, transaction

ROOT = Path(__file__).resolve().parent.parent
N_PAPERS = 12_000


def _survey(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "survey.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, env=_env())


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if not k.startswith("SURVEY_") and k not in ("GITHUB_TOKEN", "HF_TOKEN")}


def _state(db: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {name: [tuple(r) for r in conn.execute(sql)] for name, sql in {
            "pwc_links": "SELECT arxiv_id, repo, url, official, in_paper, in_github"
                         " FROM pwc_links ORDER BY 1, 2",
            "pwc_frameworks": "SELECT repo, token, label FROM pwc_frameworks ORDER BY 1",
            "link_sources": "SELECT * FROM link_sources ORDER BY 1, 2, 3",
            "links": "SELECT * FROM links ORDER BY 1, 2",
        }.items()}
    finally:
        conn.close()


def _count(db: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return int(conn.execute("SELECT COUNT(*) FROM pwc_links").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_sigkill_at_random_moments_then_resume(tmp_path: Path) -> None:
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    ids = [f"23{m:02d}.{i:05d}" for m in range(1, 13) for i in range(1, N_PAPERS // 12 + 1)]
    arch = archive(ids[: N_PAPERS // 2], pending=ids[N_PAPERS // 2:])
    path = write_json(arch.rows, tmp_path / "links-between-papers-and-code.json.gz")
    base = tmp_path / "base.db"
    conn = open_write(base)
    with transaction(conn):
        for aid in ids[: N_PAPERS // 2]:
            add_paper(conn, aid, f"20{aid[:2]}-{aid[2:4]}-10")
    conn.close()
    clean = tmp_path / "clean.db"
    shutil.copy(base, clean)
    started = time.monotonic()
    assert _survey("import", "pwc", str(path), "--db", str(clean)).returncode == 0
    took = time.monotonic() - started
    want = _state(clean)
    assert len(want["pwc_links"]) == len(arch.expected.links)

    db = tmp_path / "survey.db"
    shutil.copy(base, db)
    kills = partial = 0
    for round_ in range(4):
        proc = subprocess.Popen(
            [sys.executable, "-m", "survey.cli", "import", "pwc", str(path), "--db", str(db),
             "--no-progress"], cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        done = _count(db)
        if round_ == 0 or done + BATCH >= len(want["pwc_links"]):
            time.sleep(rng.uniform(0.0, took / 3))  # anywhere, even before the first batch
        else:
            # after one more committed batch, then at a random moment of the next
            target = done + BATCH
            deadline = time.monotonic() + 60
            while _count(db) < target and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.005)
            time.sleep(rng.uniform(0, 0.2))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait(timeout=60)
        partial += 0 < _count(db) < len(want["pwc_links"])
    final = _survey("import", "pwc", str(path), "--db", str(db))
    assert final.returncode == 0, final.stderr
    assert kills >= 1 and partial >= 1, f"seed {seed}: no run was killed half-way"
    assert _state(db) == want, f"seed {seed}"
    conn = sqlite3.connect(db)
    outcomes = [r[0] for r in conn.execute("SELECT outcome FROM runs ORDER BY id")]
    conn.close()
    # A killed run is marked interrupted by the next one (a kill before a run recorded itself,
    # or after it finished, leaves no such row): never left "running".
    assert outcomes[-1] == "ok" and "running" not in outcomes, f"seed {seed}: {outcomes}"
    assert "interrupted" in outcomes, f"seed {seed}: {outcomes}"
