"""Harvest windows: the date range of a crawl cut into arXiv queries of a few thousand papers.

``--since``/``--until`` take ``YEAR``, ``YYYY-MM`` or ``YYYY-MM-DD`` (UTC). ``--since`` is the
start of that period, ``--until`` its end: ``--since 2018 --until 2018`` is all of 2018.
The range is cut at month boundaries; a month whose total exceeds ``arxiv_window_max`` is split
into equal parts (again and again if needed, down to one minute). Since arXiv's backend change
of November 2025 only the 12-digit GMT form ``submittedDate:[YYYYMMDDHHMM TO YYYYMMDDHHMM]`` is
accepted. Both bounds are inclusive there, so a window ``[start, end)`` asks up to and including
the minute ``end``: adjacent windows overlap by one minute, which costs nothing (papers are
deduplicated by id) while a gap would lose papers.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from survey.core.errors import InputError

# arXiv's first submissions: August 1991.
ARXIV_START = datetime(1991, 8, 1, tzinfo=UTC)
_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
KEY_FORMAT = "%Y-%m-%dT%H:%M"


def parse_date(text: str, *, option: str = "--since", end: bool = False) -> datetime:
    """``YEAR|YYYY-MM|YYYY-MM-DD`` -> the period's start (or, with ``end``, its exclusive end)."""
    raw = (text or "").strip()
    match = _DATE.match(raw)
    shown = raw if len(raw) <= 40 else raw[:40] + "..."
    if not match:
        raise InputError(f"{option} {shown!r}: expected YEAR, YYYY-MM or YYYY-MM-DD")
    year, month, day = int(match[1]), match[2], match[3]
    try:
        if day is not None:
            start = datetime(year, int(month), int(day), tzinfo=UTC)
            stop = start + timedelta(days=1)
        elif month is not None:
            start = datetime(year, int(month), 1, tzinfo=UTC)
            stop = _add_month(start)
        else:
            start = datetime(year, 1, 1, tzinfo=UTC)
            stop = datetime(year + 1, 1, 1, tzinfo=UTC)
    except (ValueError, OverflowError) as exc:
        raise InputError(f"{option} {shown!r}: not a valid date ({exc})") from None
    return stop if end else start


def resolve_range(
    since: str | datetime, until: str | datetime | None, *, now: datetime
) -> tuple[datetime, datetime]:
    """Validated ``[since, until)`` in UTC; ``now`` is the run's clock (never read here).

    ``until`` defaults to the end of the current month, so the windows (and their stored keys)
    stay month-aligned from one run to the next; a query bound in the future costs nothing.
    """
    start = parse_date(since, option="--since") if isinstance(since, str) else _utc(since)
    if until is None:
        stop = _add_month(now.replace(day=1, hour=0, minute=0, second=0, microsecond=0))
    elif isinstance(until, str):
        stop = parse_date(until, option="--until", end=True)
    else:
        stop = _utc(until)
    if start < ARXIV_START:
        if not (isinstance(since, str) and parse_date(since, end=True) > ARXIV_START):
            raise InputError(f"--since {start:%Y-%m-%d}: arXiv starts in August 1991")
        start = ARXIV_START  # ``--since 1991``: the part of that period arXiv has
    if start >= now:
        raise InputError(f"--since {start:%Y-%m-%d} is in the future")
    if stop <= start:
        raise InputError(
            f"--until {stop - timedelta(minutes=1):%Y-%m-%d} is before --since {start:%Y-%m-%d}"
        )
    return start, stop


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise InputError("dates must be timezone-aware (UTC)")
    return value.astimezone(UTC)


def _add_month(dt: datetime) -> datetime:
    return dt.replace(year=dt.year + dt.month // 12, month=dt.month % 12 + 1, day=1)


def _arxiv_minute(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y%m%d%H%M")


@dataclass(frozen=True, order=True)
class Window:
    """``[start, end)`` in UTC, minute-aligned."""

    start: datetime
    end: datetime

    @property
    def key(self) -> tuple[str, str]:
        """``(start, end)`` as stored in ``harvest_windows``."""
        return self.start.strftime(KEY_FORMAT), self.end.strftime(KEY_FORMAT)

    @classmethod
    def from_key(cls, start: str, end: str) -> Window:
        parse = lambda s: datetime.strptime(s, KEY_FORMAT).replace(tzinfo=UTC)  # noqa: E731
        return cls(parse(start), parse(end))

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)

    def query(self, categories: tuple[str, ...] | list[str]) -> str:
        """The arXiv query: categories OR-ed (a cross-list is fetched once), date bounded."""
        cats = " OR ".join(f"cat:{c}" for c in categories)
        dates = f"submittedDate:[{_arxiv_minute(self.start)} TO {_arxiv_minute(self.end)}]"
        return f"({cats}) AND {dates}" if len(categories) > 1 else f"{cats} AND {dates}"

    def split(self, parts: int) -> list[Window]:
        """``parts`` minute-aligned pieces of (nearly) equal length."""
        parts = max(1, min(parts, self.minutes))
        bounds = [self.start + timedelta(minutes=(self.minutes * i) // parts)
                  for i in range(parts)] + [self.end]
        return [Window(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]

    def __str__(self) -> str:
        return f"{self.key[0]}..{self.key[1]}"


def parts_for(total: int, window_max: int, page_size: int = 2000) -> int:
    """How many pieces a window of ``total`` papers is cut into.

    Each piece aims at 90% of a whole number of pages (one page of 2000 with the defaults), so
    no request is spent on a nearly empty last page, and the 10% headroom absorbs uneven days
    (deadline spikes) and papers that keep arriving, so a piece rarely needs a second split.
    """
    if total <= window_max:
        return 1
    pages = max(1, int(window_max * 0.9) // max(1, page_size))
    target = max(1, int(min(pages * page_size, window_max) * 0.9))
    return max(2, math.ceil(total / target))


def month_windows(start: datetime, end: datetime) -> list[Window]:
    """``[start, end)`` cut at month boundaries (first and last pieces may be partial)."""
    start = start.replace(second=0, microsecond=0)
    end = end.replace(second=0, microsecond=0) + (
        timedelta(minutes=1) if end.second or end.microsecond else timedelta(0)
    )
    out = []
    cursor = start
    while cursor < end:
        nxt = min(_add_month(cursor.replace(day=1, hour=0, minute=0)), end)
        out.append(Window(cursor, nxt))
        cursor = nxt
    return out
