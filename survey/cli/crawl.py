"""`survey crawl`: parse options, call :func:`survey.jobs.crawl.run_crawl`."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from survey.cli import DbOption, JsonOption, command, settings_for
from survey.core.settings import parse_categories

if TYPE_CHECKING:
    from survey.jobs.plan import Plan


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
    sample: Annotated[float | None, typer.Option(
        "--sample", metavar="FRACTION",
        help="Fetch and classify a fixed random sample of the linked repositories (by a hash"
             " of their names: the same every run); a larger fraction or none adds to it.",
    )] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Print the plan (windows, papers, repositories, GitHub units, hours)"
                          " and change nothing.")] = False,
    github_api: Annotated[str | None, typer.Option(
        "--github-api", metavar="rest|graphql|auto",
        help="GitHub API for repositories (env SURVEY_GITHUB_API; default auto: GraphQL with"
             " a token).")] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Harvest arXiv papers and their code links (then the later stages), resumably."""
    from survey.cli.console import RichEvents
    from survey.cli.render import print_json, print_summary
    from survey.jobs.crawl import run_crawl

    settings = settings_for(
        db, arxiv_api_url=arxiv_api_url, arxiv_delay=arxiv_delay, github_api=github_api,
        categories=parse_categories(categories) if categories is not None else None,
    )
    if dry_run:
        from survey.jobs.plan import plan_crawl

        plan = plan_crawl(settings, since=since, until=until, categories=settings.categories,
                          sample=sample)
        if as_json:
            print_json(plan.to_json())
        else:
            typer.echo(render_plan(plan))
        return
    events = RichEvents(progress=sys.stderr.isatty() if progress is None else progress)
    try:
        summary = run_crawl(settings, since=since, until=until, categories=settings.categories,
                            events=events, sample_fraction=sample)
    finally:
        events.close()
    print_summary(summary, summary.to_json(), as_json=as_json)


def render_plan(plan: Plan) -> str:
    """The dry run's text: what would be asked, what it costs, how long it takes."""
    counts: dict[str, int] = {}
    for w in plan.windows:
        counts[w.state] = counts.get(w.state, 0) + 1
    states = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "none"
    sample = (f" (sample {plan.sample:g} of the linked repositories)"
              if plan.sample is not None else "")
    left = "" if plan.budget_remaining is None else f", {plan.budget_remaining:,} left now"
    unit = "points" if plan.github_api == "graphql" else "requests"
    lines = [
        f"plan      survey crawl {plan.since[:10]} .. {plan.until[:10]}"
        f" [{' '.join(plan.categories)}]: nothing is changed",
        f"windows   {len(plan.windows)} months: {states}",
        f"arxiv     ~{plan.papers_estimated:,} papers to harvest, ~{plan.arxiv_requests:,}"
        f" requests ({plan.arxiv_hours * 60:,.0f} min at one every 3 s)",
        f"repos     ~{plan.repos_new:,} to fetch (new or pending), {plan.repos_due:,} known and"
        f" due{sample}",
        f"github    {plan.github_api}: ~{plan.units:,.0f} charged {unit}; budget"
        f" {plan.budget_per_hour:,} an hour{left} ({plan.budget_source})",
        f"time      ~{plan.hours:,.1f} h (GitHub budget {plan.github_hours:,.1f} h, GitHub pace"
        f" {plan.pace_hours:,.1f} h, arXiv {plan.arxiv_hours:,.1f} h)",
    ]
    lines += [f"note      {note}" for note in plan.notes]
    return "\n".join(lines)
