"""One clock for "now": the scheduler's, the library's and a test's notion of today.

Every date a run stores or decides on (window ends, ``checked_at``, ``runs.started_at``, the
claims' window) comes from the :class:`Clock` a run is given, so a test that fixes the clock
fixes every one of them, and nothing reads the wall clock behind its back. Durations are measured
with ``time.monotonic`` (not "now"), and waits for a remote service's rate-limit reset compare
that service's epoch with the machine's real time (``time.time``), which is the only clock it
can be compared with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

STAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class Clock(Protocol):
    """Gives the current time, timezone-aware in UTC."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock (the default everywhere outside tests)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that reads ``at`` until moved: tests and reproducible reruns."""

    at: datetime

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self.at = self.at.astimezone(UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at = self.at + delta


SYSTEM_CLOCK = SystemClock()


def stamp(when: datetime) -> str:
    """A time as stored: ISO 8601 UTC with seconds (``2026-12-01T00:30:00Z``)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime(STAMP_FORMAT)


def clock_at(now: datetime | None) -> Clock:
    """A fixed clock at ``now``, or the system clock when ``now`` is None (library callers)."""
    return SYSTEM_CLOCK if now is None else FixedClock(now)
