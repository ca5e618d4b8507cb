"""`survey refresh`: parse options, call :func:`survey.jobs.refresh.run_refresh`, print."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from survey.cli import DbOption, JsonOption, command, settings_for


@command("refresh")
def refresh(
    out: Annotated[Path | None, typer.Option(
        "--out", help="Folder of the monthly pages (env SURVEY_REPORTS_DIR; default reports/;"
        " a folder, so not -).",
    )] = None,
    progress: Annotated[bool | None, typer.Option(
        "--progress/--no-progress", help="Progress bars (default: when stderr is a terminal).",
    )] = None,
    github_api: Annotated[str | None, typer.Option(
        "--github-api", metavar="rest|graphql|auto",
        help="GitHub API for repositories (env SURVEY_GITHUB_API; default auto: GraphQL with"
             " a token).")] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """The monthly update: new papers, new or changed repositories, labels, this month's page.

    Exit codes: 0 done, 2 bad configuration, 3 database unusable, 4 a service kept failing
    (the next refresh catches up), 75 another crawl or refresh is running (try later).
    """
    from survey.cli.console import RichEvents
    from survey.cli.render import print_summary
    from survey.jobs.refresh import run_refresh

    settings = settings_for(db, reports_dir=out, github_api=github_api)
    events = RichEvents(progress=sys.stderr.isatty() if progress is None else progress)
    try:
        result = run_refresh(settings, events=events)
    finally:
        events.close()
    print_summary(result.crawl, result.to_json(), as_json=as_json,
                  wrote=[str(page) for page in result.pages])
