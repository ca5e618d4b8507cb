"""The tests' fixed notion of "now": no test reads the wall clock for what it asserts."""

from __future__ import annotations

from datetime import UTC, datetime

from survey.core.clock import FixedClock

# Mid-month, mid-day: far from every month, day and year boundary. Tests that are about a
# boundary (the first days of a month, New Year, 29 February) fix their own clock there.
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def clock(at: datetime = NOW) -> FixedClock:
    return FixedClock(at)
