"""`survey import pwc` on a synthetic PwC-sized archive: seconds and peak memory, both formats.

Writes a 300,000-row archive in the real schema (``tests/support/pwc_archive.py``: ids from 2018
to mid-2025, 5% odd rows) as the JSON list (``.json.gz``) and as parquet, a database holding half
of its papers as harvested, then imports each file in a fresh process and prints the wall time,
the CPU time (user + system: on a shared machine the wall time also counts the waits for a
core), the process's peak resident set size, and the same for a tenth of the rows (memory that
stays flat does not grow tenfold with the file), and a second import of the same file
(idempotent: nothing added). rows/s is over CPU time.

    .venv/bin/python benchmarks/pwc_import.py [--rows 300000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from support.pwc_archive import synthetic_rows, write_json, write_parquet  # noqa: E402


def _vm(field: str) -> float:
    """``VmHWM`` (peak) or ``VmRSS`` (now) of this process in MB, from /proc.

    Not ``ru_maxrss``: on Linux it keeps the high-water mark of the process before ``exec``,
    so a child would report its parent's size.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(path: Path, db: Path) -> None:
    """Run one import in this process and print its figures as JSON."""
    from survey.core.settings import Settings
    from survey.jobs.imports import import_pwc

    start = resource.getrusage(resource.RUSAGE_SELF)
    before, cpu0 = _vm("VmRSS"), start.ru_utime + start.ru_stime
    started = time.perf_counter()
    summary = import_pwc(Settings(db=db), path)
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak = _vm("VmHWM")
    r = summary.result
    print(json.dumps({"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime - cpu0,
                      "peak_mb": peak, "start_mb": before,
                      "rows": r["rows"], "added": r["added"], "unchanged": r["unchanged"],
                      "attached": r["attached"], "pending": r["pending"],
                      "skipped": r["skipped"]}))


def run_child(path: Path, db: Path) -> dict[str, object]:
    out = subprocess.run([sys.executable, __file__, "--child", str(path), str(db)],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def base_database(db: Path, ids: list[str]) -> None:
    """A database whose papers are every other id of the archive (harvested)."""
    from survey.core.db import open_write, transaction

    conn = open_write(db)
    with transaction(conn):
        conn.executemany(
            "INSERT OR IGNORE INTO papers (arxiv_id, version, title, abstract, primary_category,"
            " categories, authors, published, updated, harvested_at) VALUES (?, 1, 'A paper',"
            " '', 'cs.LG', 'cs.LG', '[]', ?, ?, '2026-01-01T00:00:00Z')",
            [(a, f"20{a[:2]}-{a[2:4]}-10T12:00:00Z", f"20{a[:2]}-{a[2:4]}-10T12:00:00Z")
             for a in ids[::2]])
    conn.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=300_000)
    ap.add_argument("--keep", type=Path, help="write the files here and keep them")
    ap.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    folder = args.keep or Path(tempfile.mkdtemp(prefix="pwc-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        files = {}
        for n in (args.rows, args.rows // 10):
            files[("json.gz", n)] = write_json(synthetic_rows(n), folder / f"links-{n}.json.gz")
            files[("parquet", n)] = write_parquet(synthetic_rows(n), folder / f"links-{n}.parquet")
        ids = sorted({r["paper_arxiv_id"] for r in synthetic_rows(args.rows)
                      if r["paper_arxiv_id"]})
        base = folder / "base.db"
        base_database(base, ids)
        print(f"synthetic archive: {args.rows:,} rows, {len(ids):,} papers, {len(ids[::2]):,}"
              f" of them harvested; written in {time.perf_counter() - started:.1f} s")
        for path in files.values():
            print(f"  {path.name}: {path.stat().st_size / 1e6:,.1f} MB")
        print()
        print(f"{'file':<10} {'rows':>8} {'run':<7} {'wall s':>7} {'CPU s':>6} {'rows/s':>8}"
              f" {'peak RSS':>9} {'at start':>9}  result")
        for (fmt, n), path in files.items():
            db = folder / f"bench-{fmt}-{n}.db"
            shutil.copy(base, db)
            runs = ("first", "again") if n == args.rows else ("first",)
            for run in runs:
                r = run_child(path, db)
                what = (f"added {r['added']:,}, attached {r['attached']:,}, pending"
                        f" {r['pending']:,}, skipped {sum(r['skipped'].values()):,}"
                        if run == "first" else f"added {r['added']:,}, unchanged"
                        f" {r['unchanged']:,}")
                print(f"{fmt:<10} {n:>8,} {run:<7} {r['seconds']:>7.1f} {r['cpu']:>6.1f}"
                      f" {n / float(r['cpu']):>8,.0f} {r['peak_mb']:>7.0f} MB"
                      f" {r['start_mb']:>6.0f} MB  {what}")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
