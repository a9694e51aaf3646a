"""The chart workers: processes of their own, started by the first chart, not with the bot."""

from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from multiprocessing import get_context
from threading import Lock
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class ChartWorkers(Executor):
    """A process pool made on first use. A worker holds matplotlib and numpy (about 60 MB), and
    even an idle pool runs multiprocessing's resource tracker (about 15 MB): a bot that draws
    no chart today keeps neither."""

    def __init__(self, max_workers: int) -> None:
        self.max_workers = max_workers
        self._pool: ProcessPoolExecutor | None = None
        self._lock = Lock()  # run_in_executor may be called from any thread
        self._closed = False

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot schedule new futures after shutdown")
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.max_workers, mp_context=get_context("spawn")
                )
            pool = self._pool
        return pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=cancel_futures)

    @property
    def started(self) -> bool:
        return self._pool is not None

    def __repr__(self) -> str:
        state: Any = "started" if self.started else "not started"
        return f"ChartWorkers(max_workers={self.max_workers}, {state})"
