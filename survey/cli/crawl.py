"""`survey crawl`: parse options, call :func:`survey.jobs.crawl.run_crawl`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from survey.cli import DbOption, JsonOption, command, settings_for
from survey.core.settings import parse_categories


@command("crawl")
def crawl(
    since: Annotated[str, typer.Option(
        "--since", help="Start: YEAR, YYYY-MM or YYYY-MM-DD (UTC), e.g. 2018.")],
    until: Annotated[str | None, typer.Option(
        "--until",
        help="End, inclusive: YEAR, YYYY-MM or YYYY-MM-DD (default: the end of this month).",
    )] = None,
    categories: Annotated[str | None, typer.Option(
        "--categories",
        help="arXiv categories, comma separated (env SURVEY_CATEGORIES;"
             " default cs.LG, cs.CV, cs.CL, cs.AI, cs.NE, stat.ML).")] = None,
    arxiv_api_url: Annotated[str | None, typer.Option(
        "--arxiv-api-url", help="arXiv API endpoint (env SURVEY_ARXIV_API_URL).")] = None,
    arxiv_delay: Annotated[float | None, typer.Option(
        "--arxiv-delay", min=0.0,
        help="Seconds between arXiv requests (env SURVEY_ARXIV_DELAY; default 3).")] = None,
    progress: Annotated[bool | None, typer.Option(
        "--progress/--no-progress", help="Progress bars (default: when stderr is a terminal).",
    )] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Harvest arXiv papers and their code links (then the later stages), resumably."""
    from survey.cli.console import RichEvents
    from survey.cli.render import print_summary
    from survey.jobs.crawl import run_crawl

    settings = settings_for(
        db, arxiv_api_url=arxiv_api_url, arxiv_delay=arxiv_delay,
        categories=parse_categories(categories) if categories is not None else None,
    )
    events = RichEvents(progress=sys.stderr.isatty() if progress is None else progress)
    try:
        summary = run_crawl(settings, since=since, until=until, categories=settings.categories,
                            events=events)
    finally:
        events.close()
    print_summary(summary, summary.to_json(), as_json=as_json)
