"""How fast `survey crawl` stops when a service is down, with the DEFAULT timeouts (issue 9 §2).

Each scenario runs the real CLI as a subprocess against the local arXiv stand-in (a small
corpus whose papers link GitHub and GitLab repositories) with one service down in one way, and
prints the seconds until the process exited, its exit code and its one line. The target is
under two minutes for every scenario; the tests (``tests/test_outages.py``) check the outcome
with test-sized timeouts, this script measures the real ones.

    .venv/bin/python benchmarks/outage_stop.py [--only NAME]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from support.arxiv_server import ArxivServer, Paper, make_corpus  # noqa: E402,I001
from support.github_server import GitHubServer  # noqa: E402
from support.gitlab_server import GitLabServer  # noqa: E402
from support.hostile import closed_port, drip, silent  # noqa: E402

SINCE, UNTIL = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC)


def corpus() -> list[Paper]:
    gitlab = [Paper(arxiv_id=f"2401.9{i:04d}", title=f"GitLab paper {i}",
                    abstract=f"Our code: https://gitlab.com/team{i}/tool{i}.",
                    published=datetime(2024, 1, 10 + i, tzinfo=UTC), primary="cs.LG",
                    categories=["cs.LG"]) for i in range(6)]
    return make_corpus(120, SINCE, UNTIL, seed=3) + gitlab


@contextmanager
def up() -> Iterator[tuple[GitHubServer, GitLabServer]]:
    with GitHubServer(limit=10**6) as gh, GitLabServer() as gl:
        yield gh, gl




@contextmanager
def refused(gh: GitHubServer, gl: GitLabServer, which: str) -> Iterator[dict[str, str]]:
    url = f"http://127.0.0.1:{closed_port()}"
    env = {"GITHUB_API_URL": gh.api_url, "SURVEY_GITHUB_RAW_URL": gh.raw_url,
           "SURVEY_GITLAB_API_URL": gl.api_url}
    env[which] = url
    yield env


@contextmanager
def hostile_host(gh: GitHubServer, gl: GitLabServer, which: str, kind: str
                 ) -> Iterator[dict[str, str]]:
    head = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100_000 + b"\r\n\r\n"
    server = silent() if kind == "silent" else drip(head, every=1.0, in_headers=True)
    with server as host:
        env = {"GITHUB_API_URL": gh.api_url, "SURVEY_GITHUB_RAW_URL": gh.raw_url,
               "SURVEY_GITLAB_API_URL": gl.api_url}
        env[which] = host.url + ("/api/query" if which == "SURVEY_ARXIV_API_URL" else "")
        yield env


@contextmanager
def faulty(gh: GitHubServer, gl: GitLabServer, pattern: str, status: int
           ) -> Iterator[dict[str, str]]:
    channel = "raw" if pattern.startswith("^/raw") else "any"
    gh.add_fault(pattern, status, times=10**6, channel=channel, body="down")
    yield {"GITHUB_API_URL": gh.api_url, "SURVEY_GITHUB_RAW_URL": gh.raw_url,
           "SURVEY_GITLAB_API_URL": gl.api_url}


SCENARIOS = {
    "github-refused": lambda gh, gl: refused(gh, gl, "GITHUB_API_URL"),
    "github-silent": lambda gh, gl: hostile_host(gh, gl, "GITHUB_API_URL", "silent"),
    "github-drip-1-byte-a-second": lambda gh, gl: hostile_host(gh, gl, "GITHUB_API_URL", "drip"),
    "github-503-always": lambda gh, gl: faulty(gh, gl, r"^/api/", 503),
    "raw-refused": lambda gh, gl: refused(gh, gl, "SURVEY_GITHUB_RAW_URL"),
    "raw-403-every-file": lambda gh, gl: faulty(gh, gl, r"^/raw/", 403),
    "gitlab-refused": lambda gh, gl: refused(gh, gl, "SURVEY_GITLAB_API_URL"),
    "arxiv-refused": lambda gh, gl: refused(gh, gl, "SURVEY_ARXIV_API_URL"),
    "arxiv-silent": lambda gh, gl: hostile_host(gh, gl, "SURVEY_ARXIV_API_URL", "silent"),
}


def run(name: str, papers: list[Paper]) -> tuple[float, int, str]:
    with tempfile.TemporaryDirectory() as tmp, ArxivServer(papers) as ax, up() as (gh, gl):
        for p in papers:
            for word in p.abstract.split() + (p.comment or "").split():
                if "github.com/" in word:
                    gh.model.add_repo(word.split("github.com/")[1].rstrip("."),
                                      {"train.py": b"import torch\n"})
        with SCENARIOS[name](gh, gl) as urls:
            env = {k: v for k, v in os.environ.items()
                   if not k.startswith(("SURVEY_", "GITHUB_"))}
            env.update({"SURVEY_DB": str(Path(tmp) / "s.db"), "SURVEY_ARXIV_API_URL": ax.url,
                        "SURVEY_ARXIV_DELAY": "0", "GITHUB_TOKEN": "benchmark-token"})
            env.update(urls)
            began = time.monotonic()
            proc = subprocess.run(
                [sys.executable, "-c", "from survey.cli import main; main()", "crawl",
                 "--since", "2024-01", "--until", "2024-02", "--no-progress"],
                capture_output=True, text=True, env=env, timeout=900)
            seconds = time.monotonic() - began
    last = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""
    return seconds, proc.returncode, last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(SCENARIOS), help="one scenario")
    args = parser.parse_args()
    papers = corpus()
    print(f"{'scenario':30} {'seconds':>8} exit  line")
    for name in [args.only] if args.only else SCENARIOS:
        seconds, code, line = run(name, papers)
        print(f"{name:30} {seconds:8.1f} {code:4}  {line[:160]}", flush=True)


if __name__ == "__main__":
    main()
