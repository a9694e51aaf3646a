"""The chart workers: processes of their own, started by the first chart, stopped when idle."""

import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

# Workers left with nothing to draw for this long are stopped (the next chart starts them again,
# about a second of start-up): a Monday's run keeps them, a quiet week does not pay for them.
IDLE_SECONDS = 600.0


class ChartWorkers(Executor):
    """A process pool made on first use and let go when idle. A worker holds matplotlib and
    numpy (about 60 MB), and even an idle pool runs multiprocessing's resource tracker: a bot
    that draws no chart keeps neither."""

    def __init__(self, max_workers: int, *, idle_seconds: float = IDLE_SECONDS) -> None:
        self.max_workers = max_workers
        self.idle_seconds = idle_seconds
        self._pool: ProcessPoolExecutor | None = None
        self._busy = 0
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()  # run_in_executor and callbacks come from several threads
        self._closed = False

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot schedule new futures after shutdown")
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.max_workers, mp_context=get_context("spawn")
                )
            self._busy += 1
            future = self._pool.submit(fn, *args, **kwargs)
        future.add_done_callback(self._done)
        return future

    def _done(self, _future: Future[Any]) -> None:
        with self._lock:
            self._busy -= 1
            if self._busy == 0 and self._pool is not None and not self._closed:
                self._timer = threading.Timer(self.idle_seconds, self._stop_if_idle)
                self._timer.daemon = True
                self._timer.start()

    def _stop_if_idle(self) -> None:
        with self._lock:
            if self._busy or self._pool is None:
                return
            pool, self._pool, self._timer = self._pool, None, None
        pool.shutdown(wait=True)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
            pool, self._pool, self._timer = self._pool, None, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=cancel_futures)

    @property
    def started(self) -> bool:
        return self._pool is not None

    def __repr__(self) -> str:
        state = "started" if self.started else "not started"
        return f"ChartWorkers(max_workers={self.max_workers}, {state})"
