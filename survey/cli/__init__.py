"""The `survey` command line: a thin layer over library functions.

Each command lives in its own module under ``survey.cli``, is declared with :func:`command`,
and only parses options, calls one library function and prints. What every command shares
lives here, so a command module gets it without a line of its own:

* ``-v/--verbose`` and ``-q/--quiet``, before the command (``survey -q refresh``) or after it
  (``survey refresh -q``); they set :func:`survey.cli.console.output`, which the consoles and
  the events sink follow, as they follow ``NO_COLOR``;
* ``survey --version`` and shell completion (``--install-completion``, ``--show-completion``);
* errors: a :class:`SurveyError` becomes one line on stderr and its exit code; any other
  exception a one-line internal error (``SURVEY_DEBUG=1`` shows the traceback); a usage error
  (unknown option, bad value) is one line and exit 2, never a boxed panel. A message that
  names a setting names what the user typed or set (``--months`` or ``SURVEY_REPORT_MONTHS``),
  never the settings field (:func:`user_message`);
* ``--out -``: only commands declared with ``stdout_out=True`` write one file to stdout; for the
  others (``report`` and ``refresh`` write folders) it is refused in one line.
"""

from __future__ import annotations

import functools
import inspect
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from typer.core import TyperGroup

from survey import __version__
from survey.cli.console import NORMAL, QUIET, VERBOSE, err_console, set_output
from survey.core.errors import ConfigError, SurveyError
from survey.core.settings import OPTIONS, VARIABLES, Settings, load_settings

F = TypeVar("F", bound=Callable[..., Any])
PROG = "survey"

# Typer's own signals (Exit, Abort, usage errors) pass through untouched.
_PASS_THROUGH = (typer.Exit, typer.Abort, typer.TyperException)


def fail(message: str, code: int) -> typer.Exit:
    """Print ``error: message`` (one line, no markup) and return the Exit to raise."""
    err_console.print(f"error: {_one_line(message)}", markup=False, soft_wrap=True)
    return typer.Exit(code)


def _one_line(message: str) -> str:
    return " ".join(message.split())


def guarded(func: F) -> F:
    """Turn every failure of ``func`` into one line on stderr and an exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return _run(None, func, args, kwargs)

    return wrapper  # type: ignore[return-value]


def _run(ctx: typer.Context | None, func: Callable[..., Any], args: Sequence[Any],
         kwargs: Mapping[str, Any]) -> Any:
    try:
        return func(*args, **kwargs)
    except _PASS_THROUGH:
        raise
    except SurveyError as exc:
        raise fail(user_message(str(exc), ctx, config=isinstance(exc, ConfigError)),
                   exc.exit_code) from None
    except KeyboardInterrupt:
        raise fail("interrupted", 130) from None
    except BrokenPipeError:
        # The reader went away (`survey show X | head -1`): not an error. Silence the stdout
        # flush at exit, as `survey export` does.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise typer.Exit(0) from None
    except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        if os.environ.get("SURVEY_DEBUG"):
            raise
        raise fail(f"internal error: {type(exc).__name__}: {exc}", 1) from None


# -- naming settings as the user knows them ---------------------------------------------------

def _typed_and_known(context: typer.Context | None) -> tuple[set[str], set[str] | None]:
    """Options given on this command line, and options this command (or the root) has (None
    without a command line: any option may apply)."""
    typed: set[str] = set()
    if context is None:
        return typed, None
    known: set[str] = set()
    ctx: Any = context
    while ctx is not None:
        for param in ctx.command.params:
            opts = set(param.opts) | set(param.secondary_opts)
            known |= opts
            source = ctx.get_parameter_source(param.name) if param.name else None
            if source is not None and source.name == "COMMANDLINE":
                typed |= opts
        ctx = ctx.parent
    return typed, known


def _name_for(field: str, typed: set[str], known: set[str] | None,
              environ: Mapping[str, str]) -> str:
    """The option the user typed, else the variable they set, else what they could use."""
    option, variable = OPTIONS.get(field), VARIABLES.get(field)
    if option and option in typed:
        return option
    if variable and environ.get(variable):
        return variable
    if option and (known is None or option in known):
        return f"{option} ({variable})" if variable else option
    return variable or option or field


def user_message(message: str, ctx: typer.Context | None = None, *, config: bool = False,
                 environ: Mapping[str, str] | None = None) -> str:
    """``message`` with settings named as the user knows them.

    Internal field names (``report_months``) are always replaced. In a configuration error
    (``config``), every name of a setting (the field, its option, its variable, or a group of
    them like ``claim_majority (--majority, SURVEY_CLAIM_MAJORITY)``) becomes the one the user
    used: ``--months must be at least 1`` after ``--months 0``, ``SURVEY_REPORT_MONTHS must be
    at least 1`` when the variable was set instead.
    """
    env = os.environ if environ is None else environ
    typed, known = _typed_and_known(ctx)
    for field in set(OPTIONS) | set(VARIABLES):
        option, variable = OPTIONS.get(field), VARIABLES.get(field)
        names = [n for n in (field if "_" in field else None,
                             *((option, variable) if config else ())) if n]
        if not names:
            continue
        alt = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        every = "|".join(re.escape(n) for n in (field, option, variable) if n)
        pattern = (rf"(?<![\w-])(?:{alt})(?![\w-])"
                   rf"(?:\s*\((?:\s*(?:,|/|or|env)?\s*(?:{every}))+\s*\))?")
        if re.search(pattern, message):
            name = _name_for(field, typed, known, env)
            message = re.sub(pattern, lambda _m, n=name: n, message)  # type: ignore[misc]
    return message


# -- the application ---------------------------------------------------------------------------

class SurveyGroup(TyperGroup):
    """The root command: usage errors in one line (``error: ... (see 'survey X --help')``)."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             windows_expand_args: bool = True, **extra: Any) -> Any:
        # Always "survey" (not "-c" or "__main__.py"): in hints and the completion variable.
        if not standalone_mode:
            return super().main(args, PROG, complete_var, False, windows_expand_args, **extra)
        try:
            code = super().main(args, PROG, complete_var, False, windows_expand_args, **extra)
        except typer.TyperException as exc:
            _show_usage_error(exc)
            sys.exit(getattr(exc, "exit_code", 2))
        except typer.Abort:
            err_console.print("error: aborted", markup=False)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def _show_usage_error(exc: typer.TyperException) -> None:
    ctx = getattr(exc, "ctx", None)
    message = exc.format_message()
    if ctx is not None and message == ctx.get_help():
        sys.stderr.write(message + "\n")  # `survey` alone: the help, as click shows it
        return
    hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
    line = user_message(_one_line(message), ctx)
    err_console.print(f"error: {line}{hint}", markup=False, soft_wrap=True)


