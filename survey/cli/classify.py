"""`survey classify PATH... [--json]`: the framework of local folders, offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from analysis.classifier import Classification, classify_path
from analysis.evidence import printable
from survey.cli import DbOption, command, settings_for
from survey.cli.console import err_console
from survey.core.errors import InputError, SurveyError


@command("classify")
def classify_command(
    paths: Annotated[list[Path], typer.Argument(help="Folders to classify (checkouts, any folder).",
                                                metavar="PATH",
                                                show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line, in PATH order.")]
    = False,
    db: DbOption = None,
) -> None:
    """Classify the deep-learning framework of each PATH from its files, without the network.

    Never executes anything and never follows symlinks out of PATH. A PATH that is missing or
    unreadable is reported on stderr; the others are still classified; the exit code is then 2.
    """
    settings_for(db)  # validates the environment like every command; classify needs no database
    out = Console(highlight=False, soft_wrap=True)
    failed = 0
    results: list[tuple[str, Classification]] = []
    for path in paths:
        try:
            result = classify_path(path)
        except SurveyError as exc:
            failed += 1
            err_console.print(f"error: {exc}", markup=False, soft_wrap=True)
            continue
        if as_json:
            # print() rather than rich: outside strings are data, never markup.
            typer.echo(json.dumps(result.to_json(printable(str(path))), ensure_ascii=False))
        else:
            results.append((printable(str(path)) or "", result))
    if results:
        out.print(_table(results))
    if failed:
        # Each failure already printed its own line; no summary line on top.
        raise typer.Exit(InputError.exit_code)


def _table(results: list[tuple[str, Classification]]) -> Table:
    table = Table(title="survey classify", title_justify="left")
    table.add_column("path", overflow="fold")
    table.add_column("framework")
    table.add_column("frameworks", overflow="fold")
    table.add_column("confidence", justify="right")
    table.add_column("strongest evidence", overflow="fold")
    for path, res in results:
        frameworks = ", ".join(f"{name} {score:.2f}" for name, score in res.frameworks.items())
        top = [e for e in res.evidence if e.framework][:3] or res.evidence[:1]
        shown = "\n".join(
            f"{printable(e.file)}:{e.line} {printable(e.seen)}" if e.file and e.line
            else f"{printable(e.file) or ''} {printable(e.seen)}" for e in top)
        # Outside strings (paths, import lines) are data: never interpreted as rich markup.
        table.add_row(_text(path), res.framework, frameworks or "-", f"{res.confidence:.2f}",
                      _text(shown.strip()))
    return table


def _text(value: str) -> Text:
    return Text(value)
