"""`survey status`: parse options, call :func:`survey.status.collect_status`, print."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from survey.cli import DbOption, command, settings_for
from survey.errors import StoreError


@command("status")
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    db: DbOption = None,
) -> None:
    """What the database holds: papers, links by host, harvest windows, the last runs."""
    from survey.db import connect
    from survey.status import collect_status, render_status

    settings = settings_for(db)
    if not settings.db.exists():
        raise StoreError(f"no database at {settings.db}: run `survey crawl --since 2018` first")
    conn = connect(settings.db)
    try:
        figures = collect_status(conn)
    finally:
        conn.close()
    if as_json:
        typer.echo(json.dumps(figures, indent=2))
    else:
        Console(highlight=False).print(render_status(figures))