app = typer.Typer(
    cls=SurveyGroup,
    help="Which deep-learning frameworks does the code accompanying arXiv papers use?",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    # Plain help, like the tools people use: no boxes, no colours, never padded when piped.
    rich_markup_mode=None,
)

Verbose = Annotated[bool, typer.Option(
    "-v", "--verbose", help="Also show the reason for each failed request or repository.")]
Quiet = Annotated[bool, typer.Option(
    "-q", "--quiet", help="Only warnings and errors: no progress, messages or summaries.")]


def _print_version(value: bool) -> None:
    if value:
        typer.echo(version_line())
        raise typer.Exit(0)


def version_line() -> str:
    """``survey 0.1.0 (classifier 1.5.0, links 2.0, schema 31)``: what a result depends on."""
    from analysis.classifier import CLASSIFIER_VERSION
    from crawler.links import LINKS_VERSION
    from survey.core.db import latest_version

    return (f"{PROG} {__version__} (classifier {CLASSIFIER_VERSION}, links {LINKS_VERSION},"
            f" schema {latest_version()})")


@app.callback()
def _root(
    verbose: Verbose = False,
    quiet: Quiet = False,
    version: Annotated[bool, typer.Option(
        "--version", is_eager=True, callback=_print_version,
        help="Print the version (and the classifier's, the link rules', the schema's).")] = False,
) -> None:
    """Which deep-learning frameworks does the code accompanying arXiv papers use?"""


def _verbosity(ctx: typer.Context, verbose: bool, quiet: bool) -> int:
    root = ctx.find_root().params
    verbose = verbose or bool(root.get("verbose"))
    quiet = quiet or bool(root.get("quiet"))
    if verbose and quiet:
        raise typer.BadParameter("-v/--verbose and -q/--quiet exclude each other",
                                 param_hint="'-q' / '--quiet'")
    return VERBOSE if verbose else QUIET if quiet else NORMAL


def command(name: str, *, stdout_out: bool = False, group: typer.Typer | None = None,
            **kwargs: Any) -> Callable[[F], F]:
    """``@app.command(name)`` with what every command shares (module docstring).

    ``stdout_out``: the command's ``--out`` names one file and ``-`` means standard output;
    otherwise ``--out -`` is refused in one line (the command writes a folder). ``group``: a
    sub-command group (``survey import pwc``) instead of the root.
    """

    def decorate(func: F) -> F:
        full = name if group is None else f"{group.info.name} {name}"
        (group or app).command(name, **kwargs)(_shared(full, func, stdout_out))
        return func

    return decorate


def _shared(name: str, func: Callable[..., Any], stdout_out: bool) -> Callable[..., Any]:
    """``func`` with ``-v``/``-q`` (and the context) added to its parameters, run guarded."""
    signature = inspect.signature(func, eval_str=True)
    extra = [
        inspect.Parameter("survey_ctx", inspect.Parameter.KEYWORD_ONLY,
                          annotation=typer.Context),
        inspect.Parameter("survey_verbose", inspect.Parameter.KEYWORD_ONLY, default=False,
                          annotation=Verbose),
        inspect.Parameter("survey_quiet", inspect.Parameter.KEYWORD_ONLY, default=False,
                          annotation=Quiet),
    ]

    def wrapper(*args: Any, survey_ctx: typer.Context, survey_verbose: bool = False,
                survey_quiet: bool = False, **kw: Any) -> Any:
        set_output(_verbosity(survey_ctx, survey_verbose, survey_quiet))
        if kw.get("out") == Path("-") and not stdout_out:
            raise fail(f"--out -: survey {name} writes a folder, not one file: give a folder",
                       2)
        return _run(survey_ctx, func, args, kw)

    params = [*signature.parameters.values(), *extra]
    wrapper.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    wrapper.__doc__ = func.__doc__
    wrapper.__name__ = func.__name__
    wrapper.__qualname__ = func.__qualname__
    wrapper.__module__ = func.__module__
    return wrapper


JsonOption = Annotated[bool, typer.Option(
    "--json", help="Print the result as JSON on stdout (and nothing else there).")]
DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="SQLite database (env SURVEY_DB; default data/survey.db)."),
]


def settings_for(db: Path | None = None, **options: Any) -> Settings:
    """Settings from defaults < environment < these options (``None`` means not given)."""
    return load_settings({"db": db, **options})


def main() -> None:
    """Console-script entry point."""
    app(prog_name=PROG)


# Register the commands (each module adds its own to ``app``).
from survey.cli import (  # noqa: E402,F401,I001
    classify,
    crawl,
    export,
    imports,
    refresh,
    report,
    show,
    status,
)
