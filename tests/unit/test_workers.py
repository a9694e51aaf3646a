"""The chart workers: no process until the first chart, none again once idle, back on demand."""

import math
import time

import pytest

from bot.workers import ChartWorkers


def wait_until(condition, timeout: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_workers_start_with_the_first_chart_and_stop_when_idle() -> None:
    workers = ChartWorkers(1, idle_seconds=0.3)
    try:
        assert not workers.started  # the bot at rest has no worker process
        assert workers.submit(math.factorial, 10).result(timeout=60) == 3_628_800
        assert workers.started
        assert wait_until(lambda: not workers.started)  # idle: the process is let go
        assert workers.submit(math.factorial, 5).result(timeout=60) == 120  # and back
    finally:
        workers.shutdown()
    assert not workers.started
    with pytest.raises(RuntimeError):
        workers.submit(math.factorial, 3)


def test_busy_workers_are_not_stopped() -> None:
    workers = ChartWorkers(1, idle_seconds=0.2)
    try:
        running = workers.submit(time.sleep, 1.0)
        time.sleep(0.5)
        assert workers.started and not running.done()
        running.result(timeout=60)
        assert workers.started  # the idle time starts when the last chart is done
        assert wait_until(lambda: not workers.started)
    finally:
        workers.shutdown()
