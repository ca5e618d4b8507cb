"""Speed of the link extractor: realistic papers per second, and megabyte adversarial inputs.

The harvest calls ``paper_links`` once per paper inside its write transaction, so the extractor
must cost far less than parsing the Atom feed; and since abstracts are outside data, no input may
make it slow (a regex pass without catastrophic backtracking). Prints figures, asserts nothing.

Each figure is given as wall time and as this process's CPU time (``time.process_time``), with
the load average: on a shared machine the wall time measures the other jobs too, the CPU time
is what one idle core would take. The realistic papers are timed over five passes (median,
slowest, fastest): on a shared virtual machine one pass can be 25% slower than the next.
Targets (issue 12): above 5,000 papers a second, and under a second for any input up to 1 MB.

    .venv/bin/python benchmarks/links_speed.py
"""

from __future__ import annotations

import os
import random
import statistics
import textwrap
import time
from collections.abc import Callable
from typing import TypeVar

from crawler.links import paper_links

WORDS = ("we propose a novel method for learning representations of graphs with transformers "
         "and show that it outperforms strong baselines on five benchmarks while using less "
         "memory than prior work").split()
TAILS = ["Code is available at https://github.com/lab{i}/method-{i}.",
         "We build on https://github.com/facebookresearch/detectron2 and release our code at "
         "\\url{{github.com/lab{i}/\nproject-{i}}}.",
         "Models: https://huggingface.co/lab{i}/model-{i}. Project page: https://lab{i}.github.io/p",
         "", "", ""]  # about half of recent ML abstracts carry a link


def realistic(n: int, seed: int = 0) -> list[tuple[str, str | None]]:
    """Abstracts of about 1,200 characters wrapped at 80 columns like arXiv metadata."""
    rng = random.Random(seed)
    papers = []
    for i in range(n):
        body = " ".join(rng.choice(WORDS) for _ in range(170))
        text = body + ". " + rng.choice(TAILS).format(i=i)
        wrapped = textwrap.fill(text, 80, break_long_words=False, break_on_hyphens=False)
        comment = rng.choice([None, "12 pages, 4 figures", f"Code: https://github.com/c{i}/r"])
        papers.append((wrapped, comment))
    return papers


T = TypeVar("T")
# A shared virtual machine's speed varies from one second to the next: the realistic figure is
# the median of several passes over the same papers, with the slowest and fastest beside it.
PASSES = 5
MB = 1_000_000
ADVERSARIAL = {
    "a.a.a.a... (dots)": "a." * (MB // 2),
    "github.com/github.com/...": "github.com/" * (MB // 11),
    "https://https://...": "https://" * (MB // 8),
    "URL then 500k '(' and ')'": "https://github.com/o/r" + "(" * (MB // 2) + ")" * (MB // 2),
    "URL then 1M ')'": "github.com/o/r" + ")" * MB,
    "wrapped 'github.com/o/a-\\n' lines": "github.com/o/a-\n" * (MB // 16),
    "one 1 MB URL": "https://github.com/o/" + "a" * MB,
    "cue words then a link": "we use our code based on available " * (MB // 36) + "github.com/o/r",
    "66k copies of one link": "github.com/o/r " * (MB // 15),
    "50k distinct links": " ".join(f"github.com/o/r{i}" for i in range(MB // 20)),
    "LaTeX escapes": "\\_" * (MB // 2),
    "random unicode": "".join(chr(random.Random(1).randrange(0x20, 0x2FFF)) for _ in range(MB)),
}


def timed(fn: Callable[..., T], *args: object) -> tuple[T, float, float]:
    """(result, wall seconds, CPU seconds) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn(*args)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    papers = realistic(20_000)
    size = sum(len(a) + len(c or "") for a, c in papers)
    rates = []
    for run in range(1, PASSES + 1):
        links, wall, cpu = timed(lambda: sum(len(paper_links(a, c)) for a, c in papers))
        rates.append(len(papers) / cpu)
        print(f"realistic pass {run}: {len(papers):,} papers ({size / 1e6:.1f} MB), {links:,} "
              f"links: {len(papers) / wall:,.0f} papers/s wall ({wall:.2f} s), "
              f"{len(papers) / cpu:,.0f} papers/s CPU ({cpu:.2f} s)")
    print(f"realistic, {PASSES} passes: median {statistics.median(rates):,.0f} papers/s CPU, "
          f"slowest {min(rates):,.0f}, fastest {max(rates):,.0f}")
    print("adversarial inputs (about 1 MB each): wall s, CPU s, links")
    worst = 0.0
    for name, text in ADVERSARIAL.items():
        found, wall, cpu = timed(paper_links, text, None)
        worst = max(worst, cpu)
        print(f"  {name:38s} {wall:6.2f} {cpu:6.2f}  {len(found):>6}")
    print(f"slowest 1 MB input: {worst:.2f} s CPU")
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
