"""A stop asked for by a signal, checked again wherever work advances.

Why: ``sigterm_as_interrupt`` raises ``KeyboardInterrupt`` from the SIGTERM handler, but Python
swallows an exception raised while it runs a ``__del__``, a weakref callback or a garbage
collection hook (it prints "Exception ignored in ..." and goes on). A stop that lands there
would let the crawl run to its end. The handler therefore also sets this flag, and the places
every long step passes through (each HTTP request, each advance of a progress task) raise the
interrupt again while it is set. Only the main thread raises: that is where signals land and
where the run is recorded.
"""

from __future__ import annotations

import threading

__all__ = ["check", "clear", "request", "requested"]

_requested = threading.Event()


def request() -> None:
    """A stop was asked for (the SIGTERM handler calls this before it raises)."""
    _requested.set()


def clear() -> None:
    """The stop was seen (the run recorded it as interrupted) or the run ended."""
    _requested.clear()


def requested() -> bool:
    return _requested.is_set()


def check() -> None:
    """Raise ``KeyboardInterrupt`` in the main thread while a stop is asked for."""
    if _requested.is_set() and threading.current_thread() is threading.main_thread():
        raise KeyboardInterrupt
