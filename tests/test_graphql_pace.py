"""GraphQL pacing and batch sizing on a fake clock (no real waiting)."""

from __future__ import annotations

from crawler.graphql_pace import BatchSize, Pace


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_pace_keeps_a_minute_under_the_points_limit() -> None:
    clock = FakeClock()
    pace = Pace(points_per_minute=10, seconds_per_minute=1000, clock=clock, sleep=clock.sleep)
    for _ in range(10):
        assert pace.wait(1) == 0
        pace.record(1, 0.1)
        clock.now += 1
    assert pace.wait(1) == 50.0  # the first query leaves the window 60 s after it was sent
    assert clock.slept == [50.0]
    pace.record(1, 0.1)
    assert pace.delay(1) > 0


def test_pace_keeps_a_minute_under_the_server_time_limit() -> None:
    clock = FakeClock()
    pace = Pace(points_per_minute=2000, seconds_per_minute=20, clock=clock, sleep=clock.sleep)
    pace.record(1, 15)
    clock.now += 15
    assert pace.delay(1) == 0
    pace.record(1, 9)  # 24 s of server time in the last minute: over 20
    clock.now += 9
    assert pace.delay(1) == 60 - 24
    clock.now += 60
    assert pace.delay(1) == 0


def test_batches_grow_on_fast_answers_and_halve_on_slow_ones_or_timeouts() -> None:
    size = BatchSize(size=25, high=100)
    size.answered(0.5)
    size.answered(0.5)
    assert size.size == 57
    size.answered(0.5)
    size.answered(0.5)
    assert size.size == 100  # capped
    size.answered(8.0)
    assert size.size == 50
    size.answered(4.0)  # between fast and slow: kept
    assert size.size == 50
    size.timed_out()
    size.timed_out()
    assert size.size == 12
    for _ in range(10):
        size.timed_out()
    assert size.size == 1
