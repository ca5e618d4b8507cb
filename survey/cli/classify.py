"""`survey classify PATH... [--json]`: the framework of local folders, offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from analysis.classifier import Classification, classify_path
from analysis.evidence import printable
from survey.cli import command, settings_for
from survey.cli.console import emit, err_console, terminal_safe
from survey.core.errors import InputError, SurveyError


@command("classify")
def classify_command(
    paths: Annotated[list[Path], typer.Argument(help="Folders to classify (checkouts, any folder).",
                                                metavar="PATH",
                                                show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line, in PATH order.")]
    = False,
) -> None:
    """Classify the deep-learning framework of each PATH from its files, without the network.

    Never executes anything and never follows symlinks out of PATH. A PATH that is missing or
    unreadable is reported on stderr; the others are still classified; the exit code is then 2.
    When the scores seem to contradict the label (a `none` with torch in its scores from one
    test import), a note says why.
    """
    settings_for()  # validates the environment like every command; classify needs no database
    failed = 0
    results: list[tuple[str, Classification]] = []
    for path in paths:
        try:
            result = classify_path(path)
        except SurveyError as exc:
            failed += 1
            err_console.print(f"error: {_safe(str(exc))}", markup=False, soft_wrap=True)
            continue
        if as_json:
            # print() rather than rich: outside strings are data, never markup.
            typer.echo(json.dumps(_safe_json(result.to_json(str(path))), ensure_ascii=False))
        else:
            results.append((_safe(str(path)), result))
    if results:
        emit(_table(results))  # NO_COLOR, no padding when piped (survey.cli.console)
    if failed:
        # Each failure already printed its own line; no summary line on top.
        raise typer.Exit(InputError.exit_code)


def _safe(text: str | None) -> str:
    """Printable (no lone surrogates) and inert on a terminal (control characters escaped)."""
    return terminal_safe(printable(text) or "")


def _safe_json(value: Any) -> Any:
    """Every string of a JSON value made safe for the terminal it is printed on."""
    if isinstance(value, str):
        return _safe(value)
    if isinstance(value, dict):
        return {_safe(str(k)): _safe_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_safe_json(v) for v in value]
    return value


def _table(results: list[tuple[str, Classification]]) -> Table:
    table = Table(title="survey classify", title_justify="left")
    table.add_column("path", overflow="fold")
    table.add_column("framework")
    table.add_column("frameworks", overflow="fold")
    table.add_column("confidence", justify="right")
    table.add_column("strongest evidence", overflow="fold")
    for path, res in results:
        frameworks = ", ".join(f"{_safe(name)} {score:.2f}"
                               for name, score in res.frameworks.items())
        top = [e for e in res.evidence if e.framework][:3] or res.evidence[:1]
        lines = [f"{_safe(e.file)}:{e.line} {_safe(e.seen)}" if e.file and e.line
                 else f"{_safe(e.file)} {_safe(e.seen)}".strip() for e in top]
        if res.note:
            lines.insert(0, f"note: {_safe(res.note)}")
        # Outside strings (paths, import lines) are data: never interpreted as rich markup.
        table.add_row(Text(path), _safe(res.framework), Text(frameworks or "-"),
                      f"{res.confidence:.2f}", Text("\n".join(lines)))
    return table
