"""`survey report`: parse options, call :func:`analysis.report.generate_report`, print."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from survey.cli import DbOption, command, settings_for


@command("report")
def report(
    out: Annotated[Path | None, typer.Option(
        "--out", help="Folder for index.html and its CSVs (env SURVEY_REPORTS_DIR; default"
        " reports/).")] = None,
    months: Annotated[int | None, typer.Option(
        "--months", help="Claims' window in months (env SURVEY_REPORT_MONTHS; default 12).")
    ] = None,
    majority: Annotated[float | None, typer.Option(
        "--majority", help="C1's threshold (env SURVEY_CLAIM_MAJORITY; default 0.67).")] = None,
    two_frameworks: Annotated[float | None, typer.Option(
        "--two-frameworks", help="C2's threshold (env SURVEY_CLAIM_TWO_FRAMEWORKS; default"
        " 0.9).")] = None,
    dying_share: Annotated[float | None, typer.Option(
        "--dying-share", help="C3's threshold (env SURVEY_CLAIM_DYING_SHARE; default 0.02).")
    ] = None,
    min_papers: Annotated[int | None, typer.Option(
        "--min-papers", help="Fewer papers in a window: not enough data (env"
        " SURVEY_CLAIM_MIN_PAPERS; default 100).")] = None,
    bootstrap: Annotated[int | None, typer.Option(
        "--bootstrap", help="Bootstrap replicates of the trend model (env"
        " SURVEY_REPORT_BOOTSTRAP; default 200).")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Compute the report as of this day: YYYY-MM-DD, YYYY-MM or YEAR (the"
        " period's last day). Default: the end of the last complete month in the data.")
    ] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Also print what the page states (as-of day, claims, shares) as JSON on"
        " stdout; the same bytes for the same database and --as-of.")] = False,
    db: DbOption = None,
) -> None:
    """Write the report: one self-contained HTML page plus each chart's data as CSV."""
    from analysis.asof import parse_as_of
    from analysis.report import generate_report
    from survey.cli.console import RichEvents, err_console
    from survey.core.clock import SYSTEM_CLOCK
    from survey.core.db import reading

    day = None if as_of is None else parse_as_of(as_of)

    settings = settings_for(
        db, reports_dir=out, report_months=months, claim_majority=majority,
        claim_two_frameworks=two_frameworks, claim_dying_share=dying_share,
        claim_min_papers=min_papers, report_bootstrap=bootstrap)
    events = RichEvents(progress=sys.stderr.isatty())
    try:
        with reading(settings.db) as conn:
            page, data = generate_report(conn, settings, settings.reports_dir, as_of=day,
                                         clock=SYSTEM_CLOCK, events=events)
    finally:
        events.close()
    wrote = (f"wrote {page} as of {data.stamp['as_of'] or 'no data'} ({len(data.charts)} charts,"
             f" data in {page.parent}/{page.stem}-data/)")
    if as_json:
        err_console.print(wrote, markup=False, highlight=False, soft_wrap=True)
        typer.echo(data.json_text, nl=False)
        return
    typer.echo(wrote)
    typer.echo(data.headline)
    for claim in data.claims:
        typer.echo(f"{claim.key} {claim.verdict}: {claim.metric}: {claim.value}"
                   f" (95% {claim.interval})")
