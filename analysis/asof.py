"""The day a report is computed as of, so the same database gives the same page on any day.

Nothing here reads the wall clock. The default is the end of the last complete month in the
data: the harvest's coverage when the database records it (complete windows), else the latest
first-version date. A month counts as complete when the data reach its last day, so a report
never ends its claims' windows in a month that is still arriving.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import date, datetime, timedelta

from survey.core.errors import InputError
from survey.store import tables

_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def month_end(day: date) -> date:
    """The last day of ``day``'s month."""
    first_next = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first_next - timedelta(days=1)


def last_complete_month_end(through: date) -> date:
    """The end of the last month whose days all lie on or before ``through``."""
    return through if through == month_end(through) else through.replace(day=1) - timedelta(days=1)


def parse_as_of(text: str, *, option: str = "--as-of") -> date:
    """``YYYY-MM-DD`` is that day; ``YYYY-MM`` and ``YYYY`` are the period's last day (as
    ``--until`` reads them), so ``--as-of 2019`` means through 2019-12-31."""
    raw = (text or "").strip()
    shown = raw if len(raw) <= 40 else raw[:40] + "..."
    match = _DATE.match(raw)
    if not match:
        raise InputError(f"{option} {shown!r}: expected YYYY-MM-DD, YYYY-MM or YEAR")
    year, month, day = int(match[1]), match[2], match[3]
    try:
        if day is not None:
            return date(year, int(month), int(day))
        if month is not None:
            return month_end(date(year, int(month), 1))
        return date(year, 12, 31)
    except ValueError as exc:
        raise InputError(f"{option} {shown!r}: not a valid date ({exc})") from None


def harvested_through(conn: sqlite3.Connection) -> date | None:
    """The last whole day the data cover: the harvest's complete windows, else the latest
    first version (a database filled by other means than a crawl)."""
    until = tables.harvested_until(conn)
    if until is not None:
        # An exclusive end: a window ending at midnight covers the day before; one that ended
        # (was harvested) mid-day leaves that day partial.
        return datetime.strptime(until[:10], "%Y-%m-%d").date() - timedelta(days=1)
    _, _, last = tables.paper_span(conn)
    return datetime.strptime(last[:10], "%Y-%m-%d").date() if last else None


def default_as_of(conn: sqlite3.Connection, *, now: datetime | None = None) -> date | None:
    """End of the last complete month in the data (and, given the run's ``now``, no later than
    the last month completed by then); ``None`` for a database without papers."""
    through = harvested_through(conn)
    if now is not None:
        yesterday = now.date() - timedelta(days=1)
        through = yesterday if through is None else min(through, yesterday)
    return None if through is None else last_complete_month_end(through)
