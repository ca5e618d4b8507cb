"""`survey import pwc FILE` and `survey import hf`: parse options, call the job, print a summary."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.table import Table
from rich.text import Text

from survey.cli import DbOption, JsonOption, app, command, settings_for
from survey.jobs.imports import ImportSummary

import_app = typer.Typer(
    name="import",
    help="Code links from other sources: the Papers With Code archive, Hugging Face Papers.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
app.add_typer(import_app, name="import")

ProgressOption = Annotated[bool | None, typer.Option(
    "--progress/--no-progress", help="Progress bar (default: when stderr is a terminal).")]


@command("pwc", group=import_app)
def _pwc(
    file: Annotated[Path, typer.Argument(
        help="The archive's links file: links-between-papers-and-code.json.gz, .json or the"
             " parquet file (the format is read from the content).", show_default=False,
        metavar="FILE")],
    progress: ProgressOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Links from the Papers With Code archive, with PwC's framework labels; idempotent."""
    from survey.cli.console import RichEvents
    from survey.jobs.imports import import_pwc

    settings = settings_for(db)
    events = RichEvents(progress=sys.stderr.isatty() if progress is None else progress)
    try:
        summary = import_pwc(settings, file, events=events)
    finally:
        events.close()
    _print(summary, render_pwc_summary(summary), as_json)


@command("hf", group=import_app)
def _hf(
    since: Annotated[str | None, typer.Option(
        "--since", help="Only papers first published from: YEAR, YYYY-MM or YYYY-MM-DD"
                        " (default: every harvested paper).")] = None,
    limit: Annotated[int | None, typer.Option(
        "--limit", help="Ask about at most N papers (newest first).")] = None,
    hf_api_url: Annotated[str | None, typer.Option(
        "--hf-api-url", help="Hugging Face endpoint (env SURVEY_HF_API_URL;"
                             " default https://huggingface.co).")] = None,
    progress: ProgressOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Links (githubRepo, projectPage) from Hugging Face Papers for harvested papers; resumable."""
    from survey.cli.console import RichEvents
    from survey.jobs.imports import import_hf

    settings = settings_for(db, hf_api_url=hf_api_url)
    events = RichEvents(progress=sys.stderr.isatty() if progress is None else progress)
    try:
        summary = import_hf(settings, since=since, limit=limit, events=events)
    finally:
        events.close()
    _print(summary, render_hf_summary(summary), as_json)


def _print(summary: ImportSummary, table: Group, as_json: bool) -> None:
    """JSON on stdout with ``--json``; else the summary on stderr; nothing with ``-q``."""
    from survey.cli.console import emit, output
    from survey.cli.render import print_json

    if as_json:
        print_json(summary.to_json())
    elif not output().quiet:
        emit(table, stderr=True)


# -- rendering -------------------------------------------------------------------------------

def _table(summary: ImportSummary) -> Table:
    title = f"survey {summary.command}: {summary.outcome} in {_duration(summary.seconds)}"
    table = Table(title=title, show_header=False, title_justify="left", box=None,
                  pad_edge=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    return table


def _row(table: Table, name: str, text: str) -> None:
    table.add_row(Text(name), Text(text))  # outside strings are never markup


def _counts(counter: dict[str, Any]) -> str:
    return ", ".join(f"{k} {int(v):,}" for k, v in counter.items()) or "none"


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}m{secs:02d}s"


def render_pwc_summary(summary: ImportSummary) -> Group:
    """Rows read, links added, attached, pending, skipped by reason, frameworks."""
    r = summary.result
    table = _table(summary)
    _row(table, "file", f"{r['file']} ({r['format']}, {r['bytes'] / 1e6:,.1f} MB,"
                        f" sha256 {r['sha256'][:12]})")
    _row(table, "rows", f"{r['rows']:,} read")
    _row(table, "links", f"{r['added']:,} added, {r['updated']:,} updated,"
                         f" {r['unchanged']:,} unchanged")
    _row(table, "papers", f"{r['attached']:,} rows attached to harvested papers"
                          f" ({r['new_links']:,} links no other source had),"
                          f" {r['pending']:,} pending until their paper is harvested")
    _row(table, "skipped", _counts(r["skipped"]))
    if r["framework_conflicts"]:
        _row(table, "conflicts", f"{r['framework_conflicts']:,} rows named another framework"
                                 " for a repository (the first kept; a real one over none)")
    _row(table, "frameworks", _counts(r["frameworks"]))
    t = r["totals"]
    if t:
        _row(table, "stored", f"{t['rows']:,} PwC rows: {t['attached']:,} attached,"
                              f" {t['pending']:,} pending; {t['frameworks']:,} repositories"
                              " with a PwC framework")
    if summary.error:
        _row(table, "error", summary.error)
    return Group(table)


def render_hf_summary(summary: ImportSummary) -> Group:
    """Papers asked by answer, links found, what was left out, rate-limit waits, requests."""
    r = summary.result
    table = _table(summary)
    if not r["candidates"]:
        _row(table, "papers", "none due: every paper in the range was asked recently (those"
                              " without a repository are asked again after 30 days)")
    else:
        _row(table, "papers", f"{r['asked']:,} asked of {r['candidates']:,} due:"
                              f" {_counts(r['answers'])}; {r['errors']:,} errors"
                              " (asked again next run)")
    _row(table, "links", f"{r['repo_links']:,} repositories ({r['new_links']:,} no other"
                         f" source had), {r['page_links']:,} pages")
    if r["unusable"]:
        _row(table, "left out", _counts(r["unusable"]))
    _row(table, "waits", f"{r['rate_limited']:,} HTTP 429" if r["rate_limited"] else "none")
    _row(table, "requests", _counts(summary.requests))
    if summary.error:
        _row(table, "error", summary.error)
    return Group(table)
