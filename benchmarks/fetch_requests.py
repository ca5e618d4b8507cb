"""Charged GitHub API requests per repository, and what that means for the whole since-2018 set.

Runs the real fetch stage against the local GitHub server of ``tests/support/github_server.py`` (its
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
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from support.github_server import GitHubServer, add_link  # noqa: E402

from crawler.fetch import fetch_repositories  # noqa: E402
from crawler.http import RequestStats  # noqa: E402
from survey.core.clock import FixedClock  # noqa: E402
from survey.core.db import open_write  # noqa: E402
from survey.core.settings import Settings  # noqa: E402

BUDGET_PER_HOUR = 5000
TOKEN = "ghp_benchmarkTOKENbenchmarkTOKEN0000"
# A fixed start, so the "month later" runs never depend on the day the script runs.
START = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with GitHubServer() as gh, tempfile.TemporaryDirectory() as tmp:
        conn = open_write(Path(tmp) / "bench.db")
        population(gh, conn, args.repos, rng)
        settings = Settings(github_api_url=gh.api_url, github_raw_url=gh.raw_url,
                            github_token=TOKEN, http_backoff=0.01)

        def phase(label: str, *, now: datetime | None = None, **kw) -> dict[str, float]:
            gh.reset_counts()
            started = time.perf_counter()
            summary = fetch_repositories(conn, settings, RequestStats(),
                                         clock=FixedClock(now or START), **kw)
            took = time.perf_counter() - started
            n = max(summary.repos, 1)
            figures = {
                "repos": summary.repos,
                "charged": gh.counts["charged"],
                "charged_per_repo": gh.counts["charged"] / n,
                "not_modified": gh.counts["not_modified"],
                "raw_per_repo": gh.counts["raw"] / n,
                "kb_per_repo": gh.counts["raw_bytes"] / n / 1000,
                "seconds": took,
            }
            print(f"{label:<34} repos {summary.repos:>4}  charged {figures['charged']:>5}"
                  f" ({figures['charged_per_repo']:.2f}/repo)  304s {figures['not_modified']:>4}"
                  f"  raw {figures['raw_per_repo']:.1f}/repo ({figures['kb_per_repo']:.1f} kB)"
                  f"  outcomes {dict(sorted(summary.outcomes.items()))}  {took:.2f} s local")
            return figures

        first = phase("first fetch")
        month = START + timedelta(days=31)
        again = phase("refetch, unchanged (due)", mode="due", now=month)
        changed = rng.sample(sorted(gh.model.names), k=max(1, len(gh.model.names) // 10))
        for name in changed:
            if gh.model.get(name).head:
                gh.model.push(name, {"train.py": b"import jax\n" + name.encode()})
        later = phase("refetch, 10% pushed (due)", mode="due", now=month + timedelta(days=31))
        # Dead links are asked again 1, 2, 4... months after each miss: asked on day 31, not
        # on day 62 (above: 197 repositories), again on day 93.
        phase("refetch, day 93 (due)", mode="due", now=month + timedelta(days=62))
        conn.close()

    print()
    print("Projection for the since-2018 set (ASSUMED population, see the module docstring):")
    per_repo = first["charged_per_repo"]
    for papers, share in [(400_000, 0.25), (500_000, 0.30), (600_000, 0.35)]:
        repos = int(papers * share * 0.9)
        requests = repos * per_repo
        hours = requests / BUDGET_PER_HOUR
        print(f"  {papers:>7,} papers x {share:.0%} with code -> ~{repos:>7,} repositories:"
              f" {requests:>9,.0f} charged requests = {hours:6.1f} h ({hours / 24:4.1f} days)"
              f" at {BUDGET_PER_HOUR:,}/h")
    monthly_new = int(10_000 * 0.30 * 0.9)
    known = 150_000
    monthly = monthly_new * per_repo + known * later["charged_per_repo"]
    print(f"  monthly refresh (assumed: ~{monthly_new:,} new repositories, {known:,} known of"
          f" which 10% changed): {monthly_new * per_repo:,.0f} + {known:,} x"
          f" {later['charged_per_repo']:.2f} = ~{monthly:,.0f} charged requests"
          f" = {monthly / BUDGET_PER_HOUR:.1f} h; unchanged repositories cost"
          f" {again['charged_per_repo']:.2f} charged requests each (free 304s)")

if __name__ == "__main__":
    main()
