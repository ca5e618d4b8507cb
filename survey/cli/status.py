"""`survey status`: parse options, call :func:`survey.jobs.status.collect_status`, print."""

from __future__ import annotations

from survey.cli import DbOption, JsonOption, command, settings_for


@command("status")
def status(
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """What the database holds: papers, links by host, harvest windows, the last runs."""
    from survey.cli.console import emit
    from survey.cli.render import print_json, render_status
    from survey.core.db import reading
    from survey.jobs.status import collect_status

    settings = settings_for(db)
    with reading(settings.db) as conn:
        figures = collect_status(conn)
    if as_json:
        print_json(figures)
    else:
        emit(render_status(figures))
