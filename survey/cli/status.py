"""`survey status`: parse options, call :func:`survey.jobs.status.collect_status`, print."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from survey.cli import DbOption, command, settings_for


@command("status")
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    db: DbOption = None,
) -> None:
    """What the database holds: papers, links by host, harvest windows, the last runs."""
    from survey.cli.render import render_status
    from survey.core.db import reading
    from survey.jobs.status import collect_status

    settings = settings_for(db)
    with reading(settings.db) as conn:
        figures = collect_status(conn)
    if as_json:
        typer.echo(json.dumps(figures, indent=2))
    else:
        Console(highlight=False).print(render_status(figures))
