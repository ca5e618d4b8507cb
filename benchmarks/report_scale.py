"""Report at scale: time, peak memory and page size over synthetic databases.

Targets (issues 5 and 14): a report over 1,000,000 papers in under 30 s with peak memory under
2 GB, and a page under 8 MB whatever the data size: everything is aggregated before plotting,
and the explorer of the papers behind the charts embeds a capped sample per cell. The synthetic
titles and evidence are made as long as real ones (a title of about 110 characters, two items
of evidence per repository), so the page size is what a real database would give.

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
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

AS_OF = date(2026, 10, 31)


def build(n: int) -> Path:
    """The cached synthetic database of ``n`` papers (built once)."""
    from synthetic import fill_synthetic

    from survey.core.db import open_write

    path = OUT / f"report_scale_v2_{n}.db"
    done = path.with_suffix(".done")
    if path.exists() and done.exists():
        return path
    path.unlink(missing_ok=True)
    OUT.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    conn = open_write(path)
    summary = fill_synthetic(conn, n, seed=1)
    realistic(conn)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    done.write_text(json.dumps(vars(summary)))
    print(f"  built {path.name}: {summary.papers:,} papers, {summary.links:,} links,"
          f" {summary.repos:,} repositories in {time.perf_counter() - t0:.1f} s")
    return path


def realistic(conn) -> None:
    """Titles and evidence of real lengths (the explorer embeds both)."""
    conn.execute(
        "UPDATE papers SET title = 'Scalable self-supervised representation learning for robust"
        " visual recognition under distribution shift, part ' || rowid")
    conn.execute(
        "UPDATE classifications SET evidence = json_array("
        " json_object('file', 'src/models/backbone_' || (rowid % 50) || '.py', 'line',"
        "  rowid % 300, 'seen', 'import torch.nn.functional as F', 'framework', framework,"
        "  'weight', 1.95),"
        " json_object('file', 'requirements.txt', 'line', 3, 'seen', 'torch>=1.13.1',"
        "  'framework', framework, 'weight', 0.5))")


def child(db: Path, out: Path) -> None:
    """Run one report and print its figures as JSON (called in a fresh process)."""
    from analysis.explorer import embed
    from analysis.report import generate_report
    from survey.core.db import open_write
    from survey.core.settings import Settings

    t0 = time.perf_counter()
    conn = open_write(db)
    page, data = generate_report(conn, Settings(), out, as_of=AS_OF)
    conn.close()
    seconds = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    ex = data.explorer
    print(json.dumps({"seconds": seconds, "peak_mb": peak_kb / 1024,
                      "page_bytes": page.stat().st_size, "shown": ex.shown, "total": ex.total,
                      "cap": ex.cap, "explorer_bytes": len(embed(ex.payload).encode())}))


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
        verdict.append("page OK" if r["page_bytes"] < 8_000_000 else "PAGE OVER 8 MB")
        ok &= all("OK" in v for v in verdict)
        sample = ("all listed" if r["cap"] is None else f"at most {r['cap']} per cell")
        print(f"  {n:>9,} papers: {r['seconds']:5.1f} s, peak RSS {r['peak_mb']:6.0f} MB,"
              f" page {r['page_bytes'] / 1e6:4.2f} MB  [{', '.join(verdict)}]\n"
              f"  {'':>9}  explorer: {r['shown']:,} of {r['total']:,} paper-repository pairs"
              f" ({sample}), {r['explorer_bytes'] / 1e6:4.2f} MB of the page")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
