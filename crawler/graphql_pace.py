"""Pacing and batch sizing for GitHub's GraphQL API, from what the answers show.

GitHub's secondary limits (API_NOTES.md): at most 2,000 points a minute and 60 s of GraphQL
server time per 60 s of wall time (estimated from response times); a query that runs over 10 s
is cut with 502/504 and still charged. :class:`Pace` keeps the last minute's points and
seconds and waits before a query that would pass either (with a margin). :class:`BatchSize`
grows a batch that answers fast and halves one that timed out or answered slowly, so the batch
finds the size this population of repositories allows.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

POINTS_PER_MINUTE = 2000
SERVER_SECONDS_PER_MINUTE = 60.0


@dataclass
class Pace:
    """The last 60 s of queries: (when, points, seconds); ``wait`` before the next one."""

    points_per_minute: float = POINTS_PER_MINUTE * 0.9
    seconds_per_minute: float = SERVER_SECONDS_PER_MINUTE * 0.8
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    waited: float = 0.0
    _log: deque[tuple[float, float, float]] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _trim(self, now: float) -> None:
        while self._log and self._log[0][0] <= now - 60.0:
            self._log.popleft()

    def delay(self, points: float = 1.0) -> float:
        """Seconds to wait so that the next minute stays under both limits."""
        with self._lock:
            now = self.clock()
            self._trim(now)
            spent = sum(p for _t, p, _s in self._log)
            busy = sum(s for _t, _p, s in self._log)
            if spent + points <= self.points_per_minute and busy <= self.seconds_per_minute:
                return 0.0
            # Wait until enough of the window has passed: the oldest entries leave first.
            for when, p, s in self._log:
                spent -= p
                busy -= s
                if spent + points <= self.points_per_minute and busy <= self.seconds_per_minute:
                    return max(0.0, when + 60.0 - now)
            return 60.0

    def wait(self, points: float = 1.0) -> float:
        seconds = self.delay(points)
        if seconds > 0:
            self.sleep(seconds)
            self.waited += seconds
        return seconds

    def record(self, points: float, seconds: float) -> None:
        with self._lock:
            self._log.append((self.clock(), points, seconds))


@dataclass
class BatchSize:
    """Repositories per query: grows by half on fast answers, halves on slow ones or 502s."""

    size: int = 25
    low: int = 1
    high: int = 100
    fast: float = 2.0   # seconds: an answer this quick may take a bigger batch
    slow: float = 6.0   # seconds: GitHub cuts at 10, so back off well before
    history: list[int] = field(default_factory=list)

    def answered(self, seconds: float) -> None:
        if seconds < self.fast:
            self.size = min(self.high, math.ceil(self.size * 1.5))
        elif seconds > self.slow:
            self.size = max(self.low, self.size // 2)
        self.history.append(self.size)

    def timed_out(self) -> None:
        self.size = max(self.low, self.size // 2)
        self.history.append(self.size)
