"""The `survey` command line: a thin layer over library functions.

Each command lives in its own module under ``survey.cli``, is declared with :func:`command`,
and only parses options, calls one library function and prints. :func:`guarded` turns every
``SurveyError`` into one line on stderr and the error's exit code; any other exception becomes a
one-line internal error (set ``SURVEY_DEBUG=1`` to see the traceback).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from survey.cli.console import err_console
from survey.core.errors import SurveyError
from survey.core.settings import Settings, load_settings

F = TypeVar("F", bound=Callable[..., Any])

# Typer's own signals (Exit, Abort, usage errors) pass through untouched.
_PASS_THROUGH = (typer.Exit, typer.Abort, typer.TyperException)


def fail(message: str, code: int) -> typer.Exit:
    """Print ``error: message`` (one line, no markup) and return the Exit to raise."""
    err_console.print(f"error: {message}", markup=False, soft_wrap=True)
    return typer.Exit(code)


def guarded(func: F) -> F:
    """Turn every failure of a command into one line on stderr and an exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except _PASS_THROUGH:
            raise
        except SurveyError as exc:
            raise fail(str(exc), exc.exit_code) from None
        except KeyboardInterrupt:
            raise fail("interrupted", 130) from None
        except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
            if os.environ.get("SURVEY_DEBUG"):
                raise
            raise fail(f"internal error: {type(exc).__name__}: {exc}", 1) from None

    return wrapper  # type: ignore[return-value]


app = typer.Typer(
    help="Which deep-learning frameworks does the code accompanying arXiv papers use?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Which deep-learning frameworks does the code accompanying arXiv papers use?"""


def command(*args: Any, **kwargs: Any) -> Callable[[F], F]:
    """``@app.command`` with :func:`guarded` error handling: use it for every command."""

    def decorate(func: F) -> F:
        app.command(*args, **kwargs)(guarded(func))
        return func

    return decorate


DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="SQLite database (env SURVEY_DB; default data/survey.db)."),
]


def settings_for(db: Path | None = None, **options: Any) -> Settings:
    """Settings from defaults < environment < these options (``None`` means not given)."""
    return load_settings({"db": db, **options})


def main() -> None:
    """Console-script entry point."""
    app()


# Register the commands (each module adds its own to ``app``).
from survey.cli import (  # noqa: E402,F401,I001
    classify,
    crawl,
    export,
    imports,
    refresh,
    report,
    status,
)
