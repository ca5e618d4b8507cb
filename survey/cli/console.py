"""Terminal output: how this invocation prints, the consoles, progress bars and the events sink.

The library reports progress and messages through :class:`survey.core.events.Events`;
:class:`RichEvents` renders them here, so nothing below the CLI writes to the terminal.

:class:`Output` is the one place the global flags land (``-v``/``-q``, ``NO_COLOR``): the CLI
sets it once per command (:func:`set_output`) and every console made here follows it, so a
command module gets them without a parameter of its own:

* ``NO_COLOR`` (https://no-color.org: set and not empty): no colour, bold, italics or underline
  anywhere; rich alone would drop only the colours.
* Output that is not a terminal is never wrapped or padded to 80 columns: lines are soft
  wrapped, tables are as wide as their content and lose their trailing spaces (:func:`emit`).
* ``verbosity`` -1 (``-q``): warnings and errors only; 0: info too; 1 (``-v``): the reason for
  each failed request or repository as well.

Outside strings can carry terminal escapes (a file named ``\\x1b[2J``, a hostile error body):
:func:`terminal_safe` neutralises control characters before anything is printed.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from dataclasses import dataclass, replace
from typing import Any, cast

from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from survey.core.events import Events, Level

QUIET, NORMAL, VERBOSE = -1, 0, 1
# Width given to a console that is not a terminal: wide enough that nothing is ever wrapped.
_PIPE_WIDTH = 10_000


def no_color_requested(environ: dict[str, str] | None = None) -> bool:
    """``NO_COLOR`` set to anything but the empty string (https://no-color.org)."""
    return (os.environ if environ is None else environ).get("NO_COLOR", "") != ""


@dataclass(frozen=True)
class Output:
    """How the current invocation prints (set by the CLI for each command)."""

    verbosity: int = NORMAL
    no_color: bool = False

    @property
    def quiet(self) -> bool:
        return self.verbosity < NORMAL

    @property
    def verbose(self) -> bool:
        return self.verbosity > NORMAL


_output = Output(no_color=no_color_requested())


def output() -> Output:
    """The current invocation's output settings."""
    return _output


def set_output(verbosity: int = NORMAL, *, no_color: bool | None = None) -> Output:
    """Set the output settings (``no_color`` None: from ``NO_COLOR`` now); returns them."""
    global _output
    _output = replace(_output, verbosity=verbosity,
                      no_color=no_color_requested() if no_color is None else no_color)
    return _output


def make_console(*, stderr: bool = False) -> Console:
    """A console on stdout (or stderr) that follows :func:`output`.

    The stream is looked up when printing (tests swap ``sys.stdout``). On a terminal it is as
    wide as the terminal; elsewhere lines are never wrapped.
    """
    plain = _output.no_color
    console = Console(stderr=stderr, highlight=False, emoji=False, no_color=plain,
                      color_system=None if plain else "auto")
    if not console.is_terminal:
        console.soft_wrap = True
        console.width = _PIPE_WIDTH
    return console


def emit(renderable: RenderableType, *, stderr: bool = False) -> None:
    """Print a table or group: as is on a terminal; elsewhere without trailing spaces."""
    console = make_console(stderr=stderr)
    if console.is_terminal:
        console.print(renderable)
        return
    with console.capture() as captured:
        console.print(renderable)
    lines = [line.rstrip() for line in captured.get().splitlines()]
    stream = sys.stderr if stderr else sys.stdout
    stream.write("\n".join(lines) + "\n" if lines else "")
    stream.flush()


class _CurrentConsole:
    """Stands for the console of the current invocation, looked up at each use, so a module
    may import ``err_console`` once and still follow ``NO_COLOR`` and a swapped stream."""

    def __init__(self, *, stderr: bool) -> None:
        self._stderr = stderr

    def __getattr__(self, name: str) -> Any:
        return getattr(make_console(stderr=self._stderr), name)


# Progress, warnings and errors go to stderr so stdout stays clean for data (export, --json).
err_console = cast(Console, _CurrentConsole(stderr=True))

# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides/isolates.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """``text`` with control characters shown as ``\\xNN`` escapes (never interpreted)."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}" if ord(m.group(0)) < 0x100
                        else f"\\u{ord(m.group(0)):04x}", text)


class RateColumn(ProgressColumn):
    """Items per second, from rich's own moving speed estimate."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.1f}/s", style="progress.data.speed")


def make_progress(*, transient: bool = False, console: Console | None = None) -> Progress:
    """Bar with count, rate, elapsed time and ETA; rich disables the animation off a terminal."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=console or make_console(stderr=True),
        transient=transient,
    )


class RichEvents(Events):
    """Progress bars (when ``progress``) and messages by ``verbosity`` on a stderr console.

    ``verbosity``: -1 quiet (warnings only, no progress bars), 0 normal (info and warnings), 1
    verbose (details too: the reason for each failed request or repository); None: the
    invocation's ``-q``/``-v`` (:func:`output`).
    """

    def __init__(self, *, progress: bool, verbosity: int | None = None,
                 console: Console | None = None) -> None:
        self.verbosity = output().verbosity if verbosity is None else verbosity
        self.show_progress = progress and self.verbosity >= NORMAL
        self.console = console or make_console(stderr=True)
        self._bar: Progress | None = None
        self._tasks: dict[int, TaskID] = {}
        self._lock = threading.RLock()

    def on_start(self, task_id: int, description: str, total: float | None) -> None:
        if not self.show_progress:
            return
        with self._lock:
            if self._bar is None:
                self._bar = make_progress(console=self.console)
                self._bar.start()
            self._tasks[task_id] = self._bar.add_task(terminal_safe(description), total=total)

    def on_update(self, task_id: int, *, advance: float = 0.0, total: float | None = None,
                  description: str | None = None, completed: float | None = None) -> None:
        with self._lock:
            rich_id = self._tasks.get(task_id)
            if self._bar is None or rich_id is None:
                return
            self._bar.update(rich_id, advance=advance or None, total=total,
                             completed=completed,
                             description=None if description is None
                             else terminal_safe(description))

    def on_finish(self, task_id: int) -> None:
        with self._lock:
            rich_id = self._tasks.pop(task_id, None)
            if self._bar is None or rich_id is None:
                return
            task = self._bar.tasks[self._bar.task_ids.index(rich_id)]
            # Nested tasks (one harvest window) disappear; top-level ones stay as a record.
            if len(self._tasks) > 0 or task.total is None:
                self._bar.remove_task(rich_id)
            if not self._tasks:
                self._bar.stop()
                self._bar = None

    def on_message(self, level: Level, text: str) -> None:
        if level == Level.DETAIL and self.verbosity < 1:
            return
        if level == Level.INFO and self.verbosity < 0:
            return
        prefix = "warning: " if level == Level.WARNING else ""
        line = Text(prefix + terminal_safe(text))
        with self._lock:
            target = self._bar.console if self._bar is not None else self.console
            target.print(line, soft_wrap=True)

    def close(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.stop()
                self._bar = None
