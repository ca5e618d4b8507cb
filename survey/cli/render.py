"""How results look on a terminal: the crawl and refresh summaries, the status screen.

The library returns typed summaries and plain dicts; this module turns them into rich tables.
Every outside string (errors, categories, names) goes in as plain ``Text``, never as markup,
and through :func:`terminal_safe`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import typer
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from survey.cli.console import emit, output, terminal_safe
from survey.jobs.crawl import CrawlSummary

MAX_SHORT_SHOWN = 10


def print_json(data: Any) -> None:
    """``data`` as indented JSON on stdout (plain print: outside strings are never markup)."""
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def print_summary(summary: CrawlSummary, as_dict: dict[str, Any], *, as_json: bool,
                  wrote: Sequence[str] = ()) -> None:
    """The end of a crawl or refresh: JSON on stdout with ``--json``; else the summary table on
    stderr and one ``wrote PATH`` line per page on stdout; nothing with ``-q``."""
    if as_json:
        print_json(as_dict)
        return
    if output().quiet:
        return
    emit(render_crawl_summary(summary), stderr=True)
    for path in wrote:
        typer.echo(f"wrote {path}")


def render_crawl_summary(summary: CrawlSummary) -> Group:
    """The one-screen end-of-run summary: papers, links, windows, requests, retries, time."""
    title = f"survey {summary.command}: {summary.outcome} in {_duration(summary.seconds)}"
    table = Table(title=title,
                  show_header=False, title_justify="left", box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    h = summary.stages.get("harvest")
    if h:
        _harvest_rows(table, h)
    for name, result in summary.stages.items():
        if name != "harvest":
            _row(table, name, ", ".join(f"{k} {v}" for k, v in result.items()
                                          if isinstance(v, int | float | str))[:200])
    _row(table, "requests", _counts(summary.requests) or "none")
    _row(table, "retries", _counts(summary.retries) or "none")
    if summary.waits:
        _row(table, "waits", ", ".join(
            f"{k} {int(v['count'])}x {v['seconds']:,.1f} s" for k, v in sorted(
                summary.waits.items(), key=lambda kv: -kv[1]["seconds"])))
    if summary.bytes:
        _row(table, "received", ", ".join(f"{k} {_size(v)}" for k, v in sorted(
            summary.bytes.items(), key=lambda kv: -kv[1])))
    if summary.error:
        _row(table, "error", summary.error)
    return Group(table)


def _harvest_rows(table: Table, h: dict[str, Any]) -> None:
    _row(table, "papers", f"{h['papers_new']:,} new, {h['papers_updated']:,} updated"
                          f" ({h['papers_seen']:,} received)")
    _row(table, "links", f"{h['links']:,} written")
    _row(table, "windows", f"{h['windows_done']:,} done, {h['windows_skipped']:,} skipped,"
                           f" {h['windows_short']:,} short, {h['windows_split']:,} split")
    for item in h.get("short", [])[:5]:
        _row(table, "  short", f"{item['start']} .. {item['end']}:"
                               f" {item['fetched']:,} of {item['total']:,}")
    if h.get("entries_skipped"):
        shown = ", ".join(f"{e['id']} ({e['reason']})" for e in h.get("skipped", [])[:3])
        _row(table, "  skipped", f"{h['entries_skipped']:,} entries: {shown}"[:200])
    for item in h.get("overstated", [])[:3]:
        _row(table, "  overstated", f"{item['start']} .. {item['end']}: {item['claimed']:,}"
                                    f" claimed, {item['received']:,} received")


def _counts(counter: dict[str, int]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in sorted(counter.items(), key=lambda kv: -kv[1]))


def _size(n: int) -> str:
    return f"{n / 1e6:,.1f} MB" if n >= 100_000 else f"{n / 1e3:,.1f} kB"


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


def render_status(status: dict[str, Any]) -> RenderableType:
    """One screen: papers, links by host, windows (short ones with both numbers), runs."""
    table = _kv_table()
    _status_counts(table, status)
    if not status["windows"]:
        _row(table, "windows", "none yet: run `survey crawl --since 2018`")
    for w in status["windows"]:
        _window_rows(table, w)
    if sample := status.get("sample"):  # survey crawl --sample (issue 11)
        _row(table, "sample", f"{sample['fraction']:g} of the linked repositories:"
                              f" {sample['repositories']:,} fetched")
    if not status["runs"]:
        _row(table, "runs", "none yet")
    for r in status["runs"]:
        _run_row(table, r)
    return Group(table)


def _status_counts(table: Table, status: dict[str, Any]) -> None:
    p = status["papers"]
    span = f" (first versions {p['first'][:10]} .. {p['last'][:10]})" if p["total"] else ""
    _row(table, "papers", f"{p['total']:,}{span}")
    if p["by_year"]:
        _row(table, "  by year", ", ".join(f"{y} {n:,}" for y, n in p["by_year"].items()))
    links = status["links"]
    _row(table, "links", f"{links['total']:,} ({links['official']:,} official) to"
                         f" {links['repos']:,} repositories, from {p['with_links']:,} papers")
    if links.get("by_source"):
        _row(table, "  by source", ", ".join(f"{k} {v:,}" for k, v in links["by_source"].items()))
    for host, n in list(links["by_host"].items())[:8]:
        _row(table, f"  {host}", f"{n:,}")
    if "repos" in status:
        _row(table, "repositories", ", ".join(f"{k} {v:,}" for k, v in status["repos"].items()))
    if "classifications" in status:
        _row(table, "frameworks",
             ", ".join(f"{k} {v:,}" for k, v in status["classifications"].items()))


def _window_rows(table: Table, w: dict[str, Any]) -> None:
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


def _run_row(table: Table, r: dict[str, Any]) -> None:
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


def _row(table: Table, *cells: str, style: str = "") -> None:
    """Cells as plain text: outside strings (errors, categories) are never read as markup."""
    table.add_row(*(Text(terminal_safe(c), style=style) for c in cells))


# -- survey show -------------------------------------------------------------------------------

EVIDENCE_SHOWN = 12


def render_show(view: dict[str, Any]) -> RenderableType:
    """A paper, a repository or a page from :func:`survey.jobs.show.show`, as one screen."""
    if view["type"] == "paper":
        return render_paper(view)
    return render_repository(view)


def _kv_table() -> Table:
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    return table


def _flat(text: Any) -> str:
    """One line: arXiv wraps titles, comments and abstracts at about 76 columns."""
    return " ".join(str(text).split())


def _path(text: Any) -> str:
    """A file path on one line: a newline or tab in a name is shown escaped, never obeyed."""
    return str(text).replace("\n", "\\x0a").replace("\t", "\\x09")


def _day(stamp: str | None) -> str:
    return (stamp or "")[:10] or "-"


def _minute(stamp: str | None) -> str:
    return (stamp or "").replace("T", " ")[:16] or "-"


def render_paper(p: dict[str, Any]) -> RenderableType:
    """Title and facts, then each link with its sources and the official verdict with why."""
    table = _kv_table()
    _row(table, p["arxiv_id"], f"v{p['version']}  {_flat(p['title'])}")
    _row(table, "", p["url"])
    dates = f"{_day(p['published'])} (v1)"
    if p["updated"] and p["updated"] != p["published"]:
        dates += f", v{p['version']} {_day(p['updated'])}"
    _row(table, "published", dates)
    others = [c for c in p["categories"] if c != p["primary_category"]]
    _row(table, "categories", ", ".join([f"{p['primary_category']} (primary)", *others]))
    if p["authors"]:
        _row(table, "authors", ", ".join(_flat(a) for a in p["authors"]))
    for name in ("comment", "journal_ref", "doi"):
        if p[name]:
            _row(table, name.replace("_", " "), _flat(p[name]))
    _row(table, "links", f"{len(p['links'])}" if p["links"] else "none found in the abstract"
                         " or the comment")
    for link in p["links"]:
        _link_rows(table, link)
    return Group(table)


def _link_rows(table: Table, link: dict[str, Any]) -> None:
    name = link["repo"]
    if link["canonical"] != link["repo"]:
        name += f" (now {link['canonical']})"
    verdict = "official" if link["official"] else "mention"
    state = link["kind"]
    if link["repository"]:
        state += f", {link['status'] or 'not registered yet'}"
        state += f", {link['framework']}" if link["framework"] else ", not classified"
    _row(table, "", f"{name}  {verdict}  ({state})")
    for src in link["sources"]:
        said = "official" if src["official"] else "mention"
        line = f"  from the {src['source']}: {said}"
        if src["judged"] is not None and src["judged"] != src["official"]:
            line += f" (today's rules: {'official' if src['judged'] else 'mention'})"
        _row(table, "", f"{line}; {src['why']}")
        if src.get("context"):
            _row(table, "", f"    \"{src['context']}\"")


def render_repository(r: dict[str, Any]) -> RenderableType:
    """Status and dates, the stored tree and files read, the label with scores and evidence."""
    table = _kv_table()
    title = r["repo"] + (f"  ({r['full_name']})" if r.get("full_name") else "")
    _row(table, "page" if r["type"] == "page" else "repository", title)
    if r.get("asked_as"):
        _row(table, "", f"asked as {r['asked_as']}, an old name")
    if r.get("aliases"):
        _row(table, "aliases", ", ".join(r["aliases"]))
    if "tree" not in r:  # a page, or a repository linked but not registered yet
        _row(table, "kind", r.get("kind") or "-")
        _row(table, "status", r["status_detail"])
    else:
        _repository_facts(table, r)
        _files_rows(table, r["tree"], r["files"])
        _classification_rows(table, r["classification"])
    _linked_by(table, r["papers"], r["repo"])
    return Group(table)


def _repository_facts(table: Table, r: dict[str, Any]) -> None:
    status = r["status"] + (f": {r['status_detail']}" if r.get("status_detail") else "")
    _row(table, "status", status)
    _row(table, "dates", f"created {_day(r['created_at'])}, pushed {_day(r['pushed_at'])},"
                         f" first seen {_day(r['first_seen'])},"
                         f" checked {_minute(r['checked_at'])}")
    if r.get("head_sha") or r.get("default_branch"):
        _row(table, "head", f"{r.get('default_branch') or '-'} @ {r.get('head_sha') or '-'}")
    stars, size = r.get("stars"), r.get("size_kb")
    facts = [f"{stars:,} stars" if stars is not None else None, r.get("language"),
             f"{size:,} kB" if size is not None else None,
             "a fork" if r.get("fork") else None, "archived" if r.get("archived") else None]
    if any(facts):
        _row(table, "facts", ", ".join(f for f in facts if f))


def _files_rows(table: Table, tree: dict[str, int], files: list[dict[str, Any]]) -> None:
    _row(table, "tree", f"{tree['entries']:,} entries: {tree['files']:,} files,"
                        f" {tree['folders']:,} folders, {tree['submodules']:,} submodules")
    _row(table, "files read", f"{len(files):,}" if files else "none")
    for f in files:
        size = "-" if f["size"] is None else f"{f['size']:,} B"
        _row(table, "", f"  {_path(f['path'])}  {f['role']}  {size}")


def _classification_rows(table: Table, c: dict[str, Any] | None) -> None:
    if c is None:
        _row(table, "label", "not classified yet")
        return
    _row(table, "label", f"{c['framework']} (confidence {c['confidence']:.2f})")
    _row(table, "classifier", f"{c['classifier_version']}, {_minute(c['classified_at'])},"
                              f" head {c['head_sha'] or '-'}, status {c['repo_status'] or '-'}")
    _row(table, "scores", ", ".join(f"{k} {v:.2f}" for k, v in c["scores"].items()) or "none")
    evidence = sorted(c["evidence"], key=lambda e: -float(e.get("weight") or 0))
    _row(table, "evidence", f"{len(evidence):,} items" if evidence else "none")
    for e in evidence[:EVIDENCE_SHOWN]:
        where = _path(e.get("file") or "")
        if e.get("line"):
            where += f":{e['line']}"
        counts = (f" ({e['framework']} +{float(e.get('weight') or 0):g})" if e.get("framework")
                  else " (note)")
        _row(table, "", f"  {where} {_flat(e.get('seen', ''))}{counts}".rstrip())
    if len(evidence) > EVIDENCE_SHOWN:
        _row(table, "", f"  ... and {len(evidence) - EVIDENCE_SHOWN:,} more (--json shows all)")


def _linked_by(table: Table, papers: list[dict[str, Any]], repo: str) -> None:
    _row(table, "papers", f"{len(papers):,}" if papers else "none")
    for p in papers:
        verdict = "official" if p["official"] else "mention"
        old = f" [as {p['linked_as']}]" if p["linked_as"] != repo else ""
        _row(table, "", f"  {p['arxiv_id']} ({_day(p['published'])}) {verdict}{old}:"
                        f" {_flat(p['title'])}")
