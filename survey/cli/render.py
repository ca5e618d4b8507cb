"""How results look on a terminal: the crawl and refresh summaries, the status screen.

The library returns typed summaries and plain dicts; this module turns them into rich tables.
Every outside string (errors, categories, names) goes in as plain ``Text``, never as markup.
"""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from survey.jobs.crawl import CrawlSummary

MAX_SHORT_SHOWN = 10


def render_crawl_summary(summary: CrawlSummary) -> Group:
    """The one-screen end-of-run summary: papers, links, windows, requests, retries, time."""
    title = f"survey {summary.command}: {summary.outcome} in {_duration(summary.seconds)}"
    table = Table(title=title,
                  show_header=False, title_justify="left", box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    h = summary.stages.get("harvest")
    if h:
        _row(table, "papers", f"{h['papers_new']:,} new, {h['papers_updated']:,} updated"
                                f" ({h['papers_seen']:,} received)")
        _row(table, "links", f"{h['links']:,} written")
        _row(table, "windows", f"{h['windows_done']:,} done, {h['windows_skipped']:,} skipped,"
                                 f" {h['windows_short']:,} short, {h['windows_split']:,} split")
        for item in h.get("short", [])[:5]:
            _row(table, "  short", f"{item['start']} .. {item['end']}:"
                                     f" {item['fetched']:,} of {item['total']:,}")
    for name, result in summary.stages.items():
        if name != "harvest":
            _row(table, name, ", ".join(f"{k} {v}" for k, v in result.items()
                                          if isinstance(v, int | float | str))[:200])
    _row(table, "requests", _counts(summary.requests) or "none")
    _row(table, "retries", _counts(summary.retries) or "none")
    if summary.error:
        _row(table, "error", summary.error)
    return Group(table)


def _counts(counter: dict[str, int]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in sorted(counter.items(), key=lambda kv: -kv[1]))


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


def render_status(status: dict[str, Any]) -> RenderableType:
    """One screen: papers, links by host, windows (short ones with both numbers), runs."""
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    p = status["papers"]
    span = f" (first versions {p['first'][:10]} .. {p['last'][:10]})" if p["total"] else ""
    _row(table, "papers", f"{p['total']:,}{span}")
    if p["by_year"]:
        _row(table, "  by year", ", ".join(f"{y} {n:,}" for y, n in p["by_year"].items()))
    links = status["links"]
    _row(table, "links", f"{links['total']:,} ({links['official']:,} official) to"
                         f" {links['repos']:,} repositories, from {p['with_links']:,} papers")
    for host, n in list(links["by_host"].items())[:8]:
        _row(table, f"  {host}", f"{n:,}")
    if "repos" in status:
        _row(table, "repositories", ", ".join(f"{k} {v:,}" for k, v in status["repos"].items()))
    if "classifications" in status:
        _row(table, "frameworks",
             ", ".join(f"{k} {v:,}" for k, v in status["classifications"].items()))
    if not status["windows"]:
        _row(table, "windows", "none yet: run `survey crawl --since 2018`")
    for w in status["windows"]:
        _row(table, "windows", f"[{w['categories']}] {w['from'][:10]} .. {w['to'][:10]}:"
                               f" {w['complete']:,} complete, {w['short']:,} short,"
                               f" {w['split']:,} split; {w['requests'] or 0:,} requests")
        for s in w["short_windows"][:MAX_SHORT_SHOWN]:
            _row(table, "  short", f"{s['start']} .. {s['end']}: {s['fetched']:,} of"
                                   f" {s['total']:,} papers received (retried by the next crawl)",
                 style="yellow")
        if len(w["short_windows"]) > MAX_SHORT_SHOWN:
            _row(table, "  short", f"... and {len(w['short_windows']) - MAX_SHORT_SHOWN} more",
                 style="yellow")
    if sample := status.get("sample"):  # survey crawl --sample (issue 11)
        _row(table, "sample", f"{sample['fraction']:g} of the linked repositories:"
                              f" {sample['repositories']:,} fetched")
    if not status["runs"]:
        _row(table, "runs", "none yet")
    for r in status["runs"]:
        what = r["error"] or ""
        h = r["harvest"]
        if h and not what:
            what = (f"{h['papers_new']:,} new papers; windows {h['windows_done']} done,"
                    f" {h['windows_skipped']} skipped, {h['windows_short']} short")
        if r["requests"]:
            what += "; requests " + ", ".join(f"{k} {v:,}" for k, v in r["requests"].items())
        if (c := r.get("cost")) and c["repos"]:  # GitHub's charge for the fetch (issue 11)
            what += (f"; GitHub {c['api']}: {c['rest_charged']:,} REST, {c['graphql_points']:,}"
                     f" GraphQL points for {c['repos']:,} repositories"
                     + (f" (sample {c['sample']:g})" if c["sample"] else ""))
        when = (r["started_at"] or "").replace("T", " ")[:16]
        # A run killed with SIGKILL cannot record its end: say so rather than "running".
        outcome = "running (or killed)" if r["outcome"] == "running" else r["outcome"]
        _row(table, f"run #{r['id']}", f"{r['command']} {when} {outcome}"
                                       + (f": {what.strip('; ')}" if what else ""))
    return Group(table)


def _row(table: Table, *cells: str, style: str = "") -> None:
    """Cells as plain text: outside strings (errors, categories) are never read as markup."""
    table.add_row(*(Text(c, style=style) for c in cells))
