"""Report at scale: time, peak memory and page size over synthetic databases.

Targets (issue 5): a report over 1,000,000 papers in under 30 s with peak memory under 2 GB,
and a page under 6 MB whatever the data size (everything is aggregated before plotting).

    .venv/bin/python benchmarks/report_scale.py            # 10k and 1M papers
    .venv/bin/python benchmarks/report_scale.py --papers 200000

Synthetic databases are cached in benchmarks/out/ (gitignored). Each report runs in a child
process so its peak RSS (``resource.getrusage``) is the report's alone, not the generator's.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def build(n: int) -> Path:
    """The cached synthetic database of ``n`` papers (built once)."""
    from synthetic import fill_synthetic

    from survey.core.db import open_write

    path = OUT / f"report_scale_{n}.db"
    done = path.with_suffix(".done")
    if path.exists() and done.exists():
        return path
    path.unlink(missing_ok=True)
    OUT.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    conn = open_write(path)
    summary = fill_synthetic(conn, n, seed=1)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    done.write_text(json.dumps(vars(summary)))
    print(f"  built {path.name}: {summary.papers:,} papers, {summary.links:,} links,"
          f" {summary.repos:,} repositories in {time.perf_counter() - t0:.1f} s")
    return path


def child(db: Path, out: Path) -> None:
    """Run one report and print its figures as JSON (called in a fresh process)."""
    from analysis.report import write_report
    from survey.core.db import open_write
    from survey.core.settings import Settings

    t0 = time.perf_counter()
    conn = open_write(db)
    page = write_report(conn, Settings(), out, now=NOW)
    conn.close()
    seconds = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    print(json.dumps({"seconds": seconds, "peak_mb": peak_kb / 1024,
                      "page_bytes": page.stat().st_size}))


def measure(n: int) -> dict[str, float]:
    db = build(n)
    out = OUT / f"report_{n}"
    proc = subprocess.run([sys.executable, __file__, "--child", str(db), str(out)],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, nargs="*", default=[10_000, 1_000_000])
    parser.add_argument("--child", nargs=2, metavar=("DB", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]))
        return
    print("report_scale: survey report over synthetic databases (default Settings: 200"
          " bootstrap replicates)")
    ok = True
    for n in args.papers:
        r = measure(n)
        verdict = []
        if n >= 1_000_000:
            verdict.append("time OK" if r["seconds"] < 30 else "TIME OVER 30 s")
            verdict.append("memory OK" if r["peak_mb"] < 2048 else "MEMORY OVER 2 GB")
        verdict.append("page OK" if r["page_bytes"] < 6_000_000 else "PAGE OVER 6 MB")
        ok &= all("OK" in v for v in verdict)
        print(f"  {n:>9,} papers: {r['seconds']:5.1f} s, peak RSS {r['peak_mb']:6.0f} MB,"
              f" page {r['page_bytes'] / 1e6:4.2f} MB  [{', '.join(verdict)}]")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
