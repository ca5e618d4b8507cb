"""`survey export`: parse options, call :func:`analysis.export.write_export`, print."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from survey.cli import DbOption, command, settings_for


@command("export", stdout_out=True)
def export(
    fmt: Annotated[str, typer.Option(
        "--format", help="csv, json (an array of objects) or parquet (needs --out FILE).")] = "csv",
    out: Annotated[Path | None, typer.Option(
        "--out", help="File to write; standard output when not given or -.")] = None,
    all_links: Annotated[bool, typer.Option(
        "--all-links", help="Also project pages, organisation pages and other links, with a"
        " kind column.")] = False,
    db: DbOption = None,
) -> None:
    """One row per (paper, repository) link with the paper and the repository's label."""
    from analysis.export import check_format, write_export
    from survey.cli.console import err_console, output
    from survey.core.db import reading

    if out == Path("-"):
        out = None  # `--out -`: standard output, as without --out
    fmt = check_format(fmt, out)
    settings = settings_for(db)
    with reading(settings.db) as conn:
        rows = write_export(conn, fmt, out if out is not None else sys.stdout,
                            all_links=all_links)
    if out is not None and not output().quiet:
        err_console.print(f"wrote {rows:,} rows to {out}", markup=False, highlight=False)
