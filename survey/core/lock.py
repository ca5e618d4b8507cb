"""One writer at a time: an advisory ``flock`` beside the database.

Two crawls or refreshes on one database would double every request and race on the progress
markers. The lock is taken before the database is opened, so a second run exits at once
(``LockedError``, exit code 75 = EX_TEMPFAIL: "try again later") having touched nothing. The
kernel releases a ``flock`` when its holder dies, so a run killed with SIGKILL never leaves a
stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from survey.core.errors import LockedError, StoreError


def lock_path(db: Path) -> Path:
    """The lock file for a database: ``survey.db`` -> ``survey.db.lock``."""
    return db.with_name(db.name + ".lock")


@contextmanager
def exclusive_run(db: Path, command: str) -> Iterator[None]:
    """Hold the database's run lock for the duration, or raise :class:`LockedError` at once."""
    path = lock_path(db)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreError(f"cannot create lock file {path}: {exc.strerror}") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another run"
            raise LockedError(
                f"{command}: {db} is in use by {holder}; try again when it has finished"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"survey {command} (pid {os.getpid()})".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
