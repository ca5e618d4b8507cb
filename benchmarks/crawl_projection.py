"""Projection: requests and minimum time of a real ``survey crawl --since 2018``.

arXiv allows one request every 3 s, so the crawl's duration is bounded below by
``requests x 3 s``. The request count follows the harvester's own rules (imported, not copied):
monthly windows; a month above ``arxiv_window_max`` costs one probe request and is cut into
``parts_for(total, window_max, page)`` pieces; each piece costs ``ceil(papers / 2000)`` pages.

ASSUMPTIONS (printed below; override with --volumes): new submissions per year in the union of
cs.LG, cs.CV, cs.CL, cs.AI, cs.NE and stat.ML, cross-lists included and counted once. They are
round estimates consistent with API_NOTES.md ("about 10k new cs papers a month" today) and with
the AI Index's counts of AI papers on arXiv (tens of thousands a year in 2018-2020, roughly
doubling by 2024); they are not measured here, because arXiv is not reachable from this machine.
Papers are assumed spread evenly within a year (an uneven month may need one more split: about
one extra request per split piece that overflows). Retries are not counted.

    .venv/bin/python benchmarks/crawl_projection.py [--until-month 2026-11] [--delay 3]
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawler.arxiv_client import MAX_PAGE_SIZE  # noqa: E402
from crawler.windows import parts_for  # noqa: E402
from survey.core.settings import Settings  # noqa: E402

# papers per year in the default categories (union, deduplicated): estimates, see docstring
VOLUMES = {2018: 28_000, 2019: 38_000, 2020: 48_000, 2021: 52_000, 2022: 58_000,
           2023: 75_000, 2024: 95_000, 2025: 115_000, 2026: 130_000}


def month_requests(total: int, window_max: int, page: int) -> tuple[int, int]:
    """(requests, windows) for one month of ``total`` papers under the harvester's rules."""
    parts = parts_for(total, window_max, page)
    if parts == 1:
        return max(1, math.ceil(total / page)), 1
    per_piece = math.ceil(total / parts)
    return 1 + parts * max(1, math.ceil(per_piece / page)), parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--until-month", default="2026-11", help="last month crawled (YYYY-MM)")
    parser.add_argument("--delay", type=float, default=3.0, help="seconds between requests")
    parser.add_argument("--volumes", default="",
                        help="override yearly volumes, e.g. 2024=100000,2025=120000")
    args = parser.parse_args()
    volumes = dict(VOLUMES)
    for item in filter(None, args.volumes.split(",")):
        year, _, n = item.partition("=")
        volumes[int(year)] = int(n)
    last_year, last_month = (int(x) for x in args.until_month.split("-"))
    settings = Settings()
    page, window_max = min(settings.arxiv_page_size, MAX_PAGE_SIZE), settings.arxiv_window_max

    print("assumed papers per year (cs.LG|cs.CV|cs.CL|cs.AI|cs.NE|stat.ML, cross-lists once):")
    print("  " + ", ".join(f"{y} {n:,}" for y, n in sorted(volumes.items())))
    print(f"rules: monthly windows, split above {window_max:,} papers into pieces that fit"
          f" whole pages with 10% headroom, pages of {page:,}, {args.delay:g} s between requests")
    print()
    print(f"{'year':>6} {'papers':>9} {'windows':>8} {'requests':>9} {'min time':>10}")
    tot_papers = tot_windows = tot_requests = 0
    for year in sorted(volumes):
        months = 12 if year < last_year else last_month
        if year > last_year:
            continue
        per_month = volumes[year] / 12
        requests = windows = 0
        for _ in range(months):
            r, w = month_requests(round(per_month), window_max, page)
            requests += r
            windows += w
        papers = round(per_month * months)
        tot_papers += papers
        tot_windows += windows
        tot_requests += requests
        print(f"{year:>6} {papers:>9,} {windows:>8,} {requests:>9,}"
              f" {requests * args.delay / 60:>8.1f} m")
    seconds = tot_requests * args.delay
    print(f"{'total':>6} {tot_papers:>9,} {tot_windows:>8,} {tot_requests:>9,}"
          f" {seconds / 60:>8.1f} m")
    print()
    print(f"a --since 2018 crawl: {tot_requests:,} arXiv requests, at least"
          f" {seconds / 60:.0f} min ({seconds / 3600:.2f} h) at {args.delay:g} s per request")
    print(f"  of which split probes: one per split month; floor without them:"
          f" {math.ceil(tot_papers / page):,} requests")
    recent = sum(month_requests(round(volumes[last_year] / 12), window_max, page)[0]
                 for _ in range(2))
    print(f"a monthly refresh (the last ~5 weeks: two monthly windows): about {recent} requests,"
          f" {recent * args.delay:.0f} s")


if __name__ == "__main__":
    main()
