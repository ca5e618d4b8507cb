"""Terminal output: one stderr console and the progress bar every long step uses."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

# Progress, warnings and summaries go to stderr so stdout stays clean for data (export, --json).
err_console = Console(stderr=True, highlight=False)


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
