"""``survey crawl --sample FRACTION``: a stable, growing sample; a refresh keeps it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from support.clock import NOW
from support.github_server import GitHubServer, add_link
from support.graphql_world import TOKEN

from survey.core.clock import FixedClock
from survey.core.db import open_write
from survey.core.settings import Settings
from survey.jobs.crawl import fetch_stage, run_crawl
from survey.store import sample
from survey.store.runs import recent

ROOT = Path(__file__).resolve().parent.parent
KEYS = [f"github.com/lab{i % 9}/paper-{i}" for i in range(2000)]


def test_membership_is_a_stable_hash_of_the_key() -> None:
    # Pinned: the first 8 bytes of sha256("github.com/acme/net") / 2**64.
    assert sample.position("github.com/acme/net") == pytest.approx(0.186385, abs=1e-6)
    assert sample.position("GitHub.com/Acme/Net") == sample.position("github.com/acme/net")
    assert sample.in_sample("github.com/acme/net", 1.0)


def test_a_larger_fraction_contains_every_smaller_one_and_has_its_size() -> None:
    small = {k for k in KEYS if sample.in_sample(k, 0.05)}
    large = {k for k in KEYS if sample.in_sample(k, 0.10)}
    assert small <= large
    assert 60 <= len(small) <= 140 and 150 <= len(large) <= 250  # binomial, > 4 sd


@pytest.fixture
def gh():
    with GitHubServer() as server:
        yield server


def world(gh: GitHubServer, db: Path, n: int, start: int = 0) -> list[str]:
    conn = open_write(db)
    keys = []
    for i in range(start, start + n):
        gh.model.add_repo(f"Lab/P{i}", {"train.py": b"import torch # %d\n" % i})
        key = f"github.com/lab/p{i}"
        add_link(conn, f"2001.{i:05d}", key)
        keys.append(key)
    conn.commit()
    conn.close()
    return keys


def crawl(s: Settings, fraction: float | None, mode: str = "pending") -> None:
    run_crawl(s, since="2020-01", until="2020-02", stages=[("fetch", fetch_stage(mode))],
              clock=FixedClock(NOW), sample_fraction=fraction)


def fetched(db: Path) -> set[str]:
    conn = open_write(db)
    try:
        return {r[0] for r in conn.execute("SELECT repo FROM repos WHERE status = 'ok'")}
    finally:
        conn.close()


def meta_fraction(db: Path) -> float | None:
    conn = open_write(db)
    try:
        return sample.sample_fraction(conn)
    finally:
        conn.close()


def test_sample_is_fetched_then_grows_then_becomes_the_census(gh, db_path) -> None:
    keys = world(gh, db_path, 60)
    s = Settings(db=db_path, github_api_url=gh.api_url, github_raw_url=gh.raw_url,
                 github_token=TOKEN)
    crawl(s, 0.3)
    first = fetched(db_path)
    assert first == {k for k in keys if sample.in_sample(k, 0.3)} and 5 < len(first) < 35
    assert meta_fraction(db_path) == 0.3
    conn = open_write(db_path)
    run = recent(conn, 1)[0]
    assert run.summary["args"]["sample"] == 0.3
    assert run.summary["stages"]["fetch"]["sample"] == 0.3
    assert sample.sample_size(conn) == len(first)
    conn.close()

    gh.reset_counts()
    crawl(s, 0.6)
    grown = fetched(db_path)
    assert grown == {k for k in keys if sample.in_sample(k, 0.6)} and first < grown
    asked = {p.split("/")[-1].lower() for p in (x.path for x in gh.seen) if "/graphql" not in p}
    assert not asked & {k.split("/")[-1] for k in first}  # the earlier sample is not asked
    assert meta_fraction(db_path) == 0.6

    crawl(s, 0.2)  # a smaller fraction never shrinks what is stored
    assert meta_fraction(db_path) == 0.6

    crawl(s, None)  # no --sample: the census
    assert fetched(db_path) == set(keys)
    assert meta_fraction(db_path) is None
    crawl(s, 0.1)  # a census stays a census
    assert meta_fraction(db_path) is None


def test_refresh_keeps_the_sample(gh, db_path) -> None:
    keys = world(gh, db_path, 40)
    s = Settings(db=db_path, github_api_url=gh.api_url, github_raw_url=gh.raw_url,
                 github_token=TOKEN)
    crawl(s, 0.25)
    keys += world(gh, db_path, 40, start=40)  # papers of the next month link new repositories
    crawl(s, None, mode="due")  # the refresh's fetch: no --sample, the stored one is kept
    assert fetched(db_path) == {k for k in keys if sample.in_sample(k, 0.25)}
    assert meta_fraction(db_path) == 0.25


@pytest.mark.parametrize("value", ["0", "1.5", "-0.1"])
def test_a_fraction_out_of_range_is_one_line_and_exit_2(tmp_path, value) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "survey.cli", "crawl", "--since", "2024", "--sample", value,
         "--db", str(tmp_path / "s.db")], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"error: --sample {float(value):g}: expected a fraction above 0 and at most 1"
        " (e.g. 0.05)"]
    assert not (tmp_path / "s.db").exists()
