"""Charged GitHub API requests per repository, and what that means for the whole since-2018 set.

Runs the real fetch stage against the local GitHub server of ``tests/github_server.py`` (its
counters are server-side, so they are what GitHub would see) over a synthetic population of
repositories shaped like paper code (a few renamed, missing, empty, truncated), three times:

1. first fetch of every repository (with a token);
2. refetch of the unchanged set one month later (``mode="due"``: ``If-None-Match``);
3. refetch after 10% of the repositories pushed a commit.

Then projects the time for the whole since-2018 set under the 5,000 requests/hour budget.
The population of papers and the share linking code are ASSUMPTIONS stated below, not
measurements: about 400-600k arXiv papers 2018-2026 in cs.LG/cs.CV/cs.CL/cs.AI/cs.NE/stat.ML
(arXiv's own listings show roughly 10k new cs papers a month, API_NOTES.md), of which 25-35%
link a code repository (the share Papers with Code reported for ML papers; an assumption here),
with about 10% of links being duplicates of another paper's repository.

    .venv/bin/python benchmarks/fetch_requests.py [--repos 200]
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from github_server import GitHubServer, add_link  # noqa: E402

from crawler.fetch import fetch_repositories  # noqa: E402
from crawler.http import RequestStats  # noqa: E402
from survey.core.clock import FixedClock  # noqa: E402
from survey.core.db import open_write  # noqa: E402
from survey.core.settings import Settings  # noqa: E402

BUDGET_PER_HOUR = 5000
TOKEN = "ghp_benchmarkTOKENbenchmarkTOKEN0000"


def population(gh: GitHubServer, conn, n: int, rng: random.Random) -> None:
    """Repositories shaped like paper code: mostly small Python trees, some big, some odd."""
    for i in range(n):
        name = f"Lab{i % 7}/Paper{i}"
        kind = rng.random()
        arxiv = f"2101.{i:05d}"
        if kind < 0.04:  # deleted or private
            add_link(conn, arxiv, f"github.com/{name.lower()}")
            continue
        n_py = rng.choice([3, 8, 15, 40, 120])
        files = {f"src/mod{j}.py": f"import torch\n# {i} {j}\n".encode() for j in range(n_py)}
        files["train.py"] = f"import torch\n# {i}\n".encode()
        files["requirements.txt"] = b"torch\nnumpy\n"
        if rng.random() < 0.3:
            files.update({f"notebooks/n{j}.ipynb": b'{"cells": []}' + bytes([j])
                          for j in range(rng.choice([1, 4, 15]))})
        files.update({f"data/img{j}.png": b"\x89PNG" + bytes([j % 256]) for j in range(20)})
        if kind < 0.07:
            gh.model.add_repo(name)  # empty
        elif kind < 0.10:
            gh.model.add_repo(name, files, truncated=True, truncate_at=30)
        else:
            gh.model.add_repo(name, files)
        linked = name
        if rng.random() < 0.05:  # renamed since the paper was written
            linked = f"Old{i}/Paper{i}"
            gh.model.rename(name, linked)
            gh.model.rename(linked, name)
        add_link(conn, arxiv, f"github.com/{linked.lower()}", official=rng.random() < 0.8)


PHASES = ("first fetch", "refetch, unchanged (due)", "refetch, 10% pushed (due)")
# The population of the projection (an ASSUMPTION: 150k-300k GitHub repositories linked by
# arXiv ML papers since 2018) and the arXiv papers per year it is spread over (README, harvest
# projection: estimates, arXiv being unreachable here).
CENSUS = (150_000, 300_000)
PAPERS_BY_YEAR = {2018: 28, 2019: 38, 2020: 48, 2021: 52, 2022: 58, 2023: 75, 2024: 95,
                  2025: 115, 2026: 130}
MONTHLY_NEW_SHARE = 0.02   # new repositories a month, of the census (assumption)
MONTHLY_CHANGED = 0.10     # known repositories pushed in a month (assumption)
# GitHub's pace (API_NOTES.md, documented): REST is best sent serially (GitHub's advice) and
# 900 points a minute per endpoint; GraphQL 2,000 points a minute and 60 s of server time per
# 60 s. Answer times of the real service cannot be measured here: ASSUMED seconds below.
REST_SECONDS = 0.4          # one REST request, serial
RAW_SECONDS = 0.15          # one raw-host download, 4 in parallel
GRAPHQL_SECONDS = {"fetch": 4.0, "folders": 3.0, "texts": 2.0, "check": 1.0}  # per query


def run_api(api: str, n: int, seed: int) -> list[dict[str, Any]]:
    """The three phases against a fresh server and database, for one API."""
    rng = random.Random(seed)
    with GitHubServer() as gh, tempfile.TemporaryDirectory() as tmp:
        conn = open_write(Path(tmp) / "bench.db")
        population(gh, conn, n, rng)
        conn.commit()
        settings = Settings(github_api_url=gh.api_url, github_raw_url=gh.raw_url,
                            github_token=TOKEN, http_backoff=0.01, github_api=api)
        out = []
        start = datetime(2026, 1, 1, tzinfo=UTC)
        for label, mode, days in zip(PHASES, ("pending", "due", "due"), (0, 31, 62),
                                     strict=True):
            if days == 62:
                changed = rng.sample(sorted(gh.model.names), k=max(1, len(gh.model.names) // 10))
                for name in changed:
                    if gh.model.get(name).head:
                        gh.model.push(name, {"train.py": b"import jax\n" + name.encode()})
            gh.reset_counts()
            before = dict(gh.graphql.counts)
            started = time.perf_counter()
            summary = fetch_repositories(conn, settings, RequestStats(), mode=mode,
                                         clock=FixedClock(start + timedelta(days=days)))
            took = time.perf_counter() - started
            points = gh.graphql.counts["points"] - before["points"]
            queries = gh.graphql.counts["queries"] - before["queries"]
            repos = max(summary.repos, 1)
            figures = {"repos": summary.repos, "rest": gh.counts["charged"], "points": points,
                       "queries": queries, "units_per_repo": (gh.counts["charged"] + points)
                       / repos, "raw_per_repo": gh.counts["raw"] / repos,
                       "not_modified": gh.counts["not_modified"], "seconds": took,
                       "timeouts": gh.graphql.counts["timeouts"] - before["timeouts"],
                       "by_kind": {k: v / repos
                                   for k, v in summary.graphql.get("by_kind", {}).items()}}
            print(f"{api:<8} {label:<27} repos {summary.repos:>5}  REST {gh.counts['charged']:>5}"
                  f"  GraphQL points {points:>4} ({queries} queries)"
                  f"  units/repo {figures['units_per_repo']:.3f}"
                  f"  raw/repo {figures['raw_per_repo']:.1f}  304s {gh.counts['not_modified']:>4}"
                  f"  {took:.1f} s local" + _kinds(figures["by_kind"]))
            out.append(figures)
        conn.close()
    return out


def _kinds(by_kind: dict[str, float]) -> str:
    if not by_kind:
        return ""
    return "  queries/repo " + ", ".join(f"{k} {v:.3f}" for k, v in sorted(by_kind.items()))


def hours(api: str, repos: float, phase: dict[str, Any]) -> tuple[float, float]:
    """(hours of budget, hours of pace) for ``repos`` at one phase's measured rates. Requests
    are serial, so GraphQL's 60 s of server time a minute is the wall time itself; 2,000
    points a minute (GraphQL) and 900 a minute per endpoint (REST) are never reached."""
    budget = repos * phase["units_per_repo"] / BUDGET_PER_HOUR
    raw = phase["raw_per_repo"] * RAW_SECONDS / 4
    if api == "rest":
        pace = repos * (phase["units_per_repo"] * REST_SECONDS + raw) / 3600
    else:
        per_repo = sum(n * GRAPHQL_SECONDS.get(k, 4.0) for k, n in phase["by_kind"].items())
        pace = repos * (per_repo + phase["rest"] / max(phase["repos"], 1) * REST_SECONDS
                        + raw) / 3600
    return budget, pace


def projection(results: dict[str, list[dict[str, Any]]]) -> None:
    print()
    print("Projection, one token (5,000 an hour: REST requests or GraphQL points). The time is"
          " the larger of the budget and GitHub's pace (ASSUMED answer times, see the docstring):")
    for api, (first, _unchanged, pushed) in results.items():
        for census in CENSUS:
            b, p = hours(api, census, first)
            new = census * MONTHLY_NEW_SHARE
            rb, rp = hours(api, census, pushed)
            nb, np_ = hours(api, new, first)
            print(f"  {api:<8} {census:>7,} repositories: first crawl"
                  f" {census * first['units_per_repo']:>9,.0f} units = {b:6.1f} h budget,"
                  f" {p:6.1f} h pace -> {max(b, p):6.1f} h;  monthly refresh ({new:,.0f} new,"
                  f" {MONTHLY_CHANGED:.0%} of the known pushed)"
                  f" {max(rb, rp) + max(nb, np_):5.1f} h")
        b, p = hours(api, 0.05 * CENSUS[1], first)
        print(f"  {api:<8} --sample 0.05 of {CENSUS[1]:,}: {0.05 * CENSUS[1]:,.0f}"
              f" repositories, {max(b, p):.2f} h ({b:.2f} h budget, {p:.2f} h pace)")


def intervals() -> None:
    """95% half-widths of a share from a --sample 0.05 (p = 0.5 is the widest, 0.8 ~PyTorch)."""
    print()
    print("95% interval of a framework's share with --sample 0.05 (normal approximation):")
    total = sum(PAPERS_BY_YEAR.values())
    for census in CENSUS:
        n = 0.05 * census
        whole = 1.96 * math.sqrt(0.25 / n) * 100
        years = []
        for year, papers in PAPERS_BY_YEAR.items():
            ny = n * papers / total
            years.append(f"{year} n={ny:,.0f} ±{1.96 * math.sqrt(0.25 / ny) * 100:.1f}")
        print(f"  {census:>7,}: {n:,.0f} sampled, all years ±{whole:.1f} points (p=0.5),"
              f" ±{1.96 * math.sqrt(0.16 / n) * 100:.1f} (p=0.8); by year (p=0.5): "
              + ", ".join(years))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    results = {api: run_api(api, args.repos, args.seed) for api in ("rest", "graphql")}
    projection(results)
    intervals()


if __name__ == "__main__":
    main()
