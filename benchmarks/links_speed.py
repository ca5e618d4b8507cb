"""Speed of the link extractor: realistic papers per second, and megabyte adversarial inputs.

The harvest calls ``paper_links`` once per paper inside its write transaction, so the extractor
must cost far less than parsing the Atom feed; and since abstracts are outside data, no input may
make it slow (a regex pass without catastrophic backtracking). Prints figures, asserts nothing.

    .venv/bin/python benchmarks/links_speed.py
"""

from __future__ import annotations

import random
import textwrap
import time

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


def main() -> None:
    papers = realistic(20_000)
    size = sum(len(a) + len(c or "") for a, c in papers)
    start = time.perf_counter()
    links = sum(len(paper_links(a, c)) for a, c in papers)
    elapsed = time.perf_counter() - start
    print(f"realistic: {len(papers):,} papers ({size / 1e6:.1f} MB), {links:,} links in "
          f"{elapsed:.2f} s = {len(papers) / elapsed:,.0f} papers/s, "
          f"{size / elapsed / 1e6:.1f} MB/s")
    print("adversarial inputs (about 1 MB each):")
    for name, text in ADVERSARIAL.items():
        start = time.perf_counter()
        found = paper_links(text, None)
        elapsed = time.perf_counter() - start
        print(f"  {name:38s} {elapsed:6.2f} s  {len(text) / elapsed / 1e6:6.1f} MB/s  "
              f"{len(found):>6} links")


if __name__ == "__main__":
    main()
