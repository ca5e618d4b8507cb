"""Terminal output: one stderr console, the progress bars, and the events sink that drives them.

The library reports progress and messages through :class:`survey.core.events.Events`;
:class:`RichEvents` renders them here, so nothing below the CLI writes to the terminal.
Outside strings can carry terminal escapes (a file named ``\\x1b[2J``, a hostile error body):
:func:`terminal_safe` neutralises control characters before anything is printed.
"""

from __future__ import annotations

import re
import threading

from rich.console import Console
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

# Progress, warnings and summaries go to stderr so stdout stays clean for data (export, --json).
err_console = Console(stderr=True, highlight=False)

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
        console=console or err_console,
        transient=transient,
    )


class RichEvents(Events):
    """Progress bars (when ``progress``) and messages by ``verbosity`` on a stderr console.

    ``verbosity``: -1 quiet (warnings only), 0 normal (info and warnings), 1 verbose (details
    too: the reason for each failed request or repository).
    """

    def __init__(self, *, progress: bool, verbosity: int = 0,
                 console: Console | None = None) -> None:
        self.show_progress = progress
        self.verbosity = verbosity
        self.console = console or err_console
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
