"""Progress and messages from the library to whoever shows them.

Nothing below the CLI writes to the terminal. A stage reports what it is doing to an
:class:`Events` sink: tasks with a total that advance (progress bars), and messages at three
levels. The CLI renders them (rich progress bars on stderr, ``-v`` shows details, ``-q`` only
warnings); library callers and tests get :class:`Events` itself, which drops everything, or
:class:`RecordedEvents`, which keeps it for assertions.

Levels: ``detail`` (the reason for each failed request or repository: shown with ``-v``),
``info`` (a wait announced, a stage's one-line result), ``warning`` (something the user should
act on: no token, a service degraded).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum

from survey.core import stop


class Level(StrEnum):
    DETAIL = "detail"
    INFO = "info"
    WARNING = "warning"


class Task:
    """A handle on one progress task: advance it, change its total or description."""

    def __init__(self, sink: Events, task_id: int) -> None:
        self._sink = sink
        self.id = task_id

    def advance(self, n: float = 1.0) -> None:
        stop.check()  # a unit of work is done: the place to honour a stop asked for
        self._sink.on_update(self.id, advance=n)

    def update(self, *, total: float | None = None, description: str | None = None,
               completed: float | None = None) -> None:
        self._sink.on_update(self.id, total=total, description=description, completed=completed)


class Events:
    """The sink interface, and the silent sink: every method does nothing.

    Subclasses override the ``on_*`` hooks; callers use :meth:`task`, :meth:`detail`,
    :meth:`info` and :meth:`warning`. Thread-safe ids: downloads report from a pool.
    """

    _ids = itertools.count(1)
    _ids_lock = threading.Lock()

    # -- what callers use --------------------------------------------------------------------

    @contextmanager
    def task(self, description: str, total: float | None = None) -> Iterator[Task]:
        """A progress task for the duration of the block (removed when it ends)."""
        with Events._ids_lock:
            task_id = next(Events._ids)
        self.on_start(task_id, description, total)
        try:
            yield Task(self, task_id)
        finally:
            self.on_finish(task_id)

    def detail(self, text: str) -> None:
        self.on_message(Level.DETAIL, text)

    def info(self, text: str) -> None:
        self.on_message(Level.INFO, text)

    def warning(self, text: str) -> None:
        self.on_message(Level.WARNING, text)

    # -- what sinks implement ----------------------------------------------------------------

    def on_start(self, task_id: int, description: str, total: float | None) -> None:
        """A task began."""

    def on_update(self, task_id: int, *, advance: float = 0.0, total: float | None = None,
                  description: str | None = None, completed: float | None = None) -> None:
        """A task moved."""

    def on_finish(self, task_id: int) -> None:
        """A task ended."""

    def on_message(self, level: Level, text: str) -> None:
        """A message at ``level``."""


SILENT = Events()


@dataclass
class RecordedTask:
    description: str
    total: float | None
    completed: float = 0.0
    finished: bool = False


@dataclass
class RecordedEvents(Events):
    """Keeps every task and message: for tests and for callers that summarise later."""

    tasks: dict[int, RecordedTask] = field(default_factory=dict)
    messages: list[tuple[Level, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def on_start(self, task_id: int, description: str, total: float | None) -> None:
        with self._lock:
            self.tasks[task_id] = RecordedTask(description, total)

    def on_update(self, task_id: int, *, advance: float = 0.0, total: float | None = None,
                  description: str | None = None, completed: float | None = None) -> None:
        with self._lock:
            task = self.tasks[task_id]
            task.completed = task.completed + advance if completed is None else completed
            if total is not None:
                task.total = total
            if description is not None:
                task.description = description

    def on_finish(self, task_id: int) -> None:
        with self._lock:
            self.tasks[task_id].finished = True

    def on_message(self, level: Level, text: str) -> None:
        with self._lock:
            self.messages.append((level, text))

    def texts(self, level: Level | None = None) -> list[str]:
        return [t for lv, t in self.messages if level is None or lv == level]
