"""`survey show ARXIV_ID|REPO`: parse, call :func:`survey.jobs.show.show`, print."""

from __future__ import annotations

from typing import Annotated

import typer

from survey.cli import DbOption, JsonOption, command, settings_for


@command("show")
def show(
    target: Annotated[str, typer.Argument(
        metavar="ARXIV_ID|REPO", show_default=False,
        help="A paper (2401.01234, 2401.01234v2, cs/0112017, an arxiv.org/abs/ URL) or a"
             " repository (github.com/owner/name, owner/name for GitHub, a URL, an old name).")],
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Everything stored about one paper or repository.

    A paper: its links, each with its sources and the official verdict with why. A repository:
    its status and dates, the files read, the classifier's label, scores and evidence, and the
    papers that link it. Exit codes: 2 not an arXiv id or a repository, 5 not in the database.
    """
    from survey.cli.console import emit
    from survey.cli.render import print_json, render_show
    from survey.core.db import reading
    from survey.jobs.show import parse_target
    from survey.jobs.show import show as show_target

    wanted = parse_target(target)  # bad input fails before the database is opened
    settings = settings_for(db)
    with reading(settings.db) as conn:
        view = show_target(conn, wanted)
    if as_json:
        print_json(view)
    else:
        emit(render_show(view))
